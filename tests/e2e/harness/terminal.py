"""A command run in a terminal of its own, as a person runs it: prompts answered as they appear, Ctrl-C typed.

``pulumi up`` asks before it changes anything only where it has a terminal (elsewhere it wants ``--yes``), and
Ctrl-C reaches a program through the terminal: so a test that follows the README as written runs its commands
here, in a pseudo-terminal that is the command's controlling terminal.

    result = run_in_terminal("scripts/deploy-dev", cwd=clone, env=env,
                             answers=[("Do you want to perform this update?", "yes\\r")])
    result.returncode, result.text   # text: what the screen showed, without colours and cursor moves
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROWS, COLUMNS = 50, 200
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[78=>]|\r")
"""Colours, cursor moves, saved cursors, queries and title changes a terminal interprets, and carriage returns."""
CTRL_C = "\x03"


def plain(raw: str) -> str:
    """Terminal output without its escape sequences."""
    return ESCAPES.sub("", raw)


@dataclass
class TerminalResult:
    command: str
    returncode: int
    raw: str = field(repr=False)
    seconds: float

    @property
    def text(self) -> str:
        return plain(self.raw)


def run_in_terminal(command: str, *, cwd: Path, env: Mapping[str, str],
                    answers: Sequence[tuple[str, str]] = (), interrupt_when: str | None = None,
                    timeout: float = 900) -> TerminalResult:
    """Run ``bash -c COMMAND`` in a new pseudo-terminal; type each answer once its prompt shows (in order, each
    prompt looked for after the previous one), and Ctrl-C once ``interrupt_when`` shows."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    started = time.monotonic()
    # setsid --ctty (util-linux): a session of its own whose controlling terminal is this one, so Ctrl-C
    # interrupts the command's process group as in a shell. env --default-signal: SIGINT and SIGQUIT at their
    # defaults, as in a login shell, even where this process ignores them (a non-interactive shell starts its
    # background commands so, e.g. scripts/test's suites), which would make Ctrl-C do nothing.
    process = subprocess.Popen(["setsid", "--ctty", "env", "--default-signal=INT,QUIT", "bash", "-c", command],
                               cwd=cwd, env=dict(env), stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    raw = ""
    pending = list(answers)
    searched = 0
    interrupted = False
    try:
        while True:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{command!r} still running after {timeout:.0f}s; last output:\n"
                                   f"{plain(raw)[-3000:]}")
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process holding the terminal has gone
                    break
                if not chunk:
                    break
                raw += chunk.decode(errors="replace")
            text = plain(raw)
            if pending and pending[0][0] in text[searched:]:
                searched = text.index(pending[0][0], searched) + len(pending[0][0])
                time.sleep(0.5)  # a prompt that has just been drawn may not read keys yet
                os.write(master, pending.pop(0)[1].encode())
            if interrupt_when and not interrupted and interrupt_when in text:
                interrupted = True
                os.write(master, CTRL_C.encode())
            if not ready and process.poll() is not None:
                break
        returncode = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        os.close(master)
    return TerminalResult(command, returncode, raw, time.monotonic() - started)
