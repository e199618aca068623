"""The whole fleet benchmark: capture the real exporters once, then measure each fleet size in turn.

``IID_FLEET_SIZES`` (default ``1,10,50``) and ``IID_FLEET_WINDOW`` (steady seconds per size, default 180) choose
how much runs; ``IID_FLEET_OUT`` names a JSON file for the results.  ``table`` writes them as the Markdown table
of docs/testing.md.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from components.documents import PROMETHEUS_CONFIG, PROMETHEUS_RULES_DIR
from components.render import render_documents
from components.settings import StackSettings
from tests.benchmarks.fleet import bench, binaries, capture
from tests.benchmarks.fleet.exposition import parse
from tests.benchmarks.fleet.replay import Capture

SIZES_ENV = "IID_FLEET_SIZES"
WINDOW_ENV = "IID_FLEET_WINDOW"
OUT_ENV = "IID_FLEET_OUT"
DEFAULT_SIZES = (1, 10, 50)
DEFAULT_WINDOW = 180.0


class SettingError(ValueError):
    """An environment setting of the benchmark is not usable; the message names it and the fix."""


def sizes_from_env() -> list[int]:
    text = os.environ.get(SIZES_ENV, "")
    if not text.strip():
        return list(DEFAULT_SIZES)
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise SettingError(f"{SIZES_ENV}={text!r}: give host counts separated by commas, e.g. 1,10,50") from None
    if not sizes or min(sizes) < 1:
        raise SettingError(f"{SIZES_ENV}={text!r}: every host count must be at least 1")
    return sizes


def window_from_env() -> float:
    text = os.environ.get(WINDOW_ENV, "")
    if not text.strip():
        return DEFAULT_WINDOW
    try:
        window = float(text)
    except ValueError:
        raise SettingError(f"{WINDOW_ENV}={text!r}: give the steady window in seconds, e.g. 180") from None
    if window < 30:
        raise SettingError(f"{WINDOW_ENV}={text!r}: at least 30 seconds (two scrape intervals)")
    return window


def stack_documents(settings: StackSettings) -> dict[str, str]:
    """The stack's Prometheus documents as ``render_documents`` writes them (no dashboards needed)."""
    documents = render_documents(settings, dashboards=[])
    return {path: text for path, text in documents.items()
            if path == PROMETHEUS_CONFIG or path.startswith(PROMETHEUS_RULES_DIR)}


def describe(one: Capture) -> dict[str, Any]:
    families = parse(one.first)
    described: dict[str, Any] = {"samples": sum(len(f.samples) for f in families), "families": len(families),
                                 "interval_seconds": one.interval}
    for family in families:
        if family.name == "container_cpu_usage_seconds_total":
            described["containers"] = len({dict(s.labels).get("name") for s in family.samples} - {""})
        if family.name == "node_network_up":
            described["network_devices"] = len(family.samples)
        if family.name == "container_network_receive_bytes_total":
            described["container_network_interfaces"] = len(family.samples)
        if family.name == "node_filesystem_size_bytes":
            described["filesystems"] = len(family.samples)
    return described


def run(settings: StackSettings, sizes: Sequence[int], window: float, workdir: Path,
        log: Callable[[str], None]) -> dict[str, Any]:
    found = {name: binaries.daemon(name) for name in ("prometheus", "node_exporter", "cadvisor")}
    found["victoria-metrics"] = binaries.store()
    captures = workdir / "captures"
    taken = capture.capture_typical_host(settings, found, workdir / "typical-host", log)
    for one in taken:
        capture.save(one, captures)
    documents = stack_documents(settings)
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "stack": settings.context.stack,
        "scrape_interval": settings.prometheus.scrape_interval,
        "evaluation_interval": settings.prometheus.evaluation_interval,
        "window_seconds": window,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "load_average_at_start": os.getloadavg()},
        "binaries": {name: {"version": b.version, "built_from": b.built_from} for name, b in found.items()},
        "captures": {one.exporter: describe(one) for one in taken},
        "sizes": [],
    }
    for count in sizes:
        fleet = bench.start(count, workdir / f"{count}-hosts", settings=settings, documents=documents,
                            binaries=found, captures=captures)
        try:
            results["sizes"].append(bench.measure(fleet, settings, window, log))
        finally:
            fleet.stop()
        log(f"{count} hosts measured")
    return results


ROWS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("Prometheus head series", lambda s: f"{s['head_series']:,.0f}"),
    ("samples appended per second", lambda s: f"{s['samples_appended_per_second']:,.0f}"),
    ("Prometheus RSS (max in window)", lambda s: f"{s['rss_mib']['max']:,.0f} MiB"),
    ("Prometheus Go heap in use (end)", lambda s: f"{s['heap_inuse_mib']['end']:,.0f} MiB"),
    ("rule evaluation per cycle, all groups (mean / max)", lambda s: "{:,.1f} / {:,.1f} ms".format(
        s["rule_evaluation_ms"]["mean_per_cycle"], s["rule_evaluation_ms"]["max_per_cycle"])),
    ("slowest rule group (max)", lambda s: f"{s['rule_evaluation_ms']['slowest_group_max']:,.1f} ms"),
    ("remote-write lag (mean / max)",
     lambda s: f"{s['remote_write_lag_seconds']['mean']:.1f} / {s['remote_write_lag_seconds']['max']:.1f} s"),
    ("store disk per day: the window's growth × (1 day / window)", lambda s: f"{s['store_disk_mib_per_day']:,.0f} MiB"),
    ("store disk per day: merged bytes per sample × samples per day + index",
     lambda s: "{:,.0f} MiB ({:.2f} B/sample)".format(s["store_merged"]["mib_per_day"],
                                                      s["store_merged"]["bytes_per_sample"])),
    ("VictoriaMetrics RSS (end)", lambda s: f"{s['store_rss_mib']:,.0f} MiB"),
    ("Prometheus CPU", lambda s: f"{s['cpu_cores']['prometheus'] * 1000:,.0f} millicores"),
    ("VictoriaMetrics CPU", lambda s: f"{s['cpu_cores']['victoria-metrics'] * 1000:,.0f} millicores"),
    ("stand-ins CPU", lambda s: f"{s['cpu_cores']['standin'] * 1000:,.0f} millicores"),
    ("machine load (1 min, begin → end)",
     lambda s: f"{s['load_average']['begin']:.1f} → {s['load_average']['end']:.1f}"),
)


def table(results: dict[str, Any]) -> str:
    """Markdown: one column per fleet size, one row per measure."""
    sizes = results["sizes"]
    lines = ["| simulated hosts | " + " | ".join(str(s["hosts"]) for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    lines += [f"| {name} | " + " | ".join(cell(s) for s in sizes) + " |" for name, cell in ROWS]
    return "\n".join(lines)
