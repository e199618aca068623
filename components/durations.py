"""Prometheus-style durations (``15s``, ``5m``, ``1h30m``) as validated settings values.

The grammar is Prometheus' own (``model.ParseDuration`` of prometheus/common, which Alertmanager, amtool and
promtool share): ``0``, or units from the largest down, each at most once (``1h30m``; not ``30s1m`` or
``1m1m``), the whole at most 2^63-1 nanoseconds (292 years).  Each duration setting also says the range its
consumer accepts (``duration(minimum, maximum)``): a value out of it would render and then fail amtool or mean
something else (a zero retention is Prometheus' default of 15 days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from components.model import Kind

_UNITS_NS = (("y", 365 * 86400 * 10**9), ("w", 7 * 86400 * 10**9), ("d", 86400 * 10**9), ("h", 3600 * 10**9),
             ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6))
_GRAMMAR = re.compile("".join(rf"(?:([0-9]+){unit})?" for unit, _ in _UNITS_NS), re.ASCII)
MAX_NANOSECONDS = 2**63 - 1
"""Go's ``time.Duration``: the longest duration Prometheus and Alertmanager parse (about 292 years)."""


def nanoseconds(duration: str) -> int | None:
    """Length of ``duration`` in nanoseconds as Prometheus parses it; None when it does not."""
    if duration == "0":
        return 0
    match = _GRAMMAR.fullmatch(duration)
    if not duration or not match:
        return None
    total = 0
    for (_, size), count in zip(_UNITS_NS, match.groups(), strict=True):
        if count is None:
            continue
        if int(count) > MAX_NANOSECONDS // size:
            return None
        total += int(count) * size
    return total if total <= MAX_NANOSECONDS else None


def seconds(duration: str) -> float:
    """Length of a (validated) Prometheus duration in seconds."""
    length = nanoseconds(duration)
    if length is None:
        raise ValueError(f"{duration!r} is not a duration")
    return length / 10**9


def format_duration(total: float) -> str:
    """Shortest Prometheus duration for whole seconds: 120 -> 2m, 90 -> 1m30s, 0 -> 0s."""
    rest = int(total)
    if rest <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


@dataclass(frozen=True)
class DurationKind(Kind):
    """A duration setting and the range its consumer accepts (the tests read ``minimum`` and ``maximum``)."""

    minimum: str = "0s"
    maximum: str = "292y"
    consumer: str = "Prometheus"
    """Who parses it, named in the message when a value is out of range."""
    whole_seconds: bool = False

    def check_value(self, value: str) -> object:
        length = nanoseconds(value)
        if length is None:
            raise ValueError(f"{value!r} is not a duration: a number and a unit (y, w, d, h, m, s, ms), units from "
                             "the largest down, each once, e.g. 90s or 1h30m")
        if length > (nanoseconds(self.maximum) or 0):
            raise ValueError(f"{value!r} is longer than {self.consumer} accepts here (at most {self.maximum})")
        if length < (nanoseconds(self.minimum) or 0):
            raise ValueError(f"{value!r} is shorter than {self.consumer} accepts here (at least {self.minimum})")
        if self.whole_seconds and length % 10**9:
            raise ValueError(f"{value!r}: {self.consumer} takes whole seconds")
        return None


def duration(minimum: str = "0s", maximum: str = "292y", *, consumer: str = "Prometheus",
             whole_seconds: bool = False) -> DurationKind:
    """The type of a duration setting between ``minimum`` and ``maximum`` (inclusive)."""
    return DurationKind("duration", f"a duration from {minimum} to {maximum} such as 30s, 5m or 1h30m",
                        family="duration", max_length=64, minimum=minimum, maximum=maximum, consumer=consumer,
                        whole_seconds=whole_seconds)


Duration = Annotated[str, duration()]
"""Any duration Prometheus parses (a new setting states its consumer's range instead: ``duration(min, max)``)."""
PositiveDuration = Annotated[str, duration("1ms")]
"""A duration that must be longer than zero (intervals and timeouts)."""


def go_duration(duration: str) -> str:
    """``duration`` as Go's ``time.Duration`` prints it (``60s`` -> ``1m0s``), which is how Docker reads
    healthcheck timings back; written any other way, every preview would show a change."""
    total = seconds(duration)
    if total != int(total):
        raise ValueError(f"{duration!r}: Docker healthcheck timings here are whole seconds")
    hours, rest = divmod(int(total), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
