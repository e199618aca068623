"""The Internet-ID dashboard, built with grafana-foundation-sdk and encoded byte-stably.

Every query uses metric names and labels that really exist: the API's prom-client metrics
(``scripts/services/metrics.service.ts``: ``http_request_duration_seconds`` with ``method``,
``route``, ``status_code``;
``verification_*`` with ``outcome``, ``platform``; ``ipfs_*`` with ``provider``, ``status``;
``db_query_duration_seconds`` with ``operation``, ``table``), postgres_exporter's and
redis_exporter's standard names, Prometheus' ``ALERTS``, and the recorded series of the rules
(``components/rules/recording.py``) and of the SLOs (``components/slo/render.py``, one row per SLO).
Several API metrics are declared but not yet recorded by the application: their panels say so
instead of looking broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import GraphTresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef, Threshold, ThresholdsMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from components.containers import postgres_exporter, redis_exporter
from components.grafana.layout import CUSTOM_DASHBOARD_UID
from components.rules.recording import (
    API_5XX_RATIO,
    API_LATENCY_BUCKETS,
    CACHE_HIT_RATIO,
    DB_CONNECTIONS_RATIO,
    series,
)
from components.rules.settings import RuleSettings
from components.rules.vocabulary import API
from components.slo.render import BUDGET_REMAINING, describe, error_ratio, of, window_name
from components.slo.settings import DEFAULT_SLO_ALERTING, DEFAULT_SLOS, Slo, SloAlerting

UID = CUSTOM_DASHBOARD_UID
SEL_POSTGRES = postgres_exporter.RECORD.selector
SEL_REDIS = redis_exporter.RECORD.selector
TITLE = "Internet-ID"
RATE = "$__rate_interval"
NOT_RECORDED = ("Declared by the API but not recorded by it yet: the panel shows 0 until the application "
                "records it, and No data only while no API target is up.")
API_UP_ZERO = f"0 * sum(up{{{API}}} == 1)"
"""0 (no labels) while at least one API target answers, nothing while none does."""
WARNING_COLOR = "orange"
CRITICAL_COLOR = "red"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    """One time-series panel: its unit, queries, description and the alert thresholds drawn on it."""

    unit: str
    queries: list[Query]
    description: str
    thresholds: tuple[tuple[float, str], ...] = ()
    """(value, color) lines: the thresholds of the alerts that judge what the panel shows."""
    base_color: str = "green"
    """Color below the lowest threshold (red where less is worse: the SLI, the budget left)."""


def _rate(metric: str, selector: str = "") -> str:
    matchers = f"{{{selector}}}" if selector else ""
    return f"rate({metric}{matchers}[{RATE}])"


def _quantile(q: float, bucket: str, selector: str, by: str = "") -> str:
    group = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({group}) ({_rate(bucket, selector)}))"


def _zero_while_api_up(expr: str) -> str:
    """``expr``, or 0 while it has no series yet but the API is up: a counter without samples means nothing
    happened, a down target still shows No data."""
    return f"({expr}) or on() ({API_UP_ZERO})"


def _pct(value: float) -> str:
    return f"{value * 100:.4g} %"


TIER_COLORS = {"page": CRITICAL_COLOR, "ticket": WARNING_COLOR}


def slo_panels(slo: Slo, alerting: SloAlerting) -> dict[str, Panel]:
    """The SLI over the SLO's window, the budget left, and the burn rate over each alert's long window."""
    window, budget = window_name(slo.window), f"{slo.error_budget:.10g}"
    burn_rates = {window_name(pair.long): (tier, pair) for tier, pair in alerting.pairs()}
    rules_text = "; ".join(f"{'pages' if tier == 'page' else 'opens a ticket'} above {pair.burn_rate:g} over {long} "
                           f"(and {window_name(pair.short)})" for long, (tier, pair) in burn_rates.items())
    lines = sorted({(pair.burn_rate, TIER_COLORS[tier]) for tier, pair in alerting.pairs()})
    return {
        f"SLI over {window}": Panel("percentunit", [Query(f"1 - {of(error_ratio(window), slo)}", "SLI")], (
            f"Share of good requests over the last {window} (objective: {describe(slo)}); below the line the "
            "error budget is overspent."), ((1 - slo.error_budget, "green"),), base_color="red"),
        "Error budget remaining": Panel("percentunit", [Query(of(BUDGET_REMAINING, slo), "remaining")], (
            f"Share of the {window} error budget ({_pct(slo.error_budget)} of requests) not spent yet: 100% with no "
            "bad request, 0 when exactly the budget is spent, negative once it is overspent."),
            ((0, "green"),), base_color="red"),
        "Burn rate": Panel("none", [
            Query(f"{of(error_ratio(long), slo)} / {budget}", long) for long in burn_rates
        ], (f"Error ratio over each alert's long window divided by the budget: 1 spends exactly the budget in "
            f"{window}. ErrorBudgetBurn {rules_text}."), tuple(lines)),
    }


def panels(rules: RuleSettings, slos: Sequence[Slo] = DEFAULT_SLOS,
           alerting: SloAlerting = DEFAULT_SLO_ALERTING) -> dict[str, dict[str, Panel]]:
    """Row -> panel title -> panel.  The single source of every query; the series the alerts judge are read
    from their recording rules, and the thresholds and texts come from the stack's rule and SLO settings."""
    slo_rows = {f"SLO {slo.name}": slo_panels(slo, alerting) for slo in slos}
    window = rules.rate_interval
    errors, latency = series(API_5XX_RATIO, window), series(API_LATENCY_BUCKETS, window)
    warn_5xx, crit_5xx = rules.threshold("HighErrorRate"), rules.threshold("CriticalErrorRate")
    slow = rules.threshold("HighResponseTime")
    pool_warn = rules.threshold("DatabaseConnectionPoolExhaustion")
    pool_crit = rules.threshold("DatabaseConnectionPoolCritical")
    low_hits = rules.threshold("LowCacheHitRate")
    return {
        **slo_rows,
        "API health": {
            "Request rate by route": Panel("reqps", [
                Query(f"sum by (route) ({_rate('http_requests_total', API)})", "{{route}}"),
            ], "Requests per second, by router-relative route."),
            "Error rate (5xx share)": Panel("percentunit", [Query(errors, "5xx share")], (
                f"Share of responses with a 5xx status over {window}, /health excluded ({errors}, what "
                f"HighErrorRate judges; 0 without a 5xx, empty without traffic): HighErrorRate fires above "
                f"{_pct(warn_5xx)}, CriticalErrorRate above "
                f"{_pct(crit_5xx)}."), ((warn_5xx, WARNING_COLOR), (crit_5xx, CRITICAL_COLOR))),
            "Latency p50 / p95 / p99": Panel("s", [
                Query(f"histogram_quantile({q}, {latency})", f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)
            ], (f"From http_request_duration_seconds over {window} (buckets up to 10 s), /health excluded; "
                f"HighResponseTime fires when p95 is above {slow:g} s."), ((slow, WARNING_COLOR),)),
            "API targets up": Panel("none", [Query(f"sum(up{{{API}}})", "up")], "Replicas whose /api/metrics answers."),
        },
        "Verification": {
            "Verifications by outcome": Panel("ops", [
                Query(_zero_while_api_up(f"sum by (outcome) ({_rate('verification_total', API)})"), "{{outcome}}"),
            ], NOT_RECORDED),
            "Verification duration p95": Panel("s", [
                Query(_zero_while_api_up(_quantile(0.95, "verification_duration_seconds_bucket", API, "outcome")),
                      "{{outcome}}"),
            ], NOT_RECORDED),
        },
        "IPFS": {
            "Uploads by status": Panel("ops", [
                Query(_zero_while_api_up(f"sum by (status) ({_rate('ipfs_uploads_total', API)})"), "{{status}}"),
            ], NOT_RECORDED),
            "Upload duration p95 by provider": Panel("s", [
                Query(_zero_while_api_up(_quantile(0.95, "ipfs_upload_duration_seconds_bucket", API, "provider")),
                      "{{provider}}"),
            ], NOT_RECORDED),
        },
        "Database": {
            "Connections vs max_connections": Panel("short", [
                Query(f"sum by (instance) (pg_stat_activity_count{{{SEL_POSTGRES}}})", "connections {{instance}}"),
                Query(f"max by (instance) (pg_settings_max_connections{{{SEL_POSTGRES}}})", "max {{instance}}"),
            ], "All backends (idle included) against the server-wide limit."),
            "Connection pool usage": Panel("percentunit", [
                Query(DB_CONNECTIONS_RATIO, "{{instance}}"),
            ], (f"Share of the connections open to ordinary roles (max_connections less the superuser-reserved "
                f"and reserved ones) in use ({DB_CONNECTIONS_RATIO}): DatabaseConnectionPoolExhaustion fires "
                f"above {_pct(pool_warn)}, DatabaseConnectionPoolCritical above {_pct(pool_crit)}."),
                ((pool_warn, WARNING_COLOR), (pool_crit, CRITICAL_COLOR))),
            "Query duration p95 by operation": Panel("s", [
                Query(_zero_while_api_up(_quantile(0.95, "db_query_duration_seconds_bucket", API, "operation")),
                      "{{operation}}"),
            ], NOT_RECORDED + " The top bucket is 1 s, so values cap at 1 s."),
            "Transactions (commit / rollback)": Panel("ops", [
                Query(f"sum by (datname) ({_rate('pg_stat_database_xact_commit', SEL_POSTGRES)})",
                      "commit {{datname}}"),
                Query(f"sum by (datname) ({_rate('pg_stat_database_xact_rollback', SEL_POSTGRES)})",
                      "rollback {{datname}}"),
            ], "Commits and rollbacks per second per database."),
        },
        "Cache": {
            "API cache hit ratio": Panel("percentunit", [
                Query(series(CACHE_HIT_RATIO, window), "{{cache_type}}"),
            ], (f"Share of the API's cache lookups that hit over {window}, per cache: LowCacheHitRate fires below "
                f"{_pct(low_hits)}."), ((low_hits, WARNING_COLOR),)),
            "Redis hit rate": Panel("percentunit", [
                Query(f"sum({_rate('redis_keyspace_hits_total', SEL_REDIS)}) / "
                      f"(sum({_rate('redis_keyspace_hits_total', SEL_REDIS)}) + "
                      f"sum({_rate('redis_keyspace_misses_total', SEL_REDIS)}) > 0)", "hit rate"),
            ], "Keyspace hits / (hits + misses), from redis_exporter; empty (not NaN) while no key is looked up."),
            "Redis memory used vs max": Panel("bytes", [
                Query(f"redis_memory_used_bytes{{{SEL_REDIS}}}", "used {{instance}}"),
                Query(f"redis_memory_max_bytes{{{SEL_REDIS}}} > 0", "maxmemory {{instance}}"),
            ], "maxmemory is hidden when unlimited (0)."),
            "Redis keys by db": Panel("short", [
                Query(f"sum by (db) (redis_db_keys{{{SEL_REDIS}}})", "{{db}}"),
            ], "Keys per logical database."),
        },
    }


