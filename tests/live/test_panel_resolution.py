"""How the live panel test resolves variables and intervals (not marked live: no daemons)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live.harness.panels import (
    PrometheusApi,
    builtins,
    interpolate,
    panels,
    query_options,
    resolve_variables,
    visible_exprs,
)


class FakeApi(PrometheusApi):
    """Answers from fixed series, as Prometheus' series and query APIs would."""

    def __init__(self, series: list[dict[str, str]]) -> None:
        super().__init__("http://unused")
        self.series = series
        self.asked: list[tuple[str, str | None]] = []

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        self.asked.append((label, match))
        name = match.split("{")[0] if match else None
        return sorted({s[label] for s in self.series if label in s and (name is None or s["__name__"] == name)})

    def instant(self, expr: str) -> list[dict[str, Any]]:
        name = expr.split("{", maxsplit=1)[0]
        return [{"metric": s, "value": [1700000000.5, "1"]} for s in self.series if s["__name__"] == name]


SERIES = [
    {"__name__": "node_uname_info", "job": "node-exporter", "instance": "host-b:9100"},
    {"__name__": "node_uname_info", "job": "node-exporter", "instance": "host-a:9100"},
    {"__name__": "pg_up", "job": "postgres", "instance": "pg:9187"},
]


def test_builtin_intervals_follow_the_scrape_interval() -> None:
    values = builtins(2, 6 * 3600)
    assert values["__interval"] == "2s"
    assert values["__rate_interval"] == "8s"  # max(2s + 2s, 4 * 2s)
    assert values["__range"] == "6h" and values["__range_s"] == "21600"
    assert builtins(15, 3600, min_interval=60)["__rate_interval"] == "75s"  # 1m + 15s


def test_interpolation_formats() -> None:
    values: dict[str, str | list[str]] = {"node": "host-a:9100", "multi": ["a.b", "c"], "one": ["x.y"], "none": []}
    assert interpolate('up{instance="$node"} [[node]] ${node}', values) == \
        'up{instance="host-a:9100"} host-a:9100 host-a:9100'
    assert interpolate('x{l=~"$multi"}', values) == r'x{l=~"(a\\.b|c)"}'
    assert interpolate('x{l=~"$one"}', values) == r'x{l=~"x\\.y"}'
    assert interpolate("x{l=~'$none'} $unknown", values) == "x{l=~'()'} $unknown"


def test_variables_resolve_in_dependency_order_keeping_or_replacing_the_saved_choice() -> None:
    document = {"templating": {"list": [
        {"name": "node", "type": "query", "query": {"query": 'label_values(node_uname_info{job="$job"}, instance)'},
         "current": {"value": "gone:9100"}, "sort": 1},
        {"name": "job", "type": "query", "query": "label_values(node_uname_info, job)", "current": {}},
        {"name": "pod", "type": "query", "query": "label_values(pod)", "includeAll": True, "allValue": ".*",
         "current": {"value": "$__all"}},
        {"name": "db", "type": "query", "query": "query_result(pg_up)", "regex": '/.*instance="([^"]+)".*/',
         "includeAll": True, "current": {}},
        {"name": "ds", "type": "datasource", "current": {"value": "prometheus"}},
        {"name": "interval", "type": "interval", "query": "1m,5m", "current": {"value": "5m"}},
    ]}}
    api = FakeApi(SERIES)
    resolved = resolve_variables(document, api, {})
    assert api.asked[0] == ("job", "node_uname_info")  # job before node, which uses it
    assert resolved["job"].value == "node-exporter"
    assert resolved["node"].options == ["host-a:9100", "host-b:9100"]
    assert resolved["node"].value == "host-a:9100"  # the saved host is gone: the first option
    assert resolved["pod"].value == ".*"
    assert resolved["db"].options == ["pg:9187"] and resolved["db"].value == ["pg:9187"]
    assert resolved["ds"].value == "prometheus"
    assert resolved["interval"].value == "5m"


def test_query_result_rows_render_as_grafana_shows_them() -> None:
    assert query_options(FakeApi(SERIES), "query_result(pg_up)") == \
        ['pg_up{instance="pg:9187",job="postgres"} 1 1700000000500']
    with pytest.raises(ValueError, match="unsupported variable query"):
        query_options(FakeApi(SERIES), "something_else(x)")


def test_every_querying_panel_is_found_and_hidden_targets_are_left_out() -> None:
    document = {
        "panels": [
            {"type": "row", "title": "open", "panels": []},
            {"type": "timeseries", "title": "a", "targets": [{"expr": "up"}, {"expr": "x", "hide": True}]},
            {"type": "row", "title": "collapsed", "collapsed": True,
             "panels": [{"type": "stat", "title": "b", "targets": [{"expr": "y", "instant": True}]}]},
            {"type": "text", "title": "notes"},
        ],
        "rows": [{"panels": [{"type": "graph", "title": "c", "targets": [{"expr": "z"}]}]}],
    }
    found = list(panels(document))
    assert [p["title"] for p in found] == ["a", "b", "c"]
    assert visible_exprs(found[0]) == [("up", False)]
    assert visible_exprs(found[1]) == [("y", True)]
