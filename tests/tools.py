"""The real Prometheus tools the suite checks rendered files with (Debian packages)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


def tool(name: str) -> str:
    """Path of ``name``; a missing tool fails the test (CI installs it), it never skips."""
    path = shutil.which(name)
    assert path, f"{name} not found: install the Debian package {PACKAGES.get(name, name)} (see .ci/run)"
    return path


def run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
