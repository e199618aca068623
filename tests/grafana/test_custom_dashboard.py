"""The Internet-ID dashboard: fixed uid, our datasource, real metric names, valid PromQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_mapping
from components.grafana.custom_dashboard import TITLE, UID, all_queries, panels, render_custom_dashboard
from components.rules.render import rule_groups
from components.rules.settings import RuleSettings
from components.slo.render import slo_rule_groups
from components.slo.settings import DEFAULT_SLO_ALERTING, DEFAULT_SLOS
from tests.promql import metric_names
from tests.tools import python_output, run_tool

# Every metric the dashboard may query, with who exposes it.
ALLOWED_METRICS = {
    # Internet-ID API (prom-client, scripts/services/metrics.service.ts)
    "http_requests_total", "verification_total",
    "verification_duration_seconds_bucket", "ipfs_uploads_total", "ipfs_upload_duration_seconds_bucket",
    "db_query_duration_seconds_bucket",
    # postgres_exporter
    "pg_stat_activity_count", "pg_settings_max_connections", "pg_stat_database_xact_commit",
    "pg_stat_database_xact_rollback",
    # redis_exporter
    "redis_keyspace_hits_total", "redis_keyspace_misses_total", "redis_memory_used_bytes",
    "redis_memory_max_bytes", "redis_db_keys",
    # Prometheus
    "up", "ALERTS",
    # our recording rules (components/rules/recording.py), at the default rate window
    "job:http_requests_5xx:ratio_rate5m", "job_le:http_request_duration_seconds_bucket:rate5m",
    "instance:pg_connections:ratio", "job_cache_type:cache_hits:ratio_rate5m",
    # the SLOs' recording rules (components/slo/render.py): the SLI over 30d, the budget left, burn-rate windows
    "slo:sli_error:ratio_rate30d", "slo:error_budget_remaining:ratio", "slo:sli_error:ratio_rate1h",
    "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate3d",
}
# Labels each query may group or match on (the API's labels, exporter labels, target labels).
ALLOWED_LABELS = {"job", "instance", "route", "status_code", "method", "outcome", "platform", "status",
                  "provider", "operation", "table", "datname", "db", "le", "alertstate", "cache_type", "slo"}


def labels(expr: str) -> set[str]:
    found = set()
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        found |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        found |= {g.strip() for g in group.split(",") if g.strip()}
    return found


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_custom_dashboard("prom-main", RuleSettings()))
    return document


def test_identity_and_datasource() -> None:
    document = dashboard()
    assert document["uid"] == UID == "internet-id-overview"
    assert document["title"] == TITLE
    for panel in document["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "prom-main"}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "prom-main"}
    assert "${" not in json.dumps(document)


def test_rows_and_panels() -> None:
    document = dashboard()
    rows = [p["title"] for p in document["panels"] if p["type"] == "row"]
    assert rows == ["Alerts firing now", "SLO api-availability", "SLO api-latency", "API health", "Verification",
                    "IPFS", "Database", "Cache"]
    exprs = json.dumps([t["expr"] for p in document["panels"] for t in p.get("targets", [])])
    for needle in ("http_request_duration_seconds_bucket", "histogram_quantile(0.5,", "histogram_quantile(0.95,",
                   "histogram_quantile(0.99,", "verification_total", "verification_duration_seconds_bucket",
                   "ipfs_uploads_total", "ipfs_upload_duration_seconds_bucket", "pg_settings_max_connections",
                   "pg_stat_activity_count", "db_query_duration_seconds_bucket", "pg_stat_database_xact_rollback",
                   "redis_keyspace_misses_total", "redis_memory_used_bytes", "redis_db_keys",
                   'ALERTS{alertstate=\\"firing\\"}', "job:http_requests_5xx:ratio_rate5m",
                   "instance:pg_connections:ratio", "job_cache_type:cache_hits:ratio_rate5m"):
        assert needle in exprs, needle
    ids = [p["id"] for p in document["panels"]]
    assert len(ids) == len(set(ids))


RENDER_DASHBOARD = """
import sys
from components.grafana.custom_dashboard import render_custom_dashboard
from components.rules.settings import RuleSettings
sys.stdout.write(render_custom_dashboard("x", RuleSettings()))
"""


def test_byte_stable_across_processes() -> None:
    """The JSON rendered by two interpreters with different hash seeds, byte for byte."""
    first, second = (python_output(RENDER_DASHBOARD, hash_seed=seed) for seed in (1, 2))
    assert json.loads(first)["uid"] == UID
    assert first == second
    assert first.endswith("}\n")


def test_queries_use_only_allowed_metrics_and_labels() -> None:
    for expr in all_queries(RuleSettings()):
        assert metric_names(expr) <= ALLOWED_METRICS, (expr, metric_names(expr) - ALLOWED_METRICS)
        assert labels(expr) <= ALLOWED_LABELS, (expr, labels(expr) - ALLOWED_LABELS)
    used = set().union(*(metric_names(e) for e in all_queries(RuleSettings())))
    assert used == ALLOWED_METRICS, f"allow-list entries no query uses: {ALLOWED_METRICS - used}"



def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    rules = [{"record": f"dashboard:query_{i}",
              "expr": expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")}
             for i, expr in enumerate(all_queries(RuleSettings()))]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run_tool("promtool", "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout


def test_every_recorded_series_the_dashboard_reads_is_recorded() -> None:
    """Also at another rate window: the names follow ``rules.rateInterval``."""
    slo_document = slo_rule_groups(list(DEFAULT_SLOS), DEFAULT_SLO_ALERTING, "https://runbook.example/r.md")
    assert slo_document is not None
    for rules in (RuleSettings(), RuleSettings(rate_interval="2m")):
        documents = [*rule_groups(rules).values(), slo_document]
        recorded = {r["record"] for doc in documents for g in doc["groups"] for r in g["rules"] if "record" in r}
        read = {name for expr in all_queries(rules) for name in metric_names(expr) if ":" in name}
        assert read and read <= recorded, read - recorded


def _panel(document: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in document["panels"] if p["title"] == title)


OVERRIDES = {"HighErrorRate": {"threshold": 0.02}, "CriticalErrorRate": {"threshold": 0.08},
             "HighResponseTime": {"threshold": 2}, "DatabaseConnectionPoolExhaustion": {"threshold": 0.7},
             "DatabaseConnectionPoolCritical": {"threshold": 0.9}, "LowCacheHitRate": {"threshold": 0.6}}
"""Every threshold the dashboard draws or states, overridden."""

THRESHOLD_PANELS: dict[str, dict[str, tuple[str, list[tuple[float | None, str]]]]] = {
    "defaults": {
        "Error rate (5xx share)": ("HighErrorRate fires above 5 %, CriticalErrorRate above 10 %.",
                                   [(None, "green"), (0.05, "orange"), (0.1, "red")]),
        "Latency p50 / p95 / p99": ("HighResponseTime fires when p95 is above 5 s.", [(None, "green"), (5, "orange")]),
        "Connection pool usage": (
            "DatabaseConnectionPoolExhaustion fires above 80 %, DatabaseConnectionPoolCritical above 95 %.",
            [(None, "green"), (0.8, "orange"), (0.95, "red")]),
        "API cache hit ratio": ("LowCacheHitRate fires below 50 %.", [(None, "green"), (0.5, "orange")]),
    },
    "overrides": {
        "Error rate (5xx share)": ("HighErrorRate fires above 2 %, CriticalErrorRate above 8 %.",
                                   [(None, "green"), (0.02, "orange"), (0.08, "red")]),
        "Latency p50 / p95 / p99": ("HighResponseTime fires when p95 is above 2 s.", [(None, "green"), (2, "orange")]),
        "Connection pool usage": (
            "DatabaseConnectionPoolExhaustion fires above 70 %, DatabaseConnectionPoolCritical above 90 %.",
            [(None, "green"), (0.7, "orange"), (0.9, "red")]),
        "API cache hit ratio": ("LowCacheHitRate fires below 60 %.", [(None, "green"), (0.6, "orange")]),
    },
}


@pytest.mark.parametrize("case", sorted(THRESHOLD_PANELS))
def test_threshold_lines_and_texts_follow_the_stacks_alert_settings(case: str) -> None:
    """Each panel an alert judges states that alert's threshold in its description and draws it as a line."""
    overrides = OVERRIDES if case == "overrides" else {}
    settings = settings_from_mapping("dev", {"internet-id-monitoring:rules": {"overrides": overrides}},
                                     require_secrets=False)
    document = json.loads(render_custom_dashboard("prom-main", settings.rules, []))
    with_thresholds = {p["title"] for p in document["panels"] if "thresholds" in p.get("fieldConfig", {}).get(
        "defaults", {})}
    assert with_thresholds == set(THRESHOLD_PANELS[case])
    for title, (text, expected_steps) in THRESHOLD_PANELS[case].items():
        panel = _panel(document, title)
        assert panel["description"].endswith(text), (title, panel["description"])
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [(step["value"], step["color"]) for step in steps] == expected_steps, title


