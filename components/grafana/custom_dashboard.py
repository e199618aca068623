"""The Internet-ID dashboard, built with grafana-foundation-sdk and encoded byte-stably.

Every query uses metric names and labels that really exist: the API's prom-client metrics
(``scripts/services/metrics.service.ts``: ``http_request_duration_seconds`` with ``method``,
``route``, ``status_code``;
``verification_*`` with ``outcome``, ``platform``; ``ipfs_*`` with ``provider``, ``status``;
``db_query_duration_seconds`` with ``operation``, ``table``), postgres_exporter's and
redis_exporter's standard names, and Prometheus' ``ALERTS``.  Several API metrics are declared
but not yet recorded by the application: their panels say so instead of looking broken.
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from components.prometheus.jobs import API as API_JOB

UID = "internet-id-overview"
TITLE = "Internet-ID"
RATE = "$__rate_interval"
API = f'job="{API_JOB}"'
API_NO_HEALTH = f'{API},route!="/health"'
"""The API's requests without its health checks: a degraded /api/health answers 503 by design."""
API_5XX = f'{API_NO_HEALTH},status_code=~"5.."'
POSTGRES = 'job="postgres"'
REDIS = 'job="redis"'
NOT_RECORDED = ("Declared by the API but not recorded by it yet: "
                "the panel stays empty until the application records it.")


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


def _rate(metric: str, selector: str = "") -> str:
    matchers = f"{{{selector}}}" if selector else ""
    return f"rate({metric}{matchers}[{RATE}])"


def _quantile(q: float, bucket: str, selector: str, by: str = "") -> str:
    group = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({group}) ({_rate(bucket, selector)}))"


# Row → panel title → (unit, queries, description).  The single source of every query.
PANELS: dict[str, dict[str, tuple[str, list[Query], str]]] = {
    "API health": {
        "Request rate by route": ("reqps", [
            Query(f"sum by (route) ({_rate('http_requests_total', API)})", "{{route}}"),
        ], "Requests per second, by router-relative route."),
        "Error rate (5xx share)": ("percentunit", [
            Query(f"sum({_rate('http_requests_total', API_5XX)}) / "
                  f"sum({_rate('http_requests_total', API_NO_HEALTH)})", "5xx share"),
        ], "Share of responses with a 5xx status, /health excluded as in HighErrorRate (fires above 5 %)."),
        "Latency p50 / p95 / p99": ("s", [
            Query(_quantile(0.5, "http_request_duration_seconds_bucket", API), "p50"),
            Query(_quantile(0.95, "http_request_duration_seconds_bucket", API), "p95"),
            Query(_quantile(0.99, "http_request_duration_seconds_bucket", API), "p99"),
        ], "From http_request_duration_seconds (buckets up to 10 s)."),
        "API targets up": ("none", [
            Query(f"sum(up{{{API}}})", "up"),
        ], "Replicas whose /api/metrics answers."),
    },
    "Verification": {
        "Verifications by outcome": ("ops", [
            Query(f"sum by (outcome) ({_rate('verification_total', API)})", "{{outcome}}"),
        ], NOT_RECORDED),
        "Verification duration p95": ("s", [
            Query(_quantile(0.95, "verification_duration_seconds_bucket", API, "outcome"), "{{outcome}}"),
        ], NOT_RECORDED),
    },
    "IPFS": {
        "Uploads by status": ("ops", [
            Query(f"sum by (status) ({_rate('ipfs_uploads_total', API)})", "{{status}}"),
        ], NOT_RECORDED),
        "Upload duration p95 by provider": ("s", [
            Query(_quantile(0.95, "ipfs_upload_duration_seconds_bucket", API, "provider"), "{{provider}}"),
        ], NOT_RECORDED),
    },
    "Database": {
        "Connections vs max_connections": ("short", [
            Query('sum by (instance) (pg_stat_activity_count{job="postgres"})', "connections {{instance}}"),
            Query('max by (instance) (pg_settings_max_connections{job="postgres"})', "max {{instance}}"),
        ], "All backends (idle included) against the server-wide limit."),
        "Query duration p95 by operation": ("s", [
            Query(_quantile(0.95, "db_query_duration_seconds_bucket", API, "operation"), "{{operation}}"),
        ], NOT_RECORDED + " The top bucket is 1 s, so values cap at 1 s."),
        "Transactions (commit / rollback)": ("ops", [
            Query(f"sum by (datname) ({_rate('pg_stat_database_xact_commit', POSTGRES)})",
                  "commit {{datname}}"),
            Query(f"sum by (datname) ({_rate('pg_stat_database_xact_rollback', POSTGRES)})",
                  "rollback {{datname}}"),
        ], "Commits and rollbacks per second per database."),
    },
    "Cache": {
        "Redis hit rate": ("percentunit", [
            Query(f"sum({_rate('redis_keyspace_hits_total', REDIS)}) / "
                  f"(sum({_rate('redis_keyspace_hits_total', REDIS)}) + "
                  f"sum({_rate('redis_keyspace_misses_total', REDIS)}))", "hit rate"),
        ], "Keyspace hits / (hits + misses), from redis_exporter."),
        "Redis memory used vs max": ("bytes", [
            Query('redis_memory_used_bytes{job="redis"}', "used {{instance}}"),
            Query('redis_memory_max_bytes{job="redis"} > 0', "maxmemory {{instance}}"),
        ], "maxmemory is hidden when unlimited (0)."),
        "Redis keys by db": ("short", [
            Query('sum by (db) (redis_db_keys{job="redis"})', "{{db}}"),
        ], "Keys per logical database."),
    },
}
ALERTS_FIRING = 'ALERTS{alertstate="firing"}'
ALERT_COUNT = 'count(ALERTS{alertstate="firing"}) or vector(0)'


