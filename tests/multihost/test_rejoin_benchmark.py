"""Benchmark: how often an Alertmanager peer that rejoined while an alert fired pages it again after its resolve.

Not a test of a guarantee (``tests/hosts/test_timing.py`` checks the rule against a model of the pipeline): the
real cluster, measured.  Three peers of the suite's Alertmanager image (one per host of a fleet, gossip over mutual
TLS, advertise addresses as the stack sets them), a stand-in for Prometheus sending on a fixed grid as its rule
evaluations do (every alert once per grid slot, the resolve on a slot), a webhook receiver with
``send_resolved``.  Each trial: a new alert fires on every peer; one peer (a random one: its position in the
member list is its new random name's) is restarted and gets the alert with the next sends; the alert resolves on
a random later slot; a *firing* notification after the group's first *resolved* is a stale page.

Two timings, time-compressed the same way (evaluation grid E = 6 s, groupInterval = 2E):

* ``rule``: what the settings require (docs/multi-host.md, "A rejoined peer and the resolve"): groupWait E/2,
  peerTimeout and settleTimeout 0.5 s;
* ``ignoring-the-rule``: groupWait a multiple of E (flushes on the grid) and peerTimeout 2 s, as a stack that
  ignores the rule could be.

Run with ``pytest -m benchmark tests/multihost/test_rejoin_benchmark.py`` (about 20 minutes); the numbers go to
the terminal summary (and ``$IID_BENCHMARK_OUT`` as JSON).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import images
from tests.multihost.harness.fleet import Fleet, FleetError

pytestmark = pytest.mark.benchmark

GRID = 6.0
TRIALS = 12
HOOK_PORT = 18091
TIMINGS = {
    "rule": {"group_wait": "3s", "group_interval": "12s", "peer_timeout": "500ms", "settle_timeout": "500ms"},
    "ignoring-the-rule": {"group_wait": "6s", "group_interval": "12s", "peer_timeout": "2s", "settle_timeout": "2s"},
}
RESULTS: dict[str, dict[str, Any]] = {}


@dataclass
class Hook:
    address: str
    events: list[tuple[float, str, str, str]] = field(default_factory=list)
    """(time, peer address, alertname, status)."""

    def start(self) -> Hook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                for alert in body.get("alerts", []):
                    hook.events.append((time.time(), self.client_address[0], alert["labels"]["alertname"],
                                        body.get("status", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((self.address, HOOK_PORT), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self


def _config(hook: Hook, timing: dict[str, str]) -> str:
    return f"""route:
  receiver: hook
  group_by: [alertname]
  group_wait: {timing["group_wait"]}
  group_interval: {timing["group_interval"]}
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: http://{hook.address}:{HOOK_PORT}/
    send_resolved: true
"""


CLUSTER_TLS = """tls_server_config:
  cert_file: /tls/cert.pem
  key_file: /tls/key.pem
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: /tls/ca.pem
tls_client_config:
  cert_file: /tls/cert.pem
  key_file: /tls/key.pem
  ca_file: /tls/ca.pem
