"""cAdvisor: CPU, memory and network of every container on the Docker host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import Container, Healthcheck, Mount, MountFix, Runtime, ScrapeJob

if TYPE_CHECKING:
    from components.containers.settings import CadvisorSettings
    from components.context import StackContext
    from components.hosts.settings import HostSettings


DATA_ROOT_FIX = MountFix("\"$(docker info -f '{{.DockerRootDir}}')\"", "the Docker daemon's data root")
SOCKET_FIX = MountFix("\"$(docker context inspect -f '{{.Endpoints.docker.Host}}' | sed 's|^unix://||')\"",
                      "the socket of the Docker daemon the docker command talks to")
"""The fixes of the two host paths that move with the Docker installation (rootless Docker, a daemon of its own):
the Docker host's answers, so the command is right wherever it runs."""


def runtime(access: CadvisorSettings, context: StackContext, *, data_root: str,
            host: HostSettings | None = None) -> Runtime:
    """``data_root``: the Docker daemon's data root on its host (``docker.dataRoot``); ``host``: its host in a
    multi-host stack, where it is published on the host's address (cAdvisor has neither TLS nor authentication:
    only the hosts' firewall keeps others out, docs/multi-host.md)."""
    # All read-only, and no more of the host than cAdvisor reads (measured: tests/e2e/images/cadvisor/README.md);
    # docs/design.md, "What runs", says what each is for.  cAdvisor looks host paths up under /rootfs.
    mounts = [
        Mount("/proc", "/rootfs/proc"),  # the /proc of container processes (network), the CPUs, the load
        Mount(access.docker_socket, "/var/run/docker.sock", setting="cadvisor.dockerSocket",  # container names
              fix=SOCKET_FIX),
        Mount("/sys/fs/cgroup", "/sys/fs/cgroup"),  # the cgroup files: CPU, memory and I/O per container
        Mount(data_root, f"/rootfs{data_root}", setting="docker.dataRoot", fix=DATA_ROOT_FIX),  # layer ids, usage
    ]
    if access.disk_devices:  # disk names of the I/O metrics
        mounts.append(Mount("/dev/disk", "/dev/disk", setting="cadvisor.diskDevices"))
    return Runtime(
        # Docker containers only, without one series per Docker label (cardinality).
        command=["--docker_only=true", "--store_container_labels=false", "--housekeeping_interval=15s",
                 *(["--enable_load_reader=true"] if access.load_reader else [])],
        mounts=mounts,
        privileged=access.privileged,
        capabilities=[] if access.privileged else list(access.capabilities),
        devices=list(access.devices),
        publish=((host.address, RECORD.port, RECORD.port),) if host else (),
    )


RECORD = Container(
    name="cadvisor",
    description="CPU, memory and network of every container on the Docker host",
    image="gcr.io/cadvisor/cadvisor:v0.47.2",
    port=8080,
    memory_mb=512,
    healthcheck=Healthcheck("/healthz"),
    own_network="its API asks for no credential and answers with what it reads of the host: Prometheus alone "
                "reaches it",
    scrape=ScrapeJob("cadvisor", "containers", reach="http"),
    user="",  # root
)
