"""Benchmark of the real `pulumi up`: a cold deploy, a one-threshold change, and what the change costs.

Run with ``pytest -m benchmark tests/e2e`` (a few minutes; left out of default runs).  It reports
numbers (terminal summary, and JSON at ``$IID_BENCHMARK_OUT`` if set) and asserts only that they
were measured.  The daemons are built from their Go modules in rebuilt images (Grafana is a
stand-in) on the toolchain's rebuilt docker provider: the numbers are this machine's, not prod's.
"""

from __future__ import annotations

import time
import urllib.parse

import pytest

from tests.e2e.harness.project import ScratchProject
from tests.e2e.harness.stack import (
    BENCHMARK_KEY,
    NS,
    PROMETHEUS,
    STACK,
    http_json,
    longest_scrape_gap,
    remember_web_auth,
    wait_for,
)
from tests.live.harness.benchmark import write_results

SETTLE_SECONDS = 60
"""Scrapes before the change, so a gap in them is visible."""


def threshold_active(threshold: str) -> bool:
    rules = http_json(f"{PROMETHEUS}/api/v1/rules?type=alert")["data"]["groups"]
    return any(r["name"] == "HighErrorRate" and f"> {threshold}" in r["query"] for g in rules for r in g["rules"])


@pytest.mark.benchmark
def test_cold_up_and_a_threshold_change(project: ScratchProject, request: pytest.FixtureRequest) -> None:
    results: dict[str, float] = {}
    cold = project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    results["cold pulumi up (s)"] = round(cold.seconds, 1)
    remember_web_auth(project)
    query = urllib.parse.quote("count(up == 1)")
    wait_for("every target up", lambda: http_json(f"{PROMETHEUS}/api/v1/query?query={query}")["data"]["result"],
             timeout=180)
    time.sleep(SETTLE_SECONDS)

    project.pulumi("config", "set", "--path", "--stack", STACK, f"{NS}:rules.overrides.HighErrorRate.threshold",
                   "0.03")
    started = time.time()
    change = project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    returned = time.time()
    results["pulumi up after one threshold change (s)"] = round(change.seconds, 1)
    wait_for("the new threshold in /api/v1/rules", lambda: threshold_active("0.03"), timeout=300, interval=0.5)
    results["up returned -> new rule active (s)"] = round(time.time() - returned, 1)
    time.sleep(30)  # scrapes after the change, so the gap is closed at both ends
    for job in ("node-exporter", "prometheus", "internet-id-api"):
        results[f"longest gap in up{{job={job!r}}} during the change (s)"] = round(
            longest_scrape_gap(job, started - 15, returned + 15), 1)
    request.config.stash[BENCHMARK_KEY] = results
    write_results({"e2e": results})
    assert all(value >= 0 for value in results.values())

