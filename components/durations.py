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
