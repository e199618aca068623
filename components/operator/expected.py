"""What a running stack should show, computed from its settings by the same renderers that deploy it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from components.alertmanager.routes import RECEIVERS
from components.grafana.layout import CUSTOM_DASHBOARD_UID
from components.prometheus.jobs import PROBES

if TYPE_CHECKING:
    from components.grafana.settings import GrafanaSettings


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


def expected_for(prometheus_config: str, rule_files: Mapping[str, str], grafana: GrafanaSettings) -> Expected:
    """What a stack that deploys ``prometheus_config`` and ``rule_files`` (by name) with ``grafana``'s dashboards
    should show."""
    prometheus = yaml.safe_load(prometheus_config)
    jobs = tuple(str(job["job_name"]) for job in prometheus.get("scrape_configs") or [] if _has_targets(job))
    groups: list[str] = []
    for text in rule_files.values():
        groups += [str(group["name"]) for group in (yaml.safe_load(text) or {}).get("groups") or []]
    return Expected(
        jobs=jobs,
        rule_groups=tuple(groups),
        receivers=RECEIVERS,
        datasource_uid=grafana.datasource_uid,
        dashboards=(CUSTOM_DASHBOARD_UID, *(d.uid for d in grafana.community_dashboards if not d.optional)),
        optional_dashboards=tuple(d.uid for d in grafana.community_dashboards if d.optional),
        api_probe=any(_probes_api(job) for job in prometheus.get("scrape_configs") or []),
    )


def _has_targets(job: dict[str, Any]) -> bool:
    return bool(job.get("dns_sd_configs")) or any(group.get("targets") for group in job.get("static_configs") or [])


def _probes_api(job: dict[str, Any]) -> bool:
    if job.get("job_name") != PROBES:
        return False
    return any((group.get("labels") or {}).get("service") == "api" for group in job.get("static_configs") or [])
