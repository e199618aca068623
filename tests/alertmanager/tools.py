"""amtool and Alertmanager from the Debian package ``prometheus-alertmanager`` (missing: the test fails)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found: install the Debian package prometheus-alertmanager"
    return path


def run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