def test_one_row_per_slo_from_the_stacks_slo_settings() -> None:
    settings = settings_from_mapping("dev", {"internet-id-monitoring:slos": [
        {"name": "upload-availability", "kind": "availability", "objective": 99.5, "window": "28d",
         "selector": 'job="internet-id-api", route="/upload"'}]}, require_secrets=False)
    document = json.loads(render_custom_dashboard("prom-main", settings.rules, settings.slos, settings.slo_alerting))
    rows = [p["title"] for p in document["panels"] if p["type"] == "row"]
    assert rows[:3] == ["Alerts firing now", "SLO upload-availability", "API health"]
    sli = _panel(document, "SLI over 28d")
    assert [t["expr"] for t in sli["targets"]] == ['1 - slo:sli_error:ratio_rate28d{slo="upload-availability"}']
    steps = sli["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(step["value"], step["color"]) for step in steps] == [(None, "red"), (0.995, "green")]
    budget = _panel(document, "Error budget remaining")
    assert [t["expr"] for t in budget["targets"]] == ['slo:error_budget_remaining:ratio{slo="upload-availability"}']
    burn = _panel(document, "Burn rate")
    assert [(t["expr"], t["legendFormat"]) for t in burn["targets"]] == [
        (f'slo:sli_error:ratio_rate{window}{{slo="upload-availability"}} / 0.005', window)
        for window in ("1h", "6h", "1d", "3d")]
    steps = burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(step["value"], step["color"]) for step in steps] == [
        (None, "green"), (1, "orange"), (3, "orange"), (6, "red"), (14.4, "red")]
    assert "ErrorBudgetBurn pages above 14.4 over 1h (and 5m)" in burn["description"]


