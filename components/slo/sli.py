"""What an SLO can measure: the kinds of service level indicator, as data.

Each kind names the API metric it reads and how a bad request is counted; the API's metrics are
those of ``scripts/services/metrics.service.ts`` (prom-client, no prefix).  ``render.py`` turns a
kind, a selector and a window into PromQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.rules.vocabulary import API

Kind = Literal["availability", "latency"]

ALERT = "ErrorBudgetBurn"
"""One alert name for every SLO and window pair; the ``slo``, ``severity``, ``long`` and ``short`` labels tell them
apart (as Pyrra and slo-libsonnet name it)."""

SEVERITIES: dict[str, str] = {"page": "critical", "ticket": "warning"}
"""A page is routed like every critical alert (PagerDuty and Slack), a ticket like every warning (Slack)."""

API_REQUESTS = f'{API}, route!~"/health|/metrics"'
"""The API's requests that users make: health checks and the metrics route are the monitoring's own traffic."""

API_DURATION_BUCKETS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10)
"""Bucket bounds (seconds) of the API's ``http_request_duration_seconds`` histogram, a fact of the API's
prom-client configuration: a latency SLO can only count requests faster than one of these bounds."""


@dataclass(frozen=True)
class SliKind:
    """How one kind of SLI counts requests and bad requests."""

    name: Kind
    requests: str
    """Counter of every request."""
    bad: str
    """What makes a request bad, in the words of the SLO's description."""


KINDS: dict[str, SliKind] = {
    "availability": SliKind("availability", "http_requests_total", "answered with a 5xx status"),
    "latency": SliKind("latency", "http_request_duration_seconds_count", "slower than the threshold"),
}
"""Availability: the share of requests not answered 5xx.  Latency: the share answered within a bucket bound
of ``http_request_duration_seconds``."""


def le_matcher(bound: float) -> str:
    """The matcher of one bucket bound, whichever way it was written: prom-client writes ``1``, Prometheus 3 and
    Python's client ``1.0`` (kubernetes-mixin matches ``le=~"1(\\\\.0)?"`` for the same reason)."""
    if float(bound).is_integer():
        return f'le=~"{int(bound)}(\\\\.0)?"'
    return f'le="{bound:g}"'
