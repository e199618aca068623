"""The project as a user has it, in a scratch directory, and the Pulumi CLI run against it.

The end-to-end suite never runs Pulumi in the checkout itself: it copies the project's files
(``git ls-files``: committed and new ones, never ignored ones) into a temporary directory, adds an
ordinary stack file and the dashboard cache, and runs the built toolchain there with a local file
backend, so no state, stack file or cache of the suite lands in the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
TOOLCHAIN = REPO / "scripts" / "toolchain"
PASSPHRASE = "internet-id-e2e-passphrase"
"""Encrypts the scratch stack's secrets; the backend is thrown away with the directory."""


class ToolchainMissingError(RuntimeError):
    """The built Pulumi toolchain is not there; the message says how to build it."""


def toolchain_env() -> dict[str, str]:
    """The environment (PATH, PULUMI_HOME, offline switches) of the toolchain ``scripts/toolchain`` built."""
    result = subprocess.run([str(TOOLCHAIN), "--env"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ToolchainMissingError(result.stderr.strip() or "scripts/toolchain --env failed")
    env: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip('"').replace("$PATH", os.environ.get("PATH", ""))
    return env


def pulumi_env(backend: Path, docker_host: str) -> dict[str, str]:
    """Environment of the built CLI with a local file backend at ``backend`` (created) and our engine."""
    backend.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        **toolchain_env(),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "DOCKER_HOST": docker_host,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    }


@dataclass
class PulumiResult:
    """One finished CLI command: its arguments, exit status and output."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class ScratchProject:
    """A copy of the committed project with its own Pulumi backend, stack file and dashboard cache."""

    root: Path
    env: dict[str, str]
    log: list[PulumiResult] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, *, docker_host: str, extra_env: Mapping[str, str] | None = None) -> ScratchProject:
        listed = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        files = subprocess.run(listed, cwd=REPO, capture_output=True, check=True).stdout
        for name in files.decode().split("\0"):
            if not name or not (REPO / name).is_file():
                continue
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
        (root / ".venv").symlink_to(REPO / ".venv")
        env = pulumi_env(root / ".pulumi-backend", docker_host)
        return cls(root=root, env={**env, **(extra_env or {})})

    @property
    def backend(self) -> Path:
        return self.root / ".pulumi-backend"

    def write_stack_file(self, stack: str, text: str) -> Path:
        path = self.root / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        return path

    def seed_dashboards(self, files: Mapping[str, Path]) -> None:
        """Put dashboard files into the scratch copy's cache under their cache names (no grafana.com here)."""
        cache = self.root / "dashboards" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        for name, source in files.items():
            shutil.copyfile(source, cache / name)

    def pulumi(self, *args: str, check: bool = True, timeout: float = 900, stdin: str | None = None) -> PulumiResult:
        """Run ``pulumi ARGS`` in the scratch project; ``check`` raises with the whole output on failure."""
        return self.run(["pulumi", *args], check=check, timeout=timeout, stdin=stdin)

    def run(self, command: Sequence[str], *, check: bool = True, timeout: float = 900,
            stdin: str | None = None, env: Mapping[str, str] | None = None) -> PulumiResult:
        started = time.monotonic()
        done = subprocess.run(list(command), cwd=self.root, env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, input=stdin, check=False)
        result = PulumiResult(list(command), done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        self.log.append(result)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.output[-6000:]}")
        return result
