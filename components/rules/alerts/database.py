"""PostgreSQL: up, the connection pool, query latency, deadlocks (postgres_exporter's series, the API's queries).

Debian's postgres_exporter 0.11 adds a ``server`` label to ``pg_stat_activity_count`` and
``pg_settings_max_connections``: the joins (``on (…)``, ``by (…)``) hold whichever version runs.
"""

from __future__ import annotations

from components.rules.model import Alert, Flapping, Severity, Tier, area


def _pool(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="database",
        expr="[[db_connections_ratio]] > [[threshold]]",
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


AREA = area(
    "database",
    Alert(
        name="DatabaseDown",
        severity="critical",
        service="database",
        expr="pg_up{[[postgres_exporter]]} == 0",
        for_="1m",
        summary="PostgreSQL down",
        description=(
            "postgres-exporter ({{ $labels.instance }}) has not been able to connect to PostgreSQL in "
            "{{ $labels.environment }} for [[for]] (pg_up == 0)."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state="pg_up{[[postgres_exporter]]}", subject="PostgreSQL behind {{ $labels.instance }}"),
    ),
    Tier(_pool("warning", "DatabaseConnectionPoolExhaustion", 0.80, "5m"),
         _pool("critical", "DatabaseConnectionPoolCritical", 0.95, "2m")),
    Alert(
        name="HighDatabaseLatency",
        severity="warning",
        service="database",
        expr=(
            "histogram_quantile(0.95, sum by ([[by_api]], le) "
            "(rate(db_query_duration_seconds_bucket{[[api]]}[[[rate]]])))\n> [[threshold]]"
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
        severity="warning",
        service="database",
        expr=(
            "sum by ([[by_pg]], datname) "
            '(increase(pg_stat_database_deadlocks{[[postgres_exporter]], datname!~"template.*"}[[[rate]]]))\n'
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
)
