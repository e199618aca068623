"""What the harnesses read of this machine from /proc: processes and routes (the e2e engine's and the multi-host
fleet's bookkeeping, which stop what a killed test run left behind), and where a needed binary is."""

from __future__ import annotations

import ipaddress
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def cmdline(pid: int) -> list[str]:
    """The process' argv; empty when it is gone (or a kernel thread)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def pids() -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def routes() -> list[ipaddress.IPv4Network]:
    """Every IPv4 route of the machine (from /proc, no iproute2 parsing)."""
    networks = []
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        if len(fields) >= 8:
            dest = ipaddress.IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
            mask = ipaddress.IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
            networks.append(ipaddress.IPv4Network(f"{dest}/{mask}", strict=False))
    return networks


def find_binary(binary: str) -> str | None:
    """``binary`` on the PATH or in /usr/sbin, /sbin (root's tools, where PATH may leave them out)."""
    return shutil.which(binary) or next(
        (str(p) for p in (Path("/usr/sbin") / binary, Path("/sbin") / binary) if p.is_file()), None)
