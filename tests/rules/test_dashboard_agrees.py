"""The dashboard shows what the alerts judge: the same selectors, so a panel never contradicts an alert."""

from __future__ import annotations

from components.grafana.custom_dashboard import panels
from components.rules.catalogue import BY_NAME
from components.rules.render import rule
from components.rules.settings import RuleSettings
from components.slo.render import slo_rule_groups
from components.slo.settings import DEFAULT_SLO_ALERTING, DEFAULT_SLOS


def _panel_exprs(title: str) -> list[str]:
    row = next(row for row in panels(RuleSettings()).values() if title in row)
    return [query.expr for query in row[title].queries]


def test_the_error_rate_panel_reads_the_series_the_error_alerts_judge() -> None:
    ratio = "job:http_requests_5xx:ratio_rate5m"
    assert _panel_exprs("Error rate (5xx share)") == [ratio]
    for name in ("HighErrorRate", "CriticalErrorRate"):
        assert rule(BY_NAME[name], RuleSettings())["expr"].startswith(f"{ratio} > ")


def test_the_latency_panel_reads_the_buckets_the_latency_alert_judges() -> None:
    buckets = "job_le:http_request_duration_seconds_bucket:rate5m"
    assert f"histogram_quantile(0.95, {buckets})" in _panel_exprs("Latency p50 / p95 / p99")
    assert rule(BY_NAME["HighResponseTime"], RuleSettings())["expr"].startswith(f"histogram_quantile(0.95, {buckets})")


def test_the_pool_and_cache_panels_read_what_their_alerts_judge() -> None:
    assert _panel_exprs("Connection pool usage") == ["instance:pg_connections:ratio"]
    assert rule(BY_NAME["DatabaseConnectionPoolExhaustion"], RuleSettings())["expr"].startswith(
        "instance:pg_connections:ratio > ")
    assert _panel_exprs("API cache hit ratio") == ["job_cache_type:cache_hits:ratio_rate5m"]
    assert rule(BY_NAME["LowCacheHitRate"], RuleSettings())["expr"].startswith(
        "job_cache_type:cache_hits:ratio_rate5m\n< ")


def test_the_slo_panels_read_the_series_the_burn_rate_alerts_judge() -> None:
    document = slo_rule_groups(list(DEFAULT_SLOS), DEFAULT_SLO_ALERTING, "https://example.org/runbook.md")
    assert document is not None
    alerts = [r for g in document["groups"] for r in g["rules"] if "alert" in r]
    availability = [r["expr"].split("\n")[0] for r in alerts if r["labels"]["slo"] == "api-availability"]
    assert availability == [
        'slo:sli_error:ratio_rate1h{slo="api-availability"} / 0.001 > 14.4',
        'slo:sli_error:ratio_rate6h{slo="api-availability"} / 0.001 > 6',
        'slo:sli_error:ratio_rate1d{slo="api-availability"} / 0.001 > 3',
        'slo:sli_error:ratio_rate3d{slo="api-availability"} / 0.001 > 1',
    ]
    burn_rates = panels(RuleSettings())["SLO api-availability"]["Burn rate"]
    assert [f"{q.expr} > " for q in burn_rates.queries] == [expr.rsplit("> ", 1)[0] + "> " for expr in availability]
