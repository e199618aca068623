"""The real Prometheus tools the suite checks rendered files with (Debian packages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


def tool(name: str) -> str:
    """Path of ``name``; a missing tool fails the test (CI installs it), it never skips."""
    path = shutil.which(name)
    assert path, f"{name} not found: install the Debian package {PACKAGES.get(name, name)} (see .ci/run)"
    return path


def run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


PROJECT_DIR = Path(__file__).resolve().parents[1]


def python_output(code: str, *, hash_seed: int) -> str:
    """stdout of ``python -c code`` in a fresh interpreter of this project with ``PYTHONHASHSEED=hash_seed``.

    Two seeds give two different set/dict-of-str iteration orders, so comparing the outputs catches
    output that depends on them, which rendering twice in one process cannot.
    """
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False, cwd=PROJECT_DIR, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout
