"""The SLO settings: two defaults for every stack, and one line naming the key and the fix for each bad value."""

from __future__ import annotations

from typing import Any

import pytest

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.settings import SettingsError
from components.slo.render import slo_rule_groups
from components.slo.sli import API_DURATION_BUCKETS, le_matcher
from tests.conftest import STACKS
from tests.live.harness.api_standin import HTTP_BUCKETS

NS = "internet-id-monitoring"


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("dev", {f"{NS}:{key}": value for key, value in config.items()}, require_secrets=False)
    return caught.value.problems


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_has_the_two_default_slos(stack: str) -> None:
    settings = settings_from_stack_file(stack)
    found = [(s.name, s.kind, s.objective, s.window, s.latency_threshold, s.service) for s in settings.slos]
    assert found == [("api-availability", "availability", 99.9, "30d", None, "api"),
                     ("api-latency", "latency", 99, "30d", 1, "api")]
    assert {s.selector for s in settings.slos} == {'job="internet-id-api", route!~"/health|/metrics"'}
    alerting = settings.slo_alerting
    assert [(p.burn_rate, p.long, p.short, p.for_) for p in alerting.page] == [(14.4, "1h", "5m", "2m"),
                                                                            (6, "6h", "30m", "15m")]
    assert [(p.burn_rate, p.long, p.short, p.for_) for p in alerting.ticket] == [(3, "1d", "2h", "1h"),
                                                                              (1, "3d", "6h", "3h")]
    assert alerting.windows() == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


def test_error_budgets_are_exact() -> None:
    settings = settings_from_stack_file("dev")
    assert [slo.error_budget for slo in settings.slos] == [0.001, 0.01]


def test_the_api_buckets_are_the_ones_the_api_exposes() -> None:
    """prom-client's buckets of http_request_duration_seconds (the live stand-in mirrors the API's)."""
    buckets = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10)
    assert buckets == API_DURATION_BUCKETS
    assert buckets == HTTP_BUCKETS


def test_a_bucket_bound_matches_however_it_is_written() -> None:
    assert le_matcher(1) == 'le=~"1(\\\\.0)?"'
    assert le_matcher(10) == 'le=~"10(\\\\.0)?"'
    assert le_matcher(0.5) == 'le="0.5"'
    assert le_matcher(0.001) == 'le="0.001"'


LATENCY = {"name": "api-latency", "kind": "latency", "objective": 99, "latencyThreshold": 1}

