"""The reload mechanism itself, with the real Prometheus and Alertmanager (built from their Go modules) on
loopback.

The same script a reload job runs in its container (``components/containers/reload.py``) installs a
newly rendered version into a running daemon's config directory and sends it SIGHUP; only its
parameters differ (directory, pid, metrics URL).  Prometheus runs with the live profile's 2 s scrapes.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config_source import settings_from_mapping
from components.containers.model import LiveConfig
from components.containers.reload import reload_script
from components.render import container_specs, credential_secrets, render_documents, write_documents
from components.rules.catalogue import CATALOGUE
from components.settings import StackSettings
from tests.live.harness import profile, services, web_auth
from tests.live.harness.busybox import busybox_path
from tests.live.harness.clients import Alertmanager, Prometheus, poll
from tests.live.harness.ports import address
from tests.live.harness.processes import ManagedProcess, require_binary
from tests.live.harness.stack import allocate_ports

pytestmark = pytest.mark.live

PENDING_FOR = "60s"
"""ServiceDown's ``for`` here: long enough to stay pending across the reload."""
CONTAINER_ALERTS = [alert.name for alert in CATALOGUE if alert.area == "containers"]
"""Disabled together, they leave the ``containers`` area without a rule, so ``containers.yml`` is not rendered."""
LOADED_WITHIN = 30.0
"""The bound of the issue: new rules active, old ones gone, within 30 s of the job's end."""


def settings_with(ports: Any, secrets_dir: Path, rules: dict[str, Any],
                  routes: dict[str, dict[str, str]] | None = None) -> StackSettings:
    config = profile.live_config(ports, secrets_dir=str(secrets_dir), rules={
        **profile.LIVE_TIMINGS.rules, "overrides": {"ServiceDown": {"for": PENDING_FOR}}, **rules})
    if routes:
        config["internet-id-monitoring:notifications"]["timing"] = routes
    # The API target answers nothing: ServiceDown turns pending and stays so for PENDING_FOR.
    config["internet-id-monitoring:targets"]["api"] = {"discovery": "static", "staticTargets": ["127.0.0.1:9"]}
    return settings_from_mapping(profile.STACK, config)


def live_config(name: str) -> LiveConfig:
    """The reload job's config of ``name`` in the live settings: with the credential file it sends (``webAuth``)."""
    ports = allocate_ports()
    spec = {s.name: s for s in container_specs(settings_with(ports, Path("/nonexistent"), {}), {})}[name]
    assert spec.live_config is not None and spec.live_config.authorization_file
    return spec.live_config


PROMETHEUS_LIVE = live_config("prometheus")
ALERTMANAGER_LIVE = live_config("alertmanager")


def render(settings: StackSettings, directory: Path) -> Path:
    """The rendered files and the credential files, as the reload job stages them."""
    write_documents(render_documents(settings, []), directory)
    web_auth.write_web_files(directory)
    for name, secret in credential_secrets(settings).items():
        (directory / "alertmanager" / "secrets").mkdir(parents=True, exist_ok=True)
        (directory / "alertmanager" / "secrets" / name).write_text(str(secret.value))
    return directory


def checkers_first() -> str:
    """The PATH after busybox's applets: the built checkers, then the host's."""
    built = dict.fromkeys(os.path.dirname(require_binary(checker)) for checker in ("promtool", "amtool"))
    return os.pathsep.join([*built, os.environ["PATH"]])


def run_reload(name: str, live: Any, port: int, *, live_dir: Path, staged: Path, process: ManagedProcess,
               path: str | None = None) -> subprocess.CompletedProcess[str]:
    """The job's script, run by busybox's sh with busybox's applets first on the PATH (as in its container), then
    the checkers of the version set the suite runs (promtool and amtool built from their modules, as the image
    holds them; never an older one of the host's), then ``path`` (default: the host's PATH)."""
    script = live_dir.parent / f"{name}-reload.sh"
    script.write_text(reload_script(name, live, port))
    assert process.popen is not None
    applets = busybox_path(live_dir.parent / "busybox")
    env = {**os.environ, "LIVE_DIR": str(live_dir), "STAGED_DIR": str(staged), "TARGET_PID": str(process.popen.pid),
           "METRICS_URL": f"http://{address(port)}/metrics", "RELOAD_TIMEOUT": "30",
           "PATH": f"{applets}:{path or checkers_first()}"}
    return subprocess.run([f"{applets}/sh", str(script)], capture_output=True, text=True, env=env, timeout=90,
                          check=False)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[ManagedProcess, Path, Any]]:
    ports = allocate_ports()
    settings = settings_with(ports, tmp_path / "live" / "alertmanager" / "secrets", {})
    live = render(settings, tmp_path / "live")
    (tmp_path / "logs").mkdir()
    process = services.start_prometheus(tmp_path, ports.prometheus, live / "prometheus" / "prometheus.yml",
                                        web_config=web_auth.web_config(live, "prometheus"), auth=web_auth.AUTH)
    try:
        client = Prometheus(f"http://{address(ports.prometheus)}", web_auth.AUTH)
        poll(lambda: client.value('up{job="prometheus"}'), lambda up: up == 1, timeout=60,
             what="Prometheus scraping itself")
        yield process, tmp_path, ports
    finally:
        process.stop()


