"""The SLOs of a stack (config key ``slos``) and how their error budgets are alerted on (``sloAlerting``).

Every stack gets the two SLOs of ``DEFAULT_SLOS``; a stack that sets ``slos`` replaces the list::

    internet-id-monitoring:slos:
      - {name: api-availability, kind: availability, objective: 99.5}
      - {name: api-latency, kind: latency, objective: 99, latencyThreshold: 0.5}

``sloAlerting`` holds the burn-rate window pairs of the SRE Workbook (page: 14.4 over 1h and 5m, 6 over
6h and 30m; ticket: 3 over 1d and 2h, 1 over 3d and 6h), shared by every SLO.  The factors assume a
30-day window (14.4 over 1h spends 2% of a 30-day budget); each alert states what its factor spends of
its own SLO's window.  A time-compressed profile (the live test) sets the pairs, never edits rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from components.durations import duration, format_duration, seconds
from components.model import ConfigModel, Kind, LabelValue, pattern
from components.promql import canonical_matchers, parse_matchers
from components.slo.sli import API_DURATION_BUCKETS, API_REQUESTS
from components.slo.sli import Kind as SliKindName

RESERVED_LABELS = ("le", "__name__")
"""Labels a selector may not match on: the SLI picks the metric and the latency bucket itself."""

Window = Annotated[str, duration("1s", "100y")]
For = Annotated[str, duration("0s", "1w")]
SloName = Annotated[str, pattern(
    "SLO name", r"[a-z][a-z0-9-]{0,62}", "an SLO name: lower-case letters, digits and '-', starting with a letter")]


def _check_selector(value: str) -> None:
    matchers = parse_matchers(value)
    reserved = sorted({m.name for m in matchers} & set(RESERVED_LABELS))
    if reserved:
        raise ValueError(f"{value!r} matches on {reserved}; the SLI chooses the metric and the bucket itself")


LabelMatchers = Annotated[str, Kind(
    "label matchers", 'PromQL label matchers without braces, e.g. job="internet-id-api", route!="/x"',
    _check_selector, family="regex", max_length=1000), AfterValidator(lambda value: canonical_matchers(
        parse_matchers(value)))]
"""PromQL matchers, parsed as PromQL reads them (Go's string escapes, RE2 regexes) and kept in canonical form."""


class BurnRateWindow(ConfigModel):
    """One alert per SLO: it fires while the error ratio is ``burnRate`` times the budget over both windows."""

    burn_rate: float = Field(gt=0)
    """How many times faster than the objective allows the budget burns (1 = gone exactly at the window's end)."""
    long: Window
    """The window that proves the burn is sustained (``long`` label of the alert)."""
    short: Window
    """The window that proves it still goes on: the alert resolves soon after the errors stop (``short`` label)."""
    for_: For = Field("0s", alias="for")
    """How long both windows must stay above the rate before the alert fires."""

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnRateWindow:
        if seconds(self.short) >= seconds(self.long):
            raise ValueError(f"short window {self.short} must be shorter than the long window {self.long}")
        return self


def _pair(burn_rate: float, long: str, short: str, for_: str) -> BurnRateWindow:
    return BurnRateWindow(burn_rate=burn_rate, long=long, short=short, for_=for_)


class SloAlerting(ConfigModel):
    """The burn-rate window pairs every SLO is alerted on; ``for`` as kubernetes-mixin's ``KubeAPIErrorBudgetBurn``."""

    page: list[BurnRateWindow] = Field(
        default_factory=lambda: [_pair(14.4, "1h", "5m", "2m"), _pair(6, "6h", "30m", "15m")])
    """Pairs that page (``severity: critical``: PagerDuty and Slack): 2% of a 30-day budget in 1h, 5% in 6h."""
    ticket: list[BurnRateWindow] = Field(
        default_factory=lambda: [_pair(3, "1d", "2h", "1h"), _pair(1, "3d", "6h", "3h")])
    """Pairs that open a ticket (``severity: warning``: Slack): 10% of a 30-day budget in 1d, 10% in 3d."""
    budget_interval: Annotated[str, duration("1s", "4m")] = "3m"
    """Evaluation interval of the rule group computing the error ratio and budget left over each SLO's window: it
    reads the window's recordings (30 days) each time and moves slowly (kubernetes-mixin evaluates its 30-day
    availability every 3m); the burn-rate windows follow ``prometheus.evaluationInterval``."""

    @model_validator(mode="after")
    def _some_pair(self) -> SloAlerting:
        if not self.page and not self.ticket:
            raise ValueError("page and ticket are both empty: give at least one burn-rate pair (the SLO "
                             "recordings are built on their windows)")
        return self

    def pairs(self) -> list[tuple[str, BurnRateWindow]]:
        """(``page`` or ``ticket``, pair), pages first."""
        return [("page", pair) for pair in self.page] + [("ticket", pair) for pair in self.ticket]

    def windows(self) -> list[str]:
        """Every window the alerts read, shortest first, each once (``60m`` and ``1h`` are one window)."""
        lengths = {seconds(window) for _, pair in self.pairs() for window in (pair.long, pair.short)}
        return [format_duration(length) for length in sorted(lengths)]


class Slo(ConfigModel):
    """One service level objective: the share of good requests over a window."""

    name: SloName
    """Value of the ``slo`` label of its recorded series and alerts (lower case, digits, ``-``)."""
    kind: SliKindName
    """``availability`` (requests not answered 5xx) or ``latency`` (requests faster than ``latencyThreshold``)."""
    objective: float
    """Percentage of good requests over ``window``, e.g. ``99.9``; the error budget is the rest (0.1%)."""
    window: Window = "30d"
    """The period the objective holds for (at most ``prometheus.retentionTime``)."""
    selector: LabelMatchers = API_REQUESTS
    """Label matchers of the requests it counts (PromQL, without braces)."""
    latency_threshold: float | None = None
    """Latency SLOs: seconds a good request takes at most; a bucket bound of ``http_request_duration_seconds``."""
    service: LabelValue = "api"
    """``service`` label of its alerts (routing, and ServiceDown's inhibition)."""

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError(f"{value:g} is not a percentage between 0 and 100 (exclusive); write 99.9% as 99.9")
        return value

    @model_validator(mode="after")
    def _threshold_fits_kind(self) -> Slo:
        if self.kind == "availability" and self.latency_threshold is not None:
            raise ValueError("latencyThreshold: only latency SLOs have one; remove it")
        if self.kind == "latency":
            bounds = ", ".join(f"{bound:g}" for bound in API_DURATION_BUCKETS)
            if self.latency_threshold is None:
                raise ValueError(f"latencyThreshold: required for a latency SLO; one of {bounds} (seconds)")
            if self.latency_threshold not in API_DURATION_BUCKETS:
                raise ValueError(
                    f"latencyThreshold: {self.latency_threshold:g} is not a bucket bound of "
                    f"http_request_duration_seconds; use one of {bounds} (seconds)"
                )
        return self

    @property
    def error_budget(self) -> float:
        """The share of requests that may be bad: 0.001 for 99.9 (computed in decimal, so it prints as 0.001)."""
        return float((Decimal(100) - Decimal(str(self.objective))) / 100)


def _unique(slos: list[Slo]) -> list[Slo]:
    names = [slo.name for slo in slos]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"SLO names {twice} appear more than once; each name labels one SLO's series and alerts")
    return slos


