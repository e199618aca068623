"""Label sets -> receivers, checked by amtool against the rendered config of every variant.

Receiver names are the same in every stack (a switched-off channel empties a receiver, it never
reroutes), so one table holds for all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.alertmanager.routes import ROUTES
from tests.alertmanager.variants import variants, write_config
from tests.tools import run_tool

VARIANTS = variants()

# (labels, expected receivers in notification order)
TABLE: list[tuple[dict[str, str], tuple[str, ...]]] = [
    ({"alertname": "Watchdog", "severity": "none"}, ("watchdog",)),
    ({"alertname": "Watchdog"}, ("watchdog",)),
    ({"alertname": "ServiceDown", "severity": "critical", "service": "api"}, ("pagerduty-critical", "slack-critical")),
    ({"alertname": "CriticalErrorRate", "severity": "critical", "service": "api"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "WebServiceDown", "severity": "critical", "service": "web"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "DatabaseDown", "severity": "critical", "service": "database"},
     ("pagerduty-database", "slack-critical")),
    ({"alertname": "DatabaseConnectionPoolCritical", "severity": "critical", "service": "database"},
     ("pagerduty-database", "slack-critical")),
    ({"alertname": "DatabaseConnectionPoolExhaustion", "severity": "warning", "service": "database"},
     ("slack-warnings",)),
    ({"alertname": "HighErrorRate", "severity": "warning", "service": "api"}, ("slack-warnings",)),
    # an SLO's page goes where every critical goes, its ticket where every warning goes
    ({"alertname": "ErrorBudgetBurn", "severity": "critical", "service": "api", "slo": "api-availability",
      "long": "1h", "short": "5m"}, ("pagerduty-critical", "slack-critical")),
    ({"alertname": "ErrorBudgetBurn", "severity": "warning", "service": "api", "slo": "api-latency",
      "long": "3d", "short": "6h"}, ("slack-warnings",)),
    ({"alertname": "HighLatency", "severity": "warning", "service": "ipfs"}, ("slack-warnings",)),
    ({"alertname": "ServiceHealthDegraded", "severity": "warning", "service": "api"}, ("slack-warnings",)),
    ({"alertname": "ApiReplicasMissing", "severity": "warning", "service": "api"}, ("slack-warnings",)),
    ({"alertname": "BlockchainRPCDown", "severity": "critical", "service": "blockchain"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "LowCacheHitRate", "severity": "info", "service": "cache"}, ("email-info",)),
    ({"alertname": "DatabaseSlowQueries", "severity": "info", "service": "database"}, ("email-info",)),
    # a looping container pages whoever owns its service: the database container the database rotation
    ({"alertname": "ContainerRestarting", "severity": "critical", "service": "database", "name": "internet-id-db-1"},
     ("pagerduty-database", "slack-critical")),
    ({"alertname": "ContainerRestarting", "severity": "critical", "service": "cache", "name": "internet-id-redis-1"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "ApiMetricsMissing", "severity": "critical", "service": "api", "metric": "http_requests_total"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "RedisEvictingKeys", "severity": "warning", "service": "cache"}, ("slack-warnings",)),
    ({"alertname": "RedisPersistenceFailing", "severity": "critical", "service": "cache", "persistence": "rdb"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "RedisMaxmemoryPolicyEvicts", "severity": "info", "service": "cache"}, ("email-info",)),
    ({"alertname": "PostgresIdleInTransaction", "severity": "warning", "service": "database"}, ("slack-warnings",)),
    ({"alertname": "PrometheusStorageWritesFailing", "severity": "critical", "service": "prometheus"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "HostFilesystemFillingUpFast", "severity": "critical", "service": "system", "mountpoint": "/"},
     ("pagerduty-critical", "slack-critical")),
    ({"alertname": "ExporterCollectorFailing", "severity": "warning", "service": "database", "collector": "wal"},
     ("slack-warnings",)),
    ({"alertname": "SomethingOdd", "severity": "page", "service": "api"}, ("default",)),
    ({"alertname": "SomethingOdd", "service": "api"}, ("default",)),
    ({"alertname": "InfoInhibitor", "severity": "none"}, ("default",)),
]


def test_table_covers_every_route() -> None:
    reached = {receiver for _, expected in TABLE for receiver in expected}
    assert {route.receiver for route in ROUTES} | {"default"} <= reached


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_labels_reach_the_expected_receivers(name: str, tmp_path: Path) -> None:
    path = write_config(VARIANTS[name], tmp_path)
    failures = []
    for labels, expected in TABLE:
        args = [f"{key}={value}" for key, value in labels.items()]
        result = run_tool(
            "amtool", "config", "routes", "test", f"--config.file={path}",
            f"--verify.receivers={','.join(expected)}", *args,
        )
        if result.returncode != 0:
            said = f"{result.stdout.strip()} {result.stderr.strip()}"
            failures.append(f"{labels}: expected {expected}, amtool said {said}")
    assert not failures, "\n".join(failures)


def test_amtool_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    """The check above is meaningful: amtool exits non-zero when the receivers differ."""
    path = write_config(VARIANTS["prod"], tmp_path)
    result = run_tool("amtool", "config", "routes", "test", f"--config.file={path}",
                      "--verify.receivers=slack-critical", "severity=critical", "service=database")
    assert result.returncode != 0
