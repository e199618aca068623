"""The running components of the stack, one module each, and the container specs derived from them.

A record (``model.Container``) holds every fact of one component: image name, port, memory
default, healthcheck, networks and why, host access, the job that scrapes it.  The container
specs, the scrape jobs (``prometheus/scrape_jobs.py``), Grafana's datasource URLs, TargetDown's
selector and the README's "What runs" table are derived from these records; adding an exporter
is one module here plus its alerts and dashboard.  Images are pinned in ``versions.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING

from components.containers import (
    alertmanager,
    blackbox_exporter,
    cadvisor,
    grafana,
    node_exporter,
    postgres_exporter,
    prometheus,
    redis_exporter,
)
from components.containers.model import Container, ContainerSpec, Runtime

if TYPE_CHECKING:
    from components.settings import StackSettings

RECORDS: tuple[Container, ...] = (
    postgres_exporter.RECORD,
    redis_exporter.RECORD,
    node_exporter.RECORD,
    cadvisor.RECORD,
    prometheus.RECORD,
    alertmanager.RECORD,
    grafana.RECORD,
    blackbox_exporter.RECORD,
)
"""In the order of prometheus.yml's scrape jobs."""
BY_NAME: dict[str, Container] = {record.name: record for record in RECORDS}


def internal_url(record: Container) -> str:
    """How other containers of the stack reach ``record`` (its alias on the monitoring network)."""
    return f"http://{record.name}:{record.port}"


def container_specs(settings: StackSettings, documents: Mapping[str, str]) -> list[ContainerSpec]:
    """The monitoring containers of ``settings``' stack, wired to the rendered ``documents``."""
    specs = []
    for record in RECORDS:
        runtime = record.runtime(settings, documents)
        specs.append(ContainerSpec(
            **{f.name: getattr(runtime, f.name) for f in fields(Runtime)},
            name=record.name,
            image=settings.image(record.name),
            port=record.port,
            memory_mb=settings.docker.memory_mb.get(record.name, record.memory_mb),
            published_port=getattr(settings.ports, record.published) if record.published else None,
            joins_app_network=bool(record.app_network),
            app_only=record.app_only,
            healthcheck=record.healthcheck,
            unmonitored_reason=record.unmonitored_reason,
            user=record.user,
        ))
    return specs


def host_path_problems(specs: list[ContainerSpec], exists: Callable[[str], bool],
                       propagates: Callable[[str], bool] = lambda path: True) -> list[str]:
    """One line per configurable host path (mount or device) the Docker host lacks, starting with its key.

    Docker refuses to create a container whose bind mount or device is missing, or a ``rslave`` mount of a
    path whose mount is not shared (``propagates``); this says which setting to change before anything is
    created.  Only meaningful where the Docker host is this machine.
    """
    problems = []
    for spec in specs:
        for mount in spec.mounts:
            if mount.setting and not exists(mount.source):
                problems.append(f"{mount.setting}: {spec.name} mounts {mount.source}, which does not exist on the "
                                f"Docker host; change {mount.setting}")
            elif mount.setting and mount.propagation and not propagates(mount.source):
                problems.append(f"{mount.setting}: {spec.name} mounts {mount.source} with {mount.propagation} "
                                f"propagation, but its mount on the Docker host is not shared; set {mount.setting} "
                                "to false (or make it shared: mount --make-rshared /)")
        problems += [
            f"{spec.name}.devices: {device} does not exist on the Docker host; remove it from {spec.name}.devices"
            for device in spec.devices
            if not exists(device)
        ]
    return problems


def mount_is_shared(path: str, mountinfo: str) -> bool:
    """Whether the mount of ``path`` propagates (``shared:`` or ``master:`` in ``/proc/self/mountinfo``)."""
    best: tuple[int, bool] = (-1, False)
    for line in mountinfo.splitlines():
        fields = line.split(" - ", 1)[0].split()
        if len(fields) < 6:
            continue
        point = fields[4]
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > best[0]:
            best = (len(point), any(tag.startswith(("shared:", "master:")) for tag in fields[6:]))
    return best[1]
