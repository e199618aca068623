"""The metric-name reader the dashboard tests rely on."""

from __future__ import annotations

from tests.promql import metric_names


def test_metric_names_skip_functions_keywords_labels_and_strings() -> None:
    assert metric_names('sum by (le) (rate(a_bucket{job="x"}[5m])) / on(instance) b > 0') == {"a_bucket", "b"}
    assert metric_names('count(ALERTS{alertstate="firing"}) or vector(0)') == {"ALERTS"}
    assert metric_names('sum by (cpu) (irate(node_cpu_seconds_total{mode="idle"}[5m])) / on(instance) '
                        "group_left count(node_uname_info) * 100") == {"node_cpu_seconds_total", "node_uname_info"}
    assert metric_names("topk(5, irate(redis_commands_total[1m]))") == {"redis_commands_total"}
    assert metric_names('up{job="a \\" b"} == 0 and on() vector(1) > bool 0') == {"up"}
