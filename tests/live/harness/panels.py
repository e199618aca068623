"""Run a dashboard's panels against a Prometheus the way Grafana does when the dashboard loads.

Template variables are resolved in order, each query variable through Prometheus' label and series
APIs (``label_values``), instant queries (``query_result``) or the metric-name list (``metrics``), its
``regex`` applied and its saved selection kept only when Grafana would keep it (otherwise the first
option, which is "All" for an include-all variable).  ``$__interval`` is the scrape interval (the
datasource's ``timeInterval``, Grafana's lower bound, or the panel's own minimum), ``$__rate_interval``
is ``max($__interval + scrape interval, 4 * scrape interval)``, ``$__range`` the dashboard's time range.
Each visible target then runs as Grafana sends it: a range query over the recent window, or an instant
query for ``instant`` targets.  A panel has data when some target returns a finite value.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.live.harness.clients import get_json
from tests.promql import metric_names

Value = str | list[str]
ALL = "$__all"
_VARIABLE = re.compile(r"\$\{(?P<braced>[A-Za-z0-9_]+)(?::(?P<format>[A-Za-z]+))?\}|\[\[(?P<old>[A-Za-z0-9_]+)\]\]"
                       r"|\$(?P<plain>[A-Za-z0-9_]+)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
def seconds(text: str) -> float:
    """``"2s"``, ``"1m"``, ``"now-6h"`` → seconds (Grafana's and Prometheus' duration notation)."""
    match = re.fullmatch(r"(?:now-)?(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", text.strip())
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def duration(value: float) -> str:
    """Seconds as Prometheus writes a range: ``8s``, ``1m``, ``86400s`` is ``1d``."""
    for unit in ("d", "h", "m", "s"):
        if value >= _UNITS[unit] and value % _UNITS[unit] == 0:
            return f"{int(value // _UNITS[unit])}{unit}"
    return f"{int(value * 1000)}ms"


def panels(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that queries (row panels, nested panels of collapsed rows, old ``rows[].panels``)."""
    def walk(nodes: Sequence[Any]) -> Iterator[dict[str, Any]]:
        for node in nodes:
            if not isinstance(node, dict):
                continue
            if node.get("type") != "row" and node.get("targets"):
                yield node
            yield from walk(node.get("panels", []))
    yield from walk(document.get("panels", []))
    for row in document.get("rows", []):
        yield from walk(row.get("panels", []))


