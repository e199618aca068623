"""The scrape jobs: which job scrapes what, with which ``service`` label.

Job names and ``service`` labels are today's, so existing queries and dashboards keep working.
Targets default to the monitoring containers by name; ``targets.scrapeOverrides`` re-points any
job (exporters on other hosts, the live test on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings import StackSettings


@dataclass(frozen=True)
class ScrapeJob:
    """One Prometheus job scraping one monitoring container (or Prometheus itself)."""

    name: str
    service: str
    container: str
    """Container of the stack it scrapes (``docker_stack/containers.py``); ``""`` for Prometheus itself."""
    port: int
    metrics_path: str = "/metrics"


PROMETHEUS = ScrapeJob("prometheus", "prometheus", "", 9090)
ALERTMANAGER = ScrapeJob("alertmanager", "alertmanager", "alertmanager", 9093)
BLACKBOX_EXPORTER = ScrapeJob("blackbox-exporter", "blackbox", "blackbox-exporter", 9115)

# The API is not in this table: its targets come from DNS or a static list (see config.py).
JOBS: tuple[ScrapeJob, ...] = (
    ScrapeJob("postgres", "database", "postgres-exporter", 9187),
    ScrapeJob("redis", "cache", "redis-exporter", 9121),
    ScrapeJob("node-exporter", "system", "node-exporter", 9100),
    ScrapeJob("cadvisor", "containers", "cadvisor", 8080),
    PROMETHEUS,
    ALERTMANAGER,
    ScrapeJob("grafana", "grafana", "grafana", 3000),
    BLACKBOX_EXPORTER,
)

API_JOB = "internet-id-api"
WEB_JOB = "internet-id-web"
PROBE_JOB = "blackbox"


def targets(settings: StackSettings, job: ScrapeJob) -> list[str]:
    """The job's targets: the stack's override if any, else its container by name.

    Container names are unique on the Docker host, unlike service names: Prometheus also sits
    on the application's network, where an older compose project may still run containers
    answering to ``alertmanager`` or ``postgres-exporter``.
    """
    override = settings.targets.scrape_overrides.get(job.name)
    if override:
        return list(override)
    host = f"{settings.container_prefix}-{job.container}" if job.container else "localhost"
    return [f"{host}:{job.port}"]


def address(settings: StackSettings, job: ScrapeJob) -> str:
    """The single address of a one-target job (used to reach Alertmanager and the blackbox exporter)."""
    return targets(settings, job)[0]


def job_names() -> list[str]:
    """Every job the rendered config contains (used to validate overrides and by tests)."""
    return [API_JOB, WEB_JOB, *(job.name for job in JOBS), PROBE_JOB]