Slos = Annotated[list[Slo], AfterValidator(_unique)]

DEFAULT_SLOS: tuple[Slo, ...] = (
    Slo(name="api-availability", kind="availability", objective=99.9),
    Slo(name="api-latency", kind="latency", objective=99, latency_threshold=1),
)
"""Every stack's SLOs unless it sets ``slos``: 99.9% of the API's requests not 5xx, 99% within 1 s, over 30 days."""

DEFAULT_SLO_ALERTING = SloAlerting()


def slo_problems(slos: list[Slo], alerting: SloAlerting, retention: str, evaluation_interval: str) -> list[str]:
    """What is wrong with the SLOs given the burn-rate pairs and Prometheus' retention and evaluation interval
    (one line each)."""
    problems = []
    windows = alerting.windows()
    if slos and windows and seconds(windows[0]) < seconds(evaluation_interval):
        problems.append(
            f"sloAlerting: the shortest window {windows[0]} is shorter than prometheus.evaluationInterval "
            f"{evaluation_interval}: the long windows and the budget, summed from its rates, would miss requests"
        )
    longest = max((seconds(pair.long) for _, pair in alerting.pairs()), default=0)
    for index, slo in enumerate(slos):
        key = f"slos.{index}"
        if seconds(slo.window) <= longest:
            problems.append(f"{key}.window: {slo.window} must be longer than the longest burn-rate window "
                            f"({format_duration(longest)}, sloAlerting)")
        if seconds(slo.window) > seconds(retention):
            problems.append(f"{key}.window: {slo.window} is longer than prometheus.retentionTime {retention}: the "
                            "oldest requests would be forgotten; raise the retention or shorten the window")
        for severity, pair in alerting.pairs():
            needed = pair.burn_rate * slo.error_budget
            if needed >= 1:
                problems.append(
                    f"{key}.objective: {slo.objective:g} leaves a budget of {slo.error_budget * 100:.4g}%, so the "
                    f"{severity} at {pair.burn_rate:g} times the budget needs an error ratio of {needed:.0%} and can "
                    "never fire; raise the objective or lower sloAlerting's burn rates"
                )
                break
    return problems
