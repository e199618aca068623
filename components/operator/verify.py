"""``python -m components verify``: run every check, retrying failing ones while ``--wait`` lasts, print a table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from components.operator.checks import Check, Outcome, build_checks

if TYPE_CHECKING:
    from components.operator.endpoints import Endpoints
    from components.operator.expected import Expected

RETRY_INTERVAL = 2.0
"""Seconds between two tries of a failing check while ``--wait`` lasts."""


@dataclass(frozen=True)
class Result:
    name: str
    outcome: Outcome
    seconds: float


def run_checks(
    checks: Sequence[Check],
    *,
    wait: float = 0.0,
    progress: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = RETRY_INTERVAL,
) -> list[Result]:
    """Run ``checks`` in order; a failing one is retried until it passes or ``wait`` seconds have passed
    since the start (after that, each remaining check runs once), unless waiting cannot fix it (``final``, e.g.
    a missing credential).  One progress line per check, and one more when a check starts waiting."""
    progress = progress or sys.stderr
    deadline = clock() + wait
    results = []
    width = len(str(len(checks)))
    for number, check in enumerate(checks, 1):
        prefix = f"[{number:>{width}}/{len(checks)}] {check.name}"
        started = clock()
        outcome = check.outcome()
        told = False
        while not outcome.ok and not outcome.final and clock() < deadline:
            if not told:
                print(f"{prefix}: waiting up to {deadline - clock():.0f}s ({outcome.detail})", file=progress,
                      flush=True)
                told = True
            sleep(min(interval, max(0.0, deadline - clock())))
            outcome = check.outcome()
        print(f"{prefix}: {'pass' if outcome.ok else 'FAIL'}", file=progress, flush=True)
        results.append(Result(check.name, outcome, clock() - started))
    return results


def table(results: Sequence[Result]) -> str:
    """The results as a plain-text table (check, result, detail); long details stay whole."""
    rows = [("CHECK", "RESULT", "DETAIL")] + [
        (r.name, "pass" if r.outcome.ok else "FAIL", r.outcome.detail) for r in results
    ]
    first = max(len(row[0]) for row in rows)
    lines = [f"{name:<{first}}  {result:<6}  {detail}".rstrip() for name, result, detail in rows]
    failed = sum(not r.outcome.ok for r in results)
    summary = f"{len(results) - failed} of {len(results)} checks passed" + (f", {failed} failed" if failed else "")
    return "\n".join([*lines, "", summary]) + "\n"


def exit_status(results: Sequence[Result]) -> int:
    return 0 if all(r.outcome.ok for r in results) else 1


def verify(
    expected: Expected,
    endpoints: Endpoints,
    *,
    timeout: float,
    wait: float = 0.0,
    grafana_password: str | None = None,
    grafana_password_note: str = "",
    out: TextIO | None = None,
    progress: TextIO | None = None,
) -> int:
    """Check the running stack at ``endpoints`` against what it should show (``render.expected``); print the table;
    0 if all passed, else 1."""
    checks = build_checks(endpoints, expected, timeout=timeout, grafana_password=grafana_password,
                          grafana_password_note=grafana_password_note)
    results = run_checks(checks, wait=wait, progress=progress)
    print(table(results), end="", file=out or sys.stdout)
    return exit_status(results)
