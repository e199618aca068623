"""Where the containers run, which host ports they publish and what of the host they may see
(config keys ``docker``, ``ports``, ``cadvisor``, ``images``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from ipaddress import IPv4Address
from typing import Any

from pydantic import Field, field_validator, model_validator

from components.model import ConfigModel
from components.versions import IMAGES

APP_HOST_PORTS = {3000: "the Internet-ID web app", 3001: "the Internet-ID API"}
"""Host ports the Internet-ID application already uses."""


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
    container layers there (a wrong path: it reports no container).  Rootless Docker and some distributions put
    it elsewhere."""
    protect_volumes: bool = False
    """Protect the data volumes from deletion (``pulumi destroy`` fails until unset)."""
    memory_mb: dict[str, int] = Field(default_factory=dict)
    """Memory limit per container in MiB, overriding each container's default (``components/containers``)."""
    log_max_size: str = "10m"
    """Size at which a container's log (Docker's ``json-file`` driver) is rotated; Docker's default log grows
    without limit and can fill the host's disk."""
    log_max_files: int = Field(3, ge=1, le=100)
    """Rotated log files kept per container (so at most ``logMaxSize`` times this much)."""

    @field_validator("log_max_size")
    @classmethod
    def _log_size(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*[kmg]", value):
            raise ValueError(f"{value!r} is not a size as Docker writes it, e.g. 10m (a whole number and k, m or g)")
        return value

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
    """What cAdvisor may see of the Docker host: by default only what it reads, read-only, unprivileged
    (its docs run it privileged with the host's ``/var/run`` and ``/dev/kmsg``: root on the host)."""

    privileged: bool = False
    """Run privileged, as cAdvisor's docs do (every capability and device of the host); off, it keeps only
    ``capabilities``."""
    capabilities: list[str] = Field(default_factory=lambda: ["DAC_READ_SEARCH"])
    """The only Linux capabilities it keeps (all others are dropped): ``DAC_READ_SEARCH`` reads the container
    layers of any user for their disk usage, and writes nothing.  Add ``SYSLOG`` with ``devices:
    [/dev/kmsg]`` for OOM-kill events."""
    devices: list[str] = Field(default_factory=list)
    """Host devices passed in (``/dev/kmsg``: OOM-kill events, ``container_oom_events_total``, which no
    alert here uses)."""
    docker_socket: str = "/var/run/docker.sock"
    """The Docker daemon's socket on its host (rootless Docker: ``/run/user/<uid>/docker.sock``), mounted
    alone, not the host's ``/var/run``: cAdvisor names containers from the Docker API.  Read-only does not
    limit an API socket: whoever controls cAdvisor can use the Docker API (see README, "Security model")."""
    disk_devices: bool = True
    """Mount the host's ``/dev/disk`` read-only (disk names of I/O metrics); ``false`` where the host has none."""
    load_reader: bool = True
    """Report ``container_cpu_load_average_10s`` (``--enable_load_reader``; the Docker dashboard's CPU load)."""

    @field_validator("devices")
    @classmethod
    def _device_paths(cls, value: list[str]) -> list[str]:
        bad = [device for device in value if not device.startswith("/dev/")]
        if bad:
            raise ValueError(f"{bad} are not device paths (/dev/...)")
        return value

    @field_validator("docker_socket")
    @classmethod
    def _socket_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} is not an absolute path on the Docker host")
        return value

    @field_validator("capabilities")
    @classmethod
    def _capability_names(cls, value: list[str]) -> list[str]:
        bad = [cap for cap in value if not cap.isupper() or cap.startswith("CAP_")]
        if bad:
            raise ValueError(f"{bad}: name capabilities as Docker does, e.g. SYS_ADMIN (no CAP_ prefix)")
        return value


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
    textfile_directory: str = "/var/lib/node_exporter/textfile_collector"
    """Host directory of ``*.prom`` files for the textfile collector (``node_reboot_required`` and the like)."""

    @field_validator("textfile_directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} is not an absolute path on the Docker host")
        return value.rstrip("/")


class PostgresExporterSettings(ConfigModel):
    """Collectors of postgres_exporter beyond its defaults."""

    collectors: list[str] = Field(default_factory=lambda: ["postmaster"])
    """Turned on with ``--collector.<name>`` (``postmaster``: the server's start time, which the PostgreSQL
    dashboard shows); the pinned image's flags (0.15) have them, older exporters may not."""

    @field_validator("collectors")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not name.replace("_", "").isalnum() or name != name.lower()]
        if bad:
            raise ValueError(f"{bad} are not collector names (lower case, e.g. postmaster)")
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


def check_images(value: dict[str, str]) -> dict[str, str]:
    """Image overrides name known containers and pin a tag or digest."""
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
