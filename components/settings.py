"""The typed settings of one stack: built once from stack config, validated before anything is rendered.

This is the project's ``config.libsonnet``.  Each area owns its settings model next to its
renderers (``containers``, ``prometheus``, ``rules``, ``slo``, ``alertmanager``, ``grafana``,
``incident``, ``webauth``); this module only composes them, validates what spans areas (and what names the
container records), and collects the secrets the stack's choices require.  Nothing else reads Pulumi config,
and only the composition roots (``render.py``, ``program.py``) read the composed ``StackSettings``: they hand
each area its own model and the stack's ``context``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator

from components.alertmanager.settings import NotificationSettings
from components.config_keys import plain_secret_problem, secret_plain_problem
from components.containers import alertmanager
from components.containers.settings import (
    CadvisorSettings,
    DockerSettings,
    NodeExporterSettings,
    PortSettings,
    PostgresExporterSettings,
)
from components.context import PROJECT, StackContext
from components.durations import format_duration, seconds
from components.grafana.settings import GrafanaSettings, admin_password_problems
from components.hosts.settings import (
    AlertmanagerClusterSettings,
    HostSettings,
    StoreSettings,
    hosts_problems,
    pem_problem,
)
from components.hosts.timing import rejoin_problems
from components.incident.settings import IncidentSettings
from components.model import (
    HIDDEN_VALUE,
    ConfigModel,
    ImageRef,
    Kind,
    LabelValue,
    SettingsError,
    check_credential_url,
    is_below,
)
from components.prometheus.scrape_jobs import API_JOB, job_names
from components.prometheus.settings import PROBE_JOBS, PrometheusSettings, TargetSettings
from components.rules.settings import RuleSettings
from components.secret_keys import (
    CONFIG_SECRETS,
    DOCKER_TLS_CA,
    DOCKER_TLS_CERT,
    DOCKER_TLS_KEY,
    GRAFANA_ADMIN_PASSWORD,
    HEARTBEAT_URL,
    HOST_TLS_CA,
    HOST_TLS_CERT,
    HOST_TLS_KEY,
    POSTGRES_EXPORTER_PASSWORD,
)
from components.secrets import Secret
from components.slo.settings import DEFAULT_SLOS, SloAlerting, Slos, slo_problems
from components.versions import IMAGES
from components.webauth.settings import WebAuthSettings

__all__ = ["PROJECT", "STACK_DEFAULTS", "SettingsError", "StackSettings", "load_settings"]


def _check_container(name: str) -> None:
    if name not in IMAGES:
        raise ValueError(f"unknown container {name!r}; known: {sorted(IMAGES)}")


ContainerName = Annotated[str, Kind("container name", "the name of one of the stack's containers", _check_container,
                                    family="name")]
"""A key naming a container of the records (``images.*``)."""

# Defaults that depend on the stack's name, filled in by ``load_settings``.
STACK_DEFAULTS: dict[str, str] = {"environment": "{stack}", "cluster": "internet-id-{stack}"}


class StackSettings(ConfigModel):
    """Everything one stack is built from; validated once, before any resource exists."""

    stack: str  # the stack's name, never config: checked by config_source.STACK_NAME and Pulumi
    environment: LabelValue
    """Value of the ``environment`` label on every series and alert (e.g. ``production``); default: the stack name."""
    cluster: LabelValue
    """Value of the ``cluster`` external label; alerts are grouped by it.  Default: ``internet-id-<stack>``."""
    docker: DockerSettings = DockerSettings()
    cadvisor: CadvisorSettings = CadvisorSettings()
    node_exporter: NodeExporterSettings = NodeExporterSettings()
    postgres_exporter: PostgresExporterSettings = PostgresExporterSettings()
    images: dict[ContainerName, ImageRef] = Field(default_factory=dict)
    """Image overrides per container (tag or ``repo@sha256:…``); defaults in ``versions.IMAGES``."""
    ports: PortSettings = PortSettings()
    targets: TargetSettings = TargetSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    rules: RuleSettings = RuleSettings()
    slos: Slos = Field(default_factory=lambda: list(DEFAULT_SLOS))
    """Service level objectives (``components/slo``), each ``{name, kind, objective, window, selector,
    latencyThreshold, service}``; setting the list replaces the two defaults (``api-availability`` 99.9% not 5xx,
    ``api-latency`` 99% within 1 s, both over 30d); ``[]`` turns SLOs off."""
    slo_alerting: SloAlerting = SloAlerting()
    """The burn-rate window pairs every SLO pages and opens tickets on (``ErrorBudgetBurn``)."""
    notifications: NotificationSettings = NotificationSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    incident: IncidentSettings = IncidentSettings()
    web_auth: WebAuthSettings = WebAuthSettings()
    """Basic authentication of Prometheus and Alertmanager (``components/webauth``)."""
    hosts: list[HostSettings] = Field(default_factory=list)
    """The Docker hosts of a stack spread over several machines, each ``{name, docker, address, roles, drain,
    sshOpts}`` (``components/hosts``); empty: the single-host stack on ``docker.host``."""
    alertmanager_cluster: AlertmanagerClusterSettings = AlertmanagerClusterSettings()
    """The Alertmanager peers' gossip and timing (with ``hosts`` only)."""
    store: StoreSettings = StoreSettings()
    """The deduplicated long-term view, VictoriaMetrics (with ``hosts`` only)."""
    secrets: dict[str, Secret] = Field(default_factory=dict, exclude=True)
    """Secret values by config key (``secret_keys.CONFIG_SECRETS``); never part of any rendered document."""

    @field_validator("docker")
    @classmethod
    def _known_memory_limits(cls, value: DockerSettings) -> DockerSettings:
        """``memoryMb`` names containers of the records."""
        errors = _unknown_containers(value.memory_mb)
        if errors:
            raise ValueError(f"memoryMb: {errors[0]}")
        return value

    @field_validator("notifications")
    @classmethod
    def _secrets_outside_the_data_volume(cls, value: NotificationSettings) -> NotificationSettings:
        """Credential files in Alertmanager's data volume would outlive every replacement (and a removed secret
        would stay readable there)."""
        for volume in alertmanager.VOLUMES.values():
            if is_below(value.secrets_dir, volume) or is_below(volume, value.secrets_dir):
                raise ValueError(f"secretsDir: {value.secrets_dir!r} overlaps Alertmanager's data volume {volume}, "
                                 "where old credential files would persist; use e.g. "
                                 f"{alertmanager.CONFIG_DIR}/secrets")
        return value

    @field_validator("targets")
    @classmethod
    def _known_jobs(cls, value: TargetSettings) -> TargetSettings:
        """``scrapeOverrides`` names jobs of the rendered config."""
        unknown = sorted(set(value.scrape_overrides) - set(job_names()))
        if unknown:
            known = sorted(set(job_names()) - set(PROBE_JOBS))
            raise ValueError(f"scrapeOverrides: unknown job(s) {unknown}; known: {known}")
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

    @model_validator(mode="after")
    def _published_only_with_auth(self) -> StackSettings:
        """Prometheus and Alertmanager published beyond loopback without credentials: anyone could silence alerts."""
        bind = self.docker.bind_address
        if not bind.is_loopback and not self.web_auth.enabled:
            raise ValueError(f"docker.bindAddress: {bind} is not a loopback address, which needs webAuth.enabled "
                             "(Prometheus and Alertmanager would answer anyone reaching it); turn it on or bind "
                             "127.0.0.1 behind a proxy")
        return self

    @model_validator(mode="after")
    def _grafana_login_works(self) -> StackSettings:
        """A ``Secure`` cookie is never sent back over plain http except to loopback: login would loop."""
        if (self.grafana.cookies_secure and not self.grafana.root_url and not self.docker.bind_address.is_loopback):
            raise ValueError(
                f"grafana.rootUrl: Grafana is published on http://{self.docker.bind_address} and its session cookie "
                "is Secure, which browsers send over https only (or to loopback), so login would fail; set "
                "grafana.rootUrl to the https URL of a proxy in front of it, or grafana.secureCookies: false")
        return self

    @model_validator(mode="after")
    def _credentials_over_tls_beyond_loopback(self) -> StackSettings:
        """Published beyond loopback, the UIs are reached over the network with the web credential and Grafana's
        password: through https URLs (a TLS proxy), never the plain http of the published ports."""
        bind = self.docker.bind_address
        if bind.is_loopback:
            return self
        missing = [key for key, url in (("prometheus.externalUrl", self.prometheus.external_url),
                                        ("notifications.externalUrl", self.notifications.external_url),
                                        ("grafana.rootUrl", self.grafana.root_url)) if url is None]
        if missing:
            raise ValueError(
                f"{missing[0]}: required because docker.bindAddress {bind} publishes the UIs beyond loopback, where "
                f"their plain http would carry the credentials in clear; set {', '.join(missing)} to the https URLs "
                "of a TLS proxy in front of them")
        return self

    @model_validator(mode="after")
    def _slack_channels_differ(self) -> StackSettings:
        """``incident.slack`` creates one channel per role: two roles cannot share a name then."""
        if not self.incident.slack.enabled:
            return self
        names = self.notifications.slack.channels.model_dump()
        shared = {name: [role for role, n in names.items() if n == name] for name in sorted(set(names.values()))}
        clashes = "; ".join(f"{', '.join(roles[:-1])} and {roles[-1]} share {name!r}" for name, roles in shared.items()
                            if len(roles) > 1)
        if clashes:
            raise ValueError(f"notifications.slack.channels: {clashes}; incident.slack creates one channel per "
                             "role, so give each its own name")
        return self

    @model_validator(mode="after")
    def _flap_window_holds_enough_scrapes(self) -> StackSettings:
        """A flapping alert fires above T changes in ``rules.flapWindow``; a window of fewer scrapes never can."""
        most = self.rules.most_changes_to_flap()
        scrapes = seconds(self.rules.flap_window) / seconds(self.prometheus.scrape_interval)
        if most and scrapes < most + 2:
            shortest = format_duration(round((most + 2) * seconds(self.prometheus.scrape_interval)))
            raise ValueError(
                f"rules.flapWindow: {self.rules.flap_window} holds {scrapes:g} scrapes of "
                f"{self.prometheus.scrape_interval}, too few to see the {most + 1} state changes a flapping alert "
                f"needs: make it at least {shortest}")
        return self

    @model_validator(mode="after")
    def _restart_window_holds_enough_scrapes(self) -> StackSettings:
        """ContainerRestarting fires above N restarts in ``rules.restartWindow``, each a lower sample after a higher
        one: a window of fewer than N + 2 scrapes never can."""
        if not self.rules.enabled("ContainerRestarting"):
            return self
        needed = int(self.rules.threshold("ContainerRestarting")) + 2
        scrapes = seconds(self.rules.restart_window) / seconds(self.prometheus.scrape_interval)
        if scrapes < needed:
            shortest = format_duration(round(needed * seconds(self.prometheus.scrape_interval)))
            raise ValueError(
                f"rules.restartWindow: {self.rules.restart_window} holds {scrapes:g} scrapes of "
                f"{self.prometheus.scrape_interval}, too few to see the {needed - 1} restarts ContainerRestarting "
                f"needs: make it at least {shortest}")
        return self

    @model_validator(mode="after")
    def _slos_fit(self) -> StackSettings:
        problems = slo_problems(self.slos, self.slo_alerting, self.prometheus.retention_time,
                                self.prometheus.evaluation_interval)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def context(self) -> StackContext:
        """Who this stack is, as every area sees it next to its own settings."""
        return StackContext(
            stack=self.stack, environment=self.environment, cluster=self.cluster,
            container_prefix=(f"iidmon-{self.stack}" if self.docker.container_prefix is None
                              else self.docker.container_prefix),
            network_name=f"{PROJECT}-{self.stack}" if self.docker.network_name is None else self.docker.network_name,
            hosts=tuple(self.hosts),
        )

    def multi_host_problems(self) -> list[str]:
        """One line per problem of a multi-host stack's settings as a whole (none for a single-host stack)."""
        if not self.hosts:
            return [f"{key}: set without hosts, and only a multi-host stack reads it; remove it or add hosts"
                    for key, name in (("alertmanagerCluster", "alertmanager_cluster"), ("store", "store"))
                    if name in self.model_fields_set]
        problems = hosts_problems(
            self.hosts, docker_host=self.docker.host, web_auth=self.web_auth.enabled,
            grafana_api_without_url=self.grafana.provisioning == "api" and not self.grafana.root_url)
        problems += [f"{key}: {why}; remove it" for key, model, field, why in (
            ("targets.api.discovery", self.targets.api, "discovery", "the API replicas follow the hosts' app role"),
            ("targets.api.staticTargets", self.targets.api, "static_targets", "each app host's address is scraped"),
            ("targets.api.expectedReplicas", self.targets.api, "expected_replicas", "one replica per app host"),
            ("ports.prometheus", self.ports, "prometheus", "each replica serves on its host's address at 9090"),
            ("ports.alertmanager", self.ports, "alertmanager", "each peer serves on its host's address at 9093"),
        ) if getattr(model, field) != type(model).model_fields[field].get_default(call_default_factory=True)]
        problems += [f"targets.scrapeOverrides.{job}: a multi-host stack scrapes this job's container on each host "
                     f"that runs it (only {API_JOB} can be re-pointed); remove it"
                     for job in sorted(set(self.targets.scrape_overrides) - {API_JOB})]
        return problems + rejoin_problems(
            peers=len(self.context.with_role("alertmanager")), cluster=self.alertmanager_cluster,
            evaluation_interval=self.prometheus.evaluation_interval, critical=self.notifications.timing.critical)

    def secret(self, key: str) -> Secret | None:
        return self.secrets.get(key)

    def required_secrets(self) -> dict[str, str]:
        """Secret keys this stack's choices require, with the reason (collected from every area),
        less those its own resources provide (routing keys of PagerDuty services it creates)."""
        required = {
            **self.notifications.required_secrets(),
            **self.grafana.required_secrets(),
            **self.incident.required_secrets(),
        }
        if not self.targets.postgres.use_app_dev_credentials:
            required[POSTGRES_EXPORTER_PASSWORD.key] = "postgres-exporter must log in to the database"
        tcp = [host.name for host in self.hosts if host.uses_tcp]
        if tcp:
            required.update({docker_tls.key: f"hosts {', '.join(tcp)} use tcp://, which needs mutual TLS"
                             for docker_tls in (DOCKER_TLS_CA, DOCKER_TLS_CERT, DOCKER_TLS_KEY)})
        if self.hosts:
            required[HOST_TLS_CA.key] = "the hosts verify each other's certificates with it"
        for host in self.hosts:
            for host_tls in (HOST_TLS_CERT, HOST_TLS_KEY):
                required[host_tls.of_host(host.name)] = f"host {host.name}'s daemons serve and call the others over TLS"
        for key in self.incident.provided_secrets():
            required.pop(key, None)
        return required


