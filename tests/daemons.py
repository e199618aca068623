"""One real daemon for a test: started on a loopback port, awaited, always stopped."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.live.harness.ports import free_port

__all__ = ["free_port", "running"]


@contextmanager
def running(argv: Sequence[str], log_path: Path, ready_url: str, timeout: float = 20) -> Iterator[None]:
    """Run ``argv`` (output to ``log_path``) until the block ends; enter once ``ready_url`` answers."""
    with log_path.open("w") as log:
        process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert process.poll() is None, f"{argv[0]} exited: " + log_path.read_text()
                try:
                    urllib.request.urlopen(ready_url, timeout=2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"{argv[0]} did not come up: " + log_path.read_text()
                    time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