def pending(client: Prometheus, alertname: str) -> list[dict[str, Any]]:
    return [a for a in client.alerts() if a["labels"]["alertname"] == alertname]


def test_a_rule_change_is_active_within_the_bound_with_no_scrape_gap_and_the_pending_alert_kept(
    prometheus: tuple[ManagedProcess, Path, Any],
) -> None:
    process, root, ports = prometheus
    client = Prometheus(f"http://{address(ports.prometheus)}", web_auth.AUTH)
    # The up == 0 branch (labelled with the instance), not absent(): that one is pending only until the API
    # target's first scrape, which may come after Prometheus' own.
    [before] = poll(lambda: [a for a in pending(client, "ServiceDown") if "instance" in a["labels"]], bool,
                    timeout=30, what="ServiceDown pending on up == 0")
    assert before["state"] == "pending"

    changed = settings_with(ports, root / "live" / "alertmanager" / "secrets", {
        "overrides": {"ServiceDown": {"for": PENDING_FOR}, "HighErrorRate": {"threshold": 0.02}},
        "disabled": CONTAINER_ALERTS,  # their rule file (containers.yml) is then no longer rendered
    })
    staged = render(changed, root / "next") / "prometheus"
    started = time.time()
    result = run_reload("prometheus", PROMETHEUS_LIVE, ports.prometheus, live_dir=root / "live" / "prometheus",
                        staged=staged, process=process)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent SIGHUP" in result.stdout and "loaded" in result.stdout

    def reloaded() -> bool:
        rules = {r["name"]: r for g in client.rule_groups() for r in g["rules"]}
        return "> 0.02" in rules["HighErrorRate"]["query"] and not set(CONTAINER_ALERTS) & set(rules)
    poll(reloaded, bool, timeout=LOADED_WITHIN, what="the new rules active and the old one gone")
    active_after = time.time() - started
    assert active_after <= LOADED_WITHIN
    assert not (root / "live" / "prometheus" / "rules" / "containers.yml").exists()

    [after] = pending(client, "ServiceDown")
    assert after["activeAt"] == before["activeAt"], "the pending alert lost its `for` progress"
    time.sleep(6)  # scrapes after the reload, so a gap would show at both ends
    samples = client.query(f'up{{job="prometheus"}}[{int(time.time() - started) + 20}s]')
    stamps = sorted(float(t) for series in samples for t, _ in series["values"] if float(t) >= started - 4)
    gap = max(b - a for a, b in itertools.pairwise(stamps))
    assert gap <= 2 * 1.5, f"a scrape gap of {gap:.1f}s across the reload (scrape interval 2s)"


def test_a_version_the_running_prometheus_refuses_fails_the_job_and_its_alert_fires(
    prometheus: tuple[ManagedProcess, Path, Any], tmp_path: Path,
) -> None:
    """A checker that accepts what the running version refuses (as promtool 2.42 and a newer Prometheus
    could): the job reports the refusal, the old config keeps running, PrometheusConfigReloadFailed fires."""
    process, root, ports = prometheus
    client = Prometheus(f"http://{address(ports.prometheus)}", web_auth.AUTH)
    staged = render(settings_with(ports, root / "live" / "alertmanager" / "secrets", {}), root / "next") / "prometheus"
    (staged / "rules" / "meta.yml").write_text("groups:\n- name: broken\n  rules:\n  - alert: X\n    expr: vector(1\n")
    accepting = tmp_path / "accepting-checker"
    accepting.mkdir()
    (accepting / "promtool").write_text("#!/bin/sh\nexit 0\n")
    (accepting / "promtool").chmod(0o755)
    result = run_reload("prometheus", PROMETHEUS_LIVE, ports.prometheus, live_dir=root / "live" / "prometheus",
                        staged=staged, process=process, path=f"{accepting}:{os.environ['PATH']}")
    assert result.returncode == 1, result.stdout
    assert "refused by the running process" in result.stdout
    poll(lambda: client.value("prometheus_config_last_reload_successful"), lambda ok: ok == 0, timeout=20,
         what="the failed reload in Prometheus' own metrics")
    groups = {g["name"] for g in client.rule_groups()}
    assert "internet-id-meta" in groups and "broken" not in groups, "the refused version was loaded"
    poll(lambda: client.firing("PrometheusConfigReloadFailed"), bool, timeout=60,
         what="PrometheusConfigReloadFailed firing")


