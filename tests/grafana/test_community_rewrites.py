"""Community panels the normalizer rewrites (renamed metrics, divisions by zero), and what they then show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.grafana.community import REWRITTEN_NOTE, normalize_dashboard, rewrite_query
from tests.tools import run_tool

COMMUNITY = Path(__file__).resolve().parents[1] / "fixtures" / "dashboards" / "community"

EXPECTED_REWRITES = {
    1860: {"SWAP Used": [
        '((node_memory_SwapTotal_bytes{instance="$node",job="$job"} - node_memory_SwapFree_bytes{instance="$node",'
        'job="$job"}) / (node_memory_SwapTotal_bytes{instance="$node",job="$job"} > 0)) * 100']},
    9628: {
        "Buffers (bgwriter)": [f"irate(pg_stat_bgwriter_{name}_total{{instance=\"$instance\"}}[5m])" for name in (
            "buffers_backend", "buffers_alloc", "buffers_backend_fsync", "buffers_checkpoint", "buffers_clean")],
        "Checkpoint Stats": [f"irate(pg_stat_bgwriter_{name}_total{{instance=\"$instance\"}}[5m])"
                             for name in ("checkpoint_write_time", "checkpoint_sync_time")],
        "Cache Hit Rate": [
        'pg_stat_database_blks_hit{instance="$instance", datname=~"$datname"} / ((pg_stat_database_blks_read{'
        'instance="$instance", datname=~"$datname"} + pg_stat_database_blks_hit{instance="$instance", '
        'datname=~"$datname"}) > 0)']},
    11835: {"Memory Usage": [
        '100 * (redis_memory_used_bytes{instance=~"$instance"}  / (redis_memory_max_bytes{instance=~"$instance"} > 0 '
        'or redis_total_system_memory_bytes{instance=~"$instance"}))']},
    179: {},
}
"""Per fixture (the real dashboards' queries): the only panels rewritten, with their expressions after
(renamed metrics and guarded divisions)."""


def _panels(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from _panels(node.get("panels", []))


@pytest.mark.parametrize("gnet_id", sorted(EXPECTED_REWRITES))
def test_only_renamed_metrics_and_divisions_by_zero_are_rewritten(gnet_id: int) -> None:
    raw = json.loads((COMMUNITY / f"{gnet_id}.json").read_text())
    document = normalize_dashboard(raw, gnet_id=gnet_id, datasource_uid="prom")
    rewritten = {p["title"]: [t["expr"] for t in p["targets"]] for p in _panels(document["panels"])
                 if REWRITTEN_NOTE in p.get("description", "")}
    assert rewritten == EXPECTED_REWRITES[gnet_id]
    before = {p["title"]: [t.get("expr") for t in p.get("targets", [])] for p in _panels(raw["panels"])}
    after = {p["title"]: [t.get("expr") for t in p.get("targets", [])] for p in _panels(document["panels"])}
    changed = {t for t in before if before[t] != after[t] and "$" not in json.dumps(before[t])}
    assert changed <= set(rewritten), changed
    assert normalize_dashboard(document, gnet_id=gnet_id, datasource_uid="prom") == document


@pytest.mark.parametrize(("expr", "expected"), [
    ("a / redis_memory_max_bytes", "a / (redis_memory_max_bytes > 0 or redis_total_system_memory_bytes)"),
    ('a / (redis_memory_max_bytes{job="redis"})',
     'a / (redis_memory_max_bytes{job="redis"} > 0 or redis_total_system_memory_bytes{job="redis"})'),
    ("rate(redis_keyspace_hits_total[5m]) / "
     "(rate(redis_keyspace_hits_total[5m]) + rate(redis_keyspace_misses_total[5m]))",
     "rate(redis_keyspace_hits_total[5m]) / "
     "((rate(redis_keyspace_hits_total[5m]) + rate(redis_keyspace_misses_total[5m])) > 0)"),
    ("redis_memory_max_bytes / 2", "redis_memory_max_bytes / 2"),
    ("a / (b + c)", "a / (b + c)"),
    ("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
     "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes"),
    ("irate(pg_stat_bgwriter_buffers_backend_fsync[5m]) + pg_stat_bgwriter_checkpoints_timed",
     "irate(pg_stat_bgwriter_buffers_backend_fsync_total[5m]) + pg_stat_bgwriter_checkpoints_timed_total"),
    ("pg_stat_bgwriter_buffers_backend_total", "pg_stat_bgwriter_buffers_backend_total"),
])
def test_rewrite_query(expr: str, expected: str) -> None:
    assert rewrite_query(expr)[0] == expected


REDIS = 'job="redis", instance="redis-exporter:9121"'
PG = 'job="postgres", instance="pg:9187", datname="internetid"'


def _case(series: dict[str, str], expr: str, samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {"interval": "15s", "input_series": [{"series": k, "values": v} for k, v in series.items()],
            "promql_expr_test": [{"expr": expr, "eval_time": "1m", "exp_samples": samples}]}


def test_rewritten_panels_show_a_value_or_nothing_never_inf_or_nan(tmp_path: Path) -> None:
    """promtool evaluates the rewritten queries (published ones would give +Inf and NaN here)."""
    memory, = EXPECTED_REWRITES[11835]["Memory Usage"]
    hits, = EXPECTED_REWRITES[9628]["Cache Hit Rate"]
    memory = memory.replace('instance=~"$instance"', REDIS)
    hits = hits.replace('instance="$instance", datname=~"$datname"', PG)
    redis = {f"redis_memory_used_bytes{{{REDIS}}}": "100x4", f"redis_total_system_memory_bytes{{{REDIS}}}": "1000x4"}
    labels = f"{{{REDIS}}}"
    tests = [
        _case({**redis, f"redis_memory_max_bytes{{{REDIS}}}": "0x4"}, memory, [{"labels": labels, "value": 10}]),
        _case({**redis, f"redis_memory_max_bytes{{{REDIS}}}": "400x4"}, memory, [{"labels": labels, "value": 25}]),
        _case({f"pg_stat_database_blks_hit{{{PG}}}": "0x4", f"pg_stat_database_blks_read{{{PG}}}": "0x4"}, hits, []),
        _case({f"pg_stat_database_blks_hit{{{PG}}}": "90x4", f"pg_stat_database_blks_read{{{PG}}}": "10x4"}, hits,
              [{"labels": f"{{{PG}}}", "value": 0.9}]),
    ]
    path = tmp_path / "guards.test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "15s", "tests": tests}))
    result = run_tool("promtool", "test", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
