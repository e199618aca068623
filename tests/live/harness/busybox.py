"""A ``PATH`` of busybox applets, as the images' userland: what the reload script and the healthchecks run in
their containers (Debian's busybox-static stands in for the images' busybox; both have ``nc`` and ``timeout``)."""

from __future__ import annotations

import shutil
from pathlib import Path

APPLETS = ("sh", "nc", "ssl_client", "timeout", "wget", "head", "grep", "sed", "tr", "find", "mv", "cp", "rm", "rmdir",
           "mkdir", "cat", "base64", "touch", "wc", "sleep", "kill", "printf")
"""Every command the reload script and the healthchecks call, besides the checkers (promtool, amtool); ssl_client
over HTTPS (multi-host stacks)."""


def busybox_path(directory: Path) -> str:
    """A directory of busybox applets, first on a ``PATH`` that keeps the host's for the checkers."""
    busybox = shutil.which("busybox")
    assert busybox is not None, "busybox missing: run scripts/bootstrap --test (Debian's busybox-static)"
    directory.mkdir(parents=True, exist_ok=True)
    for applet in APPLETS:
        link = directory / applet
        if not link.exists():
            link.symlink_to(busybox)
    return str(directory)
