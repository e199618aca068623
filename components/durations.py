"""Prometheus-style durations (``15s``, ``5m``, ``1h30m``) as validated settings values."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^((\d+)(ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def seconds(duration: str) -> float:
    """Length of a Prometheus duration in seconds."""
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(duration))


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


def _check(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1h")
    return value


def _check_positive(value: str) -> str:
    if seconds(_check(value)) <= 0:
        raise ValueError(f"{value!r} must be longer than 0s")
    return value


Duration = Annotated[str, AfterValidator(_check)]
PositiveDuration = Annotated[str, AfterValidator(_check_positive)]
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
