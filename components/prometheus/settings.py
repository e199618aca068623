"""What Prometheus scrapes and how often (config keys ``targets`` and ``prometheus``).

Targets name the Internet-ID application's services on its network; ``scrapeOverrides`` re-points
any job (exporters on other hosts, the live test on loopback).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from components.blackbox.modules import HTTP_2XX, MODULES
from components.durations import duration, seconds
from components.model import (
    ConfigModel,
    CredentialUrl,
    HostName,
    HostPort,
    HttpUrl,
    LabelValue,
    PgName,
    Port,
    RedisUrl,
    is_ip,
    is_loopback,
    pattern,
)
from components.prometheus.jobs import PROBES, WEB

PROBE_JOBS = (WEB, PROBES)
"""Probe jobs take URLs from targets.webUrl and targets.probes, not from scrapeOverrides."""

ScrapeDuration = Annotated[str, duration("1s", "5m")]
"""Scrape and evaluation intervals: beyond 5m every series goes stale between two samples."""
PromBytes = Annotated[str, pattern(
    "Prometheus size", r"[1-9][0-9]{0,5}(?:B|KB|MB|GB|TB|PB)",
    "a size in Prometheus' units such as 10MB (a whole number and B, KB, MB, GB, TB or PB)", family="size")]
_UNIT_BYTES = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40, "PB": 2**50}


def size_bytes(size: str) -> int:
    """Bytes of a ``PromBytes`` value (Prometheus' units are powers of 1024)."""
    number = size.rstrip("BKMGTP")
    return int(number) * _UNIT_BYTES[size[len(number):]]


class ApiTargets(ConfigModel):
    """How Prometheus finds the API replicas: each replica is scraped as its own target."""

    discovery: Literal["dns", "static"] = "dns"
    """``dns``: A records of ``dnsNames`` (Docker's DNS returns one per replica); ``static``: ``staticTargets``."""
    dns_names: list[HostName] = Field(default_factory=lambda: ["api"])
    """Names whose A records are the replicas (the app's compose service name)."""
    port: Port = 3001
    """Port the API listens on in each replica."""
    static_targets: list[HostPort] = Field(default_factory=list)
    """``host:port`` of each replica, for ``discovery: static``."""
    expected_replicas: int = Field(1, ge=1, le=1000)
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

    host: HostName = "db"
    """Database host name on the app network; a host elsewhere (an IP address or a dotted name) needs an
    ``sslmode`` of ``require`` or stricter: the password crosses that network."""
    port: Port = 5432
    """Database port."""
    database: PgName = "internetid"
    """Database the exporter connects to (cluster-wide metrics come from any database)."""
    user: PgName = "internetid"
    """Login of the exporter; a read-only role with ``pg_monitor`` is best."""
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = "disable"
    """libpq ``sslmode`` of the exporter's connection."""
    use_app_dev_credentials: bool = False
    """Log in with the app's documented development password instead of ``postgresExporterPassword``."""

    @model_validator(mode="after")
    def _tls_beyond_the_host(self) -> PostgresTarget:
        """A name with a dot or an address is another machine: the exporter's password must not cross in clear."""
        elsewhere = ("." in self.host or is_ip(self.host)) and not is_loopback(self.host)
        if elsewhere and self.sslmode in ("disable", "allow", "prefer"):
            raise ValueError(f"sslmode: {self.sslmode!r} would send the exporter's password to {self.host} in clear "
                             "(or let anyone on the way turn TLS off); use require, verify-ca or verify-full")
        return self


class ProbeTarget(ConfigModel):
    """One URL the blackbox exporter probes; ``service`` routes and inhibits its alerts."""

    url: HttpUrl
    """URL probed."""
    service: LabelValue
    """``service`` label of the probe's series and alerts (``api``, ``web`` …)."""
    module: Annotated[str, pattern("blackbox module", r"[a-z0-9_]{1,64}", "a blackbox module name")] = HTTP_2XX
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
    public_url: HttpUrl | None = None
    """The address users reach Internet-ID at, e.g. ``https://internet-id.example.com/``.  Its page (service ``web``)
    and its ``api/health`` (service ``api``) are probed through the proxy in front of the app, with ``https_2xx`` when
    it is https (then the certificate's expiry is measured and the TLS alerts judge it), ``http_2xx`` otherwise;
    ``probes`` listing the same URL already wins.  Leave it unset where the Docker host cannot reach its own public
    address (hairpin NAT): the probes would only fail."""
    postgres: PostgresTarget = PostgresTarget()
    redis_address: RedisUrl = "redis://redis:6379"
    """Redis the exporter connects to (``redis://host:port``)."""
    probes: list[ProbeTarget] = Field(
        default_factory=lambda: [ProbeTarget(url="http://api:3001/api/health", service="api")]
    )
    """Blackbox HTTP probes: the API's health endpoint, the public URL, any other page."""
    scrape_overrides: dict[str, list[HostPort]] = Field(default_factory=dict)
    """Replace a job's default targets (``job: [host:port]``), e.g. exporters on other hosts (the composed settings
    check the job names; a multi-host stack re-points only the API job, its containers are scraped on their hosts)."""

    @field_validator("scrape_overrides")
    @classmethod
    def _scrape_targets(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        probes = sorted(set(value) & set(PROBE_JOBS))
        if probes:
            raise ValueError(f"{probes} probe URLs, not scrape targets: set targets.webUrl or targets.probes instead")
        empty = sorted(job for job, targets in value.items() if not targets)
        if empty:
            raise ValueError(f"no targets for {empty}; remove the override to use the default")
        return value


class ScrapeLimits(ConfigModel):
    """What Prometheus accepts from one scrape of a target the monitoring does not control (the API, and
    any job ``targets.scrapeOverrides`` re-points).  A scrape over any limit fails whole (its ``up`` is 0)
    and ``ScrapeLimitExceeded`` fires, so a compromised app serving a label-count or size bomb at
    ``/api/metrics`` cannot exhaust Prometheus' memory or disk."""

    sample_limit: int = Field(20000, ge=1, le=2**31 - 1)
    """Samples per scrape after relabelling (the API's histograms per route, method and status are a few
    thousand; the benchmark's whole stack scrapes about 2,400 per cycle)."""
    label_limit: int = Field(30, ge=1, le=2**31 - 1)
    """Labels per series, the scrape's own (``job``, ``instance``, ``service``, ``environment``) included."""
    label_value_length_limit: int = Field(512, ge=1, le=2**31 - 1)
    """Characters per label value (a route template is far shorter; a bomb's values are not)."""
    body_size_limit: PromBytes = "10MB"
    """Uncompressed size of a scrape's body (Prometheus units: ``B``, ``KB``, ``MB``, ``GB``; at most 1GB)."""

    @field_validator("body_size_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if size_bytes(value) > 2**30:
            raise ValueError(f"{value!r} is more than 1GB; a scrape that large is no scrape this stack expects")
        return value


class PrometheusSettings(ConfigModel):
    scrape_interval: ScrapeDuration = "15s"
    """How often every target is scraped (also Grafana's datasource ``timeInterval``)."""
    evaluation_interval: ScrapeDuration = "15s"
    """How often the rules are evaluated."""
    scrape_timeout: ScrapeDuration = "10s"
    """Per-scrape timeout; at most ``scrapeInterval``."""
    retention_time: Annotated[str, duration("2h", "100y")] = "30d"
    """How long samples are kept in the TSDB volume (2h to 100y; Prometheus reads 0 as its default, 15d)."""
    retention_size: PromBytes | None = None
    """Optional size cap such as ``20GB`` (at least 100MB); the oldest blocks go first."""
    external_url: CredentialUrl | None = None
    """URL users reach Prometheus at (alert links; ``verify`` sends the web credential there, so https unless
    on loopback); default ``http://<bindAddress>:<ports.prometheus>``."""
    scrape_limits: ScrapeLimits = ScrapeLimits()
    for_grace_period: Annotated[str, duration("1s", "1d")] = "1m"
    """After a restart Prometheus restores an alert's ``for`` progress (pending or firing) only when its ``for``
    is at least this (``--rules.alert.for-grace-period``; Prometheus' own default is 10m).  A shorter ``for``
    starts pending anew: a 5m alert firing before a restart would wait 5 more minutes, Alertmanager would
    resolve it meanwhile and page again when it fires.  A restored alert waits at least this long to fire."""

    @field_validator("retention_size")
    @classmethod
    def _retention_size(cls, value: str | None) -> str | None:
        if value is not None and size_bytes(value) < 100 * 2**20:
            raise ValueError(f"{value!r} is less than 100MB: Prometheus would delete its newest blocks")
        if value is not None and size_bytes(value) >= 2**63:
            raise ValueError(f"{value!r} is more than Prometheus can count (2^63 bytes, 8192PB)")
        return value

    @model_validator(mode="after")
    def _timeout_fits(self) -> PrometheusSettings:
        if seconds(self.scrape_timeout) > seconds(self.scrape_interval):
            raise ValueError(f"scrapeTimeout {self.scrape_timeout} exceeds scrapeInterval {self.scrape_interval}")
        return self
