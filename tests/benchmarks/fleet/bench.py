"""One fleet size measured: the stand-ins of N hosts, the stack's Prometheus remote-writing to VictoriaMetrics.

Per size, from nothing (fresh data directories): start the store, the stand-ins and Prometheus; wait until every
target is up and ``WARM_CYCLES`` more scrape intervals have passed (every series registered in Prometheus' head
and in the store's index); then sample Prometheus' and the store's own ``/metrics`` every ``SAMPLE_EVERY``
seconds for the steady window and read the store's disk at both ends.  What is measured is in ``Measure``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.containers.prometheus import rule_flags
from components.documents import PROMETHEUS_CONFIG, PROMETHEUS_RULES_DIR
from components.durations import seconds
from components.settings import StackSettings
from tests.benchmarks.fleet.binaries import Binary
from tests.benchmarks.fleet.capture import scrape
from tests.benchmarks.fleet.config import FLEET_JOBS, SELF_JOB, STORE, fleet_config
from tests.benchmarks.fleet.exposition import parse
from tests.benchmarks.fleet.replay import host_names
from tests.live.harness.ports import free_port
from tests.live.harness.processes import ManagedProcess

PROJECT_DIR = Path(__file__).resolve().parents[3]
WARM_CYCLES = 2
SAMPLE_EVERY = 2.0
STORE_FLUSH = "1s"
"""``-inmemoryDataFlushInterval`` of the multi-host stack's store: recent samples reach the disk within a second,
so the disk read at each end of the window holds what was ingested."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Metrics = dict[str, list[tuple[dict[str, str], float]]]


def read_metrics(url: str) -> Metrics:
    found: Metrics = {}
    for family in parse(scrape(url)):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return found


def one(metrics: Metrics, name: str, **labels: str) -> float:
    values = [value for found, value in metrics.get(name, []) if all(found.get(k) == v for k, v in labels.items())]
    if len(values) != 1:
        raise AssertionError(f"{name}{labels}: expected one sample, found {len(values)}")
    return values[0]


def total(metrics: Metrics, name: str, keep: Callable[[dict[str, str]], bool] = lambda _: True) -> float:
    return sum(value for labels, value in metrics.get(name, []) if keep(labels))


def disk_bytes(directory: Path) -> int:
    """Bytes the files under ``directory`` occupy on disk (allocated blocks, as ``du`` counts)."""
    used = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                used += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:  # a part merged away meanwhile
                continue
    return used


def store_call(address: str, path: str) -> None:
    with urllib.request.urlopen(f"http://{address}{path}", timeout=120) as response:
        response.read()


def store_disk(address: str, data: Path) -> int:
    """The store's data on disk (parts and index, not its caches) once what it holds in memory is written."""
    store_call(address, "/internal/force_flush")
    return disk_bytes(data / "data")


def merged(address: str, timeout: float = 120) -> Metrics:
    """The store's metrics once every partition of this month is merged into as few parts as it can."""
    store_call(address, f"/internal/force_merge?partition_prefix={time.strftime('%Y_%m', time.gmtime())}")
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        time.sleep(1)
        busy = total(read_metrics(f"http://{address}/metrics"), "vm_active_merges")
        quiet = quiet + 1 if busy == 0 else 0
    return read_metrics(f"http://{address}/metrics")


def _storage(labels: dict[str, str]) -> bool:
    return labels.get("type") in ("storage/small", "storage/big")