def test_a_route_change_reaches_the_running_alertmanager(tmp_path: Path) -> None:
    ports = allocate_ports()
    secrets = tmp_path / "live" / "alertmanager" / "secrets"
    live = render(settings_with(ports, secrets, {}), tmp_path / "live")
    (tmp_path / "logs").mkdir()
    process = services.start_alertmanager(tmp_path, ports.alertmanager, live / "alertmanager" / "alertmanager.yml",
                                          web_config=web_auth.web_config(live, "alertmanager"), auth=web_auth.AUTH)
    try:
        routes = {**profile.LIVE_TIMINGS.routes, "critical": {"groupWait": "7s", "groupInterval": "9s",
                                                              "repeatInterval": "1h"}}
        staged = render(settings_with(ports, secrets, {}, routes), tmp_path / "next") / "alertmanager"
        result = run_reload("alertmanager", ALERTMANAGER_LIVE, ports.alertmanager,
                            live_dir=live / "alertmanager", staged=staged, process=process)
        assert result.returncode == 0, result.stdout + result.stderr
        status = Alertmanager(f"http://{address(ports.alertmanager)}", web_auth.AUTH).status()
        assert "group_wait: 7s" in status["config"]["original"]
        assert process.running(), "Alertmanager restarted instead of reloading"
    finally:
        process.stop()


UNAUTHENTICATED_PATHS = {"prometheus": "/api/v1/status/config", "alertmanager": "/api/v2/status"}
"""Where an unauthenticated answer would hand out the whole config (with an empty web config: no auth at all)."""


def poll_without_credentials(url: str, stop: threading.Event, seen: Counter[int | str]) -> None:
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                seen[int(response.status)] += 1
        except urllib.error.HTTPError as error:
            seen[error.code] += 1
        except OSError as error:
            seen[type(error).__name__] += 1


@pytest.mark.parametrize("name", ["prometheus", "alertmanager"])
def test_a_burst_of_reloads_never_leaves_the_web_config_missing_or_empty(tmp_path: Path, name: str) -> None:
    """The job installs file by file with renames: requests without credentials, made all through 20 installs,
    get 401 and nothing else (a missing web config answers 500, an empty one answers everything: 200)."""
    ports = allocate_ports()
    live = render(settings_with(ports, tmp_path / "live" / "alertmanager" / "secrets", {}), tmp_path / "live")
    staged = render(settings_with(ports, tmp_path / "live" / "alertmanager" / "secrets", {}), tmp_path / "next")
    (tmp_path / "logs").mkdir()
    port = getattr(ports, name)
    start = services.start_prometheus if name == "prometheus" else services.start_alertmanager
    process = start(tmp_path, port, live / name / f"{name}.yml", web_config=web_auth.web_config(live, name),
                    auth=web_auth.AUTH)
    stop, seen = threading.Event(), Counter[int | str]()
    pollers = [threading.Thread(target=poll_without_credentials,
                                args=(f"http://{address(port)}{UNAUTHENTICATED_PATHS[name]}", stop, seen))
               for _ in range(3)]
    try:
        for poller in pollers:
            poller.start()
        for _ in range(20):
            result = run_reload(name, PROMETHEUS_LIVE if name == "prometheus" else ALERTMANAGER_LIVE, port,
                                live_dir=live / name, staged=staged / name, process=process)
            assert result.returncode == 0, result.stdout + result.stderr
    finally:
        stop.set()
        for poller in pollers:
            poller.join()
        process.stop()
    assert seen[401] > 100, seen
    assert set(seen) == {401}, f"answers without credentials during the reloads: {dict(seen)}"
