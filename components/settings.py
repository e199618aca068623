"""The typed settings of one stack: built once from stack config, handed to every component.

This is the project's ``config.libsonnet``: every setting, its default and its validation live
here or in the area modules it composes (``rules``, ``notifications``, ``grafana``,
``incident``).  Nothing else reads Pulumi config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from components.alertmanager.settings import NotificationSettings
from components.blackbox.config import HTTP_2XX, MODULES
from components.durations import Duration, PositiveDuration, seconds
from components.grafana.settings import GrafanaSettings
from components.incident.settings import IncidentSettings
from components.model import ConfigModel, HttpUrl
from components.prometheus.scrape_jobs import PROBE_JOB, WEB_JOB, job_names
from components.rules.settings import RuleSettings
from components.secrets import Secret
from components.versions import IMAGES

PROJECT = "internet-id-monitoring"

# Secret config keys: key -> what it is.  Keys without a namespace belong to the project.
SECRET_KEYS: dict[str, str] = {
    "grafanaAdminPassword": "Grafana admin password",
    "smtpPassword": "SMTP password for e-mail notifications",
    "slackWebhookUrl": (
        "Slack incoming-webhook URL Alertmanager posts through (notifications.slack.delivery webhook) for "
        "every channel without a webhook of its own"
    ),
    "slackWebhookUrlCritical": "incoming-webhook URL of the critical channel (notifications.slack.channelWebhooks)",
    "slackWebhookUrlWarnings": "incoming-webhook URL of the warnings channel (notifications.slack.channelWebhooks)",
    "slackWebhookUrlInfo": "incoming-webhook URL of the info channel (notifications.slack.channelWebhooks)",
    "postgresExporterPassword": "password of the database user postgres-exporter logs in as",
    "pagerdutyRoutingKey": "Events API v2 routing key of an externally managed production service",
    "pagerdutyDatabaseRoutingKey": "Events API v2 routing key of an externally managed database service",
    "pagerduty:token": "PagerDuty API token of the pagerduty provider",
    "slack:token": (
        "Slack bot token of the slack provider; also what Alertmanager posts with (notifications.slack.delivery bot)"
    ),
    "sentry:token": "Sentry auth token of the sentry provider",
}

# Probe jobs take URLs from targets.webUrl and targets.probes, not from scrapeOverrides.
PROBE_JOBS = (WEB_JOB, PROBE_JOB)

# Defaults that depend on the stack's name, filled in by ``load_settings``.
STACK_DEFAULTS: dict[str, str] = {"environment": "{stack}", "cluster": "internet-id-{stack}"}

# Hosts/ports that the Internet-ID application already uses on the host.
APP_HOST_PORTS = {3000: "the Internet-ID web app", 3001: "the Internet-ID API"}


class SettingsError(Exception):
    """Stack config is invalid; ``problems`` holds one line per bad key."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        super().__init__(self.message())

    def message(self) -> str:
        if len(self.problems) == 1:
            return f"stack {self.stack!r}: {self.problems[0]}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"stack {self.stack!r}: invalid config ({len(self.problems)} problem(s)):\n{lines}"


def _check_container_names(value: Mapping[str, Any]) -> None:
    unknown = sorted(set(value) - set(IMAGES))
    if unknown:
        raise ValueError(f"unknown container(s) {unknown}; known: {sorted(IMAGES)}")


class DockerSettings(ConfigModel):
    """Where the containers run and how they are wired to the Internet-ID application."""

    host: str | None = None
    """Docker daemon address (e.g. ``ssh://ops@host``); unset means the local daemon."""
    network_name: str | None = None
    """Name of the monitoring network; default ``internet-id-monitoring-<stack>``."""
    container_prefix: str | None = None
    """Prefix of every container and volume name; default ``iidmon-<stack>``."""
    app_network: str | None = "internet-id_default"
    """The application's Docker network, joined by name so ``api``, ``db`` and ``redis`` resolve."""
    bind_address: IPv4Address = IPv4Address("127.0.0.1")
    """Host address the published UIs listen on; keep loopback unless a proxy with auth fronts them."""
    data_root: str = "/var/lib/docker"
    """The Docker daemon's data root on its host (``docker info -f '{{.DockerRootDir}}'``); cAdvisor reads
    container filesystems there.  Rootless Docker and some distributions put it elsewhere."""
    protect_volumes: bool = False
    """Protect the data volumes from deletion (``pulumi destroy`` fails until unset)."""
    memory_mb: dict[str, int] = Field(default_factory=dict)
    """Memory limit per container in MiB, overriding the defaults in ``docker_stack/containers.py``."""

    @field_validator("data_root")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} is not an absolute path on the Docker host")
        return value.rstrip("/") or "/"

    @field_validator("memory_mb")
    @classmethod
    def _known_containers(cls, value: dict[str, int]) -> dict[str, int]:
        _check_container_names(value)
        bad = {k: v for k, v in value.items() if v < 16}
        if bad:
            raise ValueError(f"limits below 16 MiB: {bad}")
        return value


