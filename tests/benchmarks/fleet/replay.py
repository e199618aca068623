"""Many hosts' scrapes from one real exporter's: the metric stand-in of the fleet benchmark.

A capture is two scrapes of a real exporter taken ``interval`` seconds apart.  Every sample of the first scrape
is replayed on every simulated host, with the exporter's own names, labels, types and precision, and:

- what names a machine differs per host (``IDENTITY_RULES``: container IDs, machine and boot IDs, MAC addresses,
  the captured machine's host name), so hosts' series are distinct as real hosts' are;
- counters keep growing at the rate measured between the two scrapes, times a factor of the host (0.5 to 1.5),
  from a start scaled by the same factor; a counter that did not move stays put;
- gauges that moved between the scrapes swing around their first value by that change (times the host's factor)
  over ``GAUGE_PERIOD`` with a phase of the host; gauges that did not move keep their value (info series, limits);
- a sample written with a timestamp (cAdvisor's, stamped with its last housekeeping) gets the time of the host's
  last tick of ``stamp_period`` and the value of that moment, so a scrape between ticks repeats the sample.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tests.benchmarks.fleet.exposition import Family, Labels, Sample, parse, series_text

GAUGE_PERIOD = 300.0
"""Seconds of one swing of a moving gauge."""
SHARED_MACS = ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
"""Loopback's address and the broadcast address: the same on every host."""


def _digest(host: str, text: str) -> bytes:
    return hashlib.sha256(f"{host}\0{text}".encode()).digest()


def _hex_like(host: str, original: str) -> str:
    """Hex digits of ``original``'s length (and case), the same for one host and original."""
    digits = hashlib.sha256(f"{host}\0{original}".encode()).hexdigest() * (len(original) // 64 + 1)
    return digits[:len(original)].upper() if original.isupper() else digits[:len(original)]


def _uuid_like(host: str, original: str) -> str:
    digits = iter(_hex_like(host, original.replace("-", "")))
    return "".join(next(digits) if c != "-" else "-" for c in original)


def _mac_like(host: str, original: str) -> str:
    if original in SHARED_MACS:
        return original
    raw = bytearray(_digest(host, original)[:6])
    raw[0] = (raw[0] | 0x02) & 0xFE  # locally administered, unicast: never a vendor's address
    return ":".join(f"{b:02x}" for b in raw)


IDENTITY_RULES: tuple[tuple[re.Pattern[str], Callable[[str, str], str]], ...] = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), _uuid_like),
    (re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b"), _mac_like),
    (re.compile(r"\b[0-9a-fA-F]{32,64}\b"), _hex_like),
)
"""Label values that name one machine or container, and how each host gets its own: UUIDs (system and boot IDs),
MAC addresses, long hex IDs (container IDs, machine IDs)."""


def host_label_value(value: str, host: str, captured_hostname: str) -> str:
    """``value`` as it reads on ``host``: the captured machine's identifiers replaced by the host's own."""
    if captured_hostname and value == captured_hostname:
        return host
    for pattern, replace in IDENTITY_RULES:
        value = pattern.sub(functools.partial(_rewrite, replace, host), value)
    return value


def _rewrite(replace: Callable[[str, str], str], host: str, found: re.Match[str]) -> str:
    return replace(host, found.group(0))


def host_labels(labels: Labels, host: str, captured_hostname: str) -> Labels:
    return tuple((key, host_label_value(value, host, captured_hostname)) for key, value in labels)


def decimals(written: str) -> int | None:
    """Fractional digits of a value as written (``None``: not a finite number, replayed as written)."""
    try:
        number = Decimal(written)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def is_counter(family: Family, sample: Sample) -> bool:
    """Counters, and a histogram's or summary's buckets, sums and counts (a summary's quantiles are gauges)."""
    return family.type == "counter" or (sample.name != family.name and family.owns(sample.name))


@dataclass(frozen=True)
class Series:
    """One sample of the capture, ready to replay: its value at second ``t`` of a host is
    ``start * factor + slope * factor * t`` (counter) or ``start + slope * factor * sin(...)`` (gauge)."""

    name: str
    labels: Labels
    counter: bool
    start: float
    slope: float
    """Counter: increase per second; gauge: half the swing (0: the value never moves)."""
    digits: int | None
    """Fractional digits written (``None``: written as captured, not a finite number)."""
    written: str
    stamped: bool


@dataclass(frozen=True)
class Capture:
    """Two scrapes of one real exporter."""

    exporter: str
    first: str
    second: str
    interval: float
    """Seconds between the two scrapes."""
    hostname: str
    """The captured machine's host name, replaced by each simulated host's name wherever a label holds it."""
    stamp_period: float = 15.0
    """How often the exporter re-stamps its timestamped samples (cAdvisor: its housekeeping interval)."""


