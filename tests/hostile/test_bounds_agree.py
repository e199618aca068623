"""The settings' bounds agree with the tools that read the rendered files (Debian's amtool 0.25 and promtool 2.42,
stand-ins for the pinned Alertmanager 0.26 and Prometheus 2.48 checkers, which share their duration and regex
parsers): a stack at each accepted extreme renders files the tool accepts, and the first value the settings refuse,
written into the rendered file, is refused by the tool too."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.alertmanager.config import render_alertmanager_config
from components.config_source import settings_from_mapping, settings_from_stack_file
from components.model import check_re2
from components.render import prometheus_config
from components.rules.render import render_rules
from tests.hostile.cases import REGEX_VALUES
from tests.tools import run_tool

NS = "internet-id-monitoring"


def alertmanager_yml(timing: dict[str, str], tmp_path: Path) -> Path:
    settings = settings_from_mapping("dev", {f"{NS}:notifications": {"timing": {"critical": timing}}},
                                     require_secrets=False)
    path = tmp_path / "alertmanager.yml"
    path.write_text(render_alertmanager_config(settings.notifications, settings.context))
    return path


def test_alertmanager_takes_the_longest_and_shortest_durations_the_settings_accept(tmp_path: Path) -> None:
    path = alertmanager_yml({"groupWait": "0s", "groupInterval": "1ms", "repeatInterval": "292y"}, tmp_path)
    checked = run_tool("amtool", "check-config", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(("field", "refused"), [
    ("repeat_interval", "293y"),     # the settings' maximum is 292y (2^63 ns)
    ("repeat_interval", "30s1m"),    # units out of order
    ("group_interval", "0s"),        # Alertmanager: cannot be zero
    ("group_wait", "10s\n"),         # a trailing newline
])
def test_what_the_settings_refuse_amtool_refuses(tmp_path: Path, field: str, refused: str) -> None:
    path = alertmanager_yml({"groupWait": "10s", "groupInterval": "5m", "repeatInterval": "1h"}, tmp_path)
    document = yaml.safe_load(path.read_text())
    critical = next(route for route in document["route"]["routes"] if route.get("receiver") == "pagerduty-critical")
    critical[field] = refused
    path.write_text(yaml.safe_dump(document))
    checked = run_tool("amtool", "check-config", path)
    assert checked.returncode != 0, f"amtool accepted {field}: {refused!r}"


def rules_with_api_containers(regex: str, tmp_path: Path) -> Path:
    settings = settings_from_stack_file("dev")
    rules = settings.rules.model_copy(update={"api_containers": regex})
    files = render_rules(rules, settings.context)
    path = tmp_path / "api.yml"
    path.write_text(files["api.yml"])
    return path


@pytest.mark.parametrize("regex", ["(.+[-_])?api([-_][0-9]+)?", "api-\\d+", 'a"b', "(?P<n>api)", "\\pL+",
                                   "a{1000}", "(?i)API"])
def test_a_regex_the_settings_accept_promtool_accepts(tmp_path: Path, regex: str) -> None:
    check_re2(regex)
    checked = run_tool("promtool", "check", "rules", rules_with_api_containers(regex, tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("name", sorted(set(REGEX_VALUES) - {"257 characters"}))  # long but valid: kept short
def test_a_regex_the_settings_refuse_promtool_refuses(tmp_path: Path, name: str) -> None:
    """``(?<n>…)`` and ``\\C``, which C++ RE2 takes, are refused by the Go of the pinned images as by promtool."""
    regex = REGEX_VALUES[name]
    with pytest.raises(ValueError, match="is not a regex Prometheus accepts"):
        check_re2(regex)
    checked = run_tool("promtool", "check", "rules", rules_with_api_containers(regex, tmp_path))
    assert checked.returncode != 0, f"promtool accepted {regex!r}"


def test_prometheus_takes_the_largest_scrape_limits_the_settings_accept(tmp_path: Path) -> None:
    limits = {"sampleLimit": 2**31 - 1, "labelLimit": 2**31 - 1, "labelValueLengthLimit": 2**31 - 1,
              "bodySizeLimit": "1GB"}
    settings = settings_from_mapping("dev", {f"{NS}:prometheus": {"scrapeLimits": limits, "scrapeInterval": "5m",
                                                                   "scrapeTimeout": "5m", "evaluationInterval": "5m"},
                                             f"{NS}:rules": {"flapWindow": "1d"}, f"{NS}:webAuth": {"enabled": False}},
                                     require_secrets=False)
    path = tmp_path / "prometheus.yml"
    path.write_text(prometheus_config(settings))
    checked = run_tool("promtool", "check", "config", "--syntax-only", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    path.write_text(path.read_text().replace(f"sample_limit: {2**31 - 1}", f"sample_limit: {10**30}"))
    assert run_tool("promtool", "check", "config", "--syntax-only", path).returncode != 0