class CadvisorSettings(ConfigModel):
    """What cAdvisor may see of the Docker host (its docs run it privileged with the host's /dev/kmsg)."""

    privileged: bool = True
    """Run privileged, as cAdvisor's docs do; ``false`` keeps only ``capabilities`` (container CPU, memory and
    network metrics still work; some disk metrics need more)."""
    capabilities: list[str] = Field(default_factory=list)
    """Linux capabilities added when not privileged (e.g. ``SYS_ADMIN`` for disk usage of container layers)."""
    devices: list[str] = Field(default_factory=lambda: ["/dev/kmsg"])
    """Host devices passed in; ``/dev/kmsg`` gives OOM-kill events.  Empty where the host refuses devices."""
    disk_devices: bool = True
    """Mount the host's ``/dev/disk`` read-only (disk names of I/O metrics); ``false`` where the host has none."""

    @field_validator("devices")
    @classmethod
    def _device_paths(cls, value: list[str]) -> list[str]:
        bad = [device for device in value if not device.startswith("/dev/")]
        if bad:
            raise ValueError(f"{bad} are not device paths (/dev/...)")
        return value

    @field_validator("capabilities")
    @classmethod
    def _capability_names(cls, value: list[str]) -> list[str]:
        bad = [cap for cap in value if not cap.isupper() or cap.startswith("CAP_")]
        if bad:
            raise ValueError(f"{bad}: name capabilities as Docker does, e.g. SYS_ADMIN (no CAP_ prefix)")
        return value


class PortSettings(ConfigModel):
    """Host ports of the three UIs; exporters publish nothing."""

    prometheus: int = Field(9090, ge=1, le=65535)
    """Host port of Prometheus' UI and API."""
    alertmanager: int = Field(9093, ge=1, le=65535)
    """Host port of Alertmanager's UI and API."""
    grafana: int = Field(3030, ge=1, le=65535)
    """Host port of Grafana; never 3000 or 3001 (the Internet-ID web app and API)."""

    @field_validator("grafana")
    @classmethod
    def _not_an_app_port(cls, value: int) -> int:
        if value in APP_HOST_PORTS:
            raise ValueError(f"port {value} is taken by {APP_HOST_PORTS[value]}; use e.g. 3030")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> PortSettings:
        ports = [self.prometheus, self.alertmanager, self.grafana]
        if len(set(ports)) != len(ports):
            raise ValueError(f"host ports must differ, got {ports}")
        return self


class ApiTargets(ConfigModel):
    """How Prometheus finds the API replicas: each replica is scraped as its own target."""

    discovery: Literal["dns", "static"] = "dns"
    """``dns``: A records of ``dnsNames`` (Docker's DNS returns one per replica); ``static``: ``staticTargets``."""
    dns_names: list[str] = Field(default_factory=lambda: ["api"])
    """Names whose A records are the replicas (the app's compose service name)."""
    port: int = Field(3001, ge=1, le=65535)
    """Port the API listens on in each replica."""
    static_targets: list[str] = Field(default_factory=list)
    """``host:port`` of each replica, for ``discovery: static``."""
    expected_replicas: int = Field(1, ge=1)
    """Replicas that should answer; fewer for a while fires ``ApiReplicasMissing`` (a dead replica leaves DNS)."""

    @model_validator(mode="after")
    def _has_targets(self) -> ApiTargets:
        if self.discovery == "static" and not self.static_targets:
            raise ValueError("discovery is 'static' but staticTargets is empty; list host:port of each replica")
        if self.discovery == "static" and self.expected_replicas > len(self.static_targets):
            raise ValueError(
                f"expectedReplicas {self.expected_replicas} exceeds the {len(self.static_targets)} staticTargets"
            )
        if self.discovery == "dns" and not self.dns_names:
            raise ValueError("discovery is 'dns' but dnsNames is empty")
        return self


class PostgresTarget(ConfigModel):
    """The database postgres-exporter connects to (password: secret ``postgresExporterPassword``)."""

    host: str = "db"
    """Database host name on the app network."""
    port: int = Field(5432, ge=1, le=65535)
    """Database port."""
    database: str = "internetid"
    """Database the exporter connects to (cluster-wide metrics come from any database)."""
    user: str = "internetid"
    """Login of the exporter; a read-only role with ``pg_monitor`` is best."""
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "disable"
    """libpq ``sslmode`` of the exporter's connection."""
    use_app_dev_credentials: bool = False
    """Log in with the app's documented development password instead of ``postgresExporterPassword``."""