def load_settings(
    stack: str, values: Mapping[str, Any], secrets: Mapping[str, Secret], *, require_secrets: bool = True,
    key_problems: Sequence[str] = (),
) -> StackSettings:
    """Validate one stack's config; raise ``SettingsError`` naming every bad key at once.

    ``values`` holds the project's non-secret keys without namespace (``ports``, ``grafana``, …),
    ``secrets`` the secret keys listed in ``CONFIG_SECRETS``; ``key_problems`` what the key policy refused
    (``config_keys.plan_keys``).  ``require_secrets=False`` (the render command) accepts required secrets that are
    not set yet: rendered files only name them.
    """
    if key_problems:  # a key not read leaves its settings at their defaults: checking them would only mislead
        raise SettingsError(stack, list(key_problems))
    problems = [secret_plain_problem(_full_key(key)) for key in secrets if key not in CONFIG_SECRETS]
    problems += [plain_secret_problem(_full_key(key)) for key in values if key in CONFIG_SECRETS]
    data = {k: v for k, v in values.items() if k not in CONFIG_SECRETS}
    for key, pattern in STACK_DEFAULTS.items():
        data.setdefault(key, pattern.format(stack=stack))
    if "stack" in data:
        problems.append(f"{_full_key('stack')}: unknown setting; the stack name comes from `pulumi stack`")
    try:
        settings = StackSettings.model_validate({**data, "stack": stack, "secrets": dict(secrets)})
    except ValidationError as error:
        problems += [_describe(err) for err in error.errors()]
        raise SettingsError(stack, problems) from None
    problems += [_full_key(key) + ": " + problem
                 for key, problem in (line.split(": ", 1) for line in settings.multi_host_problems())]
    names = {host.name for host in settings.hosts}
    problems += [f"{_full_key(key)}: no host {key.removeprefix(CONFIG_SECRETS[key].key + '-')!r} in hosts; remove it"
                 for key in secrets if key in CONFIG_SECRETS and CONFIG_SECRETS[key].per_host
                 and not _of_a_host(key, names)]
    problems += [f"{_full_key(key)}: {problem}" for key, secret in secrets.items() if key in CONFIG_SECRETS
                 and secret.known is not None and (problem := pem_problem(CONFIG_SECRETS[key], secret.known))]
    for key, why in settings.required_secrets().items():
        if require_secrets and settings.secret(key) is None:
            problems.append(
                f"{_full_key(key)}: required because {why}; set it with "
                f"`pulumi config set --secret {_full_key(key)} <value>`"
            )
    password = settings.secret(GRAFANA_ADMIN_PASSWORD.key)
    if password is not None and password.known is not None:  # before the value reaches any resource
        problems += [f"{PROJECT}:{problem}" for problem in admin_password_problems(settings.grafana.admin_user,
                                                                                   password.known)]
    heartbeat = settings.secret(HEARTBEAT_URL.key)
    key = _full_key(HEARTBEAT_URL.key)
    if heartbeat is not None and heartbeat.known is not None:
        problems += [f"{key}: {problem}" for problem in heartbeat_url_problems(heartbeat.known)]
    if heartbeat is not None and not settings.notifications.heartbeat:  # set but never sent: say so, not ignore it
        why = ("notifications.heartbeatOptOut says this stack has none" if settings.notifications.heartbeat_opt_out
               else "only a stack that notifies people (PagerDuty or Slack on) sends it")
        problems.append(f"{key}: set, but no heartbeat is sent: {why}; remove it (`pulumi config rm {key}`) or "
                        f"change that")
    if problems:
        raise SettingsError(stack, problems)
    return settings


