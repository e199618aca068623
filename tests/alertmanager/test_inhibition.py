"""Inhibition proven on a real Alertmanager: alerts are posted to /api/v2/alerts and their
``status.inhibitedBy`` read back.  Each scenario uses its own ``cluster`` so they cannot interfere
(every rule has ``cluster`` in ``equal``).  Part of the default run: it needs only the Alertmanager
binary that ``amtool`` comes with, and takes seconds.
"""

from __future__ import annotations

import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.alertmanager.running import request as _request


def _alert(cluster: str, alertname: str, severity: str, service: str, **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "severity": severity, "service": service, "cluster": cluster,
                   "environment": "production", **labels},
        "annotations": {"summary": f"{alertname} on {service}"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


IDENTITY = ("instance", "name", "provider", "queue_name", "mountpoint", "slo", "long", "metric", "relname")


def _key(labels: dict[str, str]) -> str:
    return "/".join([labels["alertname"], labels["service"], *(labels[k] for k in IDENTITY if k in labels)])


def _inhibited(url: str, cluster: str, expected: dict[str, bool]) -> dict[str, bool]:
    """``{alertname/service/identity: inhibited?}`` for ``cluster``, polled until it equals ``expected``
    or 10 s pass."""
    deadline = time.monotonic() + 10
    while True:
        alerts = _request(f"{url}/api/v2/alerts?filter=" + urllib.parse.quote(f'cluster="{cluster}"'))
        seen = {_key(a["labels"]): bool(a["status"]["inhibitedBy"]) for a in alerts}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def _post_and_check(url: str, cluster: str, alerts: list[tuple[dict[str, Any], bool]]) -> None:
    _request(f"{url}/api/v2/alerts", [alert for alert, _ in alerts])
    expected = {_key(alert["labels"]): muted for alert, muted in alerts}
    assert _inhibited(url, cluster, expected) == expected


def test_critical_tier_mutes_its_own_warning_tier_only(alertmanager: str) -> None:
    cluster = "inhibit-tier"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "CriticalErrorRate", "critical", "api", job="internet-id-api"), False),
        (_alert(cluster, "HighErrorRate", "warning", "api", job="internet-id-api"), True),
        # same service, another alert: a critical is no blanket over its service any more
        (_alert(cluster, "HighResponseTime", "warning", "api", job="internet-id-api"), False),
        (_alert(cluster, "ApiReplicasMissing", "warning", "api", job="internet-id-api"), False),
    ])


def test_memory_tiers_judge_one_container(alertmanager: str) -> None:
    cluster = "inhibit-memory"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "CriticalMemoryUsage", "critical", "api", job="cadvisor", instance="cadvisor:8080",
                name="api-1"), False),
        (_alert(cluster, "HighMemoryUsage", "warning", "api", job="cadvisor", instance="cadvisor:8080",
                name="api-1"), True),
        (_alert(cluster, "HighMemoryUsage", "warning", "api", job="cadvisor", instance="cadvisor:8080",
                name="api-2"), False),
        (_alert(cluster, "HighCPUUsage", "warning", "api", job="internet-id-api", instance="10.0.1.5:3001"), False),
    ])


def test_ipfs_tiers_judge_one_provider(alertmanager: str) -> None:
    cluster = "inhibit-ipfs"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "CriticalIpfsFailureRate", "critical", "ipfs", job="internet-id-api", provider="a"), False),
        (_alert(cluster, "HighIpfsFailureRate", "warning", "ipfs", job="internet-id-api", provider="a"), True),
        (_alert(cluster, "HighIpfsFailureRate", "warning", "ipfs", job="internet-id-api", provider="b"), False),
    ])


def test_filesystem_tiers_judge_one_mountpoint(alertmanager: str) -> None:
    cluster = "inhibit-filesystem"
    node = {"job": "node-exporter", "instance": "node-exporter:9100"}
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "HostFilesystemAlmostFull", "critical", "system", mountpoint="/var/lib/docker", **node),
         False),
        (_alert(cluster, "HostFilesystemFillingUp", "warning", "system", mountpoint="/var/lib/docker", **node), True),
        (_alert(cluster, "HostFilesystemFillingUp", "warning", "system", mountpoint="/", **node), False),
        (_alert(cluster, "HostMemoryLow", "warning", "system", **node), False),
    ])


