"""The Prometheus text exposition format (0.0.4) as node_exporter and cAdvisor write it: read samples.

Small on purpose: the replay keeps every sample's text as written (name, labels, value, timestamp) and only
rewrites what differs between hosts, so what Prometheus scrapes is the exporters' own shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|(?=}))')
ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
"""The samples a histogram or summary family writes beside its name (a summary's quantiles carry its name)."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]


class ExpositionError(ValueError):
    """A line that is not the text exposition format; the message quotes it with its number."""


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: str
    """As written, so a replay keeps the exporter's precision."""
    timestamp: str | None = None
    """Milliseconds as written (cAdvisor stamps its container series with its last housekeeping)."""


@dataclass
class Family:
    name: str
    type: str
    help: str | None = None
    samples: list[Sample] = field(default_factory=list)

    def owns(self, sample_name: str) -> bool:
        return sample_name == self.name or any(sample_name == self.name + s for s in SUFFIXES.get(self.type, ()))


def _unescape(value: str) -> str:
    return re.sub(r"\\[\\\"n]", lambda m: ESCAPES[m.group(0)], value)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_text(name: str, labels: Labels) -> str:
    """``name{a="b",...}``, or the name alone without labels."""
    if not labels:
        return name
    return name + "{" + ",".join(f'{key}="{escape(value)}"' for key, value in labels) + "}"


def parse_sample(line: str, number: int = 0) -> Sample:
    found = METRIC_NAME.match(line)
    if not found:
        raise ExpositionError(f"line {number}: no metric name: {line[:120]!r}")
    name, rest = found.group(0), line[found.end():]
    labels: list[tuple[str, str]] = []
    if rest.startswith("{"):
        position = 1
        while not rest[position:].lstrip().startswith("}"):
            pair = LABEL_PAIR.match(rest, position)
            if not pair:
                raise ExpositionError(f"line {number}: bad label at {rest[position:position + 40]!r}: {line[:120]!r}")
            labels.append((pair.group(1), _unescape(pair.group(2))))
            position = pair.end()
        rest = rest[rest.index("}", position) + 1:]
    fields = rest.split()
    if not 1 <= len(fields) <= 2:
        raise ExpositionError(f"line {number}: expected a value and an optional timestamp: {line[:120]!r}")
    try:
        float(fields[0])
        if len(fields) == 2:
            int(fields[1])
    except ValueError:
        raise ExpositionError(f"line {number}: bad value or timestamp: {line[:120]!r}") from None
    return Sample(name, tuple(labels), fields[0], fields[1] if len(fields) == 2 else None)


def parse(text: str) -> list[Family]:
    """Families in the order written; a sample no ``# TYPE`` line claims is an untyped family of its own."""
    families: list[Family] = []
    by_name: dict[str, Family] = {}

    def family(name: str) -> Family:
        if name not in by_name:
            by_name[name] = Family(name, "untyped")
            families.append(by_name[name])
        return by_name[name]

    current: Family | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            words = line.split(None, 3)
            if len(words) >= 3 and words[1] in ("HELP", "TYPE"):
                current = family(words[2])
                text_after = words[3] if len(words) == 4 else ""
                if words[1] == "TYPE":
                    current.type = text_after.strip()
                else:
                    current.help = text_after
            continue
        sample = parse_sample(line, number)
        owner = current if current is not None and current.owns(sample.name) else family(sample.name)
        owner.samples.append(sample)
    return families


def keep_samples(text: str, keep: Callable[[Sample], bool]) -> str:
    """``text`` without the sample lines ``keep`` refuses (comment lines stay)."""
    lines = [line for number, line in enumerate(text.splitlines(), start=1)
             if not line.strip() or line.startswith("#") or keep(parse_sample(line, number))]
    return "\n".join(lines) + "\n"
