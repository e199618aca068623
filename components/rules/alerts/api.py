"""The Internet-ID API: up, replicas, errors, queues, IPFS and blockchain, latency, memory and CPU, health.

Metric names, labels and bucket bounds are those the API (prom-client) really exposes, with the labels the scrape
config attaches (``job``, ``instance``, ``service``, ``environment``).  The API's own ``service`` label on
``health_check_status`` collides with the scrape label and is stored as ``exported_service``; it is never reset,
so a series written once (``status="unhealthy"`` at 0) exists until the API restarts and says nothing about now.
The current health is judged from the response body by blackbox probes instead (``module`` label, see
``components/blackbox/modules.py``).

The families the alerts read are listed below by what their absence means (``ApiMetricsMissing``,
``ApiProcessMetricsMissing``); a test keeps every family an API rule reads in one of the three tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.rules.model import Alert, Flapping, Severity, Tier, area


@dataclass(frozen=True)
class ApiFamily:
    """A metric family of the API and the alerts that read it."""

    metric: str
    read_by: tuple[str, ...]
    slo_kind: str | None = None
    """The SLOs of this kind read it too (their ``ErrorBudgetBurn``); a latency SLO also needs its bucket bound."""


REQUIRED_API_SERIES: tuple[ApiFamily, ...] = (
    ApiFamily("http_requests_total", ("HighErrorRate", "CriticalErrorRate"), slo_kind="availability"),
    ApiFamily("http_request_duration_seconds_bucket", ("HighResponseTime",), slo_kind="latency"),
)
"""Recorded by the API's metrics middleware for every request, ``/api/health`` included: present once the API has
answered a request.  ``ApiMetricsMissing`` watches them per job (``_count`` and ``_sum`` come with ``_bucket``)."""

REQUIRED_REPLICA_SERIES: tuple[ApiFamily, ...] = (
    ApiFamily("process_cpu_seconds_total", ("HighCPUUsage",)),
    ApiFamily("process_start_time_seconds", ("ServiceFlapping (restart count)",)),
)
"""prom-client's default metrics: present from a replica's first scrape.  ``ApiProcessMetricsMissing`` watches
them per replica."""

DECLARED_NOT_RECORDED: tuple[ApiFamily, ...] = (
    ApiFamily("queue_depth", ("HighQueueDepth", "CriticalQueueDepth")),
    ApiFamily("ipfs_uploads_total", ("HighIpfsFailureRate", "CriticalIpfsFailureRate")),
    ApiFamily("blockchain_transactions_total", ("BlockchainTransactionFailures",)),
    ApiFamily("cache_hits_total", ("LowCacheHitRate",)),
    ApiFamily("cache_misses_total", ("LowCacheHitRate",)),
    ApiFamily("db_query_duration_seconds_bucket", ("HighDatabaseLatency",)),
)
"""Declared by the API (``# HELP``/``# TYPE``) but never recorded: no series is today's normal, so nothing watches
their presence.  A gauge the API starts to set (``queue_depth``) moves to ``REQUIRED_REPLICA_SERIES``; an event
counter only once the API initialises its label values at start-up (``counter.inc({...}, 0)``), else it is absent
after every quiet restart."""

API_ANSWERS_REQUESTS = (
    "count by ([[by_api]]) (up{[[api]]} == 1)\nand on (environment)\n"
    "count by (environment) (max_over_time(probe_http_status_code{[[health]]}[[[rate]]]) > 0)"
)
"""API replicas answer scrapes, and the API answered its ``/api/health`` probe within the rate window (a request
its middleware records): then its request series must exist."""


def missing_family(metric: str, selector: str, read_by: str, *, guard: str, on: str) -> str:
    """``guard`` labelled with ``metric`` and ``read_by`` (label ``alerts``), unless ``selector`` has series."""
    return (f'label_replace(label_replace({guard}, "metric", "{metric}", "", ""), "alerts", "{read_by}", "", "")\n'
            f"unless on ({on}) count by ({on}) ({selector})")


API_PROCESS_MISSING = "\nor\n".join(
    missing_family(family.metric, f"{family.metric}{{[[api]]}}", ", ".join(family.read_by),
                   guard="up{[[api]]} == 1", on="job, instance")
    for family in REQUIRED_REPLICA_SERIES
)


def _error_ratio(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="api",
        expr="[[api_5xx_ratio]] > [[threshold]]\nand\n[[api_requests]] >= [[min_request_rate]]",
        for_=for_,
        summary="API 5xx error rate above [[threshold_pct]]",
        description=(
            "{{ $value | humanizePercentage }} of API requests in {{ $labels.environment }} answered 5xx "
            "over the last [[rate]] (threshold [[threshold_pct]], /health excluded, silent below "
            "[[min_request_rate]] requests/s)."
        ),
        threshold=threshold,
        threshold_kind="ratio",
        direction="above",
        identity=("job",),
    )


def _queue(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="api",
        expr="max by ([[by_api]], queue_name) (queue_depth{[[api]]}) > [[threshold]]",
        for_=for_,
        summary="Queue {{ $labels.queue_name }} holds more than [[threshold]] jobs",
        description=(
            "Queue {{ $labels.queue_name }} in {{ $labels.environment }} holds {{ $value }} jobs "
            "(threshold [[threshold]]) for at least [[for]]."
        ),
        threshold=threshold,
        threshold_kind="positive",
        direction="above",
        identity=("job", "queue_name"),
    )


def _ipfs(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="ipfs",
        expr=(
            'sum by ([[by_api]], provider) (rate(ipfs_uploads_total{[[api]], status="failure"}[[[rate]]]))\n'
            "/\nsum by ([[by_api]], provider) (rate(ipfs_uploads_total{[[api]]}[[[rate]]]))\n> [[threshold]]\n"
            "and\nsum by ([[by_api]], provider) (increase(ipfs_uploads_total{[[api]]}[[[rate]]])) >= [[min_operations]]"
        ),
        for_=for_,
        summary="IPFS uploads to {{ $labels.provider }} failing",
        description=(
            "{{ $value | humanizePercentage }} of IPFS uploads to {{ $labels.provider }} in "
            "{{ $labels.environment }} failed over the last [[rate]] (threshold [[threshold_pct]], "
            "silent below [[min_operations]] uploads)."
        ),
        threshold=threshold,
        threshold_kind="ratio",
        direction="above",
        identity=("job", "provider"),
    )


def _api_memory(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="api",
        expr=(
            "max by (job, instance, environment, name) "
            '(container_memory_working_set_bytes{[[cadvisor]], name=~"[[api_containers]]"})\n'
            "/ on (job, instance, environment, name)\nmax by (job, instance, environment, name) "
            '(container_spec_memory_limit_bytes{[[cadvisor]], name=~"[[api_containers]]"} > 0)\n> [[threshold]]'
        ),
        for_=for_,
        summary="API container {{ $labels.name }} uses more than [[threshold_pct]] of its memory limit",
        description=(
            "API container {{ $labels.name }} in {{ $labels.environment }} uses {{ $value | humanizePercentage }} "
            "of its memory limit (threshold [[threshold_pct]]); at 100% the kernel OOM-kills it."
        ),
        threshold=threshold,
        threshold_kind="ratio",
        direction="above",
        identity=("job", "instance", "name"),
    )


AREA = area(
    "api",
    Alert(
        name="ServiceDown",
        severity="critical",
        service="api",
        expr="up{[[api]]} == 0\nor\nabsent(up{[[api]]})",
        for_="2m",
        summary="Internet-ID API down",
        description=(
            "{{ with $labels.instance }}Every scrape of the API at {{ . }} ({{ $labels.environment }}) "
            "has failed for [[for]] (up == 0): the process is down or unreachable from Prometheus."
            "{{ else }}No API target has existed for [[for]]: DNS resolves no API replica, so nothing "
            "is scraped.{{ end }}"
        ),
        identity=("job", "instance"),
        flapping=Flapping(
            state="up{[[api]]}", restarts="process_start_time_seconds{[[api]]}",
            subject="The API at {{ $labels.instance }}",
        ),
    ),
    Alert(
        name="ApiMetricsMissing",
        severity="critical",
        service="api",
        expr="[[api_series_missing]]",
        for_="10m",
        summary="API metric {{ $labels.metric }} missing",
        description=(
            "{{ $labels.metric }} has had no series in {{ $labels.environment }} for [[for]], while {{ $value }} "
            "API replica(s) answer scrapes and the API answers its /api/health probe (a request it records): "
            "{{ $labels.alerts }} cannot fire. A deploy renamed or dropped the metric."
        ),
        identity=("job", "metric"),
    ),
    Alert(
        name="ApiProcessMetricsMissing",
        severity="warning",
        service="api",
        expr=API_PROCESS_MISSING,
        for_="10m",
        summary="API replica {{ $labels.instance }} exposes no {{ $labels.metric }}",
        description=(
            "The API at {{ $labels.instance }} ({{ $labels.environment }}) answers scrapes but has exposed no "
            "{{ $labels.metric }} for [[for]]: {{ $labels.alerts }} cannot see this replica."
        ),
        identity=("job", "instance", "metric"),
    ),
    Alert(
        name="ApiReplicasMissing",
        severity="warning",
        service="api",
        expr="count by ([[by_api]]) (up{[[api]]} == 1) < [[api_replicas]]",
        for_="5m",
        summary="Only {{ $value }} of [[api_replicas]] API replicas answer",
        description=(
            "Only {{ $value }} API replica(s) in {{ $labels.environment }} have answered scrapes for [[for]], "
            "[[api_replicas]] are expected (targets.api.expectedReplicas): a replica is gone from DNS or "
            "down, and the rest carry its traffic."
        ),
    ),
    Tier(_error_ratio("warning", "HighErrorRate", 0.05, "5m"),
         _error_ratio("critical", "CriticalErrorRate", 0.10, "2m")),
    Tier(_queue("warning", "HighQueueDepth", 100, "5m"), _queue("critical", "CriticalQueueDepth", 500, "2m")),
    Tier(_ipfs("warning", "HighIpfsFailureRate", 0.20, "5m"), _ipfs("critical", "CriticalIpfsFailureRate", 0.50, "2m")),
    Alert(
        name="BlockchainTransactionFailures",
        severity="warning",
        service="blockchain",
        expr=(
            'sum by ([[by_api]], chain_id) (rate(blockchain_transactions_total{[[api]], status="failure"}[[[rate]]]))\n'
            "/\nsum by ([[by_api]], chain_id) (rate(blockchain_transactions_total{[[api]]}[[[rate]]]))\n"
            "> [[threshold]]\nand\n"
            "sum by ([[by_api]], chain_id) (increase(blockchain_transactions_total{[[api]]}[[[rate]]])) "
            ">= [[min_operations]]"
        ),
        for_="5m",
        summary="Blockchain transactions on chain {{ $labels.chain_id }} failing",
        description=(
            "{{ $value | humanizePercentage }} of blockchain transactions on chain {{ $labels.chain_id }} in "
            "{{ $labels.environment }} failed over the last [[rate]] (threshold [[threshold_pct]], "
            "silent below [[min_operations]] transactions)."
        ),
        threshold=0.10,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="BlockchainRPCDown",
        severity="critical",
        service="blockchain",
        expr='probe_failed_due_to_regex{[[probes]], module="[[blockchain_module]]"} == 1',
        for_="2m",
        summary="Blockchain RPC unreachable from the API",
        description=(
            "For [[for]], every answer of {{ $labels.instance }} ({{ $labels.environment }}) has reported "
            '"blockchain":{"status":"unhealthy"}: the API cannot reach its RPC, so contract reads and writes '
            "fail. Check RPC_URL and the RPC provider."
        ),
    ),
    Alert(
        name="HighResponseTime",
        severity="warning",
        service="api",
        expr="histogram_quantile(0.95, [[api_latency_buckets]])\n> [[threshold]]",
        for_="5m",
        summary="API p95 response time above [[threshold]]s",
        description=(
            "The 95th percentile of API response times in {{ $labels.environment }} is "
            "{{ $value | humanizeDuration }} over the last [[rate]] (threshold [[threshold]]s, /health excluded)."
        ),
        threshold=5,
        threshold_kind="seconds",
        direction="above",
        below=10,
        why_below="10s is the top finite bucket of http_request_duration_seconds, so p95 never exceeds it",
    ),
    Tier(_api_memory("warning", "HighMemoryUsage", 0.85, "5m"),
         _api_memory("critical", "CriticalMemoryUsage", 0.95, "2m")),
    Alert(
        name="HighCPUUsage",
        severity="warning",
        service="api",
        expr="rate(process_cpu_seconds_total{[[api]]}[[[rate]]]) > [[threshold]]",
        for_="5m",
        summary="API process {{ $labels.instance }} busy on its CPU core",
        description=(
            "The API process at {{ $labels.instance }} ({{ $labels.environment }}) uses "
            "{{ $value | humanizePercentage }} of one CPU core over the last [[rate]] (threshold "
            "[[threshold_pct]]); Node.js runs JavaScript on a single core."
        ),
        threshold=0.8,
        threshold_kind="positive",
        direction="above",
    ),
    Alert(
        name="ServiceHealthDegraded",
        severity="warning",
        service="api",
        expr="[[health_verdict]]",
        for_="5m",
        summary="API health degraded",
        description=(
            "{{ $labels.instance }} ({{ $labels.environment }}) has answered HTTP {{ $value }} instead of 200 "
            "for [[for]]: 503 means the API reports itself degraded (its database or blockchain RPC check "
            "fails) or its health handler failed."
        ),
    ),
)
