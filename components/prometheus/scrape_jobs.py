"""The scrape jobs: which job scrapes what, with which ``service`` label.

Job names and ``service`` labels are today's, so existing queries and dashboards keep working.
Targets default to the monitoring containers' names on the Docker network and the
application's service names; ``targets.scrapeOverrides`` re-points any job (remote exporters,
the live test on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from components.settings import StackSettings


@dataclass(frozen=True)
class ScrapeJob:
    """One Prometheus job: a plain scrape, or blackbox probes (``kind='probe'``)."""

    name: str
    service: str
    default_targets: tuple[str, ...] = ()
    metrics_path: str = "/metrics"
    kind: Literal["scrape", "probe"] = "scrape"
    description: str = ""


# Addresses of the monitoring containers on the monitoring network (alias:port).
PROMETHEUS = ScrapeJob("prometheus", "prometheus", ("localhost:9090",), description="Prometheus itself")
ALERTMANAGER = ScrapeJob("alertmanager", "alertmanager", ("alertmanager:9093",), description="Alertmanager")
BLACKBOX_EXPORTER = ScrapeJob(
    "blackbox-exporter", "blackbox", ("blackbox-exporter:9115",), description="the blackbox exporter's own metrics"
)

# The API is not in this table: its targets come from DNS or a static list (see api_job).
JOBS: tuple[ScrapeJob, ...] = (
    ScrapeJob("postgres", "database", ("postgres-exporter:9187",), description="postgres-exporter"),
    ScrapeJob("redis", "cache", ("redis-exporter:9121",), description="redis_exporter"),
    ScrapeJob("node-exporter", "system", ("node-exporter:9100",), description="host metrics"),
    ScrapeJob("cadvisor", "containers", ("cadvisor:8080",), description="per-container metrics"),
    PROMETHEUS,
    ALERTMANAGER,
    ScrapeJob("grafana", "grafana", ("grafana:3000",), description="Grafana"),
    BLACKBOX_EXPORTER,
)

API_JOB = "internet-id-api"
WEB_JOB = "internet-id-web"
PROBE_JOB = "blackbox"


def targets(settings: StackSettings, job: ScrapeJob) -> list[str]:
    """The job's targets: the stack's override if any, else the container default."""
    return list(settings.targets.scrape_overrides.get(job.name, job.default_targets))


def address(settings: StackSettings, job: ScrapeJob) -> str:
    """The single address of a one-target job (used to reach Alertmanager and the blackbox exporter)."""
    return targets(settings, job)[0]


def job_names() -> list[str]:
    """Every job the rendered config contains (used to validate overrides and by tests)."""
    return [API_JOB, WEB_JOB, *(job.name for job in JOBS), PROBE_JOB]
