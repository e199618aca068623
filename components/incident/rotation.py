"""On-call rotation arithmetic: time zones, RFC 3339 starts at whole minutes, DST gaps.

PagerDuty schedules take a ``start`` with the zone's UTC offset at that date; these checks make a
start that PagerDuty would shift or refuse a settings error instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROTATION_WEEKLY_SECONDS = 7 * 24 * 3600
"""Length of one on-call turn: schedules hand over once a week."""

_RFC3339_MINUTE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<hm>\d{2}:\d{2})(?::(?P<sec>\d{2}(?:\.\d+)?))?(?P<off>Z|[+-]\d{2}:\d{2})",
    re.ASCII,
)
"""Matched whole (``fullmatch``)."""


def check_time_zone(time_zone: str) -> ZoneInfo:
    """The IANA zone named ``time_zone``; ``ValueError`` with a one-line message otherwise."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{time_zone!r} is not an IANA time zone such as 'Europe/Berlin' or 'UTC'") from None


def _offset(delta: timedelta | None) -> str:
    total = int((delta or timedelta()).total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def local_time_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local time ``wall`` occurs in ``zone`` (false inside a DST gap)."""
    there_and_back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return there_and_back == wall


def next_local_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first whole minute at or after ``wall`` that exists in ``zone`` (the end of a DST gap)."""
    candidate = wall.replace(second=0, microsecond=0)
    for _ in range(3 * 24 * 60):  # gaps are at most a day long (Pacific/Apia skipped 2011-12-30)
        if local_time_exists(candidate, zone):
            return candidate
        candidate += timedelta(minutes=1)
    raise ValueError(f"no valid local time in {zone.key} within three days after {wall:%Y-%m-%dT%H:%M}")


def check_schedule_start(start: str, time_zone: str) -> str:
    """Validate an on-call rotation start and return it normalised (``YYYY-MM-DDTHH:MM:00±HH:MM``).

    PagerDuty wants an RFC 3339 time in whole minutes whose UTC offset is the one ``time_zone``
    has at that instant; anything else produces permanent diffs or API errors.  Raises
    ``ValueError`` with a single line that says what to write instead.
    """
    zone = check_time_zone(time_zone)
    match = _RFC3339_MINUTE.fullmatch(start)
    if not match:
        raise ValueError(f"start {start!r} is not an RFC 3339 time with a UTC offset, e.g. '2026-11-30T09:00:00+01:00'")
    sec = match["sec"]
    if sec is not None and float(sec) != 0:
        whole = f"{match['date']}T{match['hm']}:00{match['off']}"
        raise ValueError(f"start {start!r} must be a whole minute (seconds :00), e.g. {whole!r}")
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['hm']}:00{match['off'].replace('Z', '+00:00')}")
    except ValueError as error:
        raise ValueError(f"start {start!r} is not a valid date/time ({error})") from None
    expected = parsed.astimezone(zone).utcoffset()
    if parsed.utcoffset() != expected:
        wall = parsed.replace(tzinfo=None)
        if not local_time_exists(wall, zone):
            after = next_local_time(wall, zone)
            fixed = _offset(after.replace(tzinfo=zone).utcoffset())
            raise ValueError(
                f"start {start!r}: {wall:%H:%M} local time does not exist in {time_zone} on {wall:%Y-%m-%d} "
                f"(the clocks skip it); the next valid local time is {after:%H:%M}: "
                f"write '{after.isoformat(timespec='seconds')}{fixed}'"
            )
        fixed = _offset(wall.replace(tzinfo=zone).utcoffset())
        raise ValueError(
            f"start {start!r} has offset {_offset(parsed.utcoffset())} but {time_zone} is at {_offset(expected)} "
            f"at that instant; for {wall:%H:%M} local time write '{wall.isoformat(timespec='seconds')}{fixed}'"
        )
    return parsed.isoformat(timespec="seconds")