class ProbeTarget(ConfigModel):
    """One URL the blackbox exporter probes; ``service`` routes and inhibits its alerts."""

    url: HttpUrl
    """URL probed."""
    service: str
    """``service`` label of the probe's series and alerts (``api``, ``web`` …)."""
    module: str = HTTP_2XX
    """Blackbox module (``blackbox/config.py``): ``http_2xx``; ``https_2xx`` also fails on plain HTTP and
    measures the certificate; ``api_health_blockchain`` judges /api/health's blockchain check."""

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str) -> str:
        if value not in MODULES:
            raise ValueError(f"unknown blackbox module {value!r}; known: {sorted(MODULES)}")
        return value


class TargetSettings(ConfigModel):
    """What is monitored: the application's services, by their names on the app network."""

    api: ApiTargets = ApiTargets()
    web_url: HttpUrl = "http://web:3000/"
    """The Next.js app has no metrics endpoint: it is probed over HTTP, never scraped."""
    postgres: PostgresTarget = PostgresTarget()
    redis_address: str = "redis://redis:6379"
    """Redis the exporter connects to (``redis://host:port``)."""
    probes: list[ProbeTarget] = Field(
        default_factory=lambda: [ProbeTarget(url="http://api:3001/api/health", service="api")]
    )
    """Blackbox HTTP probes: the API's health endpoint, the public URL, any other page."""
    scrape_overrides: dict[str, list[str]] = Field(default_factory=dict)
    """Replace a job's default targets (``job: [host:port]``), e.g. exporters on other hosts."""

    @field_validator("scrape_overrides")
    @classmethod
    def _known_jobs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        probes = sorted(set(value) & set(PROBE_JOBS))
        if probes:
            raise ValueError(f"{probes} probe URLs, not scrape targets: set targets.webUrl or targets.probes instead")
        unknown = sorted(set(value) - set(job_names()))
        if unknown:
            raise ValueError(f"unknown job(s) {unknown}; known: {sorted(set(job_names()) - set(PROBE_JOBS))}")
        empty = sorted(job for job, targets in value.items() if not targets)
        if empty:
            raise ValueError(f"no targets for {empty}; remove the override to use the default")
        return value


class PrometheusSettings(ConfigModel):
    scrape_interval: PositiveDuration = "15s"
    """How often every target is scraped (also Grafana's datasource ``timeInterval``)."""
    evaluation_interval: PositiveDuration = "15s"
    """How often the rules are evaluated."""
    scrape_timeout: PositiveDuration = "10s"
    """Per-scrape timeout; at most ``scrapeInterval``."""
    retention_time: Duration = "30d"
    """How long samples are kept in the TSDB volume."""
    retention_size: str | None = None
    """Optional size cap such as ``20GB``; the oldest blocks go first."""
    external_url: HttpUrl | None = None
    """URL users reach Prometheus at (alert links); default ``http://<bindAddress>:<ports.prometheus>``."""

    @model_validator(mode="after")
    def _timeout_fits(self) -> PrometheusSettings:
        if seconds(self.scrape_timeout) > seconds(self.scrape_interval):
            raise ValueError(f"scrapeTimeout {self.scrape_timeout} exceeds scrapeInterval {self.scrape_interval}")
        return self


