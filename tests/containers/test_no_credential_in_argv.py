"""No process ever holds a credential in its command line: the reload jobs' requests and the web-auth healthchecks
run here under busybox's applets (Debian's busybox-static standing in for the images' busybox) against a slow server
on loopback, while every ``/proc/<pid>/cmdline`` is read over and over."""

from __future__ import annotations

import base64
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.config_source import settings_from_stack_file
from components.containers.reload import reload_script
from components.render import container_specs
from tests.live.harness.busybox import busybox_path

PASSWORD = "grafana-admin-pw-0123456789"
AUTHORIZATION = base64.b64encode(b"iidmon:web-password-0123456789").decode()


class SlowServer(BaseHTTPRequestHandler):
    """Answers 200 after a pause (so the client's processes live long enough to be seen), recording headers."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        server: Any = self.server
        server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        time.sleep(0.4)
        body = b"ok 1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[Any]:
    httpd: Any = ThreadingHTTPServer(("127.0.0.1", 0), SlowServer)
    httpd.seen = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def command_lines() -> list[str]:
    lines = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(path.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return lines


def run_watched(argv: list[str], env: dict[str, str], secrets: tuple[str, ...]) -> tuple[int, list[str], set[str]]:
    """Run ``argv``; return its status, the command lines holding a secret, and the programs seen meanwhile."""
    found: list[str] = []
    programs: set[str] = set()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    while process.poll() is None:
        for line in command_lines():
            programs.add(line.split(" ", 1)[0].rsplit("/", 1)[-1])
            found += [line for secret in secrets if secret in line]
    process.wait()
    return process.returncode, found, programs


def run_watched_until_seen(argv: list[str], env: dict[str, str], secrets: tuple[str, ...], program: str,
                           attempts: int = 5) -> tuple[int, list[str], set[str]]:
    """``run_watched`` again until a scan has seen ``program`` (a short-lived one may end between two scans of a
    busy machine's processes); the command lines of every run are checked."""
    found: list[str] = []
    programs: set[str] = set()
    for _ in range(attempts):
        status, found_now, programs_now = run_watched(argv, env, secrets)
        found += found_now
        programs |= programs_now
        if status != 0 or program in programs:
            break
    return status, found, programs


def test_grafanas_reload_job_posts_with_the_admin_password_in_no_command_line(server: Any, tmp_path: Path) -> None:
    spec = {s.name: s for s in container_specs(settings_from_stack_file("dev"), {})}["grafana"]
    assert spec.live_config is not None and spec.live_config.reload_urls
    (tmp_path / "staged" / "dashboards").mkdir(parents=True)
    (tmp_path / "staged" / "dashboards" / "a.json").write_text("{}")
    (tmp_path / "password").write_text(PASSWORD)
    script = tmp_path / "reload.sh"
    script.write_text(reload_script("grafana", spec.live_config, 3000))
    applets = busybox_path(tmp_path / "busybox")
    env = {"PATH": f"{applets}:/usr/bin:/bin", "LIVE_DIR": str(tmp_path / "live"),
           "STAGED_DIR": str(tmp_path / "staged"),
           "HEALTH_URL": f"http://127.0.0.1:{server.server_address[1]}/api/health",
           "PASSWORD_FILE": str(tmp_path / "password"), "ADMIN_USER": "admin"}
    (tmp_path / "live").mkdir()
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    status, found, programs = run_watched([f"{applets}/sh", str(script)], env, (PASSWORD, basic))
    assert status == 0
    assert found == []
    assert "nc" in programs, programs  # the scan saw the request's own processes
    posts = [(path, header) for method, path, header in server.seen if method == "POST"]
    assert posts == [(path, f"Basic {basic}") for path in spec.live_config.reload_urls]
    assert (tmp_path / "live" / "dashboards" / "a.json").read_text() == "{}"


@pytest.mark.parametrize("name", ["prometheus", "alertmanager"])
def test_the_web_auth_healthcheck_sends_the_credential_in_no_command_line(server: Any, tmp_path: Path,
                                                                          name: str) -> None:
    spec = {s.name: s for s in container_specs(settings_from_stack_file("prod"), {})}[name]
    assert spec.healthcheck is not None and spec.health_authorization
    authorization = tmp_path / "authorization"
    authorization.write_text(AUTHORIZATION)
    kind, command = spec.healthcheck.test(server.server_address[1], str(authorization))
    assert kind == "CMD-SHELL" and AUTHORIZATION not in command
    applets = busybox_path(tmp_path / "busybox")
    status, found, programs = run_watched([f"{applets}/sh", "-c", command], {"PATH": applets}, (AUTHORIZATION,))
    assert status == 0
    assert found == []
    assert "nc" in programs, programs
    assert server.seen == [("GET", spec.healthcheck.path, f"Basic {AUTHORIZATION}")]
