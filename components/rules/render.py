"""Rule files rendered from the catalogue and ``RuleSettings``.

Every ``[[name]]`` token of an alert or recording rule is filled in here, from one table: the stack's settings
(``settings_values``) and the shared vocabulary (``vocabulary.TOKENS``); nothing else is substituted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components import promql, yamltext
from components.rules.alerts.api import API_ANSWERS_REQUESTS, REQUIRED_API_SERIES, missing_family
from components.rules.catalogue import AREAS, MULTI_HOST_AREAS
from components.rules.model import Alert
from components.rules.recording import RECORDINGS, Recording
from components.rules.settings import RuleSettings
from components.rules.vocabulary import TOKENS
from components.slo.settings import DEFAULT_SLOS, Slo
from components.slo.sli import ALERT as ERROR_BUDGET_BURN
from components.slo.sli import le_matcher

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


def api_series_missing(slos: Sequence[Slo]) -> str:
    """``ApiMetricsMissing``'s expression: one clause per family of ``REQUIRED_API_SERIES``, naming the alerts and
    SLOs that read it, and one per latency SLO's bucket bound (a changed bucket layout blinds that SLO while the
    histogram still exists)."""
    clauses = []
    for family in REQUIRED_API_SERIES:
        slo_readers = (f"{ERROR_BUDGET_BURN} ({slo.name})" for slo in slos if slo.kind == family.slo_kind)
        readers = [*family.read_by, *slo_readers]
        clauses.append((family.metric, f"{family.metric}{{[[api]]}}", readers))
    for slo in slos:
        if slo.kind == "latency" and slo.latency_threshold is not None:
            bound = slo.latency_threshold
            clauses.append((f"http_request_duration_seconds_bucket le={bound:g}",
                            f"http_request_duration_seconds_bucket{{[[api]], {le_matcher(bound)}}}",
                            [f"{ERROR_BUDGET_BURN} ({slo.name})"]))
    return "\nor\n".join(missing_family(metric, selector, ", ".join(readers), guard=f"(\n{API_ANSWERS_REQUESTS}\n)",
                                         on="[[by_api]]")
                          for metric, selector, readers in clauses)


def service_from_name(expr: str, services: Mapping[str, str]) -> str:
    """``expr`` (which keeps cAdvisor's ``name``) with a ``service`` label set from the container's name."""
    for service, regex in services.items():
        expr = f'label_replace(\n{expr},\n"service", {promql.quote(service)}, "name", {promql.quote(regex)})'
    return expr


def settings_values(settings: RuleSettings, alert: Alert | None = None, api_replicas: int = 1,
                    slos: Sequence[Slo] = DEFAULT_SLOS, alertmanager_peers: int = 1) -> dict[str, str]:
    """The settings a template may name: ``[[rate]]`` (the rate window), ``[[flap_window]]``,
    ``[[restart_window]]``, ``[[api_containers]]``, ``[[app_containers]]`` (every app container, the API's
    included), ``[[min_request_rate]]``, ``[[min_operations]]``, ``[[api_replicas]]``
    (``targets.api.expectedReplicas``, or the app hosts), ``[[api_series_missing]]`` (from the stack's ``slos``),
    ``[[alertmanager_peers]]`` (the Alertmanager hosts) and, of ``alert``, ``[[for]]`` (its effective ``for``),
    ``[[threshold]]`` and ``[[threshold_pct]]`` (the threshold as a percentage)."""
    values = {
        "rate": settings.rate_interval,
        "flap_window": settings.flap_window,
        "restart_window": settings.restart_window,
        "api_containers": promql.escape(settings.api_containers),  # the templates quote it: "[[api_containers]]"
        "app_containers": promql.escape("|".join(settings.container_services().values())),
        "api_series_missing": api_series_missing(slos),
        "min_request_rate": f"{settings.min_request_rate:g}",
        "min_operations": str(settings.min_operations),
        "api_replicas": str(api_replicas),
        "alertmanager_peers": str(alertmanager_peers),
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


def rule(alert: Alert, settings: RuleSettings, api_replicas: int = 1, slos: Sequence[Slo] = DEFAULT_SLOS,
         alertmanager_peers: int = 1) -> dict[str, Any]:
    """The rule document of one alert with the stack's thresholds, windows and runbook URL.

    ``api_replicas`` is the number of API replicas expected to answer (``targets.api.expectedReplicas``), ``slos``
    the stack's SLOs (``ApiMetricsMissing`` watches what they read), ``alertmanager_peers`` the peers of the
    Alertmanager cluster.
    """
    values = settings_values(settings, alert, api_replicas, slos, alertmanager_peers)
    expr = fill(alert.expr, values)
    if alert.service_from_name:
        expr = service_from_name(expr, settings.container_services())
    document: dict[str, Any] = {"alert": alert.name, "expr": expr}
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


def rule_groups(settings: RuleSettings, api_replicas: int = 1, slos: Sequence[Slo] = DEFAULT_SLOS,
                alertmanager_peers: int = 0) -> dict[str, dict[str, Any]]:
    """Rule file documents by area (``api`` …): the area's recording rules, then its alerts in catalogue order;
    empty areas are left out, and the multi-host areas unless ``alertmanager_peers`` says the stack has a cluster."""
    files: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        if area.name in MULTI_HOST_AREAS and not alertmanager_peers:
            continue
        rules = [recording_rule(r, settings) for r in RECORDINGS if r.area == area.name]
        rules += [rule(a, settings, api_replicas, slos, alertmanager_peers) for a in area.alerts
                  if settings.enabled(a.name)]
        if rules:
            files[area.name] = {"groups": [{"name": f"internet-id-{area.name}", "rules": rules}]}
    return files


def render_rules(settings: RuleSettings, context: StackContext, *, api_replicas: int = 1,
                 slos: Sequence[Slo] = DEFAULT_SLOS) -> dict[str, str]:
    """Rule files by file name (``api.yml`` …), as uploaded to ``/etc/prometheus/rules``.

    ``api_replicas``: the API replicas expected to answer (``targets.api.expectedReplicas``, ApiReplicasMissing);
    ``slos``: the stack's SLOs (``slos``), whose series ApiMetricsMissing watches; with ``context.hosts`` the
    multi-host alerts too, counting the Alertmanager hosts as the cluster's peers.
    """
    header = f"{context.rendered_by}; see docs/runbook.md."
    groups = rule_groups(settings, api_replicas, slos, len(context.with_role("alertmanager")))
    return {f"{area}.yml": yamltext.dump(doc, header=header) for area, doc in groups.items()}
