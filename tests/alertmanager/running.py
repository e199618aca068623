"""A real single-node Alertmanager (built from its Go module, ``tests.tools``) on a loopback port, stopped when the
block ends."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.daemons import free_port, running
from tests.tools import tool

__all__ = ["free_port", "request", "running_alertmanager"]


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
    argv = [tool("alertmanager"), f"--config.file={config}", f"--storage.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", f"--web.external-url={url}"]
    with running(argv, directory / "alertmanager.log", f"{url}/api/v2/status"):
        yield url
