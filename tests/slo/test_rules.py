"""slo.yml: valid for every stack, every rule proven by promtool, names and windows as documented."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.render import rule_files
from components.rules.settings import DEFAULT_RUNBOOK_BASE_URL
from components.settings import StackSettings
from components.slo.render import render_slo_rules
from components.slo.settings import DEFAULT_SLO_ALERTING, DEFAULT_SLOS
from tests.conftest import STACKS
from tests.contexts import stack_context
from tests.tools import VERSION_SETS, run_tool

PROMTOOL_TESTS = Path(__file__).resolve().parent / "promtool"
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
NS = "internet-id-monitoring"


def _settings(**values: Any) -> StackSettings:
    return settings_from_mapping("dev", {f"{NS}:{key}": value for key, value in values.items()}, require_secrets=False)


def _document(settings: StackSettings) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(rule_files(settings)["slo.yml"])
    return document


def _group(settings: StackSettings, name: str) -> dict[str, Any]:
    return next(group for group in _document(settings)["groups"] if group["name"] == name)


def _alerts(settings: StackSettings) -> list[dict[str, Any]]:
    return [rule for rule in _group(settings, "internet-id-slo")["rules"] if "alert" in rule]


# ---------------------------------------------------------------- promtool


@pytest.mark.parametrize("version_set", VERSION_SETS)
@pytest.mark.parametrize("stack", STACKS)
def test_promtool_check_rules_per_stack(stack: str, version_set: str, tmp_path: Path) -> None:
    files = rule_files(settings_from_stack_file(stack))
    assert "slo.yml" in files
    path = tmp_path / "slo.yml"
    path.write_text(files["slo.yml"])
    result = run_tool("promtool", "check", "rules", path, set_name=version_set)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "SUCCESS: 30 rules found" in result.stdout


@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_promtool_unit_tests(version_set: str, tmp_path: Path) -> None:
    """Every story of tests/slo/promtool against the slo.yml every stack renders by default, with the pinned
    Prometheus' promtool and the current one's."""
    (tmp_path / "rules").mkdir()
    default = render_slo_rules(DEFAULT_SLOS, DEFAULT_SLO_ALERTING, stack_context(),
                               runbook_base_url=DEFAULT_RUNBOOK_BASE_URL)
    (tmp_path / "rules" / "slo.yml").write_text(default["slo.yml"])
    tests = sorted(PROMTOOL_TESTS.glob("*.test.yml"))
    assert [t.name for t in tests] == ["pages.test.yml", "recordings.test.yml", "tickets.test.yml"]
    for test in tests:
        shutil.copy(test, tmp_path / test.name)
    result = run_tool("promtool", "test", "rules", *(tmp_path / t.name for t in tests), set_name=version_set)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests), result.stdout


Firing = set[tuple[str, str, str, str]]
"""Firing ``ErrorBudgetBurn`` alerts as (environment, slo, long, short)."""


def _cases() -> list[tuple[str, int, Firing]]:
    """(story, minute, firing alerts) of every alert case of tests/slo/promtool."""
    cases = []
    for path in sorted(PROMTOOL_TESTS.glob("*.test.yml")):
        for index, test in enumerate(yaml.safe_load(path.read_text())["tests"]):
            for case in test.get("alert_rule_test", []):
                assert case["alertname"] == "ErrorBudgetBurn"
                labels = [a["exp_labels"] for a in case["exp_alerts"]]
                firing = {(a["environment"], a["slo"], a["long"], a["short"]) for a in labels}
                cases.append((f"{path.name}#{index}", int(str(case["eval_time"]).removesuffix("m")), firing))
    return cases


def test_every_alert_fires_in_a_story_and_then_resolves_in_it() -> None:
    """Each SLO and window pair fires at some time of a story, and later in the same story it is silent."""
    cases = _cases()
    rules = {(rule["labels"]["slo"], rule["labels"]["long"], rule["labels"]["short"]) for rule in _alerts(_settings())}
    assert len(rules) == 8
    for rule in rules:
        fired = [(story, minute, env) for story, minute, firing in cases for env, *labels in firing
                 if tuple(labels) == rule]
        assert fired, f"{rule} never fires in tests/slo/promtool"
        assert any(later_story == story and later > minute and (env, *rule) not in firing
                   for story, minute, env in fired for later_story, later, firing in cases), f"{rule} never resolves"


def test_every_recorded_series_has_a_promtool_case() -> None:
    recorded = {rule["record"] for group in _document(_settings())["groups"] for rule in group["rules"]
                if "record" in rule}
    assert recorded == {
        "slo:sli_requests:rate5m", "slo:sli_errors:rate5m", "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate2h",
        "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate3d",
        "slo:sli_error:ratio_rate30d", "slo:error_budget_remaining:ratio",
    }
    tested = set()
    for test in yaml.safe_load((PROMTOOL_TESTS / "recordings.test.yml").read_text())["tests"]:
        for case in test.get("promql_expr_test", []):
            tested |= set(re.findall(r"slo:[a-z_]+:[a-z_0-9]+", case["expr"]))
    assert recorded <= tested, recorded - tested


# ---------------------------------------------------------------- the rendered rules


def test_two_groups_the_budget_one_evaluated_less_often() -> None:
    document = _document(_settings())
    assert [(g["name"], g.get("interval")) for g in document["groups"]] == [
        ("internet-id-slo", None), ("internet-id-slo-budget", "3m")]
    rules = document["groups"][0]["rules"]
    recorded = [i for i, rule in enumerate(rules) if "record" in rule]
    assert recorded == list(range(len(recorded))), "the alerts must read recordings of the same evaluation"
    assert len(recorded) == 18 and len(rules) - len(recorded) == 8


def test_the_alerts_carry_the_documented_labels_and_for() -> None:
    alerts = _alerts(_settings())
    assert {rule["alert"] for rule in alerts} == {"ErrorBudgetBurn"}
    found = {(r["labels"]["slo"], r["labels"]["severity"], r["labels"]["long"], r["labels"]["short"], r["for"])
             for r in alerts}
    assert found == {
        (slo, severity, long, short, for_) for slo in ("api-availability", "api-latency")
        for severity, long, short, for_ in (("critical", "1h", "5m", "2m"), ("critical", "6h", "30m", "15m"),
                                             ("warning", "1d", "2h", "1h"), ("warning", "3d", "6h", "3h"))
    }
    assert {r["labels"]["service"] for r in alerts} == {"api"}
    page = next(r for r in alerts if r["labels"]["slo"] == "api-availability" and r["labels"]["long"] == "1h")
    assert page["expr"] == ('slo:sli_error:ratio_rate1h{slo="api-availability"} / 0.001 > 14.4\nand\n'
                            'slo:sli_error:ratio_rate5m{slo="api-availability"} / 0.001 > 14.4')
    assert page["annotations"]["runbook_url"].endswith("docs/runbook.md#errorbudgetburn")


def test_requests_exclude_the_monitorings_own_routes_and_every_ratio_is_guarded() -> None:
    rules = _group(_settings(), "internet-id-slo")["rules"]
    for rule in rules:
        if rule.get("record", "").startswith("slo:sli_error:ratio"):
            assert "> 0)" in rule["expr"], rule["record"]
        for selector in re.findall(r"http_[a-z_]+\{([^}]*)\}", rule["expr"]):
            assert 'route!~"/health|/metrics"' in selector, rule
    latency = [r["expr"] for r in rules if r.get("labels", {}).get("slo") == "api-latency" and "record" in r]
    assert any('le=~"1(\\\\.0)?"' in expr for expr in latency)


def test_an_slo_of_its_own() -> None:
    settings = _settings(slos=[{"name": "upload-latency", "kind": "latency", "objective": 99.5, "window": "28d",
                                "latencyThreshold": 0.5, "service": "ipfs",
                                "selector": 'job="internet-id-api", route="/upload"'}])
    rules = _group(settings, "internet-id-slo")["rules"]
    assert {r["labels"]["slo"] for r in rules} == {"upload-latency"}
    errors = next(r["expr"] for r in rules if r["record"] == "slo:sli_errors:rate5m")
    assert ('http_request_duration_seconds_bucket{job="internet-id-api", route="/upload", le="0.5"}[5m]'
            in errors)
    assert {r["labels"]["service"] for r in rules if "alert" in r} == {"ipfs"}
    page = next(r for r in rules if r.get("alert") and r["labels"]["long"] == "1h")
    assert "/ 0.005 > 14.4" in page["expr"]
    assert page["annotations"]["description"].startswith(
        "SLO upload-latency: 99.5% of ipfs requests answered within 0.5s over 28d (error budget: 0.5% of requests).")
    assert "spends 2.14% of the 28d budget in 1h and empties it in 1d22h40m." in page["annotations"]["description"]
    budget = _group(settings, "internet-id-slo-budget")["rules"]
    assert [r["record"] for r in budget] == ["slo:sli_error:ratio_rate28d", "slo:error_budget_remaining:ratio"]
    assert budget[1]["expr"] == '1 - slo:sli_error:ratio_rate28d{slo="upload-latency"} / 0.005'


def test_windows_and_for_are_settings() -> None:
    """A time-compressed profile sets the pairs; names follow the windows, a 0s ``for`` is left out."""
    settings = _settings(sloAlerting={
        "page": [{"burnRate": 14.4, "long": "60s", "short": "10s"}],
        "ticket": [{"burnRate": 1, "long": "2m", "short": "20s", "for": "5s"}],
        "budgetInterval": "2s"}, prometheus={"evaluationInterval": "1s", "scrapeInterval": "2s", "scrapeTimeout": "2s"})
    alerts = _alerts(settings)
    assert [(a["labels"]["long"], a["labels"]["short"], a.get("for")) for a in alerts][:2] == [
        ("1m", "10s", None), ("2m", "20s", "5s")]
    recorded = [r["record"] for r in _group(settings, "internet-id-slo")["rules"] if "record" in r][:6]
    assert recorded == ["slo:sli_requests:rate10s", "slo:sli_errors:rate10s", "slo:sli_error:ratio_rate10s",
                        "slo:sli_error:ratio_rate20s", "slo:sli_error:ratio_rate1m", "slo:sli_error:ratio_rate2m"]
    assert _group(settings, "internet-id-slo-budget")["interval"] == "2s"


def test_a_stack_without_slos_renders_no_slo_file() -> None:
    assert render_slo_rules([], DEFAULT_SLO_ALERTING, stack_context(), runbook_base_url="https://r.example") == {}
    assert "slo.yml" not in rule_files(_settings(slos=[]))


# ---------------------------------------------------------------- runbook


def test_the_runbook_explains_the_alert() -> None:
    sections = {s.split("\n", 1)[0].strip(): s for s in re.split(r"^## ", RUNBOOK.read_text(), flags=re.MULTILINE)}
    body = sections["ErrorBudgetBurn"]
    for part in ("**Meaning**", "**Impact**", "**Diagnosis**", "**Mitigation**", "### Changing an SLO per stack",
                 "internet-id-monitoring:slos:"):
        assert part in body, part
