"""normalize_dashboard: one fixture per datasource reference style, all ending on our datasource."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.containers import grafana
from components.grafana.community import normalize_dashboard
from components.grafana.settings import GrafanaSettings
from tests.contexts import stack_context
from tests.grafana.conftest import FIXTURES

UID = "prom-main"
REF = {"type": "prometheus", "uid": UID}
STYLES = ["inputs-string.json", "inputs-object.json", "datasource-variable.json", "datasource-name.json",
          "datasource-null.json"]
BUILTIN = ({"type": "grafana", "uid": "-- Grafana --"}, "-- Grafana --", {"type": "datasource", "uid": "grafana"},
           {"type": "datasource", "uid": "-- Mixed --"})


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return document


def normalized(name: str, **kwargs: Any) -> dict[str, Any]:
    return normalize_dashboard(load(name), gnet_id=77, datasource_uid=UID, **kwargs)


def datasource_refs(node: Any) -> Iterator[Any]:
    """Every value under a ``datasource`` key, except a datasource variable's own (it has none)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield value
            yield from datasource_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from datasource_refs(item)


def panels(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "targets" in node:
            yield node
        for value in node.values():
            yield from panels(value)
    elif isinstance(node, list):
        for item in node:
            yield from panels(item)


@pytest.mark.parametrize("name", STYLES)
def test_every_datasource_reference_is_ours(name: str) -> None:
    dashboard = normalized(name)
    refs = list(datasource_refs(dashboard))
    assert refs, "the fixture has datasource references"
    assert all(ref == REF or ref in BUILTIN for ref in refs), refs
    for panel in panels(dashboard):
        if panel.get("datasource") not in BUILTIN:
            assert panel["datasource"] == REF, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == REF, (panel["title"], target)
    text = json.dumps(dashboard)
    assert "${" not in text
    assert "DS_" not in text


@pytest.mark.parametrize("name", STYLES)
def test_export_fields_removed_uid_fixed_title_kept(name: str) -> None:
    dashboard = normalized(name)
    for key in ("__inputs", "__requires", "__elements", "id", "version"):
        assert key not in dashboard
    assert dashboard["uid"] == "community-77"
    assert dashboard["title"] == load(name)["title"]


def test_input_placeholder_replaced_in_any_string() -> None:
    dashboard = normalized("inputs-string.json")
    link = dashboard["panels"][1]["links"][0]["url"]
    assert link == f"/explore?datasource={UID}"


def test_builtin_annotation_datasources_are_kept() -> None:
    assert normalized("inputs-string.json")["annotations"]["list"][0]["datasource"] == "-- Grafana --"
    assert normalized("inputs-object.json")["annotations"]["list"][0]["datasource"] == {
        "type": "grafana", "uid": "-- Grafana --"}
    mixed = normalized("datasource-variable.json")["panels"][1]
    assert mixed["datasource"] == {"type": "datasource", "uid": "-- Mixed --"}
    assert mixed["targets"][0]["datasource"] == REF


def test_datasource_variable_defaults_to_ours_and_is_hidden() -> None:
    variable = normalized("datasource-variable.json", datasource_name="Prometheus")["templating"]["list"][0]
    assert variable["type"] == "datasource"
    assert variable["current"] == {"selected": True, "text": "Prometheus", "value": UID}
    assert variable["hide"] == 2
    assert "datasource" not in variable


def test_kubernetes_variables_match_everything() -> None:
    """``release``/``namespace``/``pod_name`` do not exist on Docker: include-all ``.*`` and regex matchers."""
    for name, kube in (("inputs-string.json", {"release"}), ("inputs-object.json", {"namespace", "pod_name"})):
        dashboard = normalized(name)
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        for variable in kube:
            assert variables[variable]["includeAll"] is True
            assert variables[variable]["allValue"] == ".*"
            assert variables[variable]["current"]["value"] == "$__all"
            assert variables[variable]["hide"] == 2
        text = json.dumps(dashboard)
        for variable in kube:
            assert f'=\\"${variable}\\"' not in text, variable
            assert f'=~\\"${variable}\\"' in text, variable
    # Other variables keep their matchers exactly.
    stat = normalized("inputs-string.json")["panels"][0]
    assert stat["targets"][0]["expr"] == 'pg_up{release=~"$release", instance="$instance"}'
    instance = normalized("inputs-string.json")["templating"]["list"][1]
    assert instance["query"] == 'label_values(pg_up{release=~"$release"}, instance)'
    assert "includeAll" not in instance


def test_angular_panels_are_left_for_grafana_to_migrate() -> None:
    """Grafana's own migration keeps what a hand-written one dropped: thresholds, colors, legend, axes."""
    dashboard = normalized("datasource-name.json")
    uptime, cpu = dashboard["rows"][0]["panels"]
    original = load("datasource-name.json")["rows"][0]["panels"]
    assert (uptime["type"], cpu["type"]) == ("singlestat", "graph")
    assert (uptime["thresholds"], uptime["colors"], uptime["sparkline"]) == ("1,2", ["red", "orange", "green"],
                                                                           {"show": True})
    assert (cpu["legend"], cpu["yaxes"], cpu["stack"]) == ({"show": True}, original[1]["yaxes"], True)
    assert cpu["targets"][0]["expr"] == original[1]["targets"][0]["expr"]


def test_grafana_migrates_old_panels_unless_turned_off() -> None:
    grafana_env = [grafana.runtime(GrafanaSettings(migrate_angular_panels=migrate), stack_context(),
                                   root_url="http://127.0.0.1:3030", web_auth=True, documents={}).env
                   for migrate in (True, False)]
    assert grafana_env[0]["GF_FEATURE_TOGGLES_ENABLE"] == "autoMigrateOldPanels"
    assert "GF_FEATURE_TOGGLES_ENABLE" not in grafana_env[1]


def test_pure_and_idempotent() -> None:
    raw = load("inputs-object.json")
    before = json.dumps(raw, sort_keys=True)
    once = normalize_dashboard(raw, gnet_id=1, datasource_uid=UID)
    assert json.dumps(raw, sort_keys=True) == before
    assert normalize_dashboard(once, gnet_id=1, datasource_uid=UID) == once


HOSTILE = {
    "title": "Looks useful",
    "links": [{"title": "docs", "url": "https://grafana.com/docs"},
              {"title": "click", "url": " JavaScript:fetch('/api/admin/users')"},
              {"title": "tabbed", "url": "java\tscript:alert(1)"}],
    "panels": [
        {"id": 1, "type": "timeseries", "gridPos": {"x": 0}, "title": "Loki logs",
         "datasource": {"type": "loki", "uid": "attacker-loki"},
         "targets": [{"expr": "up", "datasource": {"type": "influxdb", "uid": "elsewhere"}}],
         "fieldConfig": {"defaults": {"links": [{"title": "x", "url": "data:text/html,<script>1</script>"},
                                                {"title": "drill down", "url": "/d/other?var=${__value.raw}"}]}}},
        {"id": 2, "type": "evil-exfiltration-panel", "gridPos": {"x": 12}, "title": "Pretty",
         "options": {"endpoint": "https://attacker.example/collect"}, "targets": [{"expr": "up"}]},
        {"id": 3, "type": "text", "gridPos": {"x": 0, "y": 8}, "title": "Note",
         "options": {"mode": "markdown", "content": "hi"}},
    ],
}


def test_what_a_monitoring_dashboard_never_needs_is_neutralised() -> None:
    """Other datasources point at ours, plugin panels become a note, script links are dropped."""
    dashboard = normalize_dashboard(HOSTILE, gnet_id=77, datasource_uid=UID)
    assert dashboard["links"] == [{"title": "docs", "url": "https://grafana.com/docs"}]
    timeseries, plugin, text = dashboard["panels"]
    assert timeseries["datasource"] == REF and timeseries["targets"][0]["datasource"] == REF
    assert timeseries["fieldConfig"]["defaults"]["links"] == [
        {"title": "drill down", "url": "/d/other?var=${__value.raw}"}]
    assert plugin == {"id": 2, "type": "text", "gridPos": {"x": 12}, "title": "Pretty", "options": {
        "mode": "markdown",
        "content": "This panel needs the panel plugin `evil-exfiltration-panel`, which this Grafana does not install."}}
    assert text == HOSTILE["panels"][2]
    assert "attacker" not in json.dumps(dashboard)


SCRIPT_LINKS = {
    "title": "t",
    "links": [{"type": "link", "url": "javascript:alert(7)", "title": "dash link"},
              {"type": "link", "url": "mailto:ops@example.com", "title": "mail"},
              {"type": "link", "url": "/d/abc?var-x=${x}", "title": "kept: relative"}],
    "panels": [
        {"type": "singlestat", "id": 1, "targets": [], "linkUrl": "javascript:alert(document.cookie)"},
        {"type": "table-old", "id": 2, "targets": [],
         "styles": [{"pattern": "x", "linkUrl": "javascript:alert(1)", "link": True},
                    {"pattern": "y", "linkUrl": "https://docs.example/${__cell}", "link": True}]},
        {"type": "timeseries", "id": 3, "targets": [],
         "fieldConfig": {"defaults": {"links": [{"title": "x", "url": "javascript:alert(2)"}]}}},
        {"type": "graph", "id": 4, "targets": [],
         "options": {"dataLinks": [{"title": "d", "url": "JaVaScRiPt:alert(3)"}]}},
        {"type": "text", "id": 5, "gridPos": {"x": 0}, "options": {"mode": "markdown", "content":
            "[click](javascript:alert(4)) and [docs](https://docs.example/x) and [here](#anchor)"}},
        {"type": "text", "id": 6, "gridPos": {"x": 0}, "mode": "html", "content":
            '<a href="vbscript:msgbox(5)">x</a> <a href=\'https://ok.example\'>y</a> <img src=data:image/svg+xml,1>'},
        {"type": "timeseries", "id": 7, "targets": [], "links": [{"title": "l", "url": "java\tscript:alert(6)"}]},
        {"type": "timeseries", "id": 8, "targets": [], "links": [{"title": "l", "url": "\u0000javascript:alert(8)"}]},
        {"type": "stat", "id": 9, "targets": [], "options": {"href": "vbscript:x"}},
    ],
}


def test_every_link_bearing_field_keeps_only_http_or_relative_targets() -> None:
    """An allow-list over every link key (``url``, ``linkUrl``, ``href``) and text panels' markdown and HTML."""
    text = json.dumps(normalize_dashboard(SCRIPT_LINKS, gnet_id=1, datasource_uid=UID))
    for scheme in ("javascript", "vbscript", "data:", "mailto"):
        assert scheme not in text.lower().replace("\\t", "").replace("\\u0000", ""), scheme
    dashboard = normalize_dashboard(SCRIPT_LINKS, gnet_id=1, datasource_uid=UID)
    assert [link["title"] for link in dashboard["links"]] == ["kept: relative"]
    single, table, _, graph, markdown, html, tabbed, nul, stat = dashboard["panels"]
    assert single["linkUrl"] == "" and stat["options"]["href"] == ""
    assert [style["linkUrl"] for style in table["styles"]] == ["", "https://docs.example/${__cell}"]
    assert graph["options"]["dataLinks"] == [{"title": "d", "url": ""}]
    assert markdown["options"]["content"] == "[click](#) and [docs](https://docs.example/x) and [here](#anchor)"
    assert html["content"] == '<a href="#">x</a> <a href=\'https://ok.example\'>y</a> <img src=#>'
    assert tabbed["links"] == [] and nul["links"] == []