"""


def _post(address: str, alert: dict[str, Any]) -> None:
    request = urllib.request.Request(f"http://{address}:9093/api/v2/alerts", data=json.dumps([alert]).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with contextlib.suppress(OSError):  # a peer restarting: Prometheus' send to it fails the same way
        urllib.request.urlopen(request, timeout=2).close()


def _members(address: str) -> int:
    try:
        with urllib.request.urlopen(f"http://{address}:9093/api/v2/status", timeout=2) as response:
            status = json.loads(response.read())
    except OSError:
        return 0
    return len(status["cluster"].get("peers") or []) if status["cluster"]["status"] == "ready" else 0


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat()


def _next_slot(after: float) -> float:
    return (int(after // GRID) + 1) * GRID


def _sleep_until(at: float) -> None:
    time.sleep(max(0.0, at - time.time()))


@pytest.fixture(scope="module")
def cluster_fleet() -> Iterator[tuple[Fleet, Hook, Path]]:
    try:
        fleet = Fleet(3).start()
    except FleetError as error:
        pytest.fail(f"the benchmark needs its Docker hosts: {error}", pytrace=False)
    try:
        fleet.build_images(["alertmanager"])
        hook = Hook(fleet.machine_address).start()
        with tempfile.TemporaryDirectory(prefix="iidmh-rejoin-") as work:
            yield fleet, hook, Path(work)
        hook.server.shutdown()
    finally:
        fleet.stop()


@pytest.mark.parametrize("timing", list(TIMINGS))
def test_stale_pages_after_a_rejoin(cluster_fleet: tuple[Fleet, Hook, Path], timing: str) -> None:
    fleet, hook, work = cluster_fleet
    settings = TIMINGS[timing]
    config, tls = work / f"{timing}.yml", work / "cluster-tls.yml"
    config.write_text(_config(hook, settings))
    tls.write_text(CLUSTER_TLS)
    addresses = [host.address for host in fleet.hosts]
    for host in fleet.hosts:
        host.local_docker("rm", "-f", "am", check=False)
        pair = fleet.server_tls(host.name)
        host.local_docker(
            "run", "-d", "--name", "am", "--label", fleet.label, "--user", "0", "-p", f"{host.address}:9093:9093",
            "-p", f"{host.address}:9094:9094/tcp", "-v", f"{config}:/etc/am/alertmanager.yml:ro",
            "-v", f"{tls}:/etc/am/cluster-tls.yml:ro", "-v", f"{pair.cert.parent}:/tls:ro",
            images.reference("alertmanager"), "--config.file=/etc/am/alertmanager.yml", "--storage.path=/alertmanager",
            "--cluster.listen-address=0.0.0.0:9094", f"--cluster.advertise-address={host.address}:9094",
            *[f"--cluster.peer={a}:9094" for a in addresses if a != host.address],
            "--cluster.tls-config=/etc/am/cluster-tls.yml", "--cluster.reconnect-timeout=5m",
            f"--cluster.peer-timeout={settings['peer_timeout']}",
            f"--cluster.settle-timeout={settings['settle_timeout']}")
    deadline = time.monotonic() + 120
    while not all(_members(a) == 3 for a in addresses):
        assert time.monotonic() < deadline, "the three peers did not form a cluster"
        time.sleep(0.5)
    interval = float(settings["group_interval"].removesuffix("s"))
    stale, duplicates = 0, 0
    for trial in range(TRIALS):
        name = f"Rejoin{timing.title().replace('-', '')}{trial}"
        fired = _next_slot(time.time())
        alert = {"labels": {"alertname": name}, "startsAt": _iso(fired)}
        restart_at = fired + random.uniform(GRID, 3 * GRID)
        resolve_slot = _next_slot(restart_at + GRID) + GRID * random.randrange(0, int(2 * interval / GRID) + 1)
        host = random.choice(fleet.hosts)
        slot, restarted = fired, False
        while slot < resolve_slot:
            _sleep_until(slot)
            for address in addresses:
                threading.Thread(target=_post, args=(address, alert), daemon=True).start()
            if not restarted and time.time() >= restart_at:
                host.local_docker("restart", "-t", "5", "am")
                restarted = True
            slot += GRID
        _sleep_until(resolve_slot)
        resolved = {**alert, "endsAt": _iso(resolve_slot)}
        for _ in range(3):  # Prometheus resends a resolved alert for a while
            for address in addresses:
                threading.Thread(target=_post, args=(address, resolved), daemon=True).start()
            time.sleep(GRID)
        time.sleep(2 * interval)
        events = [(status, peer) for _, peer, alertname, status in hook.events if alertname == name]
        first = next((i for i, (status, _) in enumerate(events) if status == "resolved"), len(events))
        stale += any(status == "firing" for status, _ in events[first + 1:])
        duplicates += max(0, sum(status == "firing" for status, _ in events[:first]) - 1)
    RESULTS[timing] = {"trials": TRIALS, "stale pages after a resolve": stale, "duplicate firings": duplicates,
                       **settings}
    out = os.environ.get("IID_BENCHMARK_OUT")
    if out:
        Path(out).write_text(json.dumps(RESULTS, indent=2) + "\n")
    print(f"\nrejoin benchmark, {timing}: {RESULTS[timing]}")
    assert RESULTS[timing]["trials"] == TRIALS
