"""Benchmark: time from losing a host to HostDown's page, against the bound the stack's settings give.

Run with ``pytest -m benchmark tests/multihost/test_page_benchmark.py`` (about 15 minutes: a deploy, then
``LOSSES`` losses of a host, each brought back before the next). It reports numbers (terminal summary, and
``$IID_BENCHMARK_OUT`` as JSON) and asserts only that they were measured; the multi-host suite's scenario 2 is the
test that asserts the bound.  Same stack, profile and stand-ins as the suite (tests/multihost/test_stack.py).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from functools import partial
from pathlib import Path

import pytest
import yaml

from components.config_source import settings_from_mapping
from components.hosts.timing import bound_seconds, page_bound
from tests.multihost.conftest import World
from tests.multihost.harness.stack import STACK, wait_for

pytestmark = pytest.mark.benchmark

LOSSES = (("h2", "an API replica, a Prometheus replica, a peer, a store"), ("h3", "the database, Redis, a peer"),
          ("h2", "the same, again"))
HOST_DOWN = "HostDown"


def test_time_from_host_loss_to_page(world: World) -> None:
    world.project.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, timeout=1800)
    world.relays()
    document = yaml.safe_load((world.project.root / f"Pulumi.{STACK}.yaml").read_text())
    current = settings_from_mapping(STACK, document["config"], require_secrets=False)
    bound = bound_seconds(page_bound(
        scrape_interval=current.prometheus.scrape_interval, scrape_timeout=current.prometheus.scrape_timeout,
        evaluation_interval=current.prometheus.evaluation_interval,
        host_down_for=current.rules.for_duration(HOST_DOWN), critical=current.notifications.timing.critical,
        peer_timeout=current.alertmanager_cluster.peer_timeout))
    time.sleep(60)  # every target scraped a few times: no HostDown left from the deploy
    measured = []
    for name, _ in LOSSES:
        killed = time.time()
        world.fleet.kill(name)
        page = wait_for(f"HostDown of {name} paged", partial(world.receivers.first_trigger, HOST_DOWN, killed),
                        4 * bound, 0.5)
        measured.append(page.at - killed)
        back = time.time()
        world.fleet.revive(name)
        world.relays()
        wait_for(f"HostDown of {name} resolved", partial(world.receivers.resolves, HOST_DOWN, back), 600, 2)
        time.sleep(40)
    results = {"bound (s)": bound, "host loss to page (s)": [round(m, 1) for m in measured],
               "median (s)": round(statistics.median(measured), 1), "max (s)": round(max(measured), 1),
               "hosts lost": [f"{name}: {what}" for name, what in LOSSES]}
    world.facts.update({"page benchmark: bound (s)": bound, "page benchmark: max (s)": max(measured),
                        "page benchmark: median (s)": statistics.median(measured)})
    out = os.environ.get("IID_BENCHMARK_OUT")
    if out:
        Path(out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nhost loss to page: {results}")
    assert len(measured) == len(LOSSES)
