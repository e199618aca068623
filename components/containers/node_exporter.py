"""node_exporter: the Docker host's CPU, memory, filesystems, network, processes and systemd units.

As node_exporter's own docs run it in a container: in the host's network and PID namespaces with
the host's root at ``/host``, so network and process series describe the host.  It listens on the
host's Docker bridge address only (``host.docker.internal``), which containers reach and no
published port exposes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from components.containers.model import DOCKER_HOST_NAME, Container, Healthcheck, Mount, Runtime, ScrapeJob
from components.containers.web_auth import exporter_web_files
from components.hosts.tls import BUSYBOX_TLS_CLIENTS

if TYPE_CHECKING:
    from components.containers.settings import NodeExporterSettings
    from components.context import StackContext
    from components.hosts.settings import HostSettings

PORT = 9100
HEALTH = Healthcheck("/", host=DOCKER_HOST_NAME)
CONFIG_DIR = "/etc/node_exporter"
"""Its web config and TLS files in a multi-host stack."""
DBUS_SOCKET = "/var/run/dbus/system_bus_socket"
COLLECTORS = ("processes", "interrupts", "tcpstat")
"""Off by default in node_exporter, read by the Node Exporter Full dashboard."""
EXCLUDED_MOUNTS = "^/(sys|proc|dev|host|etc)($|/)"


def runtime(node: NodeExporterSettings, context: StackContext, *, host: HostSettings | None = None) -> Runtime:
    """``host``: its host in a multi-host stack, where it listens on the host's address for the Prometheus
    replicas of the other hosts, over HTTPS with the stack's credential."""
    collectors = [f"--collector.{name}" for name in COLLECTORS]
    if node.systemd:
        collectors.append("--collector.systemd")
    propagation = "rslave" if node.follow_host_mounts else None
    mounts = [Mount("/", "/host", setting="nodeExporter.followHostMounts", propagation=propagation)]
    if node.systemd:
        mounts.append(Mount(DBUS_SOCKET, DBUS_SOCKET, setting="nodeExporter.systemd"))
    web = exporter_web_files(CONFIG_DIR, host.name) if host else None
    return Runtime(
        command=["--path.rootfs=/host", f"--web.listen-address={host.address if host else DOCKER_HOST_NAME}:{PORT}",
                 f"--collector.textfile.directory=/host{node.textfile_directory}", *collectors,
                 f"--collector.filesystem.mount-points-exclude={EXCLUDED_MOUNTS}", *(web.command if web else [])],
        mounts=mounts,
        host_namespaces=True,
        hosts={DOCKER_HOST_NAME: "host-gateway"},
        secret_uploads=web.secret_uploads if web else {},
        health_authorization=web.health_authorization if web else "",
        health_override=replace(HEALTH, host=host.address, tls=True) if host else None,
        env=dict(BUSYBOX_TLS_CLIENTS) if host else {},
    )


RECORD = Container(
    name="node-exporter",
    description="the Docker host's CPU, memory, filesystems, network, processes and systemd units",
    image="prom/node-exporter:v1.7.0",
    port=PORT,
    memory_mb=128,
    healthcheck=HEALTH,
    scrape=ScrapeJob("node-exporter", "system", host=DOCKER_HOST_NAME),
)
