"""redis_exporter: Redis' metrics (memory, clients, rejected connections)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.containers.model import Container, Runtime, ScrapeJob
from components.prometheus import jobs

if TYPE_CHECKING:
    from components.settings import StackSettings


def runtime(settings: StackSettings, documents: Mapping[str, str]) -> Runtime:
    return Runtime(env={"REDIS_ADDR": settings.targets.redis_address})


RECORD = Container(
    name="redis-exporter",
    description="Redis' metrics (memory, clients, rejected connections)",
    port=9121,
    memory_mb=128,
    healthcheck=None,
    unmonitored_reason=(
        "the image is built FROM scratch (no shell, no wget), so Docker cannot probe it; "
        f'Prometheus watches it instead: TargetDown on up{{job="{jobs.REDIS}"}} and RedisDown on redis_up'
    ),
    app_network="reaches redis by its name there",
    scrape=ScrapeJob(jobs.REDIS, "cache"),
    runtime=runtime,
    user="59000:59000",
)
