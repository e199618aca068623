"""The words alert and recording-rule templates share: the ``[[name]]`` tokens that are not settings.

Selectors come from the container records (each owns its job and its selector: ``[[postgres_exporter]]`` is
``job="postgres"``) and from the jobs without a container (``components/prometheus/jobs.py``), never from job
names written as text; groupings and recorded series (``recording.py``) have a token each too.  A value may hold
tokens itself (``[[api_no_health]]`` narrows ``[[api]]``).  The Python constants below serve the code that builds
PromQL outside the templates (the custom dashboard, the SLIs).
"""

from __future__ import annotations

from components.blackbox.modules import API_HEALTH_BLOCKCHAIN
from components.containers.records import ALL_RECORDS, BY_NAME
from components.hosts.placement import EVERY_HOST
from components.prometheus import jobs
from components.prometheus.scrape_jobs import target_down_jobs
from components.rules.recording import RECORDINGS

API = f'job="{jobs.API}"'
"""The API's own series (``/api/metrics`` of every replica)."""

def _job(container: str) -> str:
    scrape = BY_NAME[container].scrape
    if scrape is None:
        raise ValueError(f"{container} is not scraped")
    return scrape.name


TOKENS: dict[str, str] = {
    # The jobs without a container, then each container's job by its record's name.
    "api": API,
    "web": f'job="{jobs.WEB}"',
    "probes": f'job="{jobs.PROBES}"',
    **{record.name.replace("-", "_"): record.selector for record in ALL_RECORDS if record.scrape},
    "probe_jobs": f"{jobs.PROBES}|{jobs.WEB}",
    "target_down_jobs": "|".join(target_down_jobs()),
    "host_agents": 'job=~"' + "|".join(_job(name) for name in EVERY_HOST) + '"',
    # Narrower selectors.
    "api_no_health": '[[api]], route!="/health"',
    "health": '[[probes]], service="api", instance=~".*/api/health"',
    "health_verdict": "probe_http_status_code{[[health]]} != 200 > 0",
    "blockchain_module": API_HEALTH_BLOCKCHAIN,
    "fs": '[[node_exporter]], fstype!~"tmpfs|ramfs|squashfs|nsfs|overlay|fuse.lxcfs"',
    # Groupings.
    "by_api": "job, environment",
    "by_pg": "job, instance, environment",
    # Recorded series.
    **{recording.token: recording.name for recording in RECORDINGS},
}
"""``health``: the plain probes of /api/health (module http_2xx or https_2xx: only 200 passes);
``health_verdict``: /api/health answered with another status than 200, the API's own verdict (503 = degraded);
``probe_jobs``: the jobs whose probes measure TLS certificates; ``host_agents``: the jobs on every host of a
multi-host stack (HostDown judges a host by them); ``target_down_jobs``: the jobs whose failing
scrape only TargetDown reports; ``fs``: node_exporter's real filesystems."""