BAD: list[tuple[dict[str, Any], str]] = [
    ({"slos": [{**LATENCY, "service": '{{ with query "up" }}x{{ end }}'}]},
     f"{NS}:slos.0.service: '{{{{ with query \"up\" }}}}x{{{{ end }}}}' is not a label value of letters"),
    ({"slos": [{**LATENCY, "objective": 100}]},
     f"{NS}:slos.0.objective: 100 is not a percentage between 0 and 100 (exclusive); write 99.9% as 99.9"),
    ({"slos": [{**LATENCY, "objective": 0}]}, f"{NS}:slos.0.objective: 0 is not a percentage"),
    ({"slos": [{**LATENCY, "objective": 90}]},
     "slos.0.objective: 90 leaves a budget of 10%, so the page at 14.4 times the budget needs an error ratio "
     "of 144% and can never fire; raise the objective or lower sloAlerting's burn rates"),
    ({"slos": [{**LATENCY, "window": "30 days"}]},
     f"{NS}:slos.0.window: '30 days' is not a duration: a number and a unit"),
    ({"slos": [{**LATENCY, "latencyThreshold": 2}]},
     f"{NS}:slos.0.latencyThreshold: 2 is not a bucket bound of http_request_duration_seconds; use one of "
     "0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10 (seconds)"),
    ({"slos": [{"name": "api-latency", "kind": "latency", "objective": 99}]},
     f"{NS}:slos.0.latencyThreshold: required for a latency SLO"),
    ({"slos": [{"name": "api", "kind": "availability", "objective": 99.9, "latencyThreshold": 1}]},
     f"{NS}:slos.0.latencyThreshold: only latency SLOs have one; remove it"),
    ({"slos": [{**LATENCY, "kind": "errors"}]},
     f"{NS}:slos.0.kind: Input should be 'availability' or 'latency'"),
    ({"slos": [{**LATENCY, "name": "API Latency"}]},
     f"{NS}:slos.0.name: 'API Latency' is not an SLO name: lower-case letters, digits and '-', starting with a "
     "letter"),
    ({"slos": [LATENCY, LATENCY]}, f"{NS}:slos: SLO names ['api-latency'] appear more than once"),
    ({"slos": [{**LATENCY, "selector": "{job='api'}"}]}, f"{NS}:slos.0.selector: \"{{job='api'}}\" is not a list"),
    ({"slos": [{**LATENCY, "selector": 'job="internet-id-api", le="5"'}]},
     "matches on ['le']; the SLI chooses the metric and the bucket itself"),
    ({"slos": [{**LATENCY, "window": "2d"}]},
     "slos.0.window: 2d must be longer than the longest burn-rate window (3d, sloAlerting)"),
    ({"slos": [{**LATENCY, "window": "90d"}]},
     "slos.0.window: 90d is longer than prometheus.retentionTime 30d: the oldest requests would be forgotten"),
    ({"sloAlerting": {"page": [{"burnRate": 14.4, "long": "5m", "short": "1h"}]}},
     f"{NS}:sloAlerting.page.0: short window 1h must be shorter than the long window 5m"),
    ({"sloAlerting": {"ticket": [{"burnRate": 0, "long": "1d", "short": "2h"}]}},
     f"{NS}:sloAlerting.ticket.0.burnRate: Input should be greater than 0"),
    ({"sloAlerting": {"page": [{"burnRate": 14.4, "long": "1h", "short": "5m", "four": "2m"}]}},
     f"{NS}:sloAlerting.page.0.four: unknown setting"),
    ({"sloAlerting": {"budgetInterval": "10m"}},
     f"{NS}:sloAlerting.budgetInterval: '10m' is longer than Prometheus accepts here (at most 4m)"),
    ({"sloAlerting": {"page": [{"burnRate": 14.4, "long": "1m", "short": "10s"}]}},
     "sloAlerting: the shortest window 10s is shorter than prometheus.evaluationInterval 15s"),
]


@pytest.mark.parametrize(("config", "expected"), BAD)
def test_bad_slo_settings_name_the_key_and_the_fix(config: dict[str, Any], expected: str) -> None:
    found = problems(config)
    assert len(found) == 1, found
    assert expected in found[0]
    assert "\n" not in found[0]


def test_every_bad_slo_is_reported_at_once() -> None:
    found = problems({"slos": [{**LATENCY, "objective": 100}, {**LATENCY, "name": "b", "kind": "errors"}]})
    assert len(found) == 2, found
    assert found[0].startswith(f"{NS}:slos.0.objective: ") and found[1].startswith(f"{NS}:slos.1.kind: ")


def test_no_slos_at_all() -> None:
    settings = settings_from_mapping("dev", {f"{NS}:slos": []}, require_secrets=False)
    assert settings.slos == []


def test_burn_rate_pairs_cannot_all_be_removed() -> None:
    assert problems({"sloAlerting": {"page": [], "ticket": []}}) == [
        f"{NS}:sloAlerting: page and ticket are both empty: give at least one burn-rate pair (the SLO recordings "
        "are built on their windows)"]


def test_one_tier_alone_renders() -> None:
    settings = settings_from_mapping("dev", {f"{NS}:sloAlerting": {"ticket": []}}, require_secrets=False)
    groups = slo_rule_groups(settings.slos, settings.slo_alerting, "https://runbooks.example.org/")
    assert groups is not None
    severities = {rule["labels"]["severity"] for group in groups["groups"] for rule in group["rules"]
                  if rule.get("alert") == "ErrorBudgetBurn"}
    assert severities == {"critical"}
