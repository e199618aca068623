"""The harness itself, without daemons (not marked live: runs with the unit tests)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import tools
from tests.live.harness.api_standin import HTTP_BUCKETS, ApiStandIn
from tests.live.harness.ports import free_port
from tests.live.harness.processes import HarnessError, ManagedProcess, require_binary
from tests.live.harness.profile import LivePorts, live_settings
from tests.live.harness.receivers import HttpRequest, Recorder, WaitTimeoutError
from tests.live.harness.stack import LiveStack


def test_a_missing_binary_fails_naming_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tools, "daemons_dir", lambda: tmp_path)  # no build linked there
    monkeypatch.delenv("IID_VERSION_SET", raising=False)
    with pytest.raises(HarnessError, match=r"no alertmanager build in the pinned set .*scripts/toolchain alertmanager"):
        require_binary("alertmanager")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(HarnessError, match="Debian package 'postgresql'"):
        require_binary("/usr/lib/postgresql/15/bin/initdb")


def test_a_stack_stops_only_its_own_processes(tmp_path: Path) -> None:
    """A module's own stack, closed, must leave the session's stack running."""
    mine, theirs = (ManagedProcess(name, ["sleep", "30"], tmp_path / name / "logs" / "sleep.log").start()
                    for name in ("mine", "theirs"))
    try:
        ManagedProcess.stop_under(tmp_path / "mine")
        assert not mine.running()
        assert theirs.running()
    finally:
        theirs.stop(timeout=1)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def api() -> Any:
    standin = ApiStandIn(free_port(), tick=0.01).start()
    yield standin
    standin.stop()


def test_api_standin_exposes_the_api_metrics(api: ApiStandIn) -> None:
    threading.Event().wait(0.1)
    status, body = _get(api.url + "/api/metrics")
    text = body.decode()
    assert status == 200
    buckets = {line.split('le="')[1].split('"')[0] for line in text.splitlines()
               if line.startswith("http_request_duration_seconds_bucket")}
    assert buckets == {f"{float(b)}" for b in HTTP_BUCKETS} | {"+Inf"}
    assert 'http_requests_total{method="GET",route="/verify",status_code="200"}' in text
    for name in ("process_resident_memory_bytes", "active_connections", "nodejs_eventloop_lag_seconds",
                 "# TYPE verification_total counter", "# TYPE queue_depth gauge"):
        assert name in text
    assert "_created" not in text


def test_api_standin_health_shape_and_status(api: ApiStandIn) -> None:
    status, body = _get(api.url + "/api/health")
    document = json.loads(body)
    assert status == 200 and document["status"] == "ok"
    assert set(document) == {"status", "timestamp", "uptime", "services"}
    assert set(document["services"]) == {"database", "cache", "blockchain"}
    api.set_service_health("blockchain", False, "RPC_URL not configured")
    status, body = _get(api.url + "/api/health")
    document = json.loads(body)
    assert status == 503 and document["status"] == "degraded"
    assert document["services"]["blockchain"] == {"status": "unhealthy", "error": "RPC_URL not configured"}
    _, metrics = _get(api.url + "/api/metrics")
    assert 'health_check_status{service="api",status="degraded"} 0.0' in metrics.decode()
    assert 'health_check_status{service="blockchain",status="unhealthy"} 0.0' in metrics.decode()


def test_api_standin_down_closes_the_port(api: ApiStandIn) -> None:
    api.down()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(api.url + "/api/health", timeout=2)
    api.up()
    assert _get(api.url + "/api/health")[0] == 200


def _refused(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.URLError:
        return True
    return False


def test_api_standin_flaps_on_schedule_until_steady(api: ApiStandIn) -> None:
    api.flap(0.4, 0.6)
    time.sleep(0.2)
    assert _refused(api.url + "/api/health")
    time.sleep(0.4)  # 0.6s in: up since 0.4s
    assert _get(api.url + "/api/health")[0] == 200
    time.sleep(0.6)  # 1.2s in: down again since 1.0s
    assert _refused(api.url + "/api/health")
    api.steady()
    assert _get(api.url + "/api/health")[0] == 200
    log = list(api.flap_log)
    assert [listening for _, listening in log[:3]] == [False, True, False]
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(log)]
    assert abs(gaps[0] - 0.4) < 0.15 and abs(gaps[1] - 0.6) < 0.15, log  # closing the port takes up to 0.1s
    time.sleep(1.1)
    assert api.flap_log == log, "still flapping after steady()"


def test_recorder_wait_for_reports_what_came() -> None:
    recorder: Recorder[str] = Recorder("demo")
    threading.Timer(0.05, recorder.add, args=("late",)).start()
    assert recorder.wait_for(lambda item: item == "late", timeout=2) == ["late"]
    with pytest.raises(WaitTimeoutError, match=r"(?s)0/1 matching .*'late'"):
        recorder.wait_for(lambda item: item == "never", timeout=0.2)


def _heartbeat(at: float) -> HttpRequest:
    return HttpRequest(at=at, method="POST", path="/ping/live-heartbeat", headers={}, body=b"{}")


def test_flushed_since_waits_for_a_heartbeat_past_the_slowest_route() -> None:
    """The live routes wait 1s and flush every 2s: only a heartbeat 3s or more after the moment will do."""
    ports = LivePorts(*range(20000, 20000 + len(LivePorts.__dataclass_fields__)))
    heartbeat: Recorder[HttpRequest] = Recorder("heartbeat")
    stack = SimpleNamespace(settings=live_settings(ports, secrets_dir="/tmp/iid-unused"), heartbeat=heartbeat)
    moment = time.time() - 10
    heartbeat.add(_heartbeat(moment + 2.9))
    with pytest.raises(WaitTimeoutError):
        LiveStack.flushed_since(stack, moment, timeout=0.2)  # type: ignore[arg-type]
    threading.Timer(0.2, heartbeat.add, args=(_heartbeat(moment + 3.1),)).start()
    started = time.monotonic()
    LiveStack.flushed_since(stack, moment, timeout=5)  # type: ignore[arg-type]
    assert 0.1 < time.monotonic() - started < 3
