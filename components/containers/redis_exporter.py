"""redis_exporter: Redis' metrics (memory, clients, rejected connections).

``REDIS_EXPORTER_INCL_SYSTEM_METRICS`` (``-include-system-metrics``) adds the host's memory,
``redis_total_system_memory_bytes``: the Redis dashboard's memory usage is divided by it while Redis
has no ``maxmemory`` (0, the default), see ``components/grafana/community.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import Container, Runtime, ScrapeJob
from components.hosts.tls import CA_FILE, CERT_FILE, KEY_FILE, host_tls_files

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings


CONFIG_DIR = "/etc/redis_exporter"
"""Its TLS files in a multi-host stack."""
SCRAPE = ScrapeJob("redis", "cache", reach="mutual-tls")


def runtime(redis_address: str, context: StackContext, *, host: HostSettings | None = None) -> Runtime:
    """``redis_address``: the Redis it reads (``targets.redisAddress``); ``host``: Redis' host in a multi-host
    stack, where it serves HTTPS on the host's address to clients presenting a certificate of the hosts' CA (this
    version has no basic auth)."""
    env = {"REDIS_ADDR": redis_address, "REDIS_EXPORTER_INCL_SYSTEM_METRICS": "true"}
    if host is None:
        return Runtime(env=env)
    tls = host_tls_files(CONFIG_DIR, host.name)
    env.update({"REDIS_EXPORTER_TLS_SERVER_CERT_FILE": f"{CONFIG_DIR}/{CERT_FILE}",
                "REDIS_EXPORTER_TLS_SERVER_KEY_FILE": f"{CONFIG_DIR}/{KEY_FILE}",
                "REDIS_EXPORTER_TLS_SERVER_CA_CERT_FILE": f"{CONFIG_DIR}/{CA_FILE}"})
    return Runtime(env=env, secret_uploads=tls, publish=((host.address, RECORD.port, RECORD.port),))


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