def test_a_stack_without_slos_has_no_slo_row() -> None:
    document = json.loads(render_custom_dashboard("prom-main", RuleSettings(), []))
    assert not [p for p in document["panels"] if p["type"] == "row" and p["title"].startswith("SLO ")]


ZERO_WHEN_UNRECORDED = ("Verifications by outcome", "Verification duration p95", "Uploads by status",
                        "Upload duration p95 by provider", "Query duration p95 by operation")
"""Panels of counters the API declares but has not recorded yet: 0 while the API is up, No data while down."""


def _panel_expr(title: str) -> str:
    found = [q.expr for row in panels(RuleSettings()).values() for name, p in row.items() if name == title
             for q in p.queries]
    assert len(found) == 1, (title, found)
    return found[0].replace("$__rate_interval", "1m")


def _promtool_case(series: dict[str, str], cases: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {"interval": "15s",
            "input_series": [{"series": name, "values": values} for name, values in series.items()],
            "promql_expr_test": [{"expr": expr, "eval_time": "5m", "exp_samples": samples}
                                 for expr, samples in cases]}


API_UP = 'up{job="internet-id-api", instance="10.0.1.5:3001"}'
REDIS = 'job="redis", instance="redis-exporter:9121"'


def test_panels_show_zero_when_nothing_happened_and_no_data_when_down(tmp_path: Path) -> None:
    """promtool evaluates the panels' own queries: an API that answers but never recorded a verification,
    upload or query shows 0; a down API shows nothing; Redis without lookups shows nothing, never NaN."""
    zero = [{"labels": "{}", "value": 0}]
    tests = [
        _promtool_case({API_UP: "1x20"}, [(_panel_expr(t), zero) for t in ZERO_WHEN_UNRECORDED]),
        _promtool_case({API_UP: "0x20"}, [(_panel_expr(t), []) for t in ZERO_WHEN_UNRECORDED]),
        _promtool_case({f"redis_keyspace_hits_total{{{REDIS}}}": "5x20",
                        f"redis_keyspace_misses_total{{{REDIS}}}": "2x20"},
                       [(_panel_expr("Redis hit rate"), [])]),
        _promtool_case({f"redis_keyspace_hits_total{{{REDIS}}}": "0+3x20",
                        f"redis_keyspace_misses_total{{{REDIS}}}": "0+1x20"},
                       [(_panel_expr("Redis hit rate"), [{"labels": "{}", "value": 0.75}])]),
    ]
    path = tmp_path / "panels.test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "15s", "tests": tests}))
    result = run_tool("promtool", "test", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
