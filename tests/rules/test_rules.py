"""The alert catalogue: rendered rules are valid, every alert is tested, documented and overridable."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_stack_file
from components.render import rule_files
from components.rules.alerts.api import DECLARED_NOT_RECORDED, REQUIRED_API_SERIES, REQUIRED_REPLICA_SERIES
from components.rules.alerts.meta import NODE_COLLECTORS_READ
from components.rules.catalogue import BY_NAME, CATALOGUE, FLAPPING, PAIRS
from components.rules.recording import RECORDINGS
from components.rules.render import recording_rule, render_rules, rule_groups
from components.rules.render import rule as alert_rule
from components.rules.settings import DEFAULT_RUNBOOK_BASE_URL, RuleSettings
from components.settings import SettingsError, load_settings
from tests.contexts import stack_context
from tests.promql import metric_names
from tests.tools import VERSION_SETS, tool

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL_TESTS = Path(__file__).resolve().parent / "promtool"
RUNBOOK = ROOT / "docs" / "runbook.md"
STACKS = ("dev", "staging", "prod")


def _write_rules(files: dict[str, str], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text)
        paths.append(path)
    return paths


def _rules(settings: RuleSettings) -> list[dict[str, Any]]:
    """The alerting rules (recording rules left out)."""
    return [r for doc in rule_groups(settings).values() for group in doc["groups"] for r in group["rules"]
            if "alert" in r]


def _rule(settings: RuleSettings, name: str) -> dict[str, Any]:
    return next(r for r in _rules(settings) if r["alert"] == name)


# ---------------------------------------------------------------- promtool


@pytest.mark.parametrize("version_set", VERSION_SETS)
@pytest.mark.parametrize("stack", STACKS)
def test_promtool_check_rules_per_stack(stack: str, version_set: str, tmp_path: Path) -> None:
    paths = _write_rules(rule_files(settings_from_stack_file(stack)), tmp_path)
    command = [tool("promtool", version_set), "check", "rules", *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


PROMTOOL_API_REPLICAS = 2
"""The fixtures' API runs two replicas (as production does), so ApiReplicasMissing can fire."""