def visible_exprs(panel: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(expr, instant) of each target Grafana runs: not hidden, with an expression."""
    return [(str(t["expr"]), bool(t.get("instant")) and not t.get("range"))
            for t in panel.get("targets", []) if isinstance(t, dict) and t.get("expr") and not t.get("hide")]


def format_value(value: Value, fmt: str | None = None) -> str:
    """A variable's value as Grafana writes it into a Prometheus query (multi-values as a regex group)."""
    if isinstance(value, str):
        return value
    if fmt == "csv":
        return ",".join(value)
    escaped = [re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\\\1", v) for v in value]
    return escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"


def interpolate(text: str, values: Mapping[str, Value]) -> str:
    """Replace ``$var``, ``${var}``, ``${var:fmt}`` and ``[[var]]`` with known values; unknown names stay."""
    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("old") or match.group("plain")
        if name not in values:
            return match.group(0)
        return format_value(values[name], match.group("format"))
    return _VARIABLE.sub(replace, text)


def builtins(scrape_interval: float, time_range: float, min_interval: float | None = None) -> dict[str, Value]:
    interval = max(scrape_interval, min_interval or 0)
    rate = max(interval + scrape_interval, 4 * scrape_interval)
    return {"__interval": duration(interval), "__interval_ms": str(int(interval * 1000)),
            "__rate_interval": duration(rate), "__rate_interval_ms": str(int(rate * 1000)),
            "__range": duration(time_range), "__range_s": str(int(time_range)),
            "__range_ms": str(int(time_range * 1000))}


@dataclass
class PrometheusApi:
    url: str
    auth: tuple[str, str] | None = None
    """The web credential (user, password) Prometheus asks for, as Grafana's datasource sends it."""

    def _get(self, path: str, params: Sequence[tuple[str, str]]) -> Any:
        data = get_json(f"{self.url.rstrip('/')}{path}?{urllib.parse.urlencode(params)}", timeout=10,
                        auth=self.auth)
        if data.get("status") != "success":
            raise QueryError(str(data.get("error", data)))
        return data["data"]

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        if match is None:
            return sorted(self._get(f"/api/v1/label/{label}/values", []))
        series = self._get("/api/v1/series", [("match[]", match)])
        return sorted({s[label] for s in series if label in s})

    def recording_rules(self) -> dict[str, str]:
        """Recorded series name -> the rule's query."""
        groups = self._get("/api/v1/rules", [("type", "record")])["groups"]
        return {rule["name"]: rule["query"] for group in groups for rule in group["rules"]}

    def instant(self, expr: str) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/query", [("query", expr)])["result"])

    def range(self, expr: str, window: float, step: float) -> list[dict[str, Any]]:
        """A range query whose last point is now (so a step longer than ``window`` still evaluates now)."""
        end = time.time()
        start = end - step * max(1, int(window // step))
        return list(self._get("/api/v1/query_range", [("query", expr), ("start", f"{start:.3f}"),
                                                      ("end", f"{end:.3f}"), ("step", duration(step))])["result"])


class QueryError(Exception):
    """Prometheus refused a query (the message is its error)."""


def _query_text(variable: Mapping[str, Any]) -> str:
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    return str(query or variable.get("definition") or "")


def _render_series(sample: Mapping[str, Any]) -> str:
    """A ``query_result`` row as Grafana renders it: ``name{l="v", …} value timestamp``."""
    metric = dict(sample["metric"])
    name = metric.pop("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
    timestamp, value = sample["value"]
    return f"{name}{{{labels}}} {value} {int(float(timestamp) * 1000)}"


def _apply_regex(options: list[str], regex: str) -> list[str]:
    if not regex:
        return options
    match = re.fullmatch(r"/(.*)/([gimsuy]*)", regex, re.S)
    pattern = re.compile(match.group(1) if match else regex, re.I if match and "i" in match.group(2) else 0)
    kept = []
    for option in options:
        found = pattern.search(option)
        if found is None:
            continue
        groups = found.groupdict()
        value = groups.get("value") or groups.get("text") or (found.group(1) if pattern.groups else option)
        if value not in kept:
            kept.append(value)
    return kept


def query_options(api: PrometheusApi, query: str) -> list[str]:
    """The options of a Prometheus query variable, as Grafana's Prometheus datasource computes them."""
    query = query.strip()
    if match := re.fullmatch(r"label_values\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", query):
        return api.label_values(match.group(1))
    if match := re.fullmatch(r"label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", query, re.S):
        return api.label_values(match.group(2), match.group(1).strip())
    if match := re.fullmatch(r"query_result\((.+)\)", query, re.S):
        return [_render_series(s) for s in api.instant(match.group(1))]
    if match := re.fullmatch(r"metrics\((.*)\)", query, re.S):
        return [name for name in api.label_values("__name__") if re.search(match.group(1), name)]
    raise ValueError(f"unsupported variable query {query!r}")


def _sort(options: list[str], sort: int) -> list[str]:
    if sort in (1, 2):
        return sorted(options, reverse=sort == 2)
    if sort in (3, 4):
        def number(text: str) -> float:
            found = re.search(r"-?\d+(?:\.\d+)?", text)
            return float(found.group(0)) if found else math.inf
        return sorted(options, key=number, reverse=sort == 4)
    if sort in (5, 6):
        return sorted(options, key=str.lower, reverse=sort == 6)
    return options


@dataclass(frozen=True)
class Resolved:
    """One variable after load: its options and the selected value (a list for multi/All)."""

    name: str
    options: list[str]
    value: Value


def _select(variable: Mapping[str, Any], options: list[str]) -> Value:
    """Grafana's choice at load: the saved selection if still valid, otherwise the first option."""
    include_all = bool(variable.get("includeAll"))
    current = (variable.get("current") or {}).get("value")
    saved = current if isinstance(current, list) else [current] if current not in (None, "") else []
    if include_all and (ALL in saved or not [v for v in saved if v in options]):
        return str(variable["allValue"]) if variable.get("allValue") else list(options)
    kept = [v for v in saved if v in options]
    if kept:
        return kept if variable.get("multi") else kept[0]
    return options[0] if options else ""


def referenced(text: str) -> set[str]:
    """Names of the variables ``text`` uses."""
    return {m.group("braced") or m.group("old") or m.group("plain") for m in _VARIABLE.finditer(text)}


def dependency_order(variables: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Variables in the order Grafana loads them: each after those its query uses (list order otherwise)."""
    names = {str(v["name"]) for v in variables}
    pending, ordered, done = list(variables), [], set[str]()
    while pending:
        ready = next((v for v in pending if referenced(_query_text(v)) & names <= done | {v["name"]}), pending[0])
        pending.remove(ready)
        ordered.append(ready)
        done.add(str(ready["name"]))
    return ordered


def resolve_variables(document: Mapping[str, Any], api: PrometheusApi,
                      base: Mapping[str, Value]) -> dict[str, Resolved]:
    """Every template variable of ``document``, each after the variables its query uses."""
    resolved: dict[str, Resolved] = {}
    values: dict[str, Value] = dict(base)
    variables = [v for v in document.get("templating", {}).get("list", []) if isinstance(v, dict) and "name" in v]
    for variable in dependency_order(variables):
        name, kind = str(variable["name"]), variable.get("type")
        if kind == "datasource":
            options = [str((variable.get("current") or {}).get("value", ""))]
        elif kind == "query":
            options = _apply_regex(query_options(api, interpolate(_query_text(variable), values)),
                                   str(variable.get("regex") or ""))
            options = _sort(options, int(variable.get("sort") or 0))
        elif kind in ("custom", "interval"):
            options = [o.strip() for o in _query_text(variable).split(",") if o.strip()]
        elif kind in ("constant", "textbox"):
            options = [_query_text(variable)]
        else:  # adhoc filters and the like add nothing to a query
            continue
        value = _select(variable, options)
        resolved[name] = Resolved(name, options, value)
        values[name] = value
    return resolved


@dataclass
class PanelRun:
    """What one panel showed: its queries as run, and per query whether it returned finite values."""

    dashboard: str
    title: str
    templates: list[str]
    """The visible targets' queries before their variables are replaced."""
    exprs: list[str]
    published: list[str]
    """The same targets before normalization (the dashboard as downloaded), interpolated alike."""
    metrics: set[str]
    finite: list[bool] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(self.finite)

    def describe(self) -> str:
        return f"{self.dashboard} / {self.title}: " + " ; ".join(self.exprs + [f"error: {e}" for e in self.errors])


def finite_values(result: Sequence[Mapping[str, Any]]) -> list[float]:
    values = []
    for series in result:
        samples = series.get("values") or ([series["value"]] if "value" in series else [])
        values += [float(v) for _, v in samples if math.isfinite(float(v))]
    return values


def run_panels(document: Mapping[str, Any], published: Mapping[str, Any] | None, api: PrometheusApi, *,
               dashboard: str, scrape_interval: float, window: float) -> list[PanelRun]:
    """Every querying panel of ``document`` run against ``api`` after resolving its variables."""
    time_range = seconds(str((document.get("time") or {}).get("from", "now-6h")))
    base = builtins(scrape_interval, time_range)
    variables = resolve_variables(document, api, base)
    values = {**base, **{name: r.value for name, r in variables.items()}}
    originals = list(panels(published)) if published is not None else []
    runs = []
    for index, panel in enumerate(panels(document)):
        minimum = _min_interval(panel)
        local = {**values, **builtins(scrape_interval, time_range, minimum)}
        targets = [(interpolate(expr, local), instant) for expr, instant in visible_exprs(panel)]
        before = visible_exprs(originals[index]) if index < len(originals) else []
        run = PanelRun(dashboard, str(panel.get("title", "")), [e for e, _ in visible_exprs(panel)],
                       [e for e, _ in targets],
                       [interpolate(e, local) for e, _ in before],
                       set().union(*(metric_names(e) for e, _ in targets)) if targets else set())
        for expr, instant in targets:
            step = max(scrape_interval, minimum or 0)
            try:
                result = api.instant(expr) if instant else api.range(expr, window, step)
            except (QueryError, OSError, ValueError) as error:
                run.errors.append(f"{expr}: {error}")
                run.finite.append(False)
                continue
            run.finite.append(bool(finite_values(result)))
        runs.append(run)
    return runs


def _min_interval(panel: Mapping[str, Any]) -> float | None:
    """The panel's or its targets' minimum interval (``interval: "10s"``), if any is set."""
    found = [panel.get("interval")] + [t.get("interval") for t in panel.get("targets", []) if isinstance(t, dict)]
    durations = []
    for text in found:
        if isinstance(text, str) and text.strip():
            try:
                durations.append(seconds(text.lstrip(">")))
            except ValueError:
                continue
    return max(durations) if durations else None


def dump(runs: Sequence[PanelRun]) -> str:
    return json.dumps([{"dashboard": r.dashboard, "title": r.title, "has_data": r.has_data, "exprs": r.exprs,
                        "errors": r.errors} for r in runs], indent=1)
