"""The stack comes up: every scrape job's targets are up, every rule group evaluates cleanly."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from components.containers import RECORDS
from components.prometheus.scrape_jobs import job_names
from tests.live.harness.clients import poll
from tests.live.harness.ports import address
from tests.live.harness.stack import LiveStack

pytestmark = pytest.mark.live


def test_every_job_has_targets_and_all_are_up(live: LiveStack) -> None:
    prom = live.prometheus

    def all_up(targets: list[dict[str, Any]]) -> bool:
        return bool(targets) and all(t["health"] == "up" for t in targets) and {
            str(t["labels"]["job"]) for t in targets
        } >= set(job_names())

    targets = poll(prom.targets, all_up, timeout=30, what="every target of every job up")
    jobs = {str(t["labels"]["job"]) for t in targets}
    assert jobs == set(job_names())

    # The same through the query API: ``up`` is 1 for each job, and the probes succeed.
    up = {r["metric"]["job"]: float(r["value"][1]) for r in prom.query("min by (job) (up)")}
    assert up == dict.fromkeys(job_names(), 1.0)
    probes = {r["metric"]["job"]: float(r["value"][1]) for r in prom.query("min by (job) (probe_success)")}
    assert probes == {"internet-id-web": 1.0, "blackbox": 1.0}


def test_api_series_are_kept(live: LiveStack) -> None:
    """Every API series reaches the TSDB (the old config kept only ``up``)."""
    prom = live.prometheus
    poll(lambda: prom.value('sum(http_requests_total{job="internet-id-api"})'), lambda v: v is not None and v > 0,
         timeout=20, what="API request counter scraped")
    buckets = prom.query('count by (le) (http_request_duration_seconds_bucket{job="internet-id-api"})')
    assert {r["metric"]["le"] for r in buckets} == {
        "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf"}
    samples = prom.value('scrape_samples_post_metric_relabeling{job="internet-id-api"}')
    assert samples is not None and samples > 20


def test_every_rule_group_evaluates_without_error(live: LiveStack) -> None:
    prom = live.prometheus
    expected = {name.removesuffix(".yml") for name in live.documents if name.startswith("prometheus/rules/")}

    def evaluated(groups: list[dict[str, Any]]) -> bool:
        return all(rule.get("lastEvaluation", "").startswith("2")
                   and rule.get("lastEvaluation") != "0001-01-01T00:00:00Z"
                   for g in groups for rule in g["rules"])

    groups = poll(prom.rule_groups, evaluated, timeout=20, what="every rule evaluated at least once")
    files = {str(g["file"]).rsplit("/", 1)[-1].removesuffix(".yml") for g in groups}
    assert files == {path.rsplit("/", 1)[-1] for path in expected}
    problems = [
        f"{g['name']}/{rule.get('name')}: health={rule.get('health')} lastError={rule.get('lastError')!r}"
        for g in groups for rule in g["rules"]
        if rule.get("health") != "ok" or rule.get("lastError")
    ]
    assert not problems, "\n".join(problems)
    assert not [a for a in prom.alerts() if not live.baseline_alert(a["labels"])
                and a["state"] == "firing" and a["labels"].get("severity") == "critical"], prom.alerts()


def test_alertmanager_runs_the_rendered_config(live: LiveStack) -> None:
    status = live.alertmanager.status()
    assert status["cluster"]["status"] == "disabled"
    original = status["config"]["original"]
    for receiver in ("pagerduty-critical", "pagerduty-database", "slack-critical", "email-info", "watchdog"):
        assert f"name: {receiver}" in original


REAL_DAEMONS = ("prometheus", "alertmanager", "postgres-exporter", "node-exporter", "blackbox-exporter")
"""The containers with a Docker healthcheck whose daemon runs here for real (Grafana and cAdvisor are stand-ins)."""


def test_each_healthcheck_path_answers_on_the_real_daemon(live: LiveStack) -> None:
    """Docker's healthcheck asks ``wget --spider`` for the record's path: Debian's daemons answer it with 200
    (their versions, not the pinned images')."""
    records = {record.name: record for record in RECORDS}
    for name in REAL_DAEMONS:
        healthcheck = records[name].healthcheck
        assert healthcheck is not None, name
        url = f"http://{address(getattr(live.ports, name.replace('-', '_')))}{healthcheck.path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 200, f"{name}: {url} answered {status}"