def _of_a_host(key: str, hosts: set[str]) -> bool:
    return any(key == f"{CONFIG_SECRETS[key].key}-{host}" for host in hosts)


def heartbeat_url_problems(url: str) -> list[str]:
    """Why the secret ping URL is refused (without quoting it: it is a credential)."""
    try:
        check_credential_url(url)
    except ValueError:
        return ["not an https URL without templates or placeholders (plain http only on loopback); set the check's "
                "ping URL, e.g. https://hc-ping.com/<uuid>"]
    return []


def _unknown_containers(names: Iterable[str]) -> list[str]:
    unknown = sorted(set(names) - set(IMAGES))
    return [f"unknown container(s) {unknown}; known: {sorted(IMAGES)}"] if unknown else []


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _describe(err: Any) -> str:
    location: Iterable[Any] = [part for part in err.get("loc", ()) if part != "[key]"]  # a dict's key: its own
    path = ".".join(str(part) for part in location)
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    spanning = re.match(r"([a-z][A-Za-z0-9.]*): (.*)", message, re.DOTALL)
    if spanning and (not path or "." not in spanning.group(1)):  # a model's check names its key first
        path = f"{path}.{spanning.group(1)}" if path else spanning.group(1)
        return f"{_full_key(path)}: {spanning.group(2)}"
    top = path.split(".", 1)[0]
    key = _full_key(path) if path else PROJECT
    if err.get("type") == "extra_forbidden":
        return f"{key}: unknown setting; remove it or check the spelling (see README, 'Configuration')"
    if err.get("type") == "missing":
        return f"{key}: required; set it with `pulumi config set --path '{_full_key(top)}…' <value>`"
    given = err.get("input")
    hidden = isinstance(given, dict | list) or given is None or err.get("type") == HIDDEN_VALUE
    shown = "" if hidden else f" (got {given!r})"
    return f"{key}: {message}{shown}"
