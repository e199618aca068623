"""Healthy stand-ins of a dev stack's Prometheus, Alertmanager and Grafana, started per test, serving the jobs,
rule groups, receivers and dashboards written down in ``expected_stacks``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from components.operator.expected import Expected
from tests.operator.expected_stacks import COMMITTED
from tests.operator.standins import AlertmanagerStandIn, GrafanaStandIn, PrometheusStandIn

PASSWORD = "stand-in-password-1234"
WEB_PASSWORD = "stand-in-web-password-5678"
"""What the commands send Prometheus and Alertmanager (``$IIDMON_WEB_PASSWORD``)."""


@dataclass
class StandIns:
    expected: Expected
    prometheus: PrometheusStandIn
    alertmanager: AlertmanagerStandIn
    grafana: GrafanaStandIn

    def flags(self) -> list[str]:
        return ["--prometheus-url", self.prometheus.url, "--alertmanager-url", self.alertmanager.url,
                "--grafana-url", self.grafana.url, "--grafana-user", "admin"]


@pytest.fixture(scope="session")
def dev_expected() -> Expected:
    """The dev stack as written down (``tests/operator/expected_stacks.py``), not as ``expected_for`` computes it."""
    return COMMITTED


@pytest.fixture
def standins(dev_expected: Expected, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIns]:
    monkeypatch.setenv("GRAFANA_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("IIDMON_WEB_PASSWORD", WEB_PASSWORD)
    servers = StandIns(
        dev_expected,
        PrometheusStandIn(dev_expected).start(),
        AlertmanagerStandIn(dev_expected).start(),
        GrafanaStandIn(dashboards=set(dev_expected.dashboards), password=PASSWORD).start(),
    )
    yield servers
    for server in (servers.prometheus, servers.alertmanager, servers.grafana):
        server.stop()
