"""Fixtures of the live suite: one real stack per session, started and stopped by pytest.

Run with ``pytest -m live tests/live``.  Nothing has to run beforehand: the fixtures start
PostgreSQL and Redis (Debian's), the exporters, Prometheus and Alertmanager (built from their Go modules by
``scripts/toolchain daemons``, in the version set ``IID_VERSION_SET`` names, default ``pinned``), with the
documents rendered from the ``live`` settings, plus stand-ins for the API, cAdvisor, Grafana and every receiver.
A missing binary fails the session naming the command or Debian package that provides it.  Logs stay under
``/tmp/iid-live-*/logs`` when a test failed (or ``IID_LIVE_KEEP=1``), and are removed otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

# The repository root, so ``components`` and ``tests.live.harness`` import whatever the import mode.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.live.harness.benchmark import RESULTS_KEY, summary_lines
from tests.live.harness.stack import EXTRA_REPORT_KEY, LiveStack, remove_root

_STACK_KEY = pytest.StashKey[LiveStack]()
_REPORT_KEY = pytest.StashKey[list[str]]()


def _report(stack: LiveStack) -> list[str]:
    lines = [f"start-up: {', '.join(f'{k} {v:.1f}s' for k, v in stack.timings.items())}"]
    lines += [f"{name}: {value:g}" for name, value in stack.measurements.items()]
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_REPORT_KEY, []) + config.stash.get(EXTRA_REPORT_KEY, [])
    if lines:
        terminalreporter.section("live stack")
        for line in lines:
            terminalreporter.write_line(line)
    results = config.stash.get(RESULTS_KEY, None)
    if results:
        terminalreporter.section("live benchmark (prod timings)")
        for line in summary_lines(results):
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Benchmarks run only when ``-m`` names them (``-m benchmark``): ``-m live`` replaces the default
    ``-m "not benchmark"`` of addopts, and would otherwise add minutes to the live suite."""
    if "benchmark" in (config.getoption("markexpr", "") or ""):
        return
    skipped = [item for item in items if item.get_closest_marker("benchmark") is not None]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item.get_closest_marker("benchmark") is None]


@pytest.fixture(autouse=True)
def dashboard_cache() -> None:
    """The live suite renders no community dashboard: the unit tests' dashboard cache is not needed."""


@pytest.fixture(scope="session")
def live_stack(request: pytest.FixtureRequest) -> Iterator[LiveStack]:
    stack = LiveStack.start()
    request.config.stash[_STACK_KEY] = stack
    failed_before = request.session.testsfailed
    try:
        yield stack
    finally:
        stack.footprint()
        request.config.stash[_REPORT_KEY] = _report(stack)
        stack.close()
        keep = os.environ.get("IID_LIVE_KEEP") == "1" or request.session.testsfailed > failed_before
        if keep:
            print(f"\nlive stack files kept in {stack.root}", file=sys.stderr)
        else:
            remove_root(stack)


@pytest.fixture
def live(live_stack: LiveStack) -> Iterator[LiveStack]:
    """The session's stack, healthy and quiet (no alert but the baseline) when the test starts."""
    live_stack.heal()
    live_stack.settle()
    yield live_stack
    live_stack.heal()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    report = yield
    stack = item.config.stash.get(_STACK_KEY, None)
    if stack is not None and getattr(report, "failed", False) and hasattr(report, "sections"):
        report.sections.append(("live stack logs", stack.log_tails()))
    return report
