"""The scrape jobs: which job scrapes which container, with which ``service`` label.

Every container whose record names a job (``components/containers``) is scraped by it, by its
container name; the API (DNS or static targets), the web probe and the blackbox probes are the
jobs without a container of the stack.  ``targets.scrapeOverrides`` re-points any job
(exporters on other hosts, the live test on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.containers import alertmanager, blackbox_exporter, victoria_metrics
from components.containers.model import Container, ScrapeJob
from components.containers.records import RECORDS
from components.prometheus import jobs

if TYPE_CHECKING:
    from components.context import StackContext
    from components.prometheus.settings import TargetSettings

API_JOB = jobs.API
WEB_JOB = jobs.WEB
PROBE_JOB = jobs.PROBES


@dataclass(frozen=True)
class ContainerJob:
    """A job scraping one container of the stack (or Prometheus itself)."""

    job: ScrapeJob
    container: str
    port: int

    @property
    def name(self) -> str:
        return self.job.name


def _job(record: Container) -> ContainerJob:
    if record.scrape is None:
        raise ValueError(f"{record.name} has no scrape job")
    return ContainerJob(record.scrape, record.name, record.port)


JOBS: tuple[ContainerJob, ...] = tuple(_job(record) for record in RECORDS if record.scrape)
ALERTMANAGER = _job(alertmanager.RECORD)
BLACKBOX_EXPORTER = _job(blackbox_exporter.RECORD)
VICTORIA_METRICS = _job(victoria_metrics.RECORD)
"""The stores of a multi-host stack (not among ``JOBS``: a single-host stack has none)."""


def job_targets(settings: TargetSettings, context: StackContext, job: ContainerJob) -> list[str]:
    """The job's targets: the stack's override if any, else its container by name.

    Container names are unique on the Docker host, unlike service names: Prometheus also sits
    on the application's network, where an older compose project may still run containers
    answering to ``alertmanager`` or ``postgres-exporter``.
    """
    override = settings.scrape_overrides.get(job.name)
    if override:
        return list(override)
    host = "localhost" if job.job.self_scrape else job.job.host or context.container_name(job.container)
    return [f"{host}:{job.port}"]


def address(settings: TargetSettings, context: StackContext, job: ContainerJob) -> str:
    """The single address of a one-target job (used to reach Alertmanager and the blackbox exporter)."""
    return job_targets(settings, context, job)[0]


def job_names() -> list[str]:
    """Every job the rendered config contains (used to validate overrides and by tests)."""
    return [API_JOB, WEB_JOB, *(job.name for job in JOBS), PROBE_JOB]


UNTRUSTED_JOBS = (API_JOB,)
"""Jobs scraping what the monitoring does not control: they get ``prometheus.scrapeLimits``."""


def limited_jobs(settings: TargetSettings) -> set[str]:
    """Jobs whose scrapes are limited: the untrusted ones and every job re-pointed by ``scrapeOverrides``
    (its target is not a container this stack runs)."""
    return set(UNTRUSTED_JOBS) | set(settings.scrape_overrides)


def target_down_jobs() -> list[str]:
    """Jobs whose failing scrape only TargetDown reports (the API, web and probe jobs have their own alerts)."""
    return [job.name for job in JOBS if job.job.target_down]
