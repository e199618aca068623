"""The real daemons the fleet benchmark runs: the builds ``scripts/toolchain`` makes from the pinned Go modules.

Prometheus, node_exporter and cAdvisor are the daemon builds of the version set ``pinned`` (``tests/tools.py``):
the versions the stack deploys.  VictoriaMetrics is the cached build of its recipe
(``victoria-metrics-v<version>-*`` under the toolchain cache's ``builds/``).  A missing build fails with the
command that makes it; nothing is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.tools import BUILT_BINARIES, BuildMissingError, build

STORE_VERSION = "1.151.0"
"""VictoriaMetrics single-node, the version the multi-host stack's store pins."""
VERSION_SET = "pinned"


@dataclass(frozen=True)
class Binary:
    path: str
    version: str
    """The release the binary is."""
    built_from: str
    """Module and version it was built from."""


def daemon(name: str) -> Binary:
    """The pinned build of ``name`` (a key of ``tests.tools.BUILT_BINARIES``)."""
    found = build(BUILT_BINARIES[name], VERSION_SET)
    return Binary(found.binary(name), found.release, f"{found.module}@{found.module_version}")


def toolchain_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("IID_TOOLCHAIN_DIR") or Path(base) / "internet-id-monitoring" / "toolchain")


def store() -> Binary:
    """VictoriaMetrics single-node from its recipe's cached build."""
    builds = sorted((p for p in toolchain_cache().glob(f"builds/victoria-metrics-v{STORE_VERSION}-*")
                     if (p / ".complete").exists() and (p / "bin" / "victoria-metrics").exists()),
                    key=lambda p: p.stat().st_mtime)
    if not builds:
        raise BuildMissingError(f"no VictoriaMetrics {STORE_VERSION} build under {toolchain_cache()}/builds: build "
                                "it with the recipe tests/e2e/toolchain/victoria-metrics (its build script, or the "
                                "multi-host suite, which builds it when missing)")
    return Binary(str(builds[-1] / "bin" / "victoria-metrics"), STORE_VERSION,
                  f"github.com/VictoriaMetrics/VictoriaMetrics@v{STORE_VERSION}")
