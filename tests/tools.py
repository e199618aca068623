"""The real Prometheus tools and daemons the suites run, built from their Go modules by ``scripts/toolchain``.

Each daemon is built at the version ``components/versions.py`` pins for its image (``pinned``, what the stack
deploys) and at the newer releases of ``CURRENT_IMAGES`` (``current``); ``IID_VERSION_SET`` picks the set the
suites run by default.  A missing build fails the test with the command that builds it; it never skips.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
TOOLCHAIN = PROJECT_DIR / "scripts" / "toolchain"
VERSION_SETS = ("pinned", "current")
BUILT_BINARIES: dict[str, str] = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "alertmanager": "alertmanager",
    "amtool": "alertmanager",
    "node_exporter": "node-exporter",
    "blackbox_exporter": "blackbox-exporter",
    "postgres_exporter": "postgres-exporter",
    "redis_exporter": "redis-exporter",
    "cadvisor": "cadvisor",
}
"""Binary -> the recipe (``tests/e2e/toolchain/<recipe>``) that builds it."""


class BuildMissingError(RuntimeError):
    """A daemon is not built; the message names the command that builds it."""


def version_set() -> str:
    """The version set the suites run (``IID_VERSION_SET``, default ``pinned``)."""
    chosen = os.environ.get("IID_VERSION_SET", "pinned")
    if chosen not in VERSION_SETS:
        raise BuildMissingError(f"IID_VERSION_SET={chosen!r} is not a version set; use {' or '.join(VERSION_SETS)}")
    return chosen


@functools.cache
def daemons_dir() -> Path:
    """Where ``scripts/toolchain`` links the daemon builds (``<dir>/<set>/<recipe>``): ``IID_DAEMONS`` as
    ``scripts/toolchain --env daemons`` prints it when set, else asked from it (which fails when a build is missing)."""
    if os.environ.get("IID_DAEMONS"):
        return Path(os.environ["IID_DAEMONS"])
    result = subprocess.run([str(TOOLCHAIN), "--env", "daemons"], capture_output=True, text=True, check=False,
                            timeout=120)
    found = re.search(r'^export IID_DAEMONS="(.+)"$', result.stdout, re.MULTILINE)
    if result.returncode != 0 or not found:
        reason = result.stderr.strip().removeprefix("toolchain: error: ") or "scripts/toolchain --env printed no path"
        raise BuildMissingError(f"the daemons built from Go modules are missing ({reason}); "
                                "build them with scripts/toolchain daemons (scripts/test does)")
    return Path(found[1])


@dataclass(frozen=True)
class Build:
    """One daemon build: the image version it stands for and what it was built from (``built.env``)."""

    recipe: str
    version_set: str
    directory: Path
    image_version: str
    release: str
    """The upstream release the binary is (differs from ``image_version`` where the proxy refuses that one)."""
    module: str
    module_version: str
    note: str

    def binary(self, name: str) -> str:
        path = self.directory / "bin" / name
        if not os.access(path, os.X_OK):
            raise BuildMissingError(f"{path} is missing from the {self.recipe} build: rebuild it with "
                                    f"scripts/toolchain {self.recipe}")
        return str(path)


def build(recipe: str, set_name: str | None = None) -> Build:
    """The build of ``recipe`` in the version set ``set_name`` (default: ``version_set()``)."""
    set_name = set_name or version_set()
    directory = daemons_dir() / set_name / recipe
    try:
        text = (directory / "built.env").read_text()
    except OSError:
        raise BuildMissingError(f"no {recipe} build in the {set_name} set under {daemons_dir()}: "
                                f"run scripts/toolchain {recipe}") from None
    fields = {key: value.strip('"') for key, _, value in (line.partition("=") for line in text.splitlines()) if key}
    return Build(recipe, set_name, directory.resolve(), fields["VERSION"], fields["RELEASE"], fields["MODULE"],
                 fields["MODULE_VERSION"], fields.get("NOTE", ""))


def built_binary(name: str, set_name: str | None = None) -> str:
    """Path of the built ``name`` (a key of ``BUILT_BINARIES``) in the version set."""
    return build(BUILT_BINARIES[name], set_name).binary(name)


def tool(name: str, set_name: str | None = None) -> str:
    """Path of ``name``: a built daemon or tool, else a Debian binary; missing fails the test, never skips."""
    if name in BUILT_BINARIES:
        try:
            return built_binary(name, set_name)
        except BuildMissingError as error:
            raise AssertionError(str(error)) from None
    path = shutil.which(name)
    assert path, f"{name} not found: install it (scripts/bootstrap --test does)"
    return path


def run_tool(name: str, *args: str | Path, set_name: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(name, set_name), *map(str, args)], capture_output=True, text=True, timeout=120,
                          check=False)


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
