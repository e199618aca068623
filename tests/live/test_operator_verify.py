"""``verify`` against the live stack: every check passes (Grafana played by a stand-in), and a
stopped API makes it fail, naming the target and the probe."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from components.operator.endpoints import Endpoints
from components.operator.verify import verify
from components.render import expected
from tests.live.harness.clients import poll
from tests.live.harness.stack import LiveStack
from tests.operator.expected_stacks import DASHBOARDS
from tests.operator.standins import GrafanaStandIn

pytestmark = pytest.mark.live

PASSWORD = "live-grafana-stand-in-4444"


@pytest.fixture
def grafana(live: LiveStack) -> Iterator[GrafanaStandIn]:
    # The live settings keep the default dashboards and datasource uid, written down (not asked of expected_for).
    standin = GrafanaStandIn(dashboards=set(DASHBOARDS), password=PASSWORD, datasource_uid="prometheus").start()
    yield standin
    standin.stop()


def endpoints(live: LiveStack, grafana: GrafanaStandIn) -> Endpoints:
    return Endpoints(prometheus=live.prometheus.url, alertmanager=live.alertmanager.url, grafana=grafana.url,
                     grafana_user="admin", web_auth=live.web_auth)


def run(live: LiveStack, grafana: GrafanaStandIn, wait: float) -> tuple[int, str, str]:
    out, progress = io.StringIO(), io.StringIO()
    status = verify(expected(live.settings), endpoints(live, grafana), timeout=5, wait=wait, grafana_password=PASSWORD,
                    out=out, progress=progress)
    return status, out.getvalue(), progress.getvalue()


def failing_rows(table: str) -> list[str]:
    return [line for line in table.splitlines() if "  FAIL  " in line]


WAIT = 90.0
"""Prometheus drops the first Watchdog notification if Alertmanager is not discovered yet and resends
it only after ``--rules.alert.resend-delay`` (1m): a stack that just started needs up to a minute."""


def test_verify_passes_on_the_live_stack(live: LiveStack, grafana: GrafanaStandIn) -> None:
    status, table, progress = run(live, grafana, wait=WAIT)
    assert status == 0, table + progress
    assert "13 of 13 checks passed" in table
    assert "Watchdog active in Alertmanager, routed to watchdog" in table
    assert "probe_success 1 (through Prometheus)" in table
    assert PASSWORD not in table + progress


def test_verify_names_a_stopped_api(live: LiveStack, grafana: GrafanaStandIn) -> None:
    prom = live.prometheus
    live.api.down()
    poll(prom.targets, lambda ts: any(t["labels"]["job"] == "internet-id-api" and t["health"] == "down"
                                      for t in ts), 20, "API target down")
    poll(lambda: prom.value('probe_success{job="blackbox",service="api"}'), lambda v: v == 0.0, 20,
         "API probe failing")
    status, table, _ = run(live, grafana, wait=0)
    assert status == 1, table
    rows = failing_rows(table)
    assert [row.split("  ")[0] for row in rows] == ["prometheus targets up", "api health"], table
    assert f"internet-id-api {live.api.address} down: " in rows[0] and "connection refused" in rows[0], rows[0]
    assert "the blackbox probe of the API fails" in rows[1]
