"""Inhibition proven on a real Alertmanager: alerts are posted to /api/v2/alerts and their
``status.inhibitedBy`` read back.  Each scenario uses its own ``cluster`` so they cannot interfere
(every rule has ``cluster`` in ``equal``).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.alertmanager.running import request as _request
from tests.alertmanager.running import running_alertmanager
from tests.alertmanager.variants import variant, write_config

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The prod routing and inhibitions with every channel off (nothing leaves the machine)."""
    directory = tmp_path_factory.mktemp("alertmanager")
    settings = variant("prod", {"pagerduty": {"enabled": False}, "slack": {"enabled": False},
                                "email": {"enabled": False}})
    with running_alertmanager(write_config(settings, directory), directory) as url:
        status = _request(f"{url}/api/v2/status")
        assert status["config"]["original"].count("source_matchers") == 3
        yield url


def _alert(cluster: str, alertname: str, severity: str, service: str, **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "severity": severity, "service": service, "cluster": cluster, **labels},
        "annotations": {"summary": f"{alertname} on {service}"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


def _key(labels: dict[str, str]) -> str:
    parts = [labels["alertname"], labels["service"]] + ([labels["instance"]] if "instance" in labels else [])
    return "/".join(parts)


def _inhibited(url: str, cluster: str, expected: dict[str, bool]) -> dict[str, bool]:
    """``{alertname/instance: inhibited?}`` for ``cluster``, polled until it equals ``expected`` or 10 s pass."""
    deadline = time.monotonic() + 10
    while True:
        alerts = _request(f"{url}/api/v2/alerts?filter=" + urllib.parse.quote(f'cluster="{cluster}"'))
        seen = {_key(a["labels"]): bool(a["status"]["inhibitedBy"]) for a in alerts}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def test_critical_mutes_warnings_of_the_same_service_only(alertmanager: str) -> None:
    cluster = "inhibit-critical"
    _request(f"{alertmanager}/api/v2/alerts", [
        _alert(cluster, "CriticalErrorRate", "critical", "api"),
        _alert(cluster, "HighErrorRate", "warning", "api"),
        _alert(cluster, "HighLatency", "warning", "api"),
        _alert(cluster, "HighLatency", "warning", "redis"),
        _alert(cluster, "ServiceHealthDegraded", "info", "api"),
        _alert("inhibit-critical-other", "HighErrorRate", "warning", "api"),
    ])
    expected = {
        "CriticalErrorRate/api": False,
        "HighErrorRate/api": True,
        "HighLatency/api": True,
        "HighLatency/redis": False,
        "ServiceHealthDegraded/api": False,
    }
    assert _inhibited(alertmanager, cluster, expected) == expected
    other = {"HighErrorRate/api": False}
    assert _inhibited(alertmanager, "inhibit-critical-other", other) == other


def test_service_down_mutes_the_rest_of_its_service_not_itself(alertmanager: str) -> None:
    cluster = "inhibit-servicedown"
    _request(f"{alertmanager}/api/v2/alerts", [
        _alert(cluster, "ServiceDown", "critical", "api", instance="api-1:3001"),
        _alert(cluster, "ServiceDown", "critical", "api", instance="api-2:3001"),
        _alert(cluster, "CriticalErrorRate", "critical", "api"),
        _alert(cluster, "HighErrorRate", "warning", "api"),
        _alert(cluster, "ApiProbeFailed", "critical", "api", instance="http://api:3001/api/health"),
        _alert(cluster, "RedisDown", "critical", "redis"),
    ])
    expected = {
        "ServiceDown/api/api-1:3001": False,
        "ServiceDown/api/api-2:3001": False,
        "CriticalErrorRate/api": True,
        "HighErrorRate/api": True,
        "ApiProbeFailed/api/http://api:3001/api/health": True,
        "RedisDown/redis": False,
    }
    assert _inhibited(alertmanager, cluster, expected) == expected


def test_database_down_mutes_the_connection_pool_alerts(alertmanager: str) -> None:
    cluster = "inhibit-database"
    _request(f"{alertmanager}/api/v2/alerts", [
        _alert(cluster, "DatabaseDown", "critical", "database"),
        _alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database"),
        _alert(cluster, "DatabaseConnectionPoolCritical", "critical", "database"),
        _alert(cluster, "DatabaseReplicationBroken", "critical", "database"),
        _alert(cluster, "HighErrorRate", "warning", "api"),
    ])
    expected = {
        "DatabaseDown/database": False,
        "DatabaseConnectionPoolExhaustion/database": True,
        "DatabaseConnectionPoolCritical/database": True,
        "DatabaseReplicationBroken/database": False,
        "HighErrorRate/api": False,
    }
    assert _inhibited(alertmanager, cluster, expected) == expected


def test_without_a_source_nothing_is_muted(alertmanager: str) -> None:
    cluster = "inhibit-none"
    _request(f"{alertmanager}/api/v2/alerts", [
        _alert(cluster, "HighErrorRate", "warning", "api"),
        _alert(cluster, "DatabaseConnectionPoolCritical", "critical", "database"),
        _alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database"),
    ])
    expected = {
        "HighErrorRate/api": False,
        "DatabaseConnectionPoolCritical/database": False,
        # muted by the pool-critical alert of the same service: critical mutes warning
        "DatabaseConnectionPoolExhaustion/database": True,
    }
    assert _inhibited(alertmanager, cluster, expected) == expected
