"""Rule files rendered from the catalogue and ``RuleSettings``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from components import yamltext
from components.prometheus.scrape_jobs import target_down_jobs
from components.rules.catalogue import AREAS, CATALOGUE, Alert
from components.rules.recording import RECORDINGS, Recording
from components.rules.settings import RuleSettings

if TYPE_CHECKING:
    from components.context import StackContext

_TOKEN = re.compile(r"\[\[(\w+)\]\]")


def _fill(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"unknown placeholder [[{key}]] in {text!r}")
        return values[key]

    return _TOKEN.sub(replace, text)


def _percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def rule(alert: Alert, settings: RuleSettings, api_replicas: int = 1) -> dict[str, Any]:
    """The rule document of one alert with the stack's thresholds, windows and runbook URL.

    ``api_replicas`` is the number of API replicas expected to answer (``targets.api.expectedReplicas``).
    """
    for_ = settings.for_duration(alert.name)
    values = {
        "rate": settings.rate_interval,
        "flap_window": settings.flap_window,
        "for": for_,
        "api_containers": settings.api_containers,
        "min_request_rate": f"{settings.min_request_rate:g}",
        "min_operations": str(settings.min_operations),
        "api_replicas": str(api_replicas),
        "target_down_jobs": "|".join(target_down_jobs()),
    }
    if alert.threshold is not None:
        threshold = settings.threshold(alert.name)
        values["threshold"] = f"{threshold:g}"
        values["threshold_pct"] = _percent(threshold)
    document: dict[str, Any] = {"alert": alert.name, "expr": _fill(alert.expr, values)}
    if for_ != "0s":
        document["for"] = for_
    document["labels"] = {"severity": alert.severity, "service": alert.service}
    document["annotations"] = {
        "summary": _fill(alert.summary, values),
        "description": _fill(alert.description, values),
        "runbook_url": settings.runbook_url(alert.name),
    }
    return document


def recording_rule(recording: Recording, settings: RuleSettings) -> dict[str, Any]:
    values = {"rate": settings.rate_interval}
    return {"record": _fill(recording.name, values), "expr": _fill(recording.expr, values)}


def rule_groups(settings: RuleSettings, api_replicas: int = 1) -> dict[str, dict[str, Any]]:
    """Rule file documents by area (``api`` …): the area's recording rules, then its alerts in catalogue order;
    empty areas are left out."""
    files: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        rules = [recording_rule(r, settings) for r in RECORDINGS if r.area == area]
        rules += [
            rule(a, settings, api_replicas) for a in CATALOGUE if a.area == area and settings.enabled(a.name)
        ]
        if rules:
            files[area] = {"groups": [{"name": f"internet-id-{area}", "rules": rules}]}
    return files


def render_rules(settings: RuleSettings, context: StackContext, *, api_replicas: int = 1) -> dict[str, str]:
    """Rule files by file name (``api.yml`` …), as uploaded to ``/etc/prometheus/rules``.

    ``api_replicas``: the API replicas expected to answer (``targets.api.expectedReplicas``, ApiReplicasMissing).
    """
    header = f"{context.rendered_by}; see docs/runbook.md."
    groups = rule_groups(settings, api_replicas)
    return {f"{area}.yml": yamltext.dump(doc, header=header) for area, doc in groups.items()}
