"""The rendered blackbox.yml judged by the real blackbox exporter (built from its Go module) against a local
server answering /api/health exactly like the API (``scripts/routes/health.routes.ts``: Express ``res.json``, compact,
keys in this order; 200 if ``ok``, else 503).

The exporter is started with the rendered file on 127.0.0.1 and asked ``/probe?module=…&target=…``.  Part of
the default run: it needs only the blackbox exporter binary, and takes seconds.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.blackbox.config import render_blackbox_config
from tests.contexts import stack_context
from tests.daemons import free_port, running
from tests.tools import tool

HEALTHY_CHAIN = {"status": "healthy", "blockNumber": 19000000}


def _health(database: dict[str, Any], blockchain: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    ok = database["status"] == "healthy" and blockchain["status"] == "healthy"
    return (200 if ok else 503), {
        "status": "ok" if ok else "degraded",
        "timestamp": "2026-11-26T10:00:00.000Z",
        "uptime": 5123.4,
        "services": {"database": database, "cache": {"status": "disabled", "enabled": False},
                     "blockchain": blockchain},
    }


DB_DOWN = {"status": "unhealthy", "error": "Can't reach database server at `db:5432`"}
RPC_DOWN = {"status": "unhealthy", "error": "could not detect network (event=\"noNetwork\", code=NETWORK_ERROR)"}

ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "ok": _health({"status": "healthy"}, HEALTHY_CHAIN),
    "database": _health(DB_DOWN, HEALTHY_CHAIN),
    "blockchain": _health({"status": "healthy"}, RPC_DOWN),
    "both": _health(DB_DOWN, RPC_DOWN),
    # a thrown handler: 503 without services (the blockchain state is unknown, not unhealthy)
    "thrown": (503, {"status": "unhealthy", "timestamp": "2026-11-26T10:00:00.000Z", "error": "Health check failed"}),
    # the relaxed rate limiter
    "limited": (429, {"error": "Too many requests"}),
}


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        case = self.path.strip("/").split("/", 1)[0]
        status, document = ANSWERS[case]
        body = json.dumps(document, separators=(",", ":")).encode()  # Express' res.json
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("blackbox")
    config = directory / "blackbox.yml"
    config.write_text(render_blackbox_config(stack_context("prod")))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [tool("blackbox_exporter"), f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    with running(argv, directory / "blackbox.log", f"{url}/-/healthy"):
        yield url


def _probe(exporter: str, module: str, target: str) -> dict[str, float]:
    query = urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(f"{exporter}/probe?{query}", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, value = line.split()
            values[name] = float(value)
    return values


# case -> (http_2xx success, api_health_blockchain success, its probe_failed_due_to_regex)
EXPECTED = {
    "ok": (1, 1, 0),
    "database": (0, 1, 0),  # degraded by the database: the blockchain check is healthy
    "blockchain": (0, 0, 1),
    "both": (0, 0, 1),
    "thrown": (0, 1, 0),
    "limited": (0, 0, 0),  # 429 is no verdict at all: no blockchain alert either
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_module_judges_the_current_answer(api: str, exporter: str, case: str) -> None:
    target = f"{api}/{case}/api/health"
    plain, chain, regex = EXPECTED[case]
    health = _probe(exporter, "http_2xx", target)
    blockchain = _probe(exporter, "api_health_blockchain", target)
    assert health["probe_success"] == plain, health
    assert health["probe_http_status_code"] == ANSWERS[case][0]
    assert blockchain["probe_success"] == chain, blockchain
    # BlockchainRPCDown fires on probe_failed_due_to_regex: 1 exactly when the body says the RPC is down
    assert blockchain["probe_failed_due_to_regex"] == regex, blockchain


def test_api_unreachable_is_no_blockchain_verdict(exporter: str) -> None:
    target = f"http://127.0.0.1:{free_port()}/api/health"  # nothing listens: the API is down
    blockchain = _probe(exporter, "api_health_blockchain", target)
    assert blockchain["probe_success"] == 0
    assert blockchain["probe_failed_due_to_regex"] == 0  # ServiceDown's case, not BlockchainRPCDown's
    assert _probe(exporter, "http_2xx", target)["probe_http_status_code"] == 0  # nor ServiceHealthDegraded's


def test_the_rendered_file_passes_the_exporters_own_check(tmp_path: Path) -> None:
    config = tmp_path / "blackbox.yml"
    config.write_text(render_blackbox_config(stack_context("prod")))
    result = subprocess.run([tool("blackbox_exporter"), f"--config.file={config}", "--config.check"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
