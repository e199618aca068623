"""Where the benchmark finds the real daemons: the builds ``scripts/toolchain`` makes from the pinned Go modules.

Prometheus, node_exporter and cAdvisor are the daemon builds of the version set ``pinned`` (``IID_DAEMONS``, as
``scripts/toolchain --env daemons`` prints it, else the toolchain cache's ``daemons/`` folder); VictoriaMetrics is
the cached build of its recipe (``victoria-metrics-v<version>-*`` under the cache's ``builds/``).  A missing build
fails with the command that makes it; nothing is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STORE_VERSION = "1.151.0"
"""VictoriaMetrics single-node, the version the multi-host stack's store pins."""
VERSION_SET = "pinned"


class MissingBuildError(RuntimeError):
    """A daemon is not built; the message names the command that builds it."""


@dataclass(frozen=True)
class Binary:
    path: str
    version: str
    """The release the binary is, from its build's ``built.env`` (or the recipe's version)."""
    built_from: str
    """Module and version it was built from."""


def toolchain_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("IID_TOOLCHAIN_DIR") or Path(base) / "internet-id-monitoring" / "toolchain")


def _built_env(directory: Path) -> dict[str, str]:
    text = (directory / "built.env").read_text()
    return {key: value.strip('"') for key, _, value in (line.partition("=") for line in text.splitlines()) if key}


def daemon(recipe: str, name: str) -> Binary:
    """``name`` from the pinned build of ``recipe`` (``prometheus``, ``node-exporter``, ``cadvisor``)."""
    root = Path(os.environ.get("IID_DAEMONS") or toolchain_cache() / "daemons")
    directory = root / VERSION_SET / recipe
    path = directory / "bin" / name
    if not os.access(path, os.X_OK):
        raise MissingBuildError(f"{path} is missing: build it with scripts/toolchain {recipe}")
    fields = _built_env(directory)
    return Binary(str(path), fields["RELEASE"], f"{fields['MODULE']}@{fields['MODULE_VERSION']}")


def store() -> Binary:
    """VictoriaMetrics single-node from its recipe's cached build."""
    builds = sorted((p for p in toolchain_cache().glob(f"builds/victoria-metrics-v{STORE_VERSION}-*")
                     if (p / ".complete").exists() and (p / "bin" / "victoria-metrics").exists()),
                    key=lambda p: p.stat().st_mtime)
    if not builds:
        raise MissingBuildError(f"no VictoriaMetrics {STORE_VERSION} build under {toolchain_cache()}/builds: build it "
                           "with the recipe tests/e2e/toolchain/victoria-metrics (its build script, or the "
                           "multi-host suite, which builds it when missing)")
    return Binary(str(builds[-1] / "bin" / "victoria-metrics"), STORE_VERSION,
                  f"github.com/VictoriaMetrics/VictoriaMetrics@v{STORE_VERSION}")
