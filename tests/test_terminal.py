"""The e2e suite's terminal (tests/e2e/harness/terminal.py): Ctrl-C reaches the command as in a user's shell."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.e2e.harness.terminal import run_in_terminal


def test_ctrl_c_interrupts_the_command_even_where_the_suite_itself_ignores_sigint(tmp_path: Path) -> None:
    """scripts/test starts the end-to-end suite in the background, where a shell ignores SIGINT; a terminal's
    command must not inherit that, or the quick start's Ctrl-C of test-alert does nothing."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done = run_in_terminal("echo ready; sleep 30; echo slept", cwd=tmp_path, env=os.environ,
                               interrupt_when="ready", timeout=20)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "slept" not in done.text and done.returncode != 0, done.text
    assert done.seconds < 10
