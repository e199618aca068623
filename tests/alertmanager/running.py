"""A real single-node Alertmanager (Debian 0.25) on a loopback port, stopped when the block ends."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.tools import tool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else None


@contextmanager
def running_alertmanager(config: Path, directory: Path) -> Iterator[str]:
    """Start Alertmanager on ``config``; yield its base URL once ``/api/v2/status`` answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = directory / "alertmanager.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [tool("prometheus-alertmanager"), f"--config.file={config}", f"--storage.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", f"--web.external-url={url}"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    request(f"{url}/api/v2/status")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "Alertmanager did not come up: " + log_path.read_text()
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
