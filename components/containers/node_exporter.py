"""node_exporter: the Docker host's CPU, memory, filesystems and network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.containers.model import Container, Healthcheck, Mount, Runtime, ScrapeJob
from components.prometheus import jobs

if TYPE_CHECKING:
    from components.settings import StackSettings


def runtime(settings: StackSettings, documents: Mapping[str, str]) -> Runtime:
    return Runtime(
        command=[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/rootfs",
            "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)",
        ],
        mounts=[Mount("/proc", "/host/proc"), Mount("/sys", "/host/sys"), Mount("/", "/rootfs")],
    )


RECORD = Container(
    name="node-exporter",
    description="the Docker host's CPU, memory, filesystems and network",
    port=9100,
    memory_mb=128,
    healthcheck=Healthcheck("/"),
    scrape=ScrapeJob(jobs.NODE, "system"),
    runtime=runtime,
)
