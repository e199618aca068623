"""PostgreSQL: up, the connection pool, query latency, deadlocks, long and idle-in-transaction sessions, vacuum
(postgres_exporter's series, the API's queries).

postgres_exporter's built-in metrics (``pg_stat_activity_*``, ``pg_settings_*``) carry a ``server`` label (0.11 and
0.15 alike): the joins (``on (…)``, ``by (…)``) hold whichever version runs.  0.15 adds ``usename`` and
``application_name`` to ``pg_stat_activity_*``; 0.11 has neither.
"""

from __future__ import annotations

from components.rules.model import Alert, Flapping, Severity, Tier, area


def _oldest_transaction(state: str) -> str:
    """The oldest transaction per database, user and application in the sessions of ``state`` (a matcher); the
    exporter reports 0 for a state without sessions."""
    return ("max by ([[by_pg]], datname, usename, application_name) (\n"
            f"  pg_stat_activity_max_tx_duration{{[[postgres_exporter]], {state}}}\n) > [[threshold]]")


WHO = "{{ with $labels.usename }} of {{ . }}{{ end }}{{ with $labels.application_name }} ({{ . }}){{ end }}"
"""Who holds the transaction, where the exporter says (0.15: ``usename``, ``application_name``)."""


def _pool(severity: Severity, name: str, threshold: float, for_: str) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="database",
        expr="[[db_connections_ratio]] > [[threshold]]",
        for_=for_,
        summary="PostgreSQL connections above [[threshold_pct]] of the usable connections",
        description=(
            "PostgreSQL behind {{ $labels.instance }} in {{ $labels.environment }} has "
            "{{ $value | humanizePercentage }} of the connections open to ordinary roles in use (max_connections "
            "less the reserved ones), idle connections included (threshold [[threshold_pct]])."
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
    Alert(
        name="PostgresIdleInTransaction",
        severity="warning",
        service="database",
        expr=_oldest_transaction('state=~"idle in transaction( \\\\(aborted\\\\))?"'),
        for_="5m",
        summary="Session idle in a transaction in {{ $labels.datname }}",
        description=(
            f"A session{WHO} in database {{{{ $labels.datname }}}} ({{{{ $labels.environment }}}}) has held a "
            "transaction open for {{ $value | humanizeDuration }} and is idle in it (threshold [[threshold]]s): it "
            "holds its locks and keeps vacuum from removing dead rows."
        ),
        threshold=300,
        threshold_kind="seconds",
        direction="above",
        identity=("job", "instance", "datname", "usename", "application_name"),
    ),
    Alert(
        name="PostgresLongRunningTransaction",
        severity="warning",
        service="database",
        expr=_oldest_transaction('state="active"'),
        for_="5m",
        summary="Transaction running for more than [[threshold]]s in {{ $labels.datname }}",
        description=(
            f"A transaction{WHO} in database {{{{ $labels.datname }}}} ({{{{ $labels.environment }}}}) has been "
            "running for {{ $value | humanizeDuration }} (threshold [[threshold]]s): it holds its locks and its "
            "snapshot keeps vacuum from removing dead rows in every table."
        ),
        threshold=3600,
        threshold_kind="seconds",
        direction="above",
        identity=("job", "instance", "datname", "usename", "application_name"),
    ),
    Alert(
        name="PostgresVacuumFallingBehind",
        severity="warning",
        service="database",
        expr=(
            "pg_stat_user_tables_n_dead_tup{[[postgres_exporter]]} > [[threshold]]\nand\n"
            "pg_stat_user_tables_n_dead_tup{[[postgres_exporter]]}\n>\n"
            "  pg_stat_user_tables_n_live_tup{[[postgres_exporter]]}\n"
            "  * on ([[by_pg]]) group_left\n"
            "  max by ([[by_pg]]) (pg_settings_autovacuum_vacuum_scale_factor{[[postgres_exporter]]})\n"
            "  + on ([[by_pg]]) group_left\n"
            "  max by ([[by_pg]]) (pg_settings_autovacuum_vacuum_threshold{[[postgres_exporter]]})"
        ),
        for_="1h",
        summary="Vacuum falling behind on {{ $labels.schemaname }}.{{ $labels.relname }}",
        description=(
            "Table {{ $labels.schemaname }}.{{ $labels.relname }} in {{ $labels.datname }} "
            "({{ $labels.environment }}) has held more dead rows than autovacuum's trigger "
            "(autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x live rows) for [[for]], now "
            "{{ $value }} (at least [[threshold]]): autovacuum does not keep up, or a long transaction keeps it from "
            "removing them."
        ),
        threshold=10000,
        threshold_kind="positive",
        direction="above",
        identity=("job", "instance", "datname", "schemaname", "relname"),
    ),
)
