"""How the cost grows with the fleet: Prometheus and its store over 1, 10, 50 simulated hosts.

    pytest -m benchmark tests/benchmarks/fleet     # about 15 minutes (IID_FLEET_SIZES, IID_FLEET_WINDOW, IID_FLEET_OUT)

It reports numbers (terminal summary; JSON at ``$IID_FLEET_OUT``) and asserts only that they were measured on a
working pipeline: every target up, every host's samples scraped, the store written to without failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from components.config_source import settings_from_stack_file
from tests.benchmarks.fleet.conftest import RESULTS_KEY
from tests.benchmarks.fleet.run import OUT_ENV, run, sizes_from_env, table, window_from_env

STACK = "prod"
"""Whose settings (timings, rules, flags) the benchmark runs: production's."""


@pytest.mark.benchmark
def test_cost_grows_with_the_fleet(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings = settings_from_stack_file(STACK)
    sizes = sizes_from_env()
    results = run(settings, sizes, window_from_env(), tmp_path, log=lambda line: print(line, file=sys.stderr))
    request.config.stash[RESULTS_KEY] = results
    if os.environ.get(OUT_ENV):
        Path(os.environ[OUT_ENV]).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results), file=sys.stderr)

    served = results["sizes"][0]["series_per_host_served"]
    for size in results["sizes"]:
        hosts, scraped = size["hosts"], size["samples_scraped_per_cycle"]
        assert scraped["node-exporter"] == hosts * served["node-exporter"], size
        assert scraped["cadvisor"] == hosts * served["cadvisor"], size
        assert size["remote_write_failed"] == 0, size
        assert size["remote_write_samples_per_second"] > 0, size
        assert size["store_disk_bytes"]["growth"] > 0, size
        assert size["rule_evaluation_ms"]["groups"] > 0, size
        assert size["rule_evaluation_failures"] == 0, size
    head = [size["head_series"] for size in results["sizes"]]
    assert head == sorted(head) or sizes != sorted(sizes), f"head series do not grow with the fleet: {head}"