def test_tiers_judge_one_instance_and_one_environment(alertmanager: str) -> None:
    cluster = "inhibit-instance"
    pool = {"job": "postgres", "instance": "pg-a:9187"}
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "DatabaseConnectionPoolCritical", "critical", "database", **pool), False),
        (_alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database", **pool), True),
        (_alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database", job="postgres",
                instance="pg-b:9187"), False),
    ])
    other = "inhibit-environment"  # the same pool label set in another environment is another thing
    staging = _alert(other, "DatabaseConnectionPoolExhaustion", "warning", "database", **pool)
    staging["labels"]["environment"] = "staging"
    _post_and_check(alertmanager, other, [
        (_alert(other, "DatabaseConnectionPoolCritical", "critical", "database", **pool), False),
        (staging, False),
    ])


def test_service_down_mutes_the_rest_of_its_service_not_itself(alertmanager: str) -> None:
    cluster = "inhibit-servicedown"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "ServiceDown", "critical", "api", instance="api-1:3001"), False),
        (_alert(cluster, "ServiceDown", "critical", "api", instance="api-2:3001"), False),
        (_alert(cluster, "CriticalErrorRate", "critical", "api"), True),
        (_alert(cluster, "HighErrorRate", "warning", "api"), True),
        (_alert(cluster, "ApiReplicasMissing", "warning", "api", job="internet-id-api"), True),
        (_alert(cluster, "ProbeFailed", "warning", "api", instance="http://api:3001/api/health"), True),
        (_alert(cluster, "ErrorBudgetBurn", "critical", "api", slo="api-availability", long="1h", short="5m"), True),
        (_alert(cluster, "RedisDown", "warning", "cache", instance="redis-exporter:9121"), False),
    ])


def test_an_outage_mutes_the_flapping_alert_of_the_same_target_only(alertmanager: str) -> None:
    """A target that flapped and then stayed down pages once: by its outage alert."""
    cluster = "inhibit-flapping"
    api = {"job": "internet-id-api"}
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "DatabaseDown", "critical", "database", job="postgres", instance="pg-a:9187"), False),
        (_alert(cluster, "DatabaseFlapping", "critical", "database", job="postgres", instance="pg-a:9187"), True),
        (_alert(cluster, "DatabaseFlapping", "critical", "database", job="postgres", instance="pg-b:9187"), False),
        (_alert(cluster, "TargetDown", "warning", "system", job="node-exporter", instance="node-exporter:9100"), False),
        (_alert(cluster, "TargetFlapping", "warning", "system", job="node-exporter", instance="node-exporter:9100"),
         True),
        (_alert(cluster, "TargetFlapping", "warning", "alertmanager", job="alertmanager",
                instance="alertmanager:9093"), False),
        (_alert(cluster, "ProbeFailed", "warning", "web", job="blackbox", instance="https://internet-id.example.com/",
                module="https_2xx"), False),
        (_alert(cluster, "ProbeFlapping", "warning", "web", job="blackbox", instance="https://internet-id.example.com/",
                module="https_2xx"), True),
        (_alert(cluster, "ServiceFlapping", "critical", "api", instance="10.0.1.5:3001", **api), False),
        # the flapping API explains its flapping /api/health probe, not the web app's
        (_alert(cluster, "ProbeFlapping", "warning", "api", job="blackbox", instance="http://api:3001/api/health",
                module="http_2xx"), True),
        (_alert(cluster, "WebServiceFlapping", "critical", "web", job="internet-id-web", instance="http://web:3000/"),
         False),
        (_alert(cluster, "RedisFlapping", "warning", "cache", job="redis", instance="redis-exporter:9121"), False),
    ])
    other = "inhibit-flapping-api"  # ServiceDown of a replica mutes the flapping of that replica
    _post_and_check(alertmanager, other, [
        (_alert(other, "ServiceDown", "critical", "api", instance="10.0.1.5:3001", **api), False),
        (_alert(other, "ServiceFlapping", "critical", "api", instance="10.0.1.5:3001", **api), True),
        (_alert(other, "RedisDown", "warning", "cache", job="redis", instance="redis-exporter:9121"), False),
        (_alert(other, "RedisFlapping", "warning", "cache", job="redis", instance="redis-exporter:9121"), True),
    ])


