"""Rule files rendered from the catalogue and ``RuleSettings``.

Every ``[[name]]`` token of an alert or recording rule is filled in here, from one table: the stack's settings
(``settings_values``) and the shared vocabulary (``vocabulary.TOKENS``); nothing else is substituted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from components import promql, yamltext
from components.rules.catalogue import AREAS
from components.rules.model import Alert
from components.rules.recording import RECORDINGS, Recording
from components.rules.settings import RuleSettings
from components.rules.vocabulary import TOKENS

if TYPE_CHECKING:
    from components.context import StackContext

_TOKEN = re.compile(r"\[\[(\w+)\]\]")
_DEPTH = 5
"""How deep tokens may nest (a recorded series' name holds ``[[rate]]``)."""


def fill(text: str, values: Mapping[str, str], depth: int = _DEPTH) -> str:
    """``text`` with every ``[[name]]`` replaced by ``values[name]``, itself filled in; an unknown name is a bug."""
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"unknown token [[{key}]] in {text!r}")
        if depth == 0:
            raise ValueError(f"tokens nest deeper than {_DEPTH} in {text!r}")
        return fill(values[key], values, depth - 1)

    return _TOKEN.sub(replace, text)


def _percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def settings_values(settings: RuleSettings, alert: Alert | None = None, api_replicas: int = 1) -> dict[str, str]:
    """The settings a template may name: ``[[rate]]`` (the rate window), ``[[flap_window]]``,
    ``[[api_containers]]``, ``[[min_request_rate]]``, ``[[min_operations]]``, ``[[api_replicas]]``
    (``targets.api.expectedReplicas``) and, of ``alert``, ``[[for]]`` (its effective ``for``), ``[[threshold]]`` and
    ``[[threshold_pct]]`` (the threshold as a percentage)."""
    values = {
        "rate": settings.rate_interval,
        "flap_window": settings.flap_window,
        "api_containers": promql.escape(settings.api_containers),  # the templates quote it: "[[api_containers]]"
        "min_request_rate": f"{settings.min_request_rate:g}",
        "min_operations": str(settings.min_operations),
        "api_replicas": str(api_replicas),
    }
    if alert is not None:
        values["for"] = settings.for_duration(alert.name)
        if alert.threshold is not None:
            threshold = settings.threshold(alert.name)
            values["threshold"] = f"{threshold:g}"
            values["threshold_pct"] = _percent(threshold)
    clash = sorted(set(values) & set(TOKENS))
    if clash:
        raise ValueError(f"settings tokens {clash} are vocabulary tokens too")
    return {**TOKENS, **values}


def rule(alert: Alert, settings: RuleSettings, api_replicas: int = 1) -> dict[str, Any]:
    """The rule document of one alert with the stack's thresholds, windows and runbook URL.

    ``api_replicas`` is the number of API replicas expected to answer (``targets.api.expectedReplicas``).
    """
    values = settings_values(settings, alert, api_replicas)
    document: dict[str, Any] = {"alert": alert.name, "expr": fill(alert.expr, values)}
    if values["for"] != "0s":
        document["for"] = values["for"]
    document["labels"] = {"severity": alert.severity, "service": alert.service}
    document["annotations"] = {
        "summary": fill(alert.summary, values),
        "description": fill(alert.description, values),
        "runbook_url": settings.runbook_url(alert.name),
    }
    return document


def recording_rule(recording: Recording, settings: RuleSettings) -> dict[str, Any]:
    values = settings_values(settings)
    return {"record": fill(recording.name, values), "expr": fill(recording.expr, values)}


def rule_groups(settings: RuleSettings, api_replicas: int = 1) -> dict[str, dict[str, Any]]:
    """Rule file documents by area (``api`` …): the area's recording rules, then its alerts in catalogue order;
    empty areas are left out."""
    files: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        rules = [recording_rule(r, settings) for r in RECORDINGS if r.area == area.name]
        rules += [rule(a, settings, api_replicas) for a in area.alerts if settings.enabled(a.name)]
        if rules:
            files[area.name] = {"groups": [{"name": f"internet-id-{area.name}", "rules": rules}]}
    return files


def render_rules(settings: RuleSettings, context: StackContext, *, api_replicas: int = 1) -> dict[str, str]:
    """Rule files by file name (``api.yml`` …), as uploaded to ``/etc/prometheus/rules``.

    ``api_replicas``: the API replicas expected to answer (``targets.api.expectedReplicas``, ApiReplicasMissing).
    """
    header = f"{context.rendered_by}; see docs/runbook.md."
    groups = rule_groups(settings, api_replicas)
    return {f"{area}.yml": yamltext.dump(doc, header=header) for area, doc in groups.items()}