def _index(labels: dict[str, str]) -> bool:
    return labels.get("type", "").startswith("indexdb/")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (its own, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    url = f"http://{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        answer = json.loads(response.read())
    return list(answer["data"]["result"])


@dataclass
class Window:
    """Samples of Prometheus' own metrics over the steady window."""

    rule_seconds: list[float] = field(default_factory=list)
    """Sum over our rule groups of each group's last evaluation time."""
    slowest_group: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    heap: list[float] = field(default_factory=list)

    def add(self, metrics: Metrics, rule_files: set[str]) -> None:
        groups = [value for labels, value in metrics.get("prometheus_rule_group_last_duration_seconds", [])
                  if labels.get("rule_group", "").partition(";")[0] in rule_files]
        self.rule_seconds.append(sum(groups))
        self.slowest_group.append(max(groups, default=0.0))
        highest = one(metrics, "prometheus_remote_storage_highest_timestamp_in_seconds")
        sent = one(metrics, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", remote_name=STORE)
        self.lag.append(highest - sent)
        self.rss.append(one(metrics, "process_resident_memory_bytes"))
        self.heap.append(one(metrics, "go_memstats_heap_inuse_bytes"))


@dataclass
class Fleet:
    """The processes of one size and where they listen."""

    root: Path
    hosts: list[str]
    store: ManagedProcess
    store_address: str
    store_data: Path
    standin: ManagedProcess
    standin_info: dict[str, Any]
    prometheus: ManagedProcess
    prometheus_address: str
    rule_files: set[str]

    def stop(self) -> None:
        for process in (self.prometheus, self.standin, self.store):
            process.stop()


def start(count: int, root: Path, *, settings: StackSettings, documents: Mapping[str, str],
          binaries: Mapping[str, Binary], captures: Path) -> Fleet:
    root.mkdir(parents=True)
    started: list[ManagedProcess] = []
    try:
        store_address, store_data = f"127.0.0.1:{free_port()}", root / "store-data"
        store = ManagedProcess("victoria-metrics", [
            binaries["victoria-metrics"].path, f"-storageDataPath={store_data}", f"-httpListenAddr={store_address}",
            f"-dedup.minScrapeInterval={settings.prometheus.scrape_interval}",
            f"-inmemoryDataFlushInterval={STORE_FLUSH}", "-retentionPeriod=1d"], root / "victoria-metrics.log").start()
        started.append(store)
        store.wait_http(f"http://{store_address}/health")

        ports_file = root / "standin.json"
        standin = ManagedProcess("standin", [sys.executable, "-m", "tests.benchmarks.fleet.standin",
                                             "--captures", str(captures), "--hosts", str(count),
                                             "--ports-file", str(ports_file)],
                                 root / "standin.log", cwd=PROJECT_DIR).start()
        started.append(standin)
        standin.wait_until(ports_file.exists, "listening", timeout=60)
        info = json.loads(ports_file.read_text())

        prometheus_address = f"127.0.0.1:{free_port()}"
        config_dir = root / "prometheus"
        hosts = host_names(count)
        for path, text in documents.items():
            if path.startswith(PROMETHEUS_RULES_DIR):
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text)
        (root / PROMETHEUS_CONFIG).write_text(fleet_config(
            documents[PROMETHEUS_CONFIG], hosts=hosts, itself=prometheus_address,
            standins={job: f"127.0.0.1:{info['ports'][job]}" for job in FLEET_JOBS},
            store_write_url=f"http://{store_address}/api/v1/write"))
        prometheus = ManagedProcess("prometheus", [
            binaries["prometheus"].path, f"--config.file={root / PROMETHEUS_CONFIG}",
            f"--storage.tsdb.path={root / 'prometheus-data'}",
            f"--storage.tsdb.retention.time={settings.prometheus.retention_time}",
            f"--web.listen-address={prometheus_address}", *rule_flags(settings.prometheus)],
            root / "prometheus.log", cwd=config_dir).start()
        started.append(prometheus)
        prometheus.wait_http(f"http://{prometheus_address}/-/ready", timeout=60)
    except BaseException:
        for process in reversed(started):
            process.stop()
        raise
    rule_files = {str(p) for p in (root / PROMETHEUS_RULES_DIR).glob("*.yml")}
    return Fleet(root, hosts, store, store_address, store_data, standin, info, prometheus, prometheus_address,
                 rule_files)


def _targets_up(fleet: Fleet) -> bool:
    with urllib.request.urlopen(f"http://{fleet.prometheus_address}/api/v1/targets?state=active",
                                timeout=10) as response:
        targets = json.loads(response.read())["data"]["activeTargets"]
    return len(targets) == 2 * len(fleet.hosts) + 1 and all(t["health"] == "up" for t in targets)


def measure(fleet: Fleet, settings: StackSettings, steady: float, log: Callable[[str], None]) -> dict[str, Any]:
    """The numbers of one size (see the module's docstring); raises when a target is down."""
    interval = seconds(settings.prometheus.scrape_interval)
    prom_metrics = f"http://{fleet.prometheus_address}/metrics"
    store_metrics = f"http://{fleet.store_address}/metrics"
    fleet.prometheus.wait_until(lambda: _targets_up(fleet), "scraping every target successfully",
                                timeout=3 * interval + 60)
    time.sleep(WARM_CYCLES * interval)

    load_before = os.getloadavg()
    begin = time.time()
    prom_begin, store_begin = read_metrics(prom_metrics), read_metrics(store_metrics)
    disk_begin = store_disk(fleet.store_address, fleet.store_data)
    standin_cpu_begin = cpu_seconds(fleet.standin.pid)
    window = Window()
    log(f"{len(fleet.hosts)} hosts: steady window of {steady:.0f}s")
    while time.time() - begin < steady:
        window.add(read_metrics(prom_metrics), fleet.rule_files)
        time.sleep(SAMPLE_EVERY)
    end = time.time()
    prom_end, store_end = read_metrics(prom_metrics), read_metrics(store_metrics)
    disk_end = store_disk(fleet.store_address, fleet.store_data)
    elapsed = end - begin
    assert _targets_up(fleet), "a target went down during the window"

    def rate(before: Metrics, after: Metrics, name: str) -> float:
        return (total(after, name) - total(before, name)) / elapsed

    scraped = {job: query(fleet.prometheus_address, f'sum(scrape_samples_scraped{{job="{job}"}})')
               for job in (*FLEET_JOBS, SELF_JOB)}
    slowest_scrape = query(fleet.prometheus_address, f"max(scrape_duration_seconds{{job=~\"{'|'.join(FLEET_JOBS)}\"}})")
    disk_growth = disk_end - disk_begin
    store_rows_per_second = rate(store_begin, store_end, "vm_rows_inserted_total")
    after_merge = merged(fleet.store_address)
    bytes_per_sample = total(after_merge, "vm_data_size_bytes", _storage) / total(after_merge, "vm_rows", _storage)
    index_bytes = total(after_merge, "vm_data_size_bytes", _index)
    return {
        "hosts": len(fleet.hosts),
        "window_seconds": round(elapsed, 1),
        "series_per_host_served": fleet.standin_info["series_per_host"],
        "samples_scraped_per_cycle": {job: float(found[0]["value"][1]) if found else 0.0
                                      for job, found in scraped.items()},
        "head_series": one(prom_end, "prometheus_tsdb_head_series"),
        "samples_appended_per_second": round(rate(prom_begin, prom_end, "prometheus_tsdb_head_samples_appended_total"),
                                             1),
        "rss_mib": {"end": one(prom_end, "process_resident_memory_bytes") / 2**20, "max": max(window.rss) / 2**20},
        "heap_inuse_mib": {"end": one(prom_end, "go_memstats_heap_inuse_bytes") / 2**20,
                           "max": max(window.heap) / 2**20},
        "rule_evaluation_ms": {"mean_per_cycle": statistics.fmean(window.rule_seconds) * 1000,
                               "max_per_cycle": max(window.rule_seconds) * 1000,
                               "slowest_group_max": max(window.slowest_group) * 1000,
                               "groups": len([1 for labels, _ in prom_end.get(
                                   "prometheus_rule_group_last_duration_seconds", [])
                                   if labels.get("rule_group", "").partition(";")[0] in fleet.rule_files])},
        "rule_iterations_missed": total(prom_end, "prometheus_rule_group_iterations_missed_total"),
        "rule_evaluation_failures": total(prom_end, "prometheus_rule_evaluation_failures_total"),
        "alerts_firing_at_end": sorted({r["metric"]["alertname"] for r in query(
            fleet.prometheus_address, 'ALERTS{alertstate="firing"}')}),
        "remote_write_lag_seconds": {"mean": statistics.fmean(window.lag), "max": max(window.lag),
                                     "samples": len(window.lag)},
        "remote_write_samples_per_second": round(rate(prom_begin, prom_end, "prometheus_remote_storage_samples_total"),
                                                 1),
        "remote_write_failed": total(prom_end, "prometheus_remote_storage_samples_failed_total"),
        "store_rows_per_second": round(store_rows_per_second, 1),
        "store_rss_mib": one(store_end, "process_resident_memory_bytes") / 2**20,
        "store_disk_bytes": {"begin": disk_begin, "end": disk_end, "growth": disk_growth},
        "store_disk_mib_per_day": disk_growth / elapsed * 86400 / 2**20,
        "store_merged": {"bytes_per_sample": bytes_per_sample, "index_bytes": index_bytes,
                         "mib_per_day": (bytes_per_sample * store_rows_per_second * 86400 + index_bytes) / 2**20},
        "slowest_scrape_seconds": float(slowest_scrape[0]["value"][1]) if slowest_scrape else None,
        "cpu_cores": {
            "prometheus": rate(prom_begin, prom_end, "process_cpu_seconds_total"),
            "victoria-metrics": rate(store_begin, store_end, "process_cpu_seconds_total"),
            "standin": (cpu_seconds(fleet.standin.pid) - standin_cpu_begin) / elapsed,
        },
        "load_average": {"begin": load_before[0], "end": os.getloadavg()[0]},
    }
