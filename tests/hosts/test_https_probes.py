"""Over HTTPS (a multi-host stack's Prometheus and Alertmanager, exporter healthchecks), the healthchecks and the
reload jobs' requests still carry the stack's credential in no command line: busybox's applets (Debian's
busybox-static standing in for the images' busybox) against a real Go HTTPS server with basic auth on loopback
(VictoriaMetrics, built from its module: it requires the credential on ``/metrics``; run with the environment the
product gives every server its busybox probes, ``hosts.tls.BUSYBOX_TLS_CLIENTS``), while every
``/proc/<pid>/cmdline`` is read."""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.containers.http_sh import shell_functions
from components.containers.model import Healthcheck
from components.hosts.tls import BUSYBOX_TLS_CLIENTS
from tests.containers.test_no_credential_in_argv import run_watched, run_watched_until_seen
from tests.live.harness.busybox import busybox_path
from tests.live.harness.ports import free_port
from tests.tools import built_binary

USER, PASSWORD = "iidmon", "web-password-over-tls-4711"
AUTHORIZATION = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """VictoriaMetrics serving HTTPS on loopback with a certificate made here and the credential from a file."""
    directory = tmp_path_factory.mktemp("https")
    key, cert, password = directory / "key.pem", directory / "cert.pem", directory / "password"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=host",
                    "-addext", "subjectAltName=IP:10.0.1.11"], check=True, capture_output=True)
    password.write_text(PASSWORD)
    port = free_port()
    process = subprocess.Popen(
        [built_binary("victoria-metrics"), f"-storageDataPath={directory / 'data'}",
         f"-httpListenAddr=127.0.0.1:{port}", "-tls", f"-tlsCertFile={cert}", f"-tlsKeyFile={key}",
         f"-httpAuth.username={USER}", f"-httpAuth.password=file://{password}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **BUSYBOX_TLS_CLIENTS})
    try:
        context = ssl._create_unverified_context()
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"https://127.0.0.1:{port}/health", timeout=1, context=context).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "VictoriaMetrics did not answer over HTTPS"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_an_https_healthcheck_sends_the_credential_in_no_command_line(https_server: int, tmp_path: Path) -> None:
    applets = busybox_path(tmp_path / "busybox")
    good, bad = tmp_path / "authorization", tmp_path / "wrong"
    good.write_text(AUTHORIZATION)
    bad.write_text(base64.b64encode(f"{USER}:not-the-password".encode()).decode())
    check = Healthcheck("/metrics", tls=True)
    kind, command = check.test(https_server, str(good))
    assert kind == "CMD-SHELL" and AUTHORIZATION not in command and "ssl_client" in command
    status, found, programs = run_watched_until_seen([f"{applets}/sh", "-c", command], {"PATH": applets},
                                                     (AUTHORIZATION,), "ssl_client")
    assert status == 0
    assert found == []
    assert "ssl_client" in programs, programs  # the scan saw the request's own process (nc -e becomes it)
    refused = subprocess.run([f"{applets}/sh", "-c", check.test(https_server, str(bad))[1]], env={"PATH": applets},
                             check=False, capture_output=True)
    assert refused.returncode != 0, "a wrong credential passed: the header did not reach the server"


def test_the_reload_jobs_https_request_reads_the_metrics_with_the_credential_in_no_command_line(
        https_server: int, tmp_path: Path) -> None:
    applets = busybox_path(tmp_path / "busybox")
    (tmp_path / "authorization").write_text(AUTHORIZATION)
    script = tmp_path / "fetch.sh"
    script.write_text(shell_functions(tls=True)
                      + f'http_body GET "https://127.0.0.1:{https_server}/metrics" "$(cat {tmp_path}/authorization)"\n')
    process = subprocess.run([f"{applets}/sh", str(script)], env={"PATH": applets}, capture_output=True, text=True,
                             check=False, timeout=30)
    assert process.returncode == 0, process.stderr
    assert "vm_app_version" in process.stdout
    status, found, _ = run_watched([f"{applets}/sh", str(script)], {"PATH": applets}, (AUTHORIZATION,))
    assert status == 0 and found == []
