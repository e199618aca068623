"""The alert catalogue as data: every alert of the stack, grouped by area, with its defaults.

Expressions and annotations are templates: ``[[rate]]`` (the rate window), ``[[flap_window]]`` (the
window of the flapping alerts), ``[[threshold]]``,
``[[threshold_pct]]`` (the threshold as a percentage), ``[[for]]`` (the effective ``for``),
``[[api_containers]]`` (regex of the API containers' names), ``[[min_request_rate]]`` and
``[[min_operations]]`` (traffic floors of the ratios) are filled in from ``RuleSettings``, and
``[[api_replicas]]`` from ``targets.api.expectedReplicas``, by ``render.py``; ``{{ … }}`` is
Prometheus' own alert templating, evaluated when the alert fires.

Metric names, labels and bucket bounds are those the Internet-ID API (prom-client), cAdvisor,
node_exporter, postgres_exporter, redis_exporter, the blackbox exporter, Prometheus and
Alertmanager really expose, with the labels the scrape config attaches (``job``, ``instance``,
``service``, ``environment``).  The API's own ``service`` label on ``health_check_status``
collides with the scrape label and is stored as ``exported_service``; it is never reset, so a
series written once (``status="unhealthy"`` at 0) exists until the API restarts and says nothing
about now.  The current health is judged from the response body by blackbox probes instead
(``module`` label, see ``components/blackbox/config.py``).

``identity`` names the labels that tell one alerting thing from another (a container, a
provider, a mountpoint …) beyond ``cluster`` and ``environment``: Alertmanager's inhibitions of
a warning tier by its critical tier (``PAIRS``) are derived from it.

An outage alert (``ServiceDown``, ``DatabaseDown`` …) restarts its ``for`` at every successful scrape,
so a target that is down half the time never fires it.  Each outage alert that names its 0/1 series
(``Flapping``) therefore gets a flapping alert derived from it (``ServiceFlapping``, ``DatabaseFlapping``
…, see ``flapping_alert``), and Alertmanager mutes that one while the outage alert of the same thing
fires (``FLAPPING``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.blackbox.modules import API_HEALTH_BLOCKCHAIN
from components.prometheus import jobs
from components.rules.recording import (
    API_5XX_RATIO,
    API_LATENCY_BUCKETS,
    API_REQUESTS,
    CACHE_HIT_RATIO,
    DB_CONNECTIONS_RATIO,
)
from components.rules.selectors import (
    API,
    BY_API,
    BY_PG,
    FS,
    HEALTH_VERDICT,
    SEL_ALERTMANAGER,
    SEL_CADVISOR,
    SEL_NODE,
    SEL_POSTGRES,
    SEL_PROBES,
    SEL_PROMETHEUS,
    SEL_REDIS,
    SEL_WEB,
)

Severity = Literal["critical", "warning", "info", "none"]
ThresholdKind = Literal["ratio", "positive", "nonnegative", "seconds", "days", "changes"]
Direction = Literal["above", "below"]

AREAS: tuple[str, ...] = ("api", "database", "cache", "host", "containers", "probes", "meta")
"""Rule files in this order: ``<area>.yml``, one group ``internet-id-<area>`` each."""


@dataclass(frozen=True)
class Flapping:
    """How an outage alert's target shows that it flaps: the 0/1 series the outage alert judges.

    The flapping alert counts that series' state changes over ``rules.flapWindow``: a down and
    back up is two, so one blip or one deploy stays at two.  ``restarts`` is the start time of the
    target's process, where it has one: a process that crashes and is restarted between two scrapes
    never shows ``up == 0``, but its start time changes (each restart counts as two state changes).
    """

    state: str
    """The 0/1 series, e.g. ``up{job="internet-id-api"}`` (its labels are the alert's)."""
    subject: str
    """Who flaps, for the description (Prometheus templating allowed)."""
    restarts: str = ""
    """The process' start time in seconds (``process_start_time_seconds{…}``), with the labels of ``state``."""


@dataclass(frozen=True)
class Alert:
    """One alerting rule with its defaults; thresholds and ``for`` are overridable per stack."""

    name: str
    area: str
    severity: Severity
    service: str
    """Value of the ``service`` label (a template such as ``{{ $labels.service }}`` where it varies)."""
    expr: str
    for_: str
    summary: str
    description: str
    threshold: float | None = None
    threshold_kind: ThresholdKind | None = None
    direction: Direction | None = None
    """Whether the alert fires above or below its threshold (``> [[threshold]]`` / ``< [[threshold]]``)."""
    below: float | None = None
    """The threshold must stay below this value (e.g. a histogram's top finite bucket)."""
    why_below: str = ""
    identity: tuple[str, ...] = ()
    """Labels that identify the alerting thing (besides ``cluster`` and ``environment``)."""
    flapping: Flapping | None = None
    """An outage alert's series, from which its flapping alert is derived (``flapping_alert``)."""

    @property
    def lower_is_worse(self) -> bool:
        """The alert fires below its threshold (free space, days left), so a lower threshold is more severe."""
        return self.direction == "below"

    @property
    def anchor(self) -> str:
        """GitHub's anchor of the heading ``## <name>`` in docs/runbook.md."""
        return self.name.lower()


def _error_ratio(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        area="api",
        severity=severity,
        service="api",
        expr=f"{API_5XX_RATIO} > [[threshold]]\nand\n{API_REQUESTS} >= [[min_request_rate]]",
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
        area="api",
        severity=severity,
        service="api",
        expr=f"max by ({BY_API}, queue_name) (queue_depth{{{API}}}) > [[threshold]]",
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
    by = f"{BY_API}, provider"
    return Alert(
        name=name,
        area="api",
        severity=severity,
        service="ipfs",
        expr=(
            f'sum by ({by}) (rate(ipfs_uploads_total{{{API}, status="failure"}}[[[rate]]]))\n'
            f"/\nsum by ({by}) (rate(ipfs_uploads_total{{{API}}}[[[rate]]]))\n> [[threshold]]\n"
            f"and\nsum by ({by}) (increase(ipfs_uploads_total{{{API}}}[[[rate]]])) >= [[min_operations]]"
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
    by = "job, instance, environment, name"
    sel = f'{SEL_CADVISOR}, name=~"[[api_containers]]"'
    return Alert(
        name=name,
        area="api",
        severity=severity,
        service="api",
        expr=(
            f"max by ({by}) (container_memory_working_set_bytes{{{sel}}})\n"
            f"/ on ({by})\nmax by ({by}) (container_spec_memory_limit_bytes{{{sel}}} > 0)\n> [[threshold]]"
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


def _pool(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        area="database",
        severity=severity,
        service="database",
        expr=f"{DB_CONNECTIONS_RATIO} > [[threshold]]",
        for_=for_,
        summary="PostgreSQL connections above [[threshold_pct]] of max_connections",
        description=(
            "PostgreSQL behind {{ $labels.instance }} in {{ $labels.environment }} has "
            "{{ $value | humanizePercentage }} of max_connections in use, idle connections included "
            "(threshold [[threshold_pct]])."
        ),
        threshold=threshold,
        threshold_kind="ratio",
        direction="above",
        identity=("job", "instance"),
    )


def _tls(severity: Severity, name: str, days: float) -> Alert:
    return Alert(
        name=name,
        area="probes",
        severity=severity,
        service="{{ $labels.service }}",
        expr=(
            f'(probe_ssl_earliest_cert_expiry{{job=~"{jobs.PROBES}|{jobs.WEB}"}} - time()) / 86400\n< [[threshold]]'
        ),
        for_="0m",
        summary="TLS certificate of {{ $labels.instance }} expires in less than [[threshold]] days",
        description=(
            "The TLS certificate served at {{ $labels.instance }} expires in "
            '{{ printf "%.1f" $value }} days (threshold [[threshold]] days).'
        ),
        threshold=days,
        threshold_kind="days",
        direction="below",
        identity=("job", "instance"),
    )


def _container_memory(metric: str, guard: str = "") -> str:
    """``metric`` of every container but the API's (their own alerts), one series per container."""
    selector = f'{SEL_CADVISOR}, name!="", name!~"[[api_containers]]"'
    return f"max by (job, instance, environment, name) ({metric}{{{selector}}}{guard})"


API_UP = f"up{{{API}}}"
PG_UP = f"pg_up{{{SEL_POSTGRES}}}"
REDIS_UP = f"redis_up{{{SEL_REDIS}}}"
WEB_UP = f"probe_success{{{SEL_WEB}}}"
PROBES_UP = f'probe_success{{{SEL_PROBES}, module!="{API_HEALTH_BLOCKCHAIN}"}}'
EXPORTERS = 'job=~"[[target_down_jobs]]"'
EXPORTERS_UP = f"up{{{EXPORTERS}}}"

FLAP_CHANGES = 4
"""Default threshold of every flapping alert: it fires above 4 state changes in ``rules.flapWindow``.

One blip or one deploy (down, back up) is 2 changes and two of them are 4: silent.  A third
interruption within the window fires; a crash loop of 30 s up, 30 s down makes 20 in 10 minutes.
"""


def flapping_name(outage: str) -> str:
    """``ServiceDown`` -> ``ServiceFlapping``, ``ProbeFailed`` -> ``ProbeFlapping``."""
    for ending in ("Down", "Failed"):
        if outage.endswith(ending):
            return outage.removesuffix(ending) + "Flapping"
    raise ValueError(f"{outage}: an outage alert with a flapping alert must be named …Down or …Failed")


def _flapping_summary(outage: Alert) -> str:
    for ending in (" down", " failing"):
        if outage.summary.endswith(ending):
            return outage.summary.removesuffix(ending) + " flapping"
    raise ValueError(f"{outage.name}: its summary must end in ' down' or ' failing' to derive the flapping one")


def flapping_alert(outage: Alert) -> Alert:
    """The flapping alert of an outage alert: its series changed state more than ``[[threshold]]`` times
    over ``[[flap_window]]`` (or its process restarted more than half as often), held for the outage's ``for``.

    Counting changes instead of averaging ``up`` keeps a clean outage out: a long outage is one change
    down and one back up, and after it the window is quiet at once, where ``avg_over_time(up[…])``
    would stay low for a whole window after the target is back (and page once the outage alert resolved).
    Same severity, service, area and identity as the outage alert, so routing and inhibition follow.
    """
    spec = outage.flapping
    if spec is None:
        raise ValueError(f"{outage.name} has no flapping series")
    series = spec.state.split("{", 1)[0]
    expr = f"changes({spec.state}[[[flap_window]]]) > [[threshold]]"
    restarts = ""
    if spec.restarts:
        expr += f"\nor\nchanges({spec.restarts}[[[flap_window]]]) * 2 > [[threshold]]"
        restarts = ", a restart of its process counting as two"
    return Alert(
        name=flapping_name(outage.name),
        area=outage.area,
        severity=outage.severity,
        service=outage.service,
        expr=expr,
        for_=outage.for_,
        summary=_flapping_summary(outage),
        description=(
            spec.subject + " ({{ $labels.environment }}) keeps going down and coming back: {{ $value }} changes "
            f"of {series} over the last [[flap_window]] (threshold [[threshold]]{restarts}), each outage too "
            f"short for {outage.name} to fire."
        ),
        threshold=FLAP_CHANGES,
        threshold_kind="changes",
        direction="above",
        identity=outage.identity,
    )


def _with_flapping(alerts: tuple[Alert, ...]) -> tuple[Alert, ...]:
    """``alerts`` with each outage alert's flapping alert right after it."""
    return tuple(derived for alert in alerts
                 for derived in ((alert, flapping_alert(alert)) if alert.flapping else (alert,)))


_ALERTS: tuple[Alert, ...] = (
    # ------------------------------------------------------------------ api
    Alert(
        name="ServiceDown",
        area="api",
        severity="critical",
        service="api",
        expr=f"{API_UP} == 0\nor\nabsent({API_UP})",
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
            state=API_UP, restarts=f"process_start_time_seconds{{{API}}}",
            subject="The API at {{ $labels.instance }}",
        ),
    ),
    Alert(
        name="ApiReplicasMissing",
        area="api",
        severity="warning",
        service="api",
        expr=f"count by ({BY_API}) (up{{{API}}} == 1) < [[api_replicas]]",
        for_="5m",
        summary="Only {{ $value }} of [[api_replicas]] API replicas answer",
        description=(
            "Only {{ $value }} API replica(s) in {{ $labels.environment }} have answered scrapes for [[for]], "
            "[[api_replicas]] are expected (targets.api.expectedReplicas): a replica is gone from DNS or "
            "down, and the rest carry its traffic."
        ),
    ),
    _error_ratio("warning", "HighErrorRate", 0.05, "5m"),
    _error_ratio("critical", "CriticalErrorRate", 0.10, "2m"),
    _queue("warning", "HighQueueDepth", 100, "5m"),
    _queue("critical", "CriticalQueueDepth", 500, "2m"),
    _ipfs("warning", "HighIpfsFailureRate", 0.20, "5m"),
    _ipfs("critical", "CriticalIpfsFailureRate", 0.50, "2m"),
    Alert(
        name="BlockchainTransactionFailures",
        area="api",
        severity="warning",
        service="blockchain",
        expr=(
            f'sum by ({BY_API}, chain_id) (rate(blockchain_transactions_total{{{API}, status="failure"}}[[[rate]]]))\n'
            f"/\nsum by ({BY_API}, chain_id) (rate(blockchain_transactions_total{{{API}}}[[[rate]]]))\n"
            "> [[threshold]]\nand\n"
            f"sum by ({BY_API}, chain_id) (increase(blockchain_transactions_total{{{API}}}[[[rate]]])) "
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
        area="api",
        severity="critical",
        service="blockchain",
        expr=f'probe_failed_due_to_regex{{{SEL_PROBES}, module="{API_HEALTH_BLOCKCHAIN}"}} == 1',
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
        area="api",
        severity="warning",
        service="api",
        expr=f"histogram_quantile(0.95, {API_LATENCY_BUCKETS})\n> [[threshold]]",
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
    _api_memory("warning", "HighMemoryUsage", 0.85, "5m"),
    _api_memory("critical", "CriticalMemoryUsage", 0.95, "2m"),
    Alert(
        name="HighCPUUsage",
        area="api",
        severity="warning",
        service="api",
        expr=f"rate(process_cpu_seconds_total{{{API}}}[[[rate]]]) > [[threshold]]",
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
        area="api",
        severity="warning",
        service="api",
        expr=HEALTH_VERDICT,
        for_="5m",
        summary="API health degraded",
        description=(
            "{{ $labels.instance }} ({{ $labels.environment }}) has answered HTTP {{ $value }} instead of 200 "
            "for [[for]]: 503 means the API reports itself degraded (its database or blockchain RPC check "
            "fails) or its health handler failed."
        ),
    ),
    # ------------------------------------------------------------------ database
    Alert(
        name="DatabaseDown",
        area="database",
        severity="critical",
        service="database",
        expr=f"{PG_UP} == 0",
        for_="1m",
        summary="PostgreSQL down",
        description=(
            "postgres-exporter ({{ $labels.instance }}) has not been able to connect to PostgreSQL in "
            "{{ $labels.environment }} for [[for]] (pg_up == 0)."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state=PG_UP, subject="PostgreSQL behind {{ $labels.instance }}"),
    ),
    _pool("warning", "DatabaseConnectionPoolExhaustion", 0.80, "5m"),
    _pool("critical", "DatabaseConnectionPoolCritical", 0.95, "2m"),
    Alert(
        name="HighDatabaseLatency",
        area="database",
        severity="warning",
        service="database",
        expr=(
            f"histogram_quantile(0.95, sum by ({BY_API}, le) "
            f"(rate(db_query_duration_seconds_bucket{{{API}}}[[[rate]]])))\n> [[threshold]]"
        ),
        for_="5m",
        summary="Database query p95 above [[threshold]]s",
        description=(
            "The 95th percentile of database queries issued by the API in {{ $labels.environment }} is "
            "{{ $value | humanizeDuration }} over the last [[rate]] (threshold [[threshold]]s)."
        ),
        threshold=0.5,
        threshold_kind="seconds",
        direction="above",
        below=1,
        why_below="1s is the top finite bucket of db_query_duration_seconds, so p95 never exceeds it",
    ),
    Alert(
        name="PostgresDeadlocks",
        area="database",
        severity="warning",
        service="database",
        expr=(
            f"sum by ({BY_PG}, datname) "
            f'(increase(pg_stat_database_deadlocks{{{SEL_POSTGRES}, datname!~"template.*"}}[[[rate]]]))\n'
            "> [[threshold]]"
        ),
        for_="0m",
        summary="Deadlocks in database {{ $labels.datname }}",
        description=(
            "PostgreSQL in {{ $labels.environment }} detected {{ $value | humanize }} deadlocks in database "
            "{{ $labels.datname }} over the last [[rate]] (threshold [[threshold]])."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    # ------------------------------------------------------------------ cache
    Alert(
        name="RedisDown",
        area="cache",
        severity="warning",
        service="cache",
        expr=f"{REDIS_UP} == 0",
        for_="2m",
        summary="Redis down",
        description=(
            "redis_exporter ({{ $labels.instance }}) has not been able to reach Redis in "
            "{{ $labels.environment }} for [[for]] (redis_up == 0)."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state=REDIS_UP, subject="Redis behind {{ $labels.instance }}"),
    ),
    Alert(
        name="LowCacheHitRate",
        area="cache",
        severity="info",
        service="cache",
        expr=f"{CACHE_HIT_RATIO}\n< [[threshold]]",
        for_="10m",
        summary="Low hit rate of cache {{ $labels.cache_type }}",
        description=(
            "Only {{ $value | humanizePercentage }} of lookups in cache {{ $labels.cache_type }} "
            "({{ $labels.environment }}) hit over the last [[rate]] (threshold [[threshold_pct]])."
        ),
        threshold=0.5,
        threshold_kind="ratio",
        direction="below",
    ),
    Alert(
        name="RedisMemoryNearMaxmemory",
        area="cache",
        severity="warning",
        service="cache",
        expr=f'redis_memory_used_bytes{{{SEL_REDIS}}}\n/\n(redis_memory_max_bytes{{{SEL_REDIS}}} > 0)\n> [[threshold]]',
        for_="5m",
        summary="Redis memory above [[threshold_pct]] of maxmemory",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) uses {{ $value | humanizePercentage }} "
            "of maxmemory (threshold [[threshold_pct]]); at 100% it evicts keys or rejects writes."
        ),
        threshold=0.9,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="RedisRejectedConnections",
        area="cache",
        severity="warning",
        service="cache",
        expr=f'increase(redis_rejected_connections_total{{{SEL_REDIS}}}[[[rate]]]) > [[threshold]]',
        for_="0m",
        summary="Redis rejects connections",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) rejected {{ $value | humanize }} "
            "connections over the last [[rate]]: maxclients is reached."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    # ------------------------------------------------------------------ host
    Alert(
        name="HostFilesystemFillingUp",
        area="host",
        severity="warning",
        service="system",
        expr=(
            f"node_filesystem_avail_bytes{{{FS}}} / node_filesystem_size_bytes{{{FS}}} < [[threshold]]\n"
            f"and\npredict_linear(node_filesystem_avail_bytes{{{FS}}}[6h], 24 * 3600) < 0\n"
            f"and\nnode_filesystem_readonly{{{FS}}} == 0"
        ),
        for_="1h",
        summary="Filesystem {{ $labels.mountpoint }} predicted to fill up within 24 hours",
        description=(
            "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has "
            "{{ $value | humanizePercentage }} of its space left and, at the rate of the last 6 hours, "
            "fills up within 24 hours."
        ),
        threshold=0.4,
        threshold_kind="ratio",
        direction="below",
        identity=("job", "instance", "mountpoint"),
    ),
    Alert(
        name="HostFilesystemAlmostFull",
        area="host",
        severity="critical",
        service="system",
        expr=(
            f"node_filesystem_avail_bytes{{{FS}}} / node_filesystem_size_bytes{{{FS}}} < [[threshold]]\n"
            f"and\nnode_filesystem_readonly{{{FS}}} == 0"
        ),
        for_="30m",
        summary="Filesystem {{ $labels.mountpoint }} almost full",
        description=(
            "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has only "
            "{{ $value | humanizePercentage }} of its space left (threshold [[threshold_pct]])."
        ),
        threshold=0.05,
        threshold_kind="ratio",
        direction="below",
        identity=("job", "instance", "mountpoint"),
    ),
    Alert(
        name="HostMemoryLow",
        area="host",
        severity="warning",
        service="system",
        expr=(
            f'node_memory_MemAvailable_bytes{{{SEL_NODE}}}\n/\n'
            f'node_memory_MemTotal_bytes{{{SEL_NODE}}}\n< [[threshold]]'
        ),
        for_="10m",
        summary="Host {{ $labels.instance }} low on memory",
        description=(
            "Only {{ $value | humanizePercentage }} of memory is available on {{ $labels.instance }} "
            "({{ $labels.environment }}) (threshold [[threshold_pct]])."
        ),
        threshold=0.1,
        threshold_kind="ratio",
        direction="below",
    ),
    Alert(
        name="HostCpuSaturation",
        area="host",
        severity="warning",
        service="system",
        expr=(
            f'node_load1{{{SEL_NODE}}}\n/ on (job, instance) group_left\n'
            f'count by (job, instance) (node_cpu_seconds_total{{{SEL_NODE}, mode="idle"}})\n> [[threshold]]'
        ),
        for_="15m",
        summary="Host {{ $labels.instance }} CPU saturated",
        description=(
            "The 1-minute load average per core on {{ $labels.instance }} ({{ $labels.environment }}) is "
            '{{ printf "%.2f" $value }} (threshold [[threshold]]): runnable tasks wait for a CPU.'
        ),
        threshold=2,
        threshold_kind="positive",
        direction="above",
    ),
    # ------------------------------------------------------------------ containers
    Alert(
        name="ContainerMemoryNearLimit",
        area="containers",
        severity="warning",
        service="containers",
        expr=(
            _container_memory("container_memory_working_set_bytes")
            + "\n/ on (job, instance, environment, name)\n"
            + _container_memory("container_spec_memory_limit_bytes", " > 0")
            + "\n> [[threshold]]"
        ),
        for_="10m",
        summary="Container {{ $labels.name }} near its memory limit",
        description=(
            "Container {{ $labels.name }} in {{ $labels.environment }} uses {{ $value | humanizePercentage }} "
            "of its memory limit (threshold [[threshold_pct]]); at 100% the kernel OOM-kills it."
        ),
        threshold=0.9,
        threshold_kind="ratio",
        direction="above",
    ),
    # ------------------------------------------------------------------ probes
    Alert(
        name="WebServiceDown",
        area="probes",
        severity="critical",
        service="web",
        expr=f"{WEB_UP} == 0",
        for_="2m",
        summary="Internet-ID web app down",
        description=(
            "The HTTP probe of the web app at {{ $labels.instance }} ({{ $labels.environment }}) has failed "
            "for [[for]]: no answer or a non-2xx status."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state=WEB_UP, subject="The web app at {{ $labels.instance }}"),
    ),
    Alert(
        name="ProbeFailed",
        area="probes",
        severity="warning",
        service="{{ $labels.service }}",
        expr=(
            f"{PROBES_UP} == 0\n"
            f"unless\n{HEALTH_VERDICT}"
        ),
        for_="5m",
        summary="Probe of {{ $labels.instance }} failing",
        description=(
            "The blackbox probe of {{ $labels.instance }} ({{ $labels.environment }}) has failed for [[for]]: "
            "no answer, a TLS error or a non-2xx status (an HTTP answer of /api/health other than 200 is "
            "ServiceHealthDegraded instead)."
        ),
        identity=("job", "instance", "module"),
        flapping=Flapping(state=PROBES_UP, subject="The blackbox probe of {{ $labels.instance }}"),
    ),
    _tls("warning", "TLSCertificateExpiringSoon", 14),
    _tls("critical", "TLSCertificateExpiryCritical", 3),
    # ------------------------------------------------------------------ meta
    Alert(
        name="Watchdog",
        area="meta",
        severity="none",
        service="prometheus",
        expr="vector(1)",
        for_="0m",
        summary="Alerting pipeline heartbeat",
        description=(
            "Always firing, so the whole alerting pipeline is proven to work. A dead-man's switch "
            "outside this stack must page when this alert stops arriving."
        ),
    ),
    Alert(
        name="PrometheusConfigReloadFailed",
        area="meta",
        severity="critical",
        service="prometheus",
        expr=f'max_over_time(prometheus_config_last_reload_successful{{{SEL_PROMETHEUS}}}[[[rate]]]) == 0',
        for_="10m",
        summary="Prometheus configuration reload failed",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) failed to load its configuration "
            "and keeps running the previous one; rule and scrape changes are not applied."
        ),
    ),
    Alert(
        name="PrometheusRuleEvaluationFailures",
        area="meta",
        severity="critical",
        service="prometheus",
        expr=(
            f'increase(prometheus_rule_evaluation_failures_total{{{SEL_PROMETHEUS}}}[[[rate]]]) > [[threshold]]'
        ),
        for_="15m",
        summary="Prometheus fails to evaluate rules",
        description=(
            "Prometheus ({{ $labels.environment }}) failed {{ $value | humanize }} evaluations of rule group "
            "{{ $labels.rule_group }} over the last [[rate]]: its alerts may not fire."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    Alert(
        name="ScrapeLimitExceeded",
        area="meta",
        severity="warning",
        service="prometheus",
        expr=(
            'label_replace(increase(prometheus_target_scrapes_exceeded_sample_limit_total'
            f'{{{SEL_PROMETHEUS}}}[[[rate]]]), "limit", "sampleLimit", "", "") > 0\nor\n'
            'label_replace(increase(prometheus_target_scrapes_exceeded_body_size_limit_total'
            f'{{{SEL_PROMETHEUS}}}[[[rate]]]), "limit", "bodySizeLimit", "", "") > 0\nor\n'
            'label_replace(increase(prometheus_target_scrape_pool_exceeded_label_limits_total'
            f'{{{SEL_PROMETHEUS}}}[[[rate]]]), "limit", "labelLimit or labelValueLengthLimit", "", "") > 0'
        ),
        for_="0m",
        summary="Prometheus refuses scrapes over prometheus.scrapeLimits.{{ $labels.limit }}",
        description=(
            "Prometheus ({{ $labels.environment }}) refused {{ $value | humanize }} scrapes over the last [[rate]] "
            "for exceeding prometheus.scrapeLimits.{{ $labels.limit }}: a target the monitoring does not control "
            "(the API by default) serves more than it accepts, and that target's scrapes fail whole (up is 0)."
        ),
    ),
    Alert(
        name="PrometheusNotConnectedToAlertmanager",
        area="meta",
        severity="warning",
        service="prometheus",
        expr=f'max_over_time(prometheus_notifications_alertmanagers_discovered{{{SEL_PROMETHEUS}}}[[[rate]]]) < 1',
        for_="10m",
        summary="Prometheus not connected to Alertmanager",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) has discovered no Alertmanager "
            "for [[for]]: no alert is delivered (only a missing Watchdog shows this)."
        ),
    ),
    Alert(
        name="PrometheusErrorSendingAlerts",
        area="meta",
        severity="critical",
        service="prometheus",
        expr=(
            f'rate(prometheus_notifications_errors_total{{{SEL_PROMETHEUS}}}[[[rate]]])\n/\n'
            f'rate(prometheus_notifications_sent_total{{{SEL_PROMETHEUS}}}[[[rate]]])\n> [[threshold]]'
        ),
        for_="15m",
        summary="Prometheus fails to send alerts to Alertmanager",
        description=(
            "{{ $value | humanizePercentage }} of the alerts Prometheus ({{ $labels.environment }}) sent to "
            "{{ $labels.alertmanager }} over the last [[rate]] failed (threshold [[threshold_pct]])."
        ),
        threshold=0.03,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="AlertmanagerConfigReloadFailed",
        area="meta",
        severity="critical",
        service="alertmanager",
        expr=f'max_over_time(alertmanager_config_last_reload_successful{{{SEL_ALERTMANAGER}}}[[[rate]]]) == 0',
        for_="10m",
        summary="Alertmanager configuration reload failed",
        description=(
            "Alertmanager ({{ $labels.instance }}, {{ $labels.environment }}) failed to load its configuration "
            "and keeps running the previous one; routing and receiver changes are not applied."
        ),
    ),
    Alert(
        name="AlertmanagerFailedToSendAlerts",
        area="meta",
        severity="warning",
        service="alertmanager",
        expr=(
            "sum by (job, instance, environment, integration) "
            f'(rate(alertmanager_notifications_failed_total{{{SEL_ALERTMANAGER}}}[[[rate]]]))\n/\n'
            "sum by (job, instance, environment, integration) "
            f'(rate(alertmanager_notifications_total{{{SEL_ALERTMANAGER}}}[[[rate]]]))\n> [[threshold]]'
        ),
        for_="5m",
        summary="Alertmanager fails to send {{ $labels.integration }} notifications",
        description=(
            "{{ $value | humanizePercentage }} of Alertmanager's {{ $labels.integration }} notifications in "
            "{{ $labels.environment }} failed over the last [[rate]] (threshold [[threshold_pct]])."
        ),
        threshold=0.01,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="TargetDown",
        area="meta",
        severity="warning",
        service="{{ $labels.service }}",
        expr=f"{EXPORTERS_UP} == 0",
        for_="5m",
        summary="Scrape target {{ $labels.job }} down",
        description=(
            "Prometheus has failed to scrape {{ $labels.instance }} of job {{ $labels.job }} "
            "({{ $labels.environment }}) for [[for]]; alerts that rely on its metrics cannot fire."
        ),
        identity=("job", "instance"),
        flapping=Flapping(
            state=EXPORTERS_UP, restarts=f"process_start_time_seconds{{{EXPORTERS}}}",
            subject="Scrape target {{ $labels.instance }} of job {{ $labels.job }}",
        ),
    ),
)

CATALOGUE: tuple[Alert, ...] = _with_flapping(_ALERTS)

BY_NAME: dict[str, Alert] = {alert.name: alert for alert in CATALOGUE}

FLAPPING: tuple[tuple[str, str], ...] = tuple(
    (alert.name, flapping_name(alert.name)) for alert in _ALERTS if alert.flapping
)
"""(outage, flapping) alerts of one target, with the same ``identity``: while the outage alert fires, the
flapping alert of the same thing is muted in Alertmanager (one incident, one page)."""

PAIRS: tuple[tuple[str, str], ...] = (
    ("HighErrorRate", "CriticalErrorRate"),
    ("HighQueueDepth", "CriticalQueueDepth"),
    ("HighIpfsFailureRate", "CriticalIpfsFailureRate"),
    ("HighMemoryUsage", "CriticalMemoryUsage"),
    ("DatabaseConnectionPoolExhaustion", "DatabaseConnectionPoolCritical"),
    ("TLSCertificateExpiringSoon", "TLSCertificateExpiryCritical"),
    ("HostFilesystemFillingUp", "HostFilesystemAlmostFull"),
)
"""Warning/critical tiers of one condition: (warning, critical), with the same ``identity``.

While the critical tier fires, the warning tier of the same thing (same ``identity`` labels) is
muted in Alertmanager; the warning of another thing is not.
"""
