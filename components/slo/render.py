"""The rule file ``slo.yml``: per SLO, its error ratio over every burn-rate window, the budget left over its
window, and one ``ErrorBudgetBurn`` alert per window pair.

Two groups, evaluated at two intervals:

* ``internet-id-slo`` (``prometheus.evaluationInterval``): the SLO's request and bad-request rates over the
  shortest window; its error ratio over every window the alerts read; then the alerts, which read values of
  the same evaluation.  Windows shorter than a day read the raw counters, exact to the sample (as Sloth,
  Pyrra and kubernetes-mixin do); windows of a day or more (the tickets' 1d and 3d) sum the recorded
  shortest-window rates over the window instead, one series per SLO: a raw 3d ``rate()`` reads 17,280
  samples of every route, method, status and replica at every evaluation.  Summed, the window reaches one
  shortest window further back, with that oldest part weighted less: 5 minutes of 3 days.
* ``internet-id-slo-budget`` (``sloAlerting.budgetInterval``): the error ratio over the SLO's window and the
  budget left, summed the same way (traffic-weighted: a quiet hour weighs what its requests weigh).  Over
  the raw counters, 30 days of 600 series scraped every 15 s are about 100 million samples, beyond
  Prometheus' default ``--query.max-samples`` of 50 million.

Names follow ``level:metric:operations``, the window written as Prometheus shortens it:
``slo:sli_error:ratio_rate5m{slo="api-availability"}``.  Every ratio is guarded: without requests in a
window there is no sample (never a division by zero), and with requests but no bad one the ratio is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from components import yamltext
from components.durations import format_duration, seconds
from components.slo.settings import BurnRateWindow, Slo, SloAlerting
from components.slo.sli import ALERT, SEVERITIES, le_matcher

if TYPE_CHECKING:
    from components.context import StackContext

RULE_FILE = "slo.yml"
GROUP = "internet-id-slo"
BUDGET_GROUP = "internet-id-slo-budget"
BUDGET_REMAINING = "slo:error_budget_remaining:ratio"
"""1 while no request of the window failed, 0 when exactly the budget failed, below 0 once it is overspent."""
BY = "environment"
"""The SLI is one series per SLO (and environment: every scraped series carries it)."""
SUMMED_FROM = seconds("1d")
"""Windows at least this long are summed from the recorded shortest-window rates."""


def window_name(window: str) -> str:
    """A window as it appears in recorded names: ``60m`` -> ``1h``."""
    return format_duration(seconds(window))


def requests_rate(window: str) -> str:
    return f"slo:sli_requests:rate{window_name(window)}"


def errors_rate(window: str) -> str:
    return f"slo:sli_errors:rate{window_name(window)}"


def error_ratio(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window_name(window)}"


def of(name: str, slo: Slo) -> str:
    """The recorded series ``name`` of one SLO."""
    return f'{name}{{slo="{slo.name}"}}'


def _requests(slo: Slo, window: str) -> str:
    metric = "http_requests_total" if slo.kind == "availability" else "http_request_duration_seconds_count"
    return f"sum by ({BY}) (rate({metric}{{{slo.selector}}}[{window_name(window)}]))"


def _bad_requests(slo: Slo, window: str) -> str:
    """Bad requests per second; 0 (not nothing) when there are requests but none is bad."""
    requests, w = _requests(slo, window), window_name(window)
    if slo.kind == "availability":
        errors = f'sum by ({BY}) (rate(http_requests_total{{{slo.selector}, status_code=~"5.."}}[{w}]))'
        return f"(\n  {errors}\nor\n  0 * {requests}\n)"
    assert slo.latency_threshold is not None  # the settings require it for latency SLOs
    bucket = f"http_request_duration_seconds_bucket{{{slo.selector}, {le_matcher(slo.latency_threshold)}}}"
    fast = f"sum by ({BY}) (rate({bucket}[{w}]))"
    return f"(\n  {requests}\n-\n  {fast}\n)"


def _number(value: float) -> str:
    return f"{value:.10g}"


def _percent(value: float) -> str:
    return f"{value * 100:.3g}%"


def _record(name: str, expr: str, slo: Slo) -> dict[str, Any]:
    return {"record": name, "expr": expr, "labels": {"slo": slo.name}}


def _summed_ratio(slo: Slo, shortest: str, window: str) -> str:
    """The error ratio over ``window`` from the recorded rates over ``shortest``."""
    errors = f"sum_over_time({of(errors_rate(shortest), slo)}[{window_name(window)}])"
    requests = f"sum_over_time({of(requests_rate(shortest), slo)}[{window_name(window)}])"
    return f"{errors}\n/\n({requests} > 0)"


def recording_rules(slo: Slo, alerting: SloAlerting) -> list[dict[str, Any]]:
    """The SLO's rates over the shortest window, then its error ratio over every window the alerts read."""
    shortest, *longer = alerting.windows()
    rules = [
        _record(requests_rate(shortest), _requests(slo, shortest), slo),
        _record(errors_rate(shortest), _bad_requests(slo, shortest), slo),
        _record(error_ratio(shortest), f"{of(errors_rate(shortest), slo)}\n/\n({of(requests_rate(shortest), slo)} > 0)",
                slo),
    ]
    for window in longer:
        summed = seconds(window) >= SUMMED_FROM
        expr = (_summed_ratio(slo, shortest, window) if summed
                else f"{_bad_requests(slo, window)}\n/\n({_requests(slo, window)} > 0)")
        rules.append(_record(error_ratio(window), expr, slo))
    return rules


