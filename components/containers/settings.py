"""Where the containers run, which host ports they publish and what of the host they may see
(config keys ``docker``, ``ports``, ``cadvisor``, ``images``)."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from components.model import (
    ConfigModel,
    DevicePath,
    DockerHost,
    DockerName,
    HostDir,
    HostPath,
    Port,
    docker_endpoint_problem,
    pattern,
)

APP_HOST_PORTS = {3000: "the Internet-ID web app", 3001: "the Internet-ID API"}
"""Host ports the Internet-ID application already uses."""

MemoryMiB = Annotated[int, Field(ge=16, le=1_048_576)]
"""A memory limit in MiB: 16 MiB to 1 TiB (Docker counts bytes in an int64; 10^15 MiB would overflow it)."""
DockerSize = Annotated[str, pattern(
    "Docker size", r"(?:[1-9][0-9]{0,6}k|[1-9][0-9]{0,3}m|(?:[1-9]|10)g)",
    "a size as Docker writes it from 1k to 10g (a whole number and k, m or g, e.g. 10m)", family="size")]
CapabilityName = Annotated[str, pattern(
    "capability", r"(?!CAP_)[A-Z][A-Z0-9_]{0,31}", "a capability named as Docker does, e.g. SYS_ADMIN (no CAP_)")]
CollectorName = Annotated[str, pattern(
    "collector", r"[a-z][a-z0-9_]{0,63}", "a collector name (lower case, digits, '_'; e.g. postmaster)")]


class DockerSettings(ConfigModel):
    """Where the containers run and how they are wired to the Internet-ID application."""

    host: DockerHost | None = None
    """Docker daemon address (e.g. ``ssh://ops@host``); unset means the local daemon (or ``DOCKER_HOST``).
    ``tcp://`` beyond loopback needs ``tlsCertPath``: every secret upload crosses that connection."""
    tls_cert_path: HostPath | None = None
    """Directory with the Docker daemon's client certificates (``ca.pem``, ``cert.pem``, ``key.pem``) on the
    machine running ``pulumi up``, for a ``tcp://`` host: the connection is then TLS, verified."""
    network_name: DockerName | None = None
    """Name of the monitoring network; default ``internet-id-monitoring-<stack>``."""
    container_prefix: Annotated[str, pattern(
        "container prefix", r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}",
        "a Docker name prefix (letters, digits, '_', '.', '-'; at most 40, starting with a letter or digit)")] | None \
        = None
    """Prefix of every container and volume name; default ``iidmon-<stack>``."""
    app_network: DockerName | None = "internet-id_default"
    """The application's Docker network, joined by name so ``api``, ``db`` and ``redis`` resolve."""
    bind_address: IPv4Address = IPv4Address("127.0.0.1")
    """Host address the published UIs listen on; keep loopback unless a proxy with auth fronts them."""
    data_root: HostPath = "/var/lib/docker"
    """The Docker daemon's data root on its host (``docker info -f '{{.DockerRootDir}}'``); cAdvisor reads
    container layers there (a wrong path: it reports no container).  Rootless Docker and some distributions put
    it elsewhere."""
    protect_volumes: bool = False
    """Protect the data volumes from deletion (``pulumi destroy`` fails until unset)."""
    memory_mb: dict[str, MemoryMiB] = Field(default_factory=dict)
    """Memory limit per container in MiB, overriding each container's default (``components/containers``; the
    composed settings check the names)."""
    log_max_size: DockerSize = "10m"
    """Size at which a container's log (Docker's ``json-file`` driver) is rotated; Docker's default log grows
    without limit and can fill the host's disk."""
    log_max_files: int = Field(3, ge=1, le=100)
    """Rotated log files kept per container (so at most ``logMaxSize`` times this much)."""

    @model_validator(mode="after")
    def _tls_with_tcp(self) -> DockerSettings:
        if self.tls_cert_path is not None and not (self.host or "").startswith("tcp://"):
            raise ValueError("tlsCertPath: only a tcp:// host uses client certificates; set host or remove it")
        problem = self.host and docker_endpoint_problem(self.host, tls=self.tls_cert_path is not None)
        if problem:
            raise ValueError(f"host: {problem}")
        return self


class CadvisorSettings(ConfigModel):
    """What cAdvisor may see of the Docker host: by default only what it reads, read-only, unprivileged
    (its docs run it privileged with the host's ``/var/run`` and ``/dev/kmsg``: root on the host)."""

    privileged: bool = False
    """Run privileged, as cAdvisor's docs do (every capability and device of the host); off, it keeps only
    ``capabilities``."""
    capabilities: list[CapabilityName] = Field(default_factory=lambda: ["DAC_READ_SEARCH"])
    """The only Linux capabilities it keeps (all others are dropped): ``DAC_READ_SEARCH`` reads the container
    layers of any user for their disk usage, and writes nothing.  Add ``SYSLOG`` with ``devices:
    [/dev/kmsg]`` for OOM-kill events."""
    devices: list[DevicePath] = Field(default_factory=list)
    """Host devices passed in (``/dev/kmsg``: OOM-kill events, ``container_oom_events_total``, which no
    alert here uses)."""
    docker_socket: HostPath = "/var/run/docker.sock"
    """The Docker daemon's socket on its host (rootless Docker: ``/run/user/<uid>/docker.sock``), mounted
    alone, not the host's ``/var/run``: cAdvisor names containers from the Docker API.  Read-only does not
    limit an API socket: whoever controls cAdvisor can use the Docker API (see docs/security.md)."""
    disk_devices: bool = True
    """Mount the host's ``/dev/disk`` read-only (disk names of I/O metrics); ``false`` where the host has none."""
    load_reader: bool = True
    """Report ``container_cpu_load_average_10s`` (``--enable_load_reader``; the Docker dashboard's CPU load)."""


class NodeExporterSettings(ConfigModel):
    """node_exporter's collectors that need something of the host (it runs in the host's network and PID
    namespaces with the host's root at ``/host``, as its docs advise)."""

    systemd: bool = True
    """The ``systemd`` collector (unit states), through the host's D-Bus socket mounted read-only; ``false`` on
    hosts without systemd (the socket ``/var/run/dbus/system_bus_socket`` must exist otherwise)."""
    follow_host_mounts: bool = True
    """Mount the host's root with ``rslave`` propagation, so filesystems mounted after node_exporter started show
    up (its docs' advice); needs the host's ``/`` to be a shared mount, as systemd makes it.  ``false`` where it
    is not (inside another container, some sandboxes)."""
    textfile_directory: HostDir = "/var/lib/node_exporter/textfile_collector"
    """Host directory of ``*.prom`` files for the textfile collector (``node_reboot_required`` and the like)."""


class PostgresExporterSettings(ConfigModel):
    """Collectors of postgres_exporter beyond its defaults."""

    collectors: list[CollectorName] = Field(default_factory=lambda: ["postmaster"])
    """Turned on with ``--collector.<name>`` (``postmaster``: the server's start time, which the PostgreSQL
    dashboard shows); the pinned image's flags (0.15) have them, older exporters may not."""


class PortSettings(ConfigModel):
    """Host ports of the three UIs; exporters publish nothing."""

    prometheus: Port = 9090
    """Host port of Prometheus' UI and API."""
    alertmanager: Port = 9093
    """Host port of Alertmanager's UI and API."""
    grafana: Port = 3030
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

