"""The public site's probe (``targets.publicUrl``, module ``https_2xx``) measures the certificate users see: the real
blackbox exporter (Debian 0.23) probes a local https server whose certificate a test CA signed for 40 days.

The exporter trusts the test CA through ``SSL_CERT_FILE`` (Go reads it on Linux), as it trusts a public CA in the
deployed image.  It shows what the TLS alerts rely on: the expiry is measured after a verified handshake, and a
probe that gets no TLS answer writes no expiry at all (why the alerts keep the last one for a day).
"""

from __future__ import annotations

import datetime
import http.server
import ssl
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.blackbox.config import render_blackbox_config
from components.prometheus.config import public_probes
from components.prometheus.settings import TargetSettings
from tests.contexts import stack_context
from tests.daemons import free_port, running
from tests.tools import tool

DAYS = 40


def _openssl(*args: str | Path, cwd: Path) -> None:
    result = subprocess.run([tool("openssl"), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a certificate it signed for ``localhost`` and 127.0.0.1, valid for ``DAYS`` days."""
    directory = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-subj", "/CN=internet-id test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "site.key", "-out", "site.csr", cwd=directory)
    (directory / "site.ext").write_text("subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", str(DAYS), "-extfile", "site.ext", "-out", "site.pem", cwd=directory)
    return directory


@pytest.fixture(scope="module")
def site(certificates: Path) -> Iterator[str]:
    class Page(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = b'{"status":"ok"}' if self.path.endswith("/api/health") else b"<!doctype html><title>site</title>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "site.pem", certificates / "site.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def exporter(certificates: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("blackbox-tls")
    config = directory / "blackbox.yml"
    config.write_text(render_blackbox_config(stack_context("prod")))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    trust = f"SSL_CERT_FILE={certificates / 'ca.pem'}"
    argv = [tool("env"), trust, tool("prometheus-blackbox-exporter"), f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}"]
    with running(argv, directory / "blackbox.log", f"{url}/-/healthy"):
        yield url


def _probe(exporter: str, module: str, target: str) -> dict[str, float]:
    query = urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(f"{exporter}/probe?{query}", timeout=10) as response:
        text = response.read().decode()
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
            if line and not line.startswith("#") and "{" not in line}


def _not_after(certificate: Path) -> float:
    result = subprocess.run([tool("openssl"), "x509", "-noout", "-enddate", "-in", str(certificate)],
                            capture_output=True, text=True, timeout=30, check=True)
    text = result.stdout.strip().removeprefix("notAfter=")
    moment = datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def test_the_public_sites_probes_measure_the_certificate_users_see(site: str, exporter: str,
                                                                    certificates: Path) -> None:
    probes = public_probes(TargetSettings.model_validate({"publicUrl": site}))
    assert [(module, service) for module, service, _ in probes] == [("https_2xx", "web"), ("https_2xx", "api")]
    expiry = _not_after(certificates / "site.pem")
    for module, _, url in probes:
        result = _probe(exporter, module, url)
        assert result["probe_success"] == 1, (url, result)
        assert result["probe_ssl_earliest_cert_expiry"] == expiry, (url, result)
        days = (result["probe_ssl_earliest_cert_expiry"] - datetime.datetime.now(datetime.UTC).timestamp()) / 86400
        assert DAYS - 1 < days <= DAYS  # what TLSCertificateExpiringSoon compares with its 14 days


def test_a_probe_without_a_tls_answer_writes_no_expiry(exporter: str) -> None:
    """Nothing listening (a proxy restarting): the probe fails and the expiry series gets no sample, so the alerts
    keep the last one seen (``last_over_time``) instead of resolving."""
    result = _probe(exporter, "https_2xx", f"https://localhost:{free_port()}/")
    assert result["probe_success"] == 0
    assert "probe_ssl_earliest_cert_expiry" not in result


def test_plain_http_fails_the_https_module(exporter: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        result = _probe(exporter, "https_2xx", f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert result["probe_success"] == 0
