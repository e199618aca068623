"""The fleet benchmark's report: its table at the end of the pytest run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.benchmarks.fleet.run import table

RESULTS_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS_KEY, None)
    if results:
        terminalreporter.section(f"fleet benchmark ({results['stack']} settings, {results['window_seconds']:.0f}s "
                                 "steady window per size)")
        for line in table(results).splitlines():
            terminalreporter.write_line(line)
