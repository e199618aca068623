"""What a running stack should show, computed from its settings by the same renderers that deploy it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from components.alertmanager.routes import RECEIVERS
from components.grafana import custom_dashboard
from components.prometheus.config import render_prometheus_config
from components.prometheus.scrape_jobs import PROBE_JOB
from components.render import rule_files

if TYPE_CHECKING:
    from components.settings import StackSettings


@dataclass(frozen=True)
class Expected:
    jobs: tuple[str, ...]
    """Scrape jobs of the rendered prometheus.yml that are given targets (by DNS or statically); each must have
    at least one active target (a stack without ``targets.probes`` has a blackbox job with none)."""
    rule_groups: tuple[str, ...]
    """Rule group names of the rendered rule files (``internet-id-<area>``, ``internet-id-slo``…)."""
    receivers: tuple[str, ...]
    datasource_uid: str
    dashboards: tuple[str, ...]
    """Uids of the dashboards a deploy must provision (the custom one, non-optional community ones)."""
    optional_dashboards: tuple[str, ...]
    """Community dashboards a deploy skips when they cannot be downloaded."""
    api_probe: bool
    """Whether the blackbox job probes the API (``probe_success{job="blackbox",service="api"}``)."""


def expected_for(settings: StackSettings) -> Expected:
    prometheus = yaml.safe_load(render_prometheus_config(settings))
    jobs = tuple(str(job["job_name"]) for job in prometheus.get("scrape_configs") or [] if _has_targets(job))
    groups: list[str] = []
    for text in rule_files(settings).values():
        groups += [str(group["name"]) for group in (yaml.safe_load(text) or {}).get("groups") or []]
    grafana = settings.grafana
    return Expected(
        jobs=jobs,
        rule_groups=tuple(groups),
        receivers=RECEIVERS,
        datasource_uid=grafana.datasource_uid,
        dashboards=(custom_dashboard.UID, *(d.uid for d in grafana.community_dashboards if not d.optional)),
        optional_dashboards=tuple(d.uid for d in grafana.community_dashboards if d.optional),
        api_probe=any(_probes_api(job) for job in prometheus.get("scrape_configs") or []),
    )


def _has_targets(job: dict[str, Any]) -> bool:
    return bool(job.get("dns_sd_configs")) or any(group.get("targets") for group in job.get("static_configs") or [])


def _probes_api(job: dict[str, Any]) -> bool:
    if job.get("job_name") != PROBE_JOB:
        return False
    return any((group.get("labels") or {}).get("service") == "api" for group in job.get("static_configs") or [])
