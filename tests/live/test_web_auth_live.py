"""Prometheus and Alertmanager (built from their Go modules at the pinned versions) started from the rendered web
config: nobody without the stack's credentials reads a series or silences an alert, and the pipeline still works
with them."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.live.harness import web_auth
from tests.live.harness.clients import poll
from tests.live.harness.stack import LiveStack

pytestmark = pytest.mark.live


def status(url: str, *, auth: tuple[str, str] | None = None, body: object = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def silence() -> dict[str, object]:
    now = datetime.now(UTC)
    return {"matchers": [{"name": "alertname", "value": "Watchdog", "isRegex": False}],
            "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=1)).isoformat(),
            "createdBy": "an intruder", "comment": "blind the monitoring"}


def test_without_the_credentials_both_answer_401(live: LiveStack) -> None:
    prom, am = live.prometheus.url, live.alertmanager.url
    wrong = (web_auth.USER, "not-the-password")
    for url in (f"{prom}/api/v1/query?query=up", f"{prom}/api/v1/status/config", f"{prom}/-/healthy",
                f"{prom}/metrics", f"{am}/api/v2/status", f"{am}/api/v2/alerts", f"{am}/-/healthy"):
        assert status(url) == 401, url
        assert status(url, auth=wrong) == 401, url
        assert status(url, auth=web_auth.AUTH) == 200, url
    assert status(f"{am}/api/v2/silences", body=silence()) == 401


def test_prometheus_logs_in_to_alertmanager_and_itself(live: LiveStack) -> None:
    prom = live.prometheus
    targets = {t["labels"]["job"]: t for t in prom.targets()}
    for job in ("prometheus", "alertmanager"):
        assert targets[job]["health"] == "up", targets[job].get("lastError")
    # Alerts reach Alertmanager through the authenticated alerting config (as Alertmanager itself counts them,
    # scraped with the credentials too), and no send failed.
    poll(lambda: prom.value('sum(alertmanager_alerts_received_total{job="alertmanager"})'),
         lambda received: (received or 0) > 0, timeout=30, what="alerts received by Alertmanager from Prometheus")
    assert (prom.value("sum(prometheus_notifications_sent_total)") or 0) > 0
    assert prom.value("sum(prometheus_notifications_errors_total)") == 0
    assert prom.value("sum(prometheus_notifications_alertmanagers_discovered)") == 1
