"""redis_exporter: Redis' metrics (memory, clients, rejected connections).

``REDIS_EXPORTER_INCL_SYSTEM_METRICS`` (``-include-system-metrics``) adds the host's memory,
``redis_total_system_memory_bytes``: the Redis dashboard's memory usage is divided by it while Redis
has no ``maxmemory`` (0, the default), see ``components/grafana/community.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import Container, Runtime, ScrapeJob

if TYPE_CHECKING:
    from components.context import StackContext


SCRAPE = ScrapeJob("redis", "cache")


def runtime(redis_address: str, context: StackContext) -> Runtime:
    """``redis_address``: the Redis it reads (``targets.redisAddress``)."""
    return Runtime(env={"REDIS_ADDR": redis_address, "REDIS_EXPORTER_INCL_SYSTEM_METRICS": "true"})


RECORD = Container(
    name="redis-exporter",
    description="Redis' metrics (memory, clients, rejected connections)",
    image="oliver006/redis_exporter:v1.55.0",
    port=9121,
    memory_mb=128,
    healthcheck=None,
    unmonitored_reason=(
        "the image is built FROM scratch (no shell, no wget), so Docker cannot probe it; "
        "Prometheus watches it instead: TargetDown on up{" + SCRAPE.selector + "} and RedisDown on redis_up"
    ),
    app_network="reaches redis by its name there",
    app_only=True,
    scrape=SCRAPE,
    user="59000:59000",
)