def _burn(cluster: str, severity: str, slo: str, long: str, short: str) -> dict[str, Any]:
    return _alert(cluster, "ErrorBudgetBurn", severity, "api", slo=slo, long=long, short=short)


def test_an_slo_page_mutes_the_tickets_of_its_own_slo_only(alertmanager: str) -> None:
    cluster = "inhibit-slo"
    _post_and_check(alertmanager, cluster, [
        (_burn(cluster, "critical", "api-availability", "1h", "5m"), False),
        (_burn(cluster, "critical", "api-availability", "6h", "30m"), False),
        (_burn(cluster, "warning", "api-availability", "1d", "2h"), True),
        (_burn(cluster, "warning", "api-availability", "3d", "6h"), True),
        # another SLO's ticket is another problem
        (_burn(cluster, "warning", "api-latency", "3d", "6h"), False),
    ])


def test_slo_alerts_and_threshold_alerts_of_one_symptom_leave_each_other_alone(alertmanager: str) -> None:
    """CriticalErrorRate judges the last minutes, ErrorBudgetBurn the month: each keeps its own tier rule only."""
    cluster = "inhibit-slo-thresholds"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "CriticalErrorRate", "critical", "api", job="internet-id-api"), False),
        (_alert(cluster, "HighErrorRate", "warning", "api", job="internet-id-api"), True),
        (_burn(cluster, "critical", "api-latency", "1h", "5m"), False),
        (_burn(cluster, "warning", "api-availability", "1d", "2h"), False),
        (_alert(cluster, "HighResponseTime", "warning", "api", job="internet-id-api"), False),
    ])


def test_database_down_mutes_the_connection_pool_alerts(alertmanager: str) -> None:
    cluster = "inhibit-database"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "DatabaseDown", "critical", "database"), False),
        (_alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database"), True),
        (_alert(cluster, "DatabaseConnectionPoolCritical", "critical", "database"), True),
        (_alert(cluster, "HighDatabaseLatency", "warning", "database"), False),
        (_alert(cluster, "HighErrorRate", "warning", "api"), False),
    ])


def test_blockchain_rpc_down_mutes_the_degraded_health_of_its_url(alertmanager: str) -> None:
    cluster = "inhibit-blockchain"
    url = "http://api:3001/api/health"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "BlockchainRPCDown", "critical", "blockchain", job="blackbox", instance=url,
                module="api_health_blockchain"), False),
        (_alert(cluster, "ServiceHealthDegraded", "warning", "api", job="blackbox", instance=url,
                module="http_2xx"), True),
        (_alert(cluster, "ServiceHealthDegraded", "warning", "api", job="blackbox",
                instance="https://internet-id.example.com/api/health", module="https_2xx"), False),
        (_alert(cluster, "ProbeFailed", "warning", "web", job="blackbox", instance="https://internet-id.example.com/",
                module="https_2xx"), False),
    ])


def test_a_disk_filling_fast_pages_once_per_mountpoint(alertmanager: str) -> None:
    cluster = "inhibit-filling-fast"
    node = {"job": "node-exporter", "instance": "node-exporter:9100"}
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "HostFilesystemFillingUpFast", "critical", "system", mountpoint="/", **node), False),
        (_alert(cluster, "HostFilesystemFillingUp", "warning", "system", mountpoint="/", **node), True),
        (_alert(cluster, "HostFilesystemAlmostFull", "critical", "system", mountpoint="/", **node), True),
        (_alert(cluster, "HostFilesystemAlmostFull", "critical", "system", mountpoint="/data", **node), False),
        (_alert(cluster, "HostInodesAlmostExhausted", "critical", "system", mountpoint="/var", **node), False),
        (_alert(cluster, "HostInodesFillingUp", "warning", "system", mountpoint="/var", **node), True),
        (_alert(cluster, "HostInodesFillingUp", "warning", "system", mountpoint="/", **node), False),
    ])


