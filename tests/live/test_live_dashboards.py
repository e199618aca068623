"""Every panel of every dashboard the stack deploys, run against the live pipeline: how many show data.

The dashboards are the ones ``pulumi up`` uploads: the custom one as rendered for the live settings, and
the four community ones as the cache holds them (``dashboards/cache``, filled by ``dashboards fetch`` where
grafana.com is reachable), else our fixtures with the real dashboards' shapes and queries
(``tests/fixtures/dashboards/community``), both normalized as for upload.  Variables and intervals are
resolved as Grafana does at load (``harness/panels.py``).  Panels reading only cAdvisor or Grafana series
(stand-ins in the live suite: fixed expositions) are counted apart.  Of the others at least ``GOAL`` must show
data, and each empty one needs a reason from ``REASONS`` whose check holds on this machine.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.durations import seconds
from components.grafana.community import DEFAULT_CACHE_DIR, read_cached, render_community
from components.grafana.custom_dashboard import UID as CUSTOM_UID
from components.grafana.settings import CommunityDashboard
from tests.live.harness.panels import PanelRun, PrometheusApi, QueryError, finite_values, run_panels
from tests.live.harness.stack import LiveStack
from tests.promql import metric_names

pytestmark = pytest.mark.live

GOAL = 0.95
"""Share of the panels whose data source runs here that must show data."""
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dashboards" / "community"
STAND_IN_ONLY = re.compile(r"^(container_|machine_|cadvisor_|grafana_)")
"""cAdvisor's and Grafana's own series: the live harness serves a fixed stand-in exposition for both (the real
cAdvisor runs in the end-to-end suite, against a Docker engine)."""
WARM_UP = 40.0
"""Seconds of scrapes before the panels run: every rate window of the dashboards (up to 5m) holds
several samples, and the 1m/5m ones Grafana's own range queries need are covered by the 2s scrapes."""
WINDOW = 30.0
"""The range the panels' range queries cover (the recent end of the dashboard's time range)."""


@dataclass(frozen=True)
class Dashboard:
    name: str
    source: str
    document: dict[str, Any]
    published: dict[str, Any] | None


def _community(dashboard: CommunityDashboard, uid: str, name: str) -> Dashboard:
    cached = read_cached(DEFAULT_CACHE_DIR, dashboard)
    source = f"cache {dashboard.cache_name}" if cached is not None else f"fixture {dashboard.gnet_id}.json"
    raw = cached if cached is not None else (FIXTURES / f"{dashboard.gnet_id}.json").read_bytes()
    document = json.loads(render_community(raw, dashboard, datasource_uid=uid, datasource_name=name))
    return Dashboard(f"{dashboard.gnet_id} {dashboard.title or document.get('title')}", source, document,
                     json.loads(raw))


def deployed_dashboards(stack: LiveStack) -> list[Dashboard]:
    grafana = stack.settings.grafana
    custom = json.loads(stack.documents[f"grafana/dashboards/{CUSTOM_UID}.json"])
    return [*(_community(d, grafana.datasource_uid, grafana.datasource_name) for d in grafana.community_dashboards),
            Dashboard(f"custom {custom['title']}", "rendered", custom, None)]


# ---------------------------------------------------------------- why a panel may be empty


def _sys_has(path: str, pattern: str = "*") -> bool:
    directory = Path(path)
    return directory.is_dir() and any(directory.glob(pattern))


def _only_nan(api: PrometheusApi, exprs: list[str]) -> bool:
    """Some expression returns series whose every value is NaN: 0 divided by 0."""
    for expr in exprs:
        try:
            result = api.range(expr, WINDOW, 2)
        except QueryError:
            continue
        values = [float(v) for series in result for _, v in series["values"]]
        if values and all(math.isnan(v) for v in values):
            return True
    return False


def _recordings(api: PrometheusApi, run: PanelRun) -> list[str]:
    """The queries of the recording rules the panel reads."""
    rules = api.recording_rules()
    return [rules[m] for m in sorted(run.metrics) if m in rules]


def _unguarded(api: PrometheusApi, run: PanelRun) -> list[str]:
    """The panel's queries (and recording rules) as published and with our ``> 0`` division guards taken out."""
    return run.published + [re.sub(r"\s*>\s*0\s*\)", ")", e) for e in run.exprs + _recordings(api, run)]


