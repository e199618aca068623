"""The benchmark's arithmetic and reporting: the bound a configuration sets on time to page.

``page_bound`` is pure (settings in, seconds out), so it is unit-tested without daemons.  The
benchmark itself (``tests/live/test_benchmark.py``) measures against it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from components.durations import seconds
from components.settings import StackSettings

OUT_ENV = "IID_BENCHMARK_OUT"
"""If set, the benchmark writes its results as JSON to this path."""

RESULTS_KEY = pytest.StashKey[dict[str, Any]]()
"""The benchmark's results, for the terminal summary."""


@dataclass(frozen=True)
class PageBound:
    """Worst case from a target going down to the first notification, as the configuration sets it.

    The first failed scrape comes at most one scrape interval after the failure; the rule sees it at
    most one evaluation interval later (pending); it fires ``for`` after that; Alertmanager holds a
    new group for the route's ``group_wait``.  HTTP, queueing and the stand-in add well under a
    second on loopback, which the benchmark's margin covers.  Two assumptions: ``for`` is a multiple
    of the evaluation interval (else firing waits for the next evaluation: up to one more interval),
    and the alert opens a new group (an existing group is only notified every ``group_interval``).
    """

    scrape_interval: float
    evaluation_interval: float
    for_: float
    group_wait: float

    @property
    def total(self) -> float:
        return self.scrape_interval + self.evaluation_interval + self.for_ + self.group_wait

    def parts(self) -> dict[str, float]:
        return {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval,
                "for": self.for_, "group_wait": self.group_wait}


def page_bound(settings: StackSettings, alert: str = "ServiceDown", route: str = "critical") -> PageBound:
    """The bound on time to page for ``alert`` notified through the ``route`` timing of ``settings``."""
    timing = getattr(settings.notifications.timing, route)
    return PageBound(
        scrape_interval=seconds(settings.prometheus.scrape_interval),
        evaluation_interval=seconds(settings.prometheus.evaluation_interval),
        for_=seconds(settings.rules.for_duration(alert)),
        group_wait=seconds(timing.group_wait),
    )


def timestamp(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 time from Prometheus or Alertmanager (nanoseconds allowed)."""
    text = text.replace("Z", "+00:00")
    main, dot, rest = text.partition(".")
    if dot:  # at most 6 fractional digits for datetime
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[:min(digits, 6)] + rest[digits:]
        text = f"{main}.{rest}"
    return datetime.fromisoformat(text).timestamp()


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The terminal summary of one benchmark run."""
    page = results["time_to_page"]
    bound = page["bound"]
    parts = " + ".join(f"{name} {value:g}s" for name, value in bound["parts"].items())
    lines = [
        f"timings from stack {results['timings']}: {json.dumps(results['settings'], sort_keys=True)}",
        f"API down -> ServiceDown PagerDuty trigger: {page['seconds']:.1f}s "
        f"(bound {bound['total']:g}s = {parts}; margin allowed {page['margin']:g}s)",
    ]
    if page.get("phases"):
        lines.append("  measured phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in page["phases"].items()))
    for when, values in results["footprint"].items():
        lines.append(f"footprint {when}: " + ", ".join(f"{k} {v:g}" for k, v in values.items()))
    per_job = results.get("samples_per_job") or {}
    if per_job:
        lines.append("samples per scrape by job: " + ", ".join(f"{k} {v:g}" for k, v in sorted(per_job.items())))
    versions = results.get("versions") or {}
    if versions:
        lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    return lines


def write_results(results: dict[str, Any]) -> Path | None:
    """Write ``results`` as JSON to ``$IID_BENCHMARK_OUT`` if set; return the path written."""
    target = os.environ.get(OUT_ENV)
    if not target:
        return None
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path
