"""Real OOM kills by the kernel, confined to a memory cgroup of the harness' own: what a container at its memory limit
goes through, without a container.

The kernel counts every OOM kill in ``/proc/vmstat`` (``oom_kill``), which node_exporter's vmstat collector exposes as
``node_vmstat_oom_kill``: HostOomKills reads that.  The counter is the machine's, so anything else watching this
machine sees these kills too (as host alerts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live.harness.processes import HarnessError

CGROUP_ROOT = Path("/sys/fs/cgroup")
LIMIT = 32 << 20
"""The cgroup's memory limit; the process asks for four times as much."""
GREEDY = "import os, sys; open(sys.argv[1], 'w').write(str(os.getpid())); bytearray(128 << 20)"
"""Joins the cgroup named by its argument (its ``cgroup.procs``), then asks for four times the limit."""


def _cgroup() -> tuple[Path, dict[str, str]]:
    """A new memory cgroup (v1 or v2, whichever this machine mounts) and the files that limit it."""
    name = f"iid-live-oom-{os.getpid()}"
    if (CGROUP_ROOT / "memory" / "memory.limit_in_bytes").is_file():  # v1
        limits = {"memory.limit_in_bytes": str(LIMIT)}
        if (CGROUP_ROOT / "memory" / "memory.memsw.limit_in_bytes").is_file():
            limits["memory.memsw.limit_in_bytes"] = str(LIMIT)
        return CGROUP_ROOT / "memory" / name, limits
    if "memory" in (CGROUP_ROOT / "cgroup.controllers").read_text(errors="replace").split():  # v2
        return CGROUP_ROOT / name, {"memory.max": str(LIMIT), "memory.swap.max": "0"}
    raise HarnessError(f"no memory cgroup controller under {CGROUP_ROOT}: the OOM scenario needs one (and root)")


def oom_kill_in_private_cgroup(times: int) -> None:
    """Start ``times`` processes in a cgroup limited to 32 MiB, each allocating 128 MiB: the kernel OOM-kills each.
    The cgroup is removed afterwards."""
    path, limits = _cgroup()
    try:
        path.mkdir()
    except OSError as error:
        raise HarnessError(f"cannot create the memory cgroup {path}: {error} (the OOM scenario runs as root)") from None
    try:
        for name, value in limits.items():
            (path / name).write_text(value)
        procs = path / "cgroup.procs"
        for _ in range(times):
            result = subprocess.run([sys.executable, "-c", GREEDY, str(procs)], check=False, timeout=60)
            if result.returncode != -9:
                raise HarnessError(f"the process in {path} was not OOM-killed (exit {result.returncode})")
    finally:
        path.rmdir()
