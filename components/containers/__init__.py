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
            healthcheck=record.healthcheck,
            unmonitored_reason=record.unmonitored_reason,
        ))
    return specs


def host_path_problems(specs: list[ContainerSpec], exists: Callable[[str], bool]) -> list[str]:
    """One line per configurable host path (mount or device) the Docker host lacks, starting with its key.

    Docker refuses to create a container whose bind mount or device is missing; this says which setting to
    change before anything is created.  Only meaningful where the Docker host is this machine.
    """
    problems = []
    for spec in specs:
        problems += [
            f"{mount.setting}: {spec.name} mounts {mount.source}, which does not exist on the Docker host; "
            f"change {mount.setting}"
            for mount in spec.mounts
            if mount.setting and not exists(mount.source)
        ]
        problems += [
            f"{spec.name}.devices: {device} does not exist on the Docker host; remove it from {spec.name}.devices"
            for device in spec.devices
            if not exists(device)
        ]
    return problems
