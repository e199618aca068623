"""Fixtures for the Grafana tests: a local stand-in for grafana.com and a seeded dashboard cache."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dashboards"

# The default community dashboards, each played by a fixture of one datasource reference style.
DEFAULT_FIXTURES = {
    (1860, 37): "datasource-variable.json",
    (9628, 7): "inputs-string.json",
    (11835, 1): "inputs-object.json",
    (179, 10): "datasource-name.json",
}


def download_path(gnet_id: int, revision: int) -> str:
    return f"/api/dashboards/{gnet_id}/revisions/{revision}/download"


@dataclass
class FakeGrafanaCom:
    """An http.server on 127.0.0.1 answering the download URLs it was given, 404 otherwise."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def serve(self, gnet_id: int, revision: int, data: bytes, *, slow: bool = False) -> None:
        path = download_path(gnet_id, revision)
        self.files[path] = data
        if slow:
            self.slow.add(path)


@pytest.fixture
def grafana_com() -> Iterator[FakeGrafanaCom]:
    fake = FakeGrafanaCom()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append(self.path)
            if self.path in fake.slow:
                time.sleep(2)
            data = fake.files.get(self.path)
            if data is None:
                self.send_error(404, "Not Found")
                return
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def offline_url() -> str:
    """A URL where nothing listens (connection refused): the network is 'down'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def seeded_cache(tmp_path: Path) -> Path:
    """A cache dir holding the four default community dashboards (played by the fixtures)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for (gnet_id, revision), name in DEFAULT_FIXTURES.items():
        shutil.copyfile(FIXTURES / name, cache / f"{gnet_id}-r{revision}.json")
    return cache
