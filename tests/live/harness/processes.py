"""Daemons as child processes: own process group, own log file, bounded readiness waits.

Every process started here is registered; a stack stops its own with ``stop_under(its root)``, and
``stop_all`` (as a last resort, at interpreter exit) kills whatever is still running, group by group.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from components.webauth.config import authorization
from tests.tools import BUILT_BINARIES, BuildMissingError, built_binary

# Binary -> Debian package that ships it (named in the failure when it is missing); the Prometheus daemons
# are built from their Go modules instead (tests.tools.BUILT_BINARIES).
DEBIAN_PACKAGES: dict[str, str] = {
    "redis-server": "redis-server",
}
POSTGRES_LIB = Path("/usr/lib/postgresql")
"""Debian installs each PostgreSQL major version's binaries under ``<this>/<major>/bin``."""


def postgres_bin() -> Path:
    """Binaries of the newest PostgreSQL installed (Debian's ``postgresql`` package picks the major)."""
    majors = [p.parent for p in POSTGRES_LIB.glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    if not majors:
        raise HarnessError(
            f"no PostgreSQL server under {POSTGRES_LIB}: the live suite needs the Debian package 'postgresql' "
            "(`apt-get install -y postgresql`; .ci/run installs it)"
        )
    return max(majors, key=lambda path: int(path.parent.name))


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the test process dies, however it dies (even -9)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class HarnessError(RuntimeError):
    """A daemon could not be started or did not become ready; the message carries its log tail."""


def require_binary(name: str) -> str:
    """Absolute path of ``name``: a daemon built from its Go module (``tests.tools``, in the version set the suite
    runs), else a Debian binary; fail (never skip) naming the build command or the Debian package when it is missing."""
    if name in BUILT_BINARIES:
        try:
            return built_binary(name)
        except BuildMissingError as error:
            raise HarnessError(str(error)) from None
    path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
    if not path:
        package = DEBIAN_PACKAGES.get(name) or ("postgresql" if name.startswith(f"{POSTGRES_LIB}/") else "?")
        raise HarnessError(
            f"{name} not found: the live suite needs the Debian package {package!r} "
            f"(`apt-get install -y {package}`; .ci/run installs it)"
        )
    return path


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class ManagedProcess:
    """One daemon: started in its own session (process group), output appended to ``log``."""

    _registry: list[ManagedProcess] = []

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.user = user
        self.stop_signal = stop_signal
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        if self.running():
            return self
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            out.write(f"\n=== start {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - started from the main thread only
                user=self.user,
                group=self.user,
                extra_groups=[] if self.user else None,
            )
        if self not in ManagedProcess._registry:
            ManagedProcess._registry.append(self)
        return self

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise HarnessError(f"{self.name} was never started")
        return self.popen.pid

    def stop(self, timeout: float = 10.0) -> None:
        """Signal the whole group, wait, then SIGKILL the group."""
        popen = self.popen
        if popen is None:
            return
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=timeout)
        # Leftover children (or a daemon that ignored the signal) go with the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)
        self.popen = None

    def kill(self) -> None:
        """SIGKILL the whole group at once: the process gets no chance to write anything."""
        popen = self.popen
        if popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=5)
        self.popen = None

    def failure(self, what: str) -> HarnessError:
        code = None if self.popen is None else self.popen.poll()
        state = "running" if code is None else f"exited with {code}"
        return HarnessError(f"{self.name}: {what} ({state}); log {self.log}:\n{tail(self.log)}")

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Poll ``check`` until true; fail early if the process dies, with its log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise self.failure(f"exited before {what}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.1)
        raise self.failure(f"not {what} after {timeout:.0f}s")

    def wait_http(self, url: str, timeout: float = 30.0, auth: tuple[str, str] | None = None) -> None:
        self.wait_until(lambda: http_ok(url, auth=auth), f"answering 200 on {url}", timeout)

    @classmethod
    def stop_all(cls) -> None:
        for process in reversed(cls._registry):
            process.stop(timeout=5)
        cls._registry.clear()

    @classmethod
    def stop_under(cls, root: Path) -> None:
        """Stop the processes whose log is under ``root``: one stack's, while another stack keeps running."""
        mine = [process for process in cls._registry if process.log.is_relative_to(root)]
        for process in reversed(mine):
            process.stop(timeout=5)
        cls._registry[:] = [process for process in cls._registry if process not in mine]


def http_ok(url: str, timeout: float = 2.0, auth: tuple[str, str] | None = None) -> bool:
    try:
        with urllib.request.urlopen(authorized(url, auth), timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def authorized(url: str, auth: tuple[str, str] | None, **kwargs: Any) -> urllib.request.Request:
    """A request for ``url`` that sends ``auth`` (user, password) as basic auth, when given."""
    request = urllib.request.Request(url, **kwargs)
    if auth is not None:
        request.add_header("Authorization", f"Basic {authorization(*auth)}")
    return request


def run(argv: Sequence[str], log: Path, *, user: str | None = None, timeout: float = 60.0,
        env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a one-shot command, append its output to ``log``, fail with that output."""
    result = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        user=user,
        group=user,
        extra_groups=[] if user else None,
        env=env,
        cwd=cwd,
        check=False,
    )
    with log.open("a") as out:
        out.write(f"\n=== run {' '.join(argv)} -> {result.returncode}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise HarnessError(f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


atexit.register(ManagedProcess.stop_all)