def test_a_looping_container_mutes_its_services_flapping_and_an_outage_mutes_the_loop(alertmanager: str) -> None:
    cluster = "inhibit-loop"
    cadvisor = {"job": "cadvisor", "instance": "cadvisor:8080"}
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "ContainerRestarting", "critical", "database", name="internet-id-db-1", **cadvisor), False),
        (_alert(cluster, "DatabaseFlapping", "critical", "database", job="postgres", instance="pg-a:9187"), True),
        (_alert(cluster, "RedisFlapping", "warning", "cache", job="redis", instance="redis-exporter:9121"), False),
        (_alert(cluster, "ProbeFlapping", "warning", "api", job="blackbox", instance="http://api:3001/api/health",
                module="http_2xx"), False),
        (_alert(cluster, "TargetFlapping", "warning", "database", job="postgres", instance="pg-b:9187"), False),
    ])
    down = "inhibit-loop-down"  # the database mostly down pages as DatabaseDown; the Redis loop still pages
    _post_and_check(alertmanager, down, [
        (_alert(down, "DatabaseDown", "critical", "database", job="postgres", instance="pg-a:9187"), False),
        (_alert(down, "ContainerRestarting", "critical", "database", name="internet-id-db-1", **cadvisor), True),
        (_alert(down, "ContainerRestarting", "critical", "cache", name="internet-id-redis-1", **cadvisor), False),
        (_alert(down, "RedisDown", "warning", "cache", job="redis", instance="redis-exporter:9121"), False),
        (_alert(down, "RedisFlapping", "warning", "cache", job="redis", instance="redis-exporter:9122"), True),
    ])
    api = "inhibit-loop-api"  # ServiceDown mutes every other API alert, the blind ones and the loop included
    _post_and_check(alertmanager, api, [
        (_alert(api, "ServiceDown", "critical", "api", job="internet-id-api", instance="10.0.1.5:3001"), False),
        (_alert(api, "ContainerRestarting", "critical", "api", name="internet-id-api-1", **cadvisor), True),
        (_alert(api, "ApiMetricsMissing", "critical", "api", job="internet-id-api", metric="http_requests_total"),
         True),
        (_alert(api, "ApiProcessMetricsMissing", "warning", "api", job="internet-id-api", instance="10.0.1.6:3001",
                metric="process_cpu_seconds_total"), True),
    ])


def test_a_later_stage_mutes_the_earlier_one_of_the_same_thing(alertmanager: str) -> None:
    cluster = "inhibit-stages"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "RedisRejectedConnections", "warning", "cache", job="redis", instance="redis-a:9121"), False),
        (_alert(cluster, "RedisClientsNearMaxclients", "warning", "cache", job="redis", instance="redis-a:9121"),
         True),
        (_alert(cluster, "RedisClientsNearMaxclients", "warning", "cache", job="redis", instance="redis-b:9121"),
         False),
        (_alert(cluster, "PostgresIdleInTransaction", "warning", "database", job="postgres", instance="pg-a:9187"),
         False),
        (_alert(cluster, "PostgresVacuumFallingBehind", "warning", "database", job="postgres", instance="pg-a:9187",
                relname="content"), True),
        (_alert(cluster, "PostgresVacuumFallingBehind", "warning", "database", job="postgres", instance="pg-b:9187",
                relname="content"), False),
        (_alert(cluster, "ApiDiscoveryFailing", "warning", "prometheus", job="prometheus", instance="localhost:9090"),
         False),
        (_alert(cluster, "ApiReplicasMissing", "warning", "api", job="internet-id-api"), True),
    ])
    other = "inhibit-stages-long"  # a long active transaction holds vacuum back as well
    _post_and_check(alertmanager, other, [
        (_alert(other, "PostgresLongRunningTransaction", "warning", "database", job="postgres", instance="pg-a:9187"),
         False),
        (_alert(other, "PostgresVacuumFallingBehind", "warning", "database", job="postgres", instance="pg-a:9187",
                relname="content"), True),
        (_alert(other, "ServiceDown", "critical", "api", job="internet-id-api", instance="10.0.1.5:3001"), False),
    ])


def test_without_a_source_nothing_is_muted(alertmanager: str) -> None:
    cluster = "inhibit-none"
    _post_and_check(alertmanager, cluster, [
        (_alert(cluster, "HighErrorRate", "warning", "api"), False),
        (_alert(cluster, "HighMemoryUsage", "warning", "api", name="api-1"), False),
        (_alert(cluster, "ServiceHealthDegraded", "warning", "api", instance="http://api:3001/api/health"), False),
        (_alert(cluster, "DatabaseConnectionPoolExhaustion", "warning", "database", instance="pg-a:9187"), False),
    ])