def budget_rules(slo: Slo, alerting: SloAlerting) -> list[dict[str, Any]]:
    """The error ratio over the SLO's window, from the recorded shortest-window rates, and the budget left."""
    window = window_name(slo.window)
    return [
        _record(error_ratio(window), _summed_ratio(slo, alerting.windows()[0], window), slo),
        _record(BUDGET_REMAINING, f"1 - {of(error_ratio(window), slo)} / {_number(slo.error_budget)}", slo),
    ]


def describe(slo: Slo) -> str:
    """The objective in words: ``99.9% of api requests answered without a 5xx over 30d``."""
    good = ("answered without a 5xx" if slo.kind == "availability"
            else f"answered within {_number(slo.latency_threshold or 0)}s")
    return f"{slo.objective:g}% of {slo.service} requests {good} over {window_name(slo.window)}"


def alert_rule(slo: Slo, tier: str, pair: BurnRateWindow, runbook_url: str) -> dict[str, Any]:
    """``ErrorBudgetBurn`` of one SLO and window pair; its value is the burn rate over the long window."""
    budget, rate = _number(slo.error_budget), f"{pair.burn_rate:g}"
    long, short, window = window_name(pair.long), window_name(pair.short), window_name(slo.window)
    spent = _percent(pair.burn_rate * seconds(pair.long) / seconds(slo.window))
    lasts = format_duration(round(seconds(slo.window) / pair.burn_rate))
    document: dict[str, Any] = {
        "alert": ALERT,
        "expr": (f"{of(error_ratio(long), slo)} / {budget} > {rate}\nand\n"
                 f"{of(error_ratio(short), slo)} / {budget} > {rate}"),
    }
    if seconds(pair.for_) > 0:
        document["for"] = pair.for_
    document["labels"] = {"severity": SEVERITIES[tier], "service": slo.service, "slo": slo.name, "long": long,
                          "short": short}
    document["annotations"] = {
        "summary": f'SLO {slo.name}: error budget burn rate {{{{ printf "%.1f" $value }}}} over {long}',
        "description": (
            f"SLO {slo.name}: {describe(slo)} (error budget: {_percent(slo.error_budget)} of requests). In "
            f"{{{{ $labels.environment }}}} the budget burns at {{{{ printf \"%.1f\" $value }}}} times the "
            f"sustainable rate over the last {long}, and above {rate} over the last {short}. A burn rate of {rate} "
            f"spends {spent} of the {window} budget in {long} and empties it in {lasts}."
        ),
        "runbook_url": runbook_url,
    }
    return document


def slo_rule_groups(slos: Sequence[Slo], alerting: SloAlerting, runbook_base_url: str) -> dict[str, Any] | None:
    """The document of ``slo.yml``; None without SLOs."""
    if not slos:
        return None
    runbook_url = f"{runbook_base_url}#{ALERT.lower()}"
    rules = [rule for slo in slos for rule in recording_rules(slo, alerting)]
    rules += [alert_rule(slo, tier, pair, runbook_url) for slo in slos for tier, pair in alerting.pairs()]
    budget = [rule for slo in slos for rule in budget_rules(slo, alerting)]
    return {"groups": [
        {"name": GROUP, "rules": rules},
        {"name": BUDGET_GROUP, "interval": alerting.budget_interval, "rules": budget},
    ]}


def render_slo_rules(slos: Sequence[Slo], alerting: SloAlerting, context: StackContext, *,
                     runbook_base_url: str) -> dict[str, str]:
    """``{"slo.yml": text}``, or nothing for a stack without SLOs; ``runbook_base_url``: ``rules.runbookBaseUrl``."""
    document = slo_rule_groups(slos, alerting, runbook_base_url)
    if document is None:
        return {}
    header = f"{context.rendered_by}; see docs/runbook.md#errorbudgetburn."
    return {RULE_FILE: yamltext.dump(document, header=header)}
