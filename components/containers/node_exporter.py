"""node_exporter: the Docker host's CPU, memory, filesystems, network, processes and systemd units.

As node_exporter's own docs run it in a container: in the host's network and PID namespaces with
the host's root at ``/host``, so network and process series describe the host.  It listens on the
host's Docker bridge address only (``host.docker.internal``), which containers reach and no
published port exposes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import DOCKER_HOST_NAME, Container, Healthcheck, Mount, Runtime, ScrapeJob

if TYPE_CHECKING:
    from components.containers.settings import NodeExporterSettings
    from components.context import StackContext

PORT = 9100
DBUS_SOCKET = "/var/run/dbus/system_bus_socket"
COLLECTORS = ("processes", "interrupts", "tcpstat")
"""Off by default in node_exporter, read by the Node Exporter Full dashboard."""
EXCLUDED_MOUNTS = "^/(sys|proc|dev|host|etc)($|/)"


def runtime(node: NodeExporterSettings, context: StackContext) -> Runtime:
    collectors = [f"--collector.{name}" for name in COLLECTORS]
    if node.systemd:
        collectors.append("--collector.systemd")
    propagation = "rslave" if node.follow_host_mounts else None
    mounts = [Mount("/", "/host", setting="nodeExporter.followHostMounts", propagation=propagation)]
    if node.systemd:
        mounts.append(Mount(DBUS_SOCKET, DBUS_SOCKET, setting="nodeExporter.systemd"))
    return Runtime(
        command=["--path.rootfs=/host", f"--web.listen-address={DOCKER_HOST_NAME}:{PORT}",
                 f"--collector.textfile.directory=/host{node.textfile_directory}", *collectors,
                 f"--collector.filesystem.mount-points-exclude={EXCLUDED_MOUNTS}"],
        mounts=mounts,
        host_namespaces=True,
        hosts={DOCKER_HOST_NAME: "host-gateway"},
    )


RECORD = Container(
    name="node-exporter",
    description="the Docker host's CPU, memory, filesystems, network, processes and systemd units",
    image="prom/node-exporter:v1.7.0",
    port=PORT,
    memory_mb=128,
    healthcheck=Healthcheck("/", host=DOCKER_HOST_NAME),
    scrape=ScrapeJob("node-exporter", "system", host=DOCKER_HOST_NAME),
)
