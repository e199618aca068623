"""The dashboard shows what the alerts judge: the same selectors, so a panel never contradicts an alert."""

from __future__ import annotations

import re

from components.grafana.custom_dashboard import PANELS
from components.rules.catalogue import BY_NAME


def _selectors(expr: str, metric: str) -> list[set[str]]:
    """Matchers of every selector of ``metric`` in ``expr``, spaces removed."""
    return [{m.replace(" ", "") for m in body.split(",")} for body in re.findall(rf"{metric}\{{([^}}]*)\}}", expr)]


def test_error_rate_panel_excludes_health_checks_like_the_alert() -> None:
    _, queries, _ = PANELS["API health"]["Error rate (5xx share)"]
    panel = [s for q in queries for s in _selectors(q.expr, "http_requests_total")]
    alert = _selectors(BY_NAME["HighErrorRate"].expr, "http_requests_total")
    assert all('route!="/health"' in s for s in alert)  # the alert excludes /health
    assert panel and all('route!="/health"' in s for s in panel), panel
