"""PromQL text helpers the tests share: which metrics an expression reads."""

from __future__ import annotations

import re

PROMQL_WORDS = frozenset({
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    "group", "inf", "nan", "e"})


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads (identifiers outside strings, matchers, ranges, groupings and calls)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = {m.group(0) for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text)
             if not text[m.end():].lstrip().startswith("(")}
    return {n for n in names if n.lower() not in PROMQL_WORDS and not re.fullmatch(r"\d.*", n)}