@dataclass(frozen=True)
class Template:
    """A capture's families and series, shared by every host replaying it."""

    capture: Capture
    families: tuple[tuple[Family, tuple[Series, ...]], ...]

    @property
    def series_count(self) -> int:
        return sum(len(series) for _, series in self.families)


def _elapsed(first: Sample, second: Sample, interval: float) -> float:
    """Seconds between two samples of one series: their timestamps' difference when stamped (0: the exporter had
    not refreshed it), else the capture's interval."""
    if first.timestamp is not None and second.timestamp is not None:
        return (int(second.timestamp) - int(first.timestamp)) / 1000
    return interval


def template(capture: Capture) -> Template:
    later = {(s.name, s.labels): s for family in parse(capture.second) for s in family.samples}
    families = []
    for family in parse(capture.first):
        series = []
        for sample in family.samples:
            counter = is_counter(family, sample)
            digits = decimals(sample.value)
            second = later.get((sample.name, sample.labels))
            slope = 0.0
            if digits is not None and second is not None and (second_digits := decimals(second.value)) is not None:
                digits = max(digits, second_digits)
                change = float(second.value) - float(sample.value)
                elapsed = _elapsed(sample, second, capture.interval)
                if elapsed:
                    slope = max(0.0, change / elapsed) if counter else abs(change)
            start = float(sample.value) if digits is not None else 0.0
            series.append(Series(sample.name, sample.labels, counter, start, slope, digits, sample.value,
                                 sample.timestamp is not None))
        families.append((family, tuple(series)))
    return Template(capture, tuple(families))


def host_factor(host: str) -> float:
    """0.5 to 1.5, fixed per host: how much busier or quieter than the captured machine it is."""
    return 0.5 + int.from_bytes(_digest(host, "factor")[:4], "big") / 2**32


def _phase(host: str, what: str) -> float:
    return int.from_bytes(_digest(host, what)[:4], "big") / 2**32


def _number(value: float, digits: int) -> str:
    if digits == 0:
        return str(round(value))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


class HostReplay:
    """One simulated host's scrape of one exporter, at any moment after ``origin`` (seconds since the epoch)."""

    def __init__(self, shape: Template, host: str, origin: float) -> None:
        self.host = host
        self.origin = origin
        self.factor = host_factor(host)
        self.stamp_period = shape.capture.stamp_period
        self.stamp_offset = _phase(host, "stamp") * shape.capture.stamp_period
        self.gauge_phase = _phase(host, "gauge") * 2 * math.pi
        self.lines: list[str | tuple[str, Series]] = []
        """Comment lines as they are; a sample as (its name and labels on this host, its series)."""
        for family, series in shape.families:
            if family.help is not None:
                self.lines.append(f"# HELP {family.name} {family.help}")
            self.lines.append(f"# TYPE {family.name} {family.type}")
            self.lines.extend((series_text(one.name, host_labels(one.labels, host, shape.capture.hostname)), one)
                              for one in series)

    def value(self, series: Series, at: float) -> str:
        if series.digits is None:
            return series.written
        elapsed = at - self.origin
        if series.counter:
            number = (series.start + series.slope * elapsed) * self.factor
        elif series.slope:
            number = series.start + series.slope * self.factor * math.sin(
                2 * math.pi * elapsed / GAUGE_PERIOD + self.gauge_phase)
        else:
            return series.written
        return _number(number, series.digits)

    def last_stamp(self, now: float) -> float:
        ticks = math.floor((now - self.stamp_offset) / self.stamp_period)
        return ticks * self.stamp_period + self.stamp_offset

    def exposition(self, now: float) -> str:
        stamp = self.last_stamp(now)
        stamp_ms = str(int(stamp * 1000))
        out = []
        for line in self.lines:
            if isinstance(line, str):
                out.append(line)
                continue
            head, series = line
            if series.stamped:
                out.append(f"{head} {self.value(series, stamp)} {stamp_ms}")
            else:
                out.append(f"{head} {self.value(series, now)}")
        return "\n".join(out) + "\n"


def host_names(count: int) -> list[str]:
    """``host01`` … : names that sort in order."""
    width = max(2, len(str(count)))
    return [f"host{index:0{width}d}" for index in range(1, count + 1)]


def fleet(shapes: Sequence[Template], hosts: Sequence[str], origin: float) -> dict[tuple[str, str], HostReplay]:
    """(exporter, host) -> its replay."""
    return {(shape.capture.exporter, host): HostReplay(shape, host, origin) for shape in shapes for host in hosts}