def _nothing_counted(api: PrometheusApi, run: PanelRun) -> bool:
    """Every counter behind the panel's recorded ratios has no series or did not move."""
    counters = {m for rule in _recordings(api, run) for m in metric_names(rule) if m.endswith("_total")}
    return bool(counters) and all(not api.instant(f"{c} > 0") or api.instant(f"sum(rate({c}[1m])) > 0") == []
                                  for c in counters)


def _zeros_hidden(api: PrometheusApi, run: PanelRun) -> bool:
    """The queries end in ``!= 0`` and, without it, return only zeros: nothing happened yet."""
    stripped = [re.sub(r"\s*!=\s*0\s*$", "", e) for e in run.exprs if re.search(r"!=\s*0\s*$", e)]
    if len(stripped) != len(run.exprs):
        return False
    results = [api.range(e, WINDOW, 2) for e in stripped]
    values = [v for r in results for v in finite_values(r)]
    return bool(values) and all(v == 0 for v in values)


def _literal_target_matchers(expr: str) -> list[str]:
    """``job``/``instance`` matchers written into the query (no variable)."""
    return re.findall(r'\b(?:job|instance)\s*=~?\s*"[^"$]*"', expr)


def _matches_no_target(api: PrometheusApi, run: PanelRun) -> bool:
    """A fixed ``job``/``instance`` matcher in the query selects no target of this stack."""
    return any(not api.instant(f"up{{{m}}}") for e in run.templates for m in _literal_target_matchers(e))


def _metrics_absent(api: PrometheusApi, run: PanelRun) -> bool:
    return all(not api.instant(f"count({{__name__={json.dumps(m)}}})") for m in run.metrics)


@dataclass(frozen=True)
class Reason:
    text: str
    applies: Callable[[PanelRun], bool]
    holds: Callable[[PrometheusApi, PanelRun], bool]
    """The check on this machine: the reason is only accepted when it holds."""
    source_absent: bool = False
    """The panel's data source (hardware, a kernel interface, systemd) does not exist on this machine: the
    panel is reported, but not counted among the panels whose data source exists here."""


def _reads(*prefixes: str) -> Callable[[PanelRun], bool]:
    return lambda run: bool(run.metrics) and all(m.startswith(prefixes) for m in run.metrics)


REASONS: tuple[Reason, ...] = (
    Reason("no hwmon sensors (temperatures, fans) in this virtual machine",
           _reads("node_hwmon_"), lambda api, run: not _sys_has("/sys/class/hwmon"), source_absent=True),
    Reason("no cooling devices or thermal zones in this virtual machine",
           _reads("node_cooling_device_", "node_thermal_zone_"),
           lambda api, run: not _sys_has("/sys/class/thermal", "cooling_device*")
           and not _sys_has("/sys/class/thermal", "thermal_zone*"), source_absent=True),
    Reason("no power supply in this virtual machine", _reads("node_power_supply_"),
           lambda api, run: not _sys_has("/sys/class/power_supply"), source_absent=True),
    Reason("no CPU frequency scaling (cpufreq) in this virtual machine", _reads("node_cpu_scaling_"),
           lambda api, run: not Path("/sys/devices/system/cpu/cpu0/cpufreq").exists(), source_absent=True),
    Reason("not booted with systemd (a container sandbox): node_exporter's systemd collector has no units "
           "to read", _reads("node_systemd_"), lambda api, run: not Path("/run/systemd/system").is_dir(),
           source_absent=True),
    Reason("the kernel has no scheduler statistics (/proc/schedstat)", _reads("node_schedstat_"),
           lambda api, run: not Path("/proc/schedstat").exists(), source_absent=True),
    Reason("nothing to divide yet (no swap, no lookups, no block reads): the division is guarded, unguarded it "
           "gives only NaN (0/0)", lambda run: True, lambda api, run: _only_nan(api, _unguarded(api, run))),
    Reason("no lookup counted yet: the counters behind the recorded ratio have no series or did not move "
           "(the API stand-in counts cache lookups only when a scenario sets a hit ratio)",
           lambda run: any(":" in m for m in run.metrics), _nothing_counted),
    Reason("the query hides zeros (`!= 0`) and nothing happened yet: without the filter every value is 0",
           lambda run: any(re.search(r"!=\s*0\s*$", e) for e in run.exprs), _zeros_hidden),
    Reason("the query fixes a job or instance (e.g. port 9100) that no target of this stack has here "
           "(the harness listens on random loopback ports)",
           lambda run: any(_literal_target_matchers(e) for e in run.templates), _matches_no_target),
)