ALERTS_FIRING = 'ALERTS{alertstate="firing"}'
ALERT_COUNT = 'count(ALERTS{alertstate="firing"}) or vector(0)'


def all_queries(rules: RuleSettings, slos: Sequence[Slo] = DEFAULT_SLOS,
                alerting: SloAlerting = DEFAULT_SLO_ALERTING) -> list[str]:
    """Every PromQL expression on the dashboard (for the allow-list and promtool tests)."""
    exprs = [q.expr for row in panels(rules, slos, alerting).values() for panel in row.values() for q in panel.queries]
    return [*exprs, ALERTS_FIRING, ALERT_COUNT]


def build_dashboard(datasource_uid: str, rules: RuleSettings, slos: Sequence[Slo] = DEFAULT_SLOS,
                    alerting: SloAlerting = DEFAULT_SLO_ALERTING) -> db.Dashboard:
    ref = DataSourceRef(type_val="prometheus", uid=datasource_uid)

    def target(query: Query, ref_id: str) -> prometheus.Dataquery:
        return (prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(ref_id)
                .datasource(ref))

    builder = (
        db.Dashboard(TITLE).uid(UID).tags(["internet-id", "managed-by-pulumi"])
        .description("Internet-ID SLOs, API, verification, IPFS, database, cache and firing alerts.")
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
    for row_title, row in panels(rules, slos, alerting).items():
        builder = builder.with_row(db.Row(row_title).id(next(ids)))
        width = 24 // len(row) if len(row) <= 3 else 6
        for title, spec in row.items():
            panel = (timeseries.Panel().id(next(ids)).title(title).description(spec.description).datasource(ref)
                     .unit(spec.unit).span(width).height(8))
            if spec.thresholds:
                steps = [Threshold(value=None, color=spec.base_color)]
                steps += [Threshold(value=value, color=color) for value, color in spec.thresholds]
                panel = (panel.thresholds(db.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps))
                         .thresholds_style(common.GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.DASHED)))
            for index, query in enumerate(spec.queries):
                panel = panel.with_target(target(query, chr(ord("A") + index)))
            builder = builder.with_panel(panel)
    return builder


def render_custom_dashboard(datasource_uid: str, rules: RuleSettings, slos: Sequence[Slo] = DEFAULT_SLOS,
                            alerting: SloAlerting = DEFAULT_SLO_ALERTING) -> str:
    """The dashboard JSON as uploaded: sorted keys, 2-space indent, trailing newline."""
    dashboard = build_dashboard(datasource_uid, rules, slos, alerting).build()
    encoded: str = JSONEncoder(sort_keys=True, indent=2).encode(dashboard)
    return encoded + "\n"
