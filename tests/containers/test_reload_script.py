"""The reload job's script itself (``components/containers/reload.py``), run by busybox ``sh`` (the images'
userland) against a process on loopback: it must never signal a process that cannot take the signal yet.

A Go daemon handles SIGHUP only once its ``signal.Notify`` ran; before that, SIGHUP's default action ends it.
The job shares the container's PID namespace, so the daemon's death also kills the job (exit status 137): on a
loaded machine, ``pulumi up`` failed this way on a fresh stack when the job signalled Prometheus just after its
entrypoint started it.  The stand-in process below dies of a SIGHUP during its first second, as such a daemon
does, and serves the reload gauges after that.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.containers.model import LiveConfig
from components.containers.reload import reload_script
from tests.daemons import free_port
from tests.live.harness.busybox import busybox_path

LIVE = LiveConfig(directory="/etc/standin", binary="/bin/standin", reload_metric="standin_config_last_reload")

STARTING_SECONDS = 1.5
"""How long the stand-in runs without a SIGHUP handler (and without serving)."""

STANDIN = textwrap.dedent("""
    import http.server, signal, sys, time
    time.sleep(float(sys.argv[2]))          # starting: SIGHUP's default action ends the process
    reloads = []
    signal.signal(signal.SIGHUP, lambda *_: reloads.append(time.time()))
    class Metrics(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            stamp = reloads[-1] if reloads else 1000.0
            body = (f"standin_config_last_reload_successful 1\\n"
                    f"standin_config_last_reload_success_timestamp_seconds {stamp}\\n").encode()
            self.send_response(200); self.end_headers(); self.wfile.write(body)
        def log_message(self, *args): pass
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Metrics).serve_forever()
""")


@pytest.fixture
def starting_process() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", STANDIN, str(port), str(STARTING_SECONDS)])
    try:
        yield process, port
    finally:
        process.kill()
        process.wait()


def run_job(tmp_path: Path, pid: int, port: int) -> subprocess.CompletedProcess[str]:
    staged, live = tmp_path / "staged", tmp_path / "live"
    staged.mkdir()
    live.mkdir()
    (staged / "standin.yml").write_text("version: 2\n")
    script = tmp_path / "reload.sh"
    script.write_text(reload_script("standin", LIVE, port))
    path = f"{busybox_path(tmp_path / 'bin')}:{os.environ['PATH']}"  # the images' userland
    env = {**os.environ, "PATH": path, "LIVE_DIR": str(live), "STAGED_DIR": str(staged), "TARGET_PID": str(pid),
           "METRICS_URL": f"http://127.0.0.1:{port}/metrics", "RELOAD_TIMEOUT": "15"}
    return subprocess.run(["sh", str(script)], check=False, env=env, capture_output=True, text=True, timeout=60)


def test_a_process_still_starting_is_told_only_once_it_serves(
        tmp_path: Path, starting_process: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = starting_process
    result = run_job(tmp_path, process.pid, port)
    assert process.poll() is None, f"the job's SIGHUP ended the starting process: {result.stdout}{result.stderr}"
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-2:] == ["standin: installed 1 file(s), sent SIGHUP",
                                               "standin: loaded (after 0s)"]
    assert (tmp_path / "live" / "standin.yml").read_text() == "version: 2\n"


def test_a_process_that_never_serves_fails_the_job_with_the_reason(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    silent = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                               "signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(60)"])
    try:
        time.sleep(0.2)
        started = time.monotonic()
        result = run_job(tmp_path, silent.pid, port)
        assert result.returncode == 1
        assert result.stdout.splitlines()[-1] == (
            "standin: installed 1 file(s); the process did not serve its metrics within 15s to be told")
        assert time.monotonic() - started >= 15
    finally:
        silent.kill()
        silent.wait()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1)