def reason_for(api: PrometheusApi, run: PanelRun) -> Reason | None:
    return next((r for r in REASONS if r.applies(run) and r.holds(api, run)), None)


# ---------------------------------------------------------------- the test


@dataclass
class Tally:
    name: str
    source: str
    machine: int = 0
    """Panels whose data source exists on this machine."""
    with_data: int = 0
    absent: int = 0
    """Panels whose data source (hardware, kernel interface, systemd) this machine lacks."""
    stand_in: int = 0
    """Panels reading only cAdvisor or Grafana series (stand-ins here)."""
    stand_in_with_data: int = 0

    def line(self) -> str:
        share = self.with_data / self.machine if self.machine else 1.0
        return (f"{self.name} ({self.source}): {self.with_data}/{self.machine} panels with data ({share:.1%}); "
                f"source absent here: {self.absent}; cAdvisor/Grafana only: {self.stand_in_with_data}/"
                f"{self.stand_in} with data (stand-ins)")


def _wait_for_fresh_scrapes(api: PrometheusApi, scrape: float) -> None:
    """Every target scraped successfully at least twice within the panels' ``$__rate_interval``: on a loaded
    machine a slow scrape (node_exporter's collectors past the 2s timeout) would leave every ``irate`` empty,
    which says nothing about the dashboards."""
    window = f"{int(4 * scrape)}s"
    stale: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = api.instant(f"sum_over_time(up[{window}]) < 2")
        stale = sorted(f"{row['metric'].get('job')} {row['metric'].get('instance')}" for row in rows)
        if not stale:
            return
        time.sleep(scrape)
    pytest.fail(f"targets without two good scrapes in {window} for 60 s (an overloaded machine?): "
                + ", ".join(stale), pytrace=False)


def test_panels_show_data(live: LiveStack, record_property: Callable[[str, object], None]) -> None:
    api = PrometheusApi(live.prometheus.url, live.prometheus.auth)
    time.sleep(max(0.0, WARM_UP - (time.monotonic() - live.started_at)))
    scrape = seconds(live.settings.prometheus.scrape_interval)
    _wait_for_fresh_scrapes(api, scrape)

    tallies, empty, unexplained = [], [], []
    for dashboard in deployed_dashboards(live):
        tally = Tally(dashboard.name, dashboard.source)
        for run in run_panels(dashboard.document, dashboard.published, api, dashboard=dashboard.name,
                              scrape_interval=scrape, window=WINDOW):
            stand_in = bool(run.metrics) and all(STAND_IN_ONLY.match(m) for m in run.metrics)
            if stand_in:
                tally.stand_in += 1
                tally.stand_in_with_data += run.has_data
                continue
            if run.has_data:
                tally.machine += 1
                tally.with_data += 1
                continue
            reason = reason_for(api, run)
            if reason is None:
                tally.machine += 1
                unexplained.append(run.describe())
                continue
            if reason.source_absent:
                tally.absent += 1
            else:
                tally.machine += 1
            empty.append(f"{run.describe()}  [{reason.text}]")
        tallies.append(tally)

    machine = sum(t.machine for t in tallies)
    with_data = sum(t.with_data for t in tallies)
    total = f"all: {with_data}/{machine} panels with data ({with_data / machine:.1%}), goal {GOAL:.0%}"
    summary = "\n".join([t.line() for t in tallies] + [total, "empty, with a checked reason:"] + empty)
    for tally in tallies:
        live.measurements[f"panels with data, {tally.name}"] = tally.with_data
        live.measurements[f"panels with a data source here, {tally.name}"] = tally.machine
        live.measurements[f"panels without a data source here, {tally.name}"] = tally.absent
        live.measurements[f"cAdvisor/Grafana-only panels, {tally.name}"] = tally.stand_in
    record_property("dashboard_panels", summary)
    print("\n" + summary)
    assert not unexplained, "empty panels without a reason that holds here:\n" + "\n".join(unexplained)
    assert with_data >= GOAL * machine, f"{with_data}/{machine} panels with data, goal {GOAL:.0%}\n{summary}"