def all_queries() -> list[str]:
    """Every PromQL expression on the dashboard (for the allow-list and promtool tests)."""
    exprs = [q.expr for row in PANELS.values() for _, queries, _ in row.values() for q in queries]
    return [*exprs, ALERTS_FIRING, ALERT_COUNT]


def build_dashboard(datasource_uid: str) -> db.Dashboard:
    ref = DataSourceRef(type_val="prometheus", uid=datasource_uid)

    def target(query: Query, ref_id: str) -> prometheus.Dataquery:
        return (prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(ref_id)
                .datasource(ref))

    builder = (
        db.Dashboard(TITLE).uid(UID).tags(["internet-id", "managed-by-pulumi"])
        .description("Internet-ID API, verification, IPFS, database, cache and firing alerts.")
        .refresh("30s").time("now-6h", "now").timezone("browser").tooltip(DashboardCursorSync.CROSSHAIR)
    )
    ids = iter(range(1, 100))
    builder = builder.with_row(db.Row("Alerts firing now").id(next(ids)))
    builder = builder.with_panel(
        stat.Panel().id(next(ids)).title("Alerts firing").datasource(ref).span(4).height(6).unit("none")
        .with_target(target(Query(ALERT_COUNT, "firing"), "A"))
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
    )
    builder = builder.with_panel(
        table.Panel().id(next(ids)).title("Firing alerts").datasource(ref).span(20).height(6)
        .description("ALERTS{alertstate=\"firing\"} at the end of the time range.")
        .with_target(target(Query(ALERTS_FIRING, ""), "A").instant().format(PromQueryFormat.TABLE))
    )
    for row_title, panels in PANELS.items():
        builder = builder.with_row(db.Row(row_title).id(next(ids)))
        width = 24 // len(panels) if len(panels) <= 3 else 6
        for title, (unit, queries, description) in panels.items():
            panel = (timeseries.Panel().id(next(ids)).title(title).description(description).datasource(ref).unit(unit)
                     .span(width).height(8))
            for index, query in enumerate(queries):
                panel = panel.with_target(target(query, chr(ord("A") + index)))
            builder = builder.with_panel(panel)
    return builder


def render_custom_dashboard(datasource_uid: str) -> str:
    """The dashboard JSON as uploaded: sorted keys, 2-space indent, trailing newline."""
    encoded: str = JSONEncoder(sort_keys=True, indent=2).encode(build_dashboard(datasource_uid).build())
    return encoded + "\n"
