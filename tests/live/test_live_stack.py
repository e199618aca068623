"""The stack comes up: every scrape job's targets are up, every rule group evaluates cleanly."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.prometheus.scrape_jobs import job_names
from components.render import container_specs
from tests.live.harness.busybox import busybox_path
from tests.live.harness.clients import poll
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


def test_each_healthcheck_passes_on_the_real_daemon(live: LiveStack, tmp_path: Path) -> None:
    """Docker's healthcheck command, run as Docker runs it (busybox ``wget``, ``sh -c`` with busybox ``nc`` for the
    ones that send the credentials from their file) against the daemons built from their Go modules (the versions
    the stack deploys)."""
    env = {**os.environ, "PATH": f"{busybox_path(tmp_path / 'bin')}:{os.environ['PATH']}"}
    specs = {spec.name: spec for spec in container_specs(live.settings, {})}
    for name in REAL_DAEMONS:
        spec = specs[name]
        assert spec.healthcheck is not None, name
        # The container's credential file is the live render's, at the same place below the config directory.
        authorization = spec.health_authorization
        if authorization:
            assert spec.live_config is not None
            authorization = str(live.render_dir / name / authorization.removeprefix(spec.live_config.directory + "/"))
        # On loopback here (node_exporter's container reaches it as the Docker host).
        healthcheck = replace(spec.healthcheck, host="127.0.0.1")
        kind, *command = healthcheck.test(getattr(live.ports, name.replace("-", "_")), authorization)
        argv = ["sh", "-c", command[0]] if kind == "CMD-SHELL" else command
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=15, check=False)
        assert done.returncode == 0, f"{name}: {argv} failed: {done.stderr}"