class StackSettings(ConfigModel):
    """Everything one stack is built from; validated once, before any resource exists."""

    stack: str
    environment: str
    """Value of the ``environment`` label on every series and alert (e.g. ``production``); default: the stack name."""
    cluster: str
    """Value of the ``cluster`` external label; alerts are grouped by it.  Default: ``internet-id-<stack>``."""
    docker: DockerSettings = DockerSettings()
    cadvisor: CadvisorSettings = CadvisorSettings()
    images: dict[str, str] = Field(default_factory=dict)
    """Image overrides per container (tag or ``repo@sha256:…``); defaults in ``versions.IMAGES``."""
    ports: PortSettings = PortSettings()
    targets: TargetSettings = TargetSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    rules: RuleSettings = RuleSettings()
    notifications: NotificationSettings = NotificationSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    incident: IncidentSettings = IncidentSettings()
    secrets: dict[str, Secret] = Field(default_factory=dict, exclude=True)
    """Secret values by config key (see ``SECRET_KEYS``); never part of any rendered document."""

    @field_validator("images")
    @classmethod
    def _known_images(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(IMAGES))
        errors = [f"unknown container(s) {unknown}; known: {sorted(IMAGES)}"] if unknown else []
        errors += [
            f"{name}: {ref!r} has no tag or digest; pin it like {IMAGES[name]}"
            for name, ref in value.items()
            if name in IMAGES and ":" not in ref.rsplit("/", 1)[-1] and "@sha256:" not in ref
        ]
        if errors:
            raise ValueError("; ".join(errors))
        return value

    @model_validator(mode="after")
    def _grafana_reachable(self) -> StackSettings:
        remote = self.docker.host is not None and not self.docker.host.startswith("unix://")
        if remote and self.grafana.provisioning == "api" and not self.grafana.root_url:
            raise ValueError(
                "grafana.rootUrl: required when docker.host is another machine: the Grafana provider runs where "
                "`pulumi up` runs and must reach Grafana there (a proxy URL, or http://127.0.0.1:3030 through "
                "`ssh -L 3030:127.0.0.1:3030 <docker host>`), unless grafana.provisioning is 'files'"
            )
        return self

    @property
    def network_name(self) -> str:
        return self.docker.network_name or f"{PROJECT}-{self.stack}"

    @property
    def container_prefix(self) -> str:
        return self.docker.container_prefix or f"iidmon-{self.stack}"

    def image(self, container: str) -> str:
        return self.images.get(container, IMAGES[container])

    def secret(self, key: str) -> Secret | None:
        return self.secrets.get(key)

    def with_secrets(self, extra: Mapping[str, Secret]) -> StackSettings:
        """A copy with secrets that resources of this stack produce (generated passwords, routing keys)."""
        return self.model_copy(update={"secrets": {**self.secrets, **extra}})

    def required_secrets(self) -> dict[str, str]:
        """Secret keys this stack's choices require, with the reason (collected from every area),
        less those its own resources provide (routing keys of PagerDuty services it creates)."""
        required = {
            **self.notifications.required_secrets(),
            **self.grafana.required_secrets(),
            **self.incident.required_secrets(),
        }
        if not self.targets.postgres.use_app_dev_credentials:
            required["postgresExporterPassword"] = "postgres-exporter must log in to the database"
        for key in self.incident.provided_secrets():
            required.pop(key, None)
        return required


def load_settings(
    stack: str, values: Mapping[str, Any], secrets: Mapping[str, Secret], *, require_secrets: bool = True
) -> StackSettings:
    """Validate one stack's config; raise ``SettingsError`` naming every bad key at once.

    ``values`` holds the project's non-secret keys without namespace (``ports``, ``grafana``, …),
    ``secrets`` the secret keys listed in ``SECRET_KEYS``.  ``require_secrets=False`` (the render
    command) accepts required secrets that are not set yet: rendered files only name them.
    """
    problems = [
        f"{_full_key(key)}: not a secret setting; set it with `pulumi config set --secret {_full_key(key)}`"
        for key in secrets
        if key not in SECRET_KEYS
    ]
    problems += [
        f"{_full_key(key)}: is a secret; set it with `pulumi config set --secret {_full_key(key)} <value>`"
        for key in values
        if key in SECRET_KEYS
    ]
    data = {k: v for k, v in values.items() if k not in SECRET_KEYS}
    for key, pattern in STACK_DEFAULTS.items():
        data.setdefault(key, pattern.format(stack=stack))
    if "stack" in data:
        problems.append(f"{_full_key('stack')}: unknown setting; the stack name comes from `pulumi stack`")
    try:
        settings = StackSettings.model_validate({**data, "stack": stack, "secrets": dict(secrets)})
    except ValidationError as error:
        problems += [_describe(err) for err in error.errors()]
        raise SettingsError(stack, problems) from None
    for key, why in settings.required_secrets().items():
        if require_secrets and settings.secret(key) is None:
            problems.append(
                f"{_full_key(key)}: required because {why}; set it with "
                f"`pulumi config set --secret {_full_key(key)} <value>`"
            )
    if problems:
        raise SettingsError(stack, problems)
    return settings


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _describe(err: Any) -> str:
    location: Iterable[Any] = err.get("loc", ())
    path = ".".join(str(part) for part in location)
    top = path.split(".", 1)[0]
    key = _full_key(path) if path else PROJECT
    if err.get("type") == "extra_forbidden":
        return f"{key}: unknown setting; remove it or check the spelling (see README, 'Configuration')"
    if err.get("type") == "missing":
        return f"{key}: required; set it with `pulumi config set --path '{_full_key(top)}…' <value>`"
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    given = err.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
    return f"{key}: {message}{shown}"