@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_promtool_unit_tests(version_set: str, tmp_path: Path) -> None:
    """Every case of tests/rules/promtool, with the pinned Prometheus' promtool and the current one's."""
    _write_rules(render_rules(RuleSettings(), stack_context(), api_replicas=PROMTOOL_API_REPLICAS), tmp_path / "rules")
    tests = sorted(PROMTOOL_TESTS.glob("*.test.yml"))
    for test in tests:
        shutil.copy(test, tmp_path / test.name)
    command = [tool("promtool", version_set), "test", "rules", *(t.name for t in tests)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _tested_alerts() -> dict[str, set[str]]:
    """Alert name -> kinds of cases in the promtool tests ('fires', 'silent')."""
    kinds: dict[str, set[str]] = {}
    for path in PROMTOOL_TESTS.glob("*.test.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                kinds.setdefault(case["alertname"], set()).add("fires" if case.get("exp_alerts") else "silent")
    return kinds


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    kinds = _tested_alerts()
    assert set(kinds) <= set(BY_NAME), f"tests name unknown alerts: {sorted(set(kinds) - set(BY_NAME))}"
    untested = [a.name for a in CATALOGUE if "fires" not in kinds.get(a.name, set())]
    assert not untested, f"alerts without a firing promtool case: {untested}"
    never_silent = [
        a.name for a in CATALOGUE if a.name != "Watchdog" and "silent" not in kinds.get(a.name, set())
    ]
    assert not never_silent, f"alerts without a silent promtool case: {never_silent}"


# ---------------------------------------------------------------- labels, annotations, runbook

TODAYS_ALERTS = {
    "ServiceDown", "WebServiceDown", "HighErrorRate", "CriticalErrorRate", "HighQueueDepth",
    "CriticalQueueDepth", "DatabaseDown", "DatabaseConnectionPoolExhaustion", "DatabaseConnectionPoolCritical",
    "HighDatabaseLatency", "HighIpfsFailureRate", "CriticalIpfsFailureRate", "BlockchainTransactionFailures",
    "BlockchainRPCDown", "HighResponseTime", "HighMemoryUsage", "CriticalMemoryUsage", "HighCPUUsage",
    "RedisDown", "LowCacheHitRate", "ServiceHealthDegraded",
}  # fmt: skip


def test_every_threshold_says_its_direction_and_the_expression_agrees() -> None:
    below = {a.name for a in CATALOGUE if a.direction == "below"}
    assert below == {"LowCacheHitRate", "HostFilesystemFillingUp", "HostFilesystemAlmostFull", "HostMemoryLow",
                     "TLSCertificateExpiringSoon", "TLSCertificateExpiryCritical", "HostFilesystemFillingUpFast",
                     "HostInodesFillingUp", "HostInodesAlmostExhausted"}
    for alert in CATALOGUE:
        if alert.threshold is None:
            assert alert.direction is None, alert.name
        else:
            comparison = {"above": "> [[threshold]]", "below": "< [[threshold]]"}[str(alert.direction)]
            assert comparison in alert.expr, alert.name


def test_target_down_watches_every_scraped_container_and_no_probe() -> None:
    rules = yaml.safe_load(rule_files(settings_from_stack_file("prod"))["meta.yml"])["groups"][0]["rules"]
    [expr] = [rule["expr"] for rule in rules if rule["alert"] == "TargetDown"]
    watched = set(re.fullmatch(r'up\{job=~"([^"]+)"\} == 0', expr).group(1).split("|"))  # type: ignore[union-attr]
    assert watched == {"postgres", "redis", "node-exporter", "cadvisor", "prometheus", "alertmanager", "grafana",
                       "blackbox-exporter"}


def test_todays_alerts_keep_their_names() -> None:
    assert set(BY_NAME) >= TODAYS_ALERTS


def test_every_rule_has_required_labels_and_annotations() -> None:
    for rule in _rules(RuleSettings()):
        name = rule["alert"]
        severity = rule["labels"]["severity"]
        assert severity in (("none",) if name == "Watchdog" else ("critical", "warning", "info")), name
        assert rule["labels"]["service"], name
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}, name
        assert annotations["runbook_url"] == f"{DEFAULT_RUNBOOK_BASE_URL}#{name.lower()}"
        assert "[[" not in rule["expr"] + annotations["summary"] + annotations["description"], name


def test_database_and_api_alerts_carry_their_service() -> None:
    for alert in CATALOGUE:
        if alert.area == "database":
            assert alert.service == "database", alert.name
    for name in ("ServiceDown", "HighErrorRate", "CriticalErrorRate", "HighResponseTime", "HighCPUUsage"):
        assert BY_NAME[name].service == "api"


def _github_anchors(markdown: str) -> set[str]:
    anchors = set()
    for line in markdown.splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match.group(1).lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def test_every_runbook_anchor_exists() -> None:
    anchors = _github_anchors(RUNBOOK.read_text())
    missing = [a.name for a in CATALOGUE if a.anchor not in anchors]
    assert not missing, f"docs/runbook.md lacks sections for {missing}"


def test_runbook_sections_cover_meaning_impact_diagnosis_mitigation() -> None:
    text = RUNBOOK.read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    by_title = {s.split("\n", 1)[0].strip(): s for s in sections[1:]}
    for alert in CATALOGUE:
        body = by_title[alert.name]
        for part in ("Meaning", "Impact", "Diagnosis", "Mitigation"):
            assert f"**{part}**" in body, f"{alert.name}: no {part}"


def test_rule_files_by_area() -> None:
    files = render_rules(RuleSettings(), stack_context())
    areas = ("api", "database", "cache", "host", "containers", "probes", "meta")
    assert sorted(files) == sorted(f"{a}.yml" for a in areas)
    rules = [rule for t in files.values() for rule in yaml.safe_load(t)["groups"][0]["rules"]]
    assert sorted(r["alert"] for r in rules if "alert" in r) == sorted(a.name for a in CATALOGUE)
    assert sorted(r["record"] for r in rules if "record" in r) == sorted(
        ["job:http_requests:rate5m", "job:http_requests_5xx:rate5m", "job:http_requests_5xx:ratio_rate5m",
         "job_le:http_request_duration_seconds_bucket:rate5m", "instance:pg_connections:ratio",
         "job_cache_type:cache_hits:ratio_rate5m"])


def test_recording_rules_come_before_the_alerts_that_read_them() -> None:
    """Within a group Prometheus evaluates in order: an alert after its recording reads the same evaluation."""
    for text in render_rules(RuleSettings(), stack_context()).values():
        rules = yaml.safe_load(text)["groups"][0]["rules"]
        recorded = [i for i, r in enumerate(rules) if "record" in r]
        assert recorded == list(range(len(recorded))), [r.get("record") or r.get("alert") for r in rules]


# ---------------------------------------------------------------- settings


def _settings(rules: dict[str, Any]) -> RuleSettings:
    return load_settings("dev", {"rules": rules}, {}, require_secrets=False).rules


def test_override_changes_threshold_and_for() -> None:
    settings = _settings({"overrides": {"HighErrorRate": {"threshold": 0.02, "for": "10m"}}})
    rule = _rule(settings, "HighErrorRate")
    assert "> 0.02\nand\n" in rule["expr"]
    assert rule["for"] == "10m"
    assert rule["annotations"]["summary"] == "API 5xx error rate above 2%"
    assert "> 0.1\nand\n" in _rule(settings, "CriticalErrorRate")["expr"]


def test_rate_interval_and_for_scale_compress_every_window() -> None:
    settings = _settings({"rateInterval": "20s", "forScale": 0.05})
    every = [r for doc in rule_groups(settings).values() for group in doc["groups"] for r in group["rules"]]
    assert not any("5m" in r["expr"] or "5m" in r.get("record", "") for r in every)
    assert "job:http_requests_5xx:ratio_rate20s > 0.05" in _rule(settings, "HighErrorRate")["expr"]
    assert {r["record"]: r["expr"] for r in every if "record" in r}["job:http_requests:rate20s"].endswith("[20s]))")
    assert _rule(settings, "HighErrorRate")["for"] == "15s"
    assert _rule(settings, "ServiceDown")["for"] == "6s"
    assert "for" not in _rule(settings, "Watchdog")
    assert "for 6s" in _rule(settings, "ServiceDown")["annotations"]["description"]


def test_explicit_for_is_not_scaled() -> None:
    settings = _settings({"forScale": 0.1, "overrides": {"DatabaseDown": {"for": "3s"}}})
    assert _rule(settings, "DatabaseDown")["for"] == "3s"
    assert _rule(settings, "RedisDown")["for"] == "12s"


def test_disabled_alert_is_left_out() -> None:
    settings = _settings({"disabled": ["LowCacheHitRate"]})
    assert "LowCacheHitRate" not in {r["alert"] for r in _rules(settings)}


def test_api_container_regex_is_a_setting() -> None:
    settings = _settings({"apiContainers": "iid-api-[0-9]+"})
    assert 'name=~"iid-api-[0-9]+"' in _rule(settings, "HighMemoryUsage")["expr"]


def test_traffic_floors_are_settings() -> None:
    settings = _settings({"minRequestRate": 0.5, "minOperations": 20})
    for name in ("HighErrorRate", "CriticalErrorRate"):
        assert _rule(settings, name)["expr"].endswith("job:http_requests:rate5m >= 0.5")
        assert "silent below 0.5 requests/s" in _rule(settings, name)["annotations"]["description"]
    for name in ("HighIpfsFailureRate", "CriticalIpfsFailureRate", "BlockchainTransactionFailures"):
        assert _rule(settings, name)["expr"].endswith(">= 20"), name
    defaults = RuleSettings()
    assert (defaults.min_request_rate, defaults.min_operations) == (0.1, 5)


def _api_replicas_expr(values: dict[str, Any]) -> str:
    settings = load_settings("dev", values, {}, require_secrets=False)
    rules = yaml.safe_load(rule_files(settings)["api.yml"])["groups"][0]["rules"]
    return str(next(r["expr"] for r in rules if r.get("alert") == "ApiReplicasMissing"))


def test_api_replicas_missing_counts_the_expected_replicas() -> None:
    assert _api_replicas_expr({}).endswith("< 1")
    assert _api_replicas_expr({"targets": {"api": {"expectedReplicas": 3}}}) == (
        'count by (job, environment) (up{job="internet-id-api"} == 1) < 3'
    )
    assert settings_from_stack_file("prod").targets.api.expected_replicas == 2
    assert settings_from_stack_file("staging").targets.api.expected_replicas == 1


def test_pairs_name_what_they_judge_by_identity() -> None:
    """Both tiers share an identity, and every identity label survives the expression's aggregation."""
    for warning, critical in PAIRS:
        identity = BY_NAME[critical].identity
        assert identity and BY_NAME[warning].identity == identity, (warning, critical)
        for name in (warning, critical):
            expr = alert_rule(BY_NAME[name], RuleSettings())["expr"]
            for recording in RECORDINGS:  # the aggregation of a recorded series is in its recording rule
                recorded = recording_rule(recording, RuleSettings())
                expr = expr.replace(recorded["record"], f"({recorded['expr']})")
            for by in re.findall(r"\bby \(([^)]*)\)", expr):
                kept = {label.strip() for label in by.split(",")}
                assert set(identity) <= kept, f"{name} aggregates {identity} away: by ({by})"


BAD_SETTINGS: list[tuple[dict[str, Any], str]] = [
    ({"overrides": {"HighErrorRat": {"threshold": 0.02}}},
     "rules.overrides: unknown alert(s) ['HighErrorRat']"),
    ({"overrides": {"HighErrorRate": {"threshold": 5}}},
     "rules.overrides: HighErrorRate.threshold: 5 is not a ratio"),
    ({"overrides": {"HighErrorRate": {"for": "ten minutes"}}}, "rules.overrides.HighErrorRate.for: 'ten minutes'"),
    ({"overrides": {"HighErrorRate": {"treshold": 0.1}}},
     "rules.overrides.HighErrorRate.treshold: unknown setting"),
    ({"overrides": {"HighDatabaseLatency": {"threshold": 1}}},
     "rules.overrides: HighDatabaseLatency.threshold: 1 can never fire"),
    ({"overrides": {"ServiceDown": {"threshold": 1}}}, "ServiceDown has no threshold"),
    ({"overrides": {"HighErrorRate": {"threshold": 0.2}}},
     "HighErrorRate (warning) threshold 0.2 must be less severe"),
    ({"disabled": ["Watchdog"]}, "rules.disabled: Watchdog proves the alerting pipeline works"),
    ({"rateInterval": "5 minutes"}, "rules.rateInterval: '5 minutes' is not a duration"),
    ({"forScale": 0}, "rules.forScale"),
    ({"runbookBaseUrl": "docs/runbook.md"}, "rules.runbookBaseUrl"),
    ({"apiContainers": "api("}, "rules.apiContainers"),
    ({"minRequestRate": -1}, "rules.minRequestRate"),
    ({"overrides": {"HostFilesystemFillingUp": {"threshold": 0.04}}},
     "HostFilesystemFillingUp (warning) threshold 0.04 must be less severe"),
    ({"overrides": {"ServiceFlapping": {"threshold": 1}}},
     "ServiceFlapping.threshold: 1 must be a whole number of state changes, 2 or more"),
    ({"overrides": {"TargetFlapping": {"threshold": 4.5}}}, "TargetFlapping.threshold: 4.5 must be a whole number"),
    ({"flapWindow": "ten minutes"}, "rules.flapWindow: 'ten minutes' is not a duration"),
    ({"restartWindow": "0s"}, "rules.restartWindow: '0s' is shorter than Prometheus accepts here (at least 1s)"),
    ({"restartWindow": "45s"}, "rules.restartWindow: 45s holds 3 scrapes of 15s, too few to see the 3 restarts "
                               "ContainerRestarting needs: make it at least 1m"),
    ({"overrides": {"ContainerRestarting": {"threshold": 0}}},
     "ContainerRestarting.threshold: 0 must be a whole number, 1 or more"),
    ({"overrides": {"ContainerRestarting": {"threshold": 2.5}}}, "ContainerRestarting.threshold: 2.5 must be a whole"),
    ({"appContainers": {"api": "api"}}, "rules.appContainers: 'api' is set by apiContainers"),
    ({"appContainers": {"Queue Worker": "worker"}},
     "rules.appContainers.Queue Worker: 'Queue Worker' is not a lower-case service name"),
    ({"appContainers": {"worker": "work(er"}}, ("rules.appContainers.worker: 'work(er' is not a regex "
                                                  "Prometheus accepts (RE2: missing )")),
    ({"overrides": {"HostFilesystemFillingUpFast": {"threshold": 0.5}}},
     "HostFilesystemFillingUp (warning) threshold 0.4 must be less severe than HostFilesystemFillingUpFast"),
]


@pytest.mark.parametrize(
    ("api", "expected"),
    [({"expectedReplicas": 0}, "targets.api.expectedReplicas"),
     ({"discovery": "static", "staticTargets": ["10.0.0.5:3001"], "expectedReplicas": 2},
      "expectedReplicas 2 exceeds the 1 staticTargets")],
)
def test_bad_expected_replicas_name_the_key(api: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings("dev", {"targets": {"api": api}}, {}, require_secrets=False)
    assert expected in str(error.value)


@pytest.mark.parametrize(("rules", "expected"), BAD_SETTINGS)
def test_bad_settings_name_the_key(rules: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        _settings(rules)
    assert expected in str(error.value)


def test_every_outage_alert_of_a_target_has_a_flapping_alert_like_it() -> None:
    """Derived, not listed: the same severity, service, area and identity, a ``for`` and the flap window."""
    assert FLAPPING == (("ServiceDown", "ServiceFlapping"), ("DatabaseDown", "DatabaseFlapping"),
                        ("RedisDown", "RedisFlapping"), ("WebServiceDown", "WebServiceFlapping"),
                        ("ProbeFailed", "ProbeFlapping"), ("TargetDown", "TargetFlapping"))
    severities = {flapping: BY_NAME[flapping].severity for _, flapping in FLAPPING}
    assert severities == {"ServiceFlapping": "critical", "DatabaseFlapping": "critical", "RedisFlapping": "warning",
                          "WebServiceFlapping": "critical", "ProbeFlapping": "warning", "TargetFlapping": "warning"}
    for outage, flapping in FLAPPING:
        a, b = BY_NAME[outage], BY_NAME[flapping]
        assert (b.service, b.area, b.identity, b.for_) == (a.service, a.area, a.identity, a.for_), flapping
        assert b.identity, flapping
    rule = _rule(_settings({"flapWindow": "30m", "overrides": {"ServiceFlapping": {"threshold": 6}}}),
                 "ServiceFlapping")
    assert rule["expr"] == ('changes(up{job="internet-id-api"}[30m]) > 6\nor\n'
                            'changes(process_start_time_seconds{job="internet-id-api"}[30m]) * 2 > 6')
    assert rule["for"] == "2m"
    assert "over the last 30m (threshold 6," in rule["annotations"]["description"]
    assert RuleSettings().flap_window == "10m"
    assert _rule(RuleSettings(), "DatabaseFlapping")["expr"] == 'changes(pg_up{job="postgres"}[10m]) > 4'


def test_container_loops_route_by_the_containers_name() -> None:
    """Each app container's service comes from its name (the database's pages the database rotation); the
    window and the containers are settings."""
    settings = _settings({"restartWindow": "30m", "appContainers": {"database": "pg-main", "queue": "worker-[0-9]+"}})
    expr = _rule(settings, "ContainerRestarting")["expr"]
    assert 'name=~"(.+[-_])?api([-_][0-9]+)?|pg-main|worker-[0-9]+"}[30m])' in expr
    assert '"service", "database", "name", "pg-main")' in expr
    assert '"service", "queue", "name", "worker-[0-9]+")' in expr
    assert "web" not in expr
    assert _rule(settings, "ContainerRestarting")["labels"]["service"] == "{{ $labels.service }}"
    assert _rule(settings, "HostOomKills")["expr"] == 'increase(node_vmstat_oom_kill{job="node-exporter"}[30m]) > 0'
    assert RuleSettings().restart_window == "1h"


def test_api_metrics_missing_watches_what_the_stacks_slos_read() -> None:
    """A latency SLO's bucket bound is watched on its own: a new bucket layout blinds the SLO, not the histogram."""
    settings = load_settings("dev", {"slos": [{"name": "checkout-latency", "kind": "latency", "objective": 99,
                                               "latencyThreshold": 0.5}]}, {}, require_secrets=False)
    rules = yaml.safe_load(rule_files(settings)["api.yml"])["groups"][0]["rules"]
    expr = next(r["expr"] for r in rules if r.get("alert") == "ApiMetricsMissing")
    assert '"metric", "http_request_duration_seconds_bucket le=0.5", "", ""), "alerts", ' \
           '"ErrorBudgetBurn (checkout-latency)"' in expr
    assert 'http_request_duration_seconds_bucket{job="internet-id-api", le="0.5"}' in expr
    assert '"alerts", "HighErrorRate, CriticalErrorRate", "", "")' in expr  # no availability SLO reads it here
    assert "api-availability" not in expr and "le=~" not in expr


def _api_families_read() -> set[str]:
    """Every metric family an alert, recording or SLO rule of a stack reads from the API's own series."""
    families = set()
    for text in rule_files(settings_from_stack_file("prod")).values():
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                for name in re.findall(r'([A-Za-z_:][A-Za-z0-9_:]*)\{[^}]*job="internet-id-api"', rule["expr"]):
                    families.add(re.sub(r"_(count|sum)$", "_bucket", name) if name.startswith(
                        ("http_request_duration", "db_query_duration")) else name)
    return families


def test_every_api_family_an_alert_reads_is_watched_or_declared_unrecorded() -> None:
    """A new alert on an API metric fails here until its family is watched (ApiMetricsMissing,
    ApiProcessMetricsMissing) or listed as declared but not recorded yet."""
    tables = {family.metric for family in (*REQUIRED_API_SERIES, *REQUIRED_REPLICA_SERIES, *DECLARED_NOT_RECORDED)}
    read = _api_families_read()
    assert "http_requests_total" in read and "queue_depth" in read
    assert read - {"up"} <= tables, f"API families no table lists: {sorted(read - {'up'} - tables)}"
    assert tables <= read, f"tables list families no rule reads: {sorted(tables - read)}"


def test_the_node_collectors_watched_are_those_the_host_alerts_read() -> None:
    """ExporterCollectorFailing watches the collectors whose series an alert reads, and only those."""
    prefixes = {"cpu": "node_cpu_", "filesystem": "node_filesystem_", "loadavg": "node_load",
                "meminfo": "node_memory_", "timex": "node_timex_", "vmstat": "node_vmstat_"}
    read = {name for alert in CATALOGUE for name in metric_names(alert_rule(alert, RuleSettings())["expr"])
            if name.startswith("node_") and not name.startswith("node_scrape_")}
    assert set(NODE_COLLECTORS_READ) == set(prefixes)
    assert {collector for collector, prefix in prefixes.items() if any(n.startswith(prefix) for n in read)} == set(
        NODE_COLLECTORS_READ)
    assert all(any(name.startswith(prefix) for prefix in prefixes.values()) for name in read), read

