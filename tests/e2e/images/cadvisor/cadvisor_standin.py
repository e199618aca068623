"""A stand-in for cAdvisor 0.47 on Docker, for the end-to-end suite. It is NOT cAdvisor.

Debian packages no cAdvisor, so the e2e suite runs this instead.  It serves ``/metrics`` with
cAdvisor's metric names and labels (``id="/docker/<id>"``, ``name``, ``image``; ``cpu="total"``,
``interface``, ``device`` where cAdvisor has them) and ``/healthz``, and it computes every value
from the Docker Engine API (``/containers/json``, ``/containers/<id>/json`` and one-shot
``/containers/<id>/stats``, what ``docker stats`` shows), read through the mounted Docker socket
every ``--housekeeping_interval``.  The root cgroup (``id="/"``) comes from the cgroup files under
``/sys/fs/cgroup`` when they are mounted.  Nothing is invented: a value Docker does not report is
left out, not faked.  See README.md beside this file for the list of series.

Every answer says what it is: header ``X-Iid-Standin: cadvisor``, a comment line at the top of
``/metrics``, ``cadvisor_version_info{cadvisorVersion="v0.47.2-iid-standin"}``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

VERSION = "v0.47.2-iid-standin"
STANDIN = "iid stand-in for cAdvisor 0.47 (tests/e2e/images/cadvisor): not cAdvisor; values from the Docker API"

# cAdvisor's flags: those the stand-in honours, and those it accepts and ignores (named in its log).
HONOURED = {"port": "8080", "listen_ip": "", "docker": "unix:///var/run/docker.sock", "housekeeping_interval": "1s",
            "docker_only": "false", "store_container_labels": "true", "whitelisted_container_labels": "",
            "prometheus_endpoint": "/metrics", "logtostderr": "false", "v": "0"}
IGNORED = {"max_housekeeping_interval", "allow_dynamic_housekeeping", "global_housekeeping_interval",
           "disable_metrics", "enable_metrics", "raw_cgroup_prefix_whitelist", "containerd", "containerd_namespace",
           "docker_tls", "docker_tls_cert", "docker_tls_key", "docker_tls_ca", "env_metadata_whitelist",
           "storage_duration", "event_storage_age_limit", "event_storage_event_limit",
           "application_metrics_count_limit",
           "disable_root_cgroup_stats", "enable_load_reader", "alsologtostderr", "stderrthreshold", "log_dir",
           "url_base_prefix", "machine_id_file", "boot_id_file", "store_container_labels_whitelist",
           "docker_env_metadata_whitelist", "profiling", "http_auth_file", "http_digest_file", "perf_events_config",
           "resctrl_interval", "update_machine_info_interval", "housekeeping_interval_jitter"}


def log(message: str) -> None:
    print(f"I{time.strftime('%m%d %H:%M:%S')} cadvisor-standin] {message}", file=sys.stderr, flush=True)


class FlagError(ValueError):
    pass


def parse_flags(argv: list[str]) -> dict[str, str]:
    """Go-style flags (``-name=value``, ``--name=value``, ``-name value``, bare booleans)."""
    flags = dict(HONOURED)
    booleans = {"docker_only", "store_container_labels", "logtostderr", "allow_dynamic_housekeeping",
                "alsologtostderr", "docker_tls", "enable_load_reader", "profiling", "disable_root_cgroup_stats"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg in ("-", "--"):
            raise FlagError(f"unexpected argument {arg!r}")
        name, has_value, value = arg.lstrip("-").partition("=")
        if name not in HONOURED and name not in IGNORED:
            raise FlagError(f"flag provided but not defined: -{name}")
        if not has_value:
            if name in booleans:
                value = "true"
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                raise FlagError(f"flag needs an argument: -{name}")
        if name in IGNORED:
            log(f"flag -{name}={value} accepted and ignored by the stand-in")
        flags[name] = value
        i += 1
    return flags


def duration_seconds(text: str) -> float:
    """A Go duration such as ``15s``, ``1m30s`` or ``500ms``."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total, number = 0.0, ""
    i = 0
    while i < len(text):
        char = text[i]
        if char.isdigit() or char == ".":
            number += char
            i += 1
            continue
        unit = next((u for u in sorted(units, key=len, reverse=True) if text.startswith(u, i)), None)
        if unit is None or not number:
            raise FlagError(f"invalid duration {text!r}")
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number:
        raise FlagError(f"invalid duration {text!r}: missing unit")
    return total


# ------------------------------------------------------------------ the Docker API


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class Docker:
    def __init__(self, endpoint: str, timeout: float = 10) -> None:
        self.endpoint = endpoint
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        parsed = urllib.parse.urlsplit(self.endpoint)
        if parsed.scheme == "unix":
            return UnixConnection(parsed.path, self.timeout)
        if parsed.scheme in ("tcp", "http"):
            return http.client.HTTPConnection(parsed.hostname or "localhost", parsed.port or 2375, timeout=self.timeout)
        raise FlagError(f"unsupported docker endpoint {self.endpoint!r} (unix:// or tcp://)")

    def get(self, path: str) -> Any:
        connection = self._connection()
        try:
            connection.request("GET", path, headers={"Host": "docker"})
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise OSError(f"docker API {path}: {response.status} {body[:200]!r}")
        return json.loads(body)


# ------------------------------------------------------------------ collection


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    timestamp_ms: int | None = None


@dataclass
class Snapshot:
    samples: list[Sample] = field(default_factory=list)
    error: str = ""
    collected: float = 0.0


HELP: dict[str, tuple[str, str]] = {
    "container_last_seen": ("gauge", "Last time a container was seen by the exporter"),
    "container_start_time_seconds": ("gauge", "Start time of the container since unix epoch in seconds."),
    "container_cpu_usage_seconds_total": ("counter", "Cumulative cpu time consumed in seconds."),
    "container_cpu_user_seconds_total": ("counter", "Cumulative user cpu time consumed in seconds."),
    "container_cpu_system_seconds_total": ("counter", "Cumulative system cpu time consumed in seconds."),
    "container_cpu_cfs_periods_total": ("counter", "Number of elapsed enforcement period intervals."),
    "container_cpu_cfs_throttled_periods_total": ("counter", "Number of throttled period intervals."),
    "container_cpu_cfs_throttled_seconds_total": ("counter", "Total time duration the container has been throttled."),
    "container_memory_usage_bytes": ("gauge", "Current memory usage in bytes, including all memory regardless of "
                                              "when it was accessed"),
    "container_memory_max_usage_bytes": ("gauge", "Maximum memory usage recorded in bytes"),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes."),
    "container_memory_rss": ("gauge", "Size of RSS in bytes."),
    "container_memory_cache": ("gauge", "Number of bytes of page cache memory."),
    "container_memory_swap": ("gauge", "Container swap usage in bytes."),
    "container_memory_mapped_file": ("gauge", "Size of memory mapped files in bytes."),
    "container_memory_failcnt": ("counter", "Number of memory usage hits limits"),
    "container_memory_failures_total": ("counter", "Cumulative count of memory allocation failures."),
    "container_spec_memory_limit_bytes": ("gauge", "Memory limit for the container."),
    "container_spec_memory_reservation_limit_bytes": ("gauge", "Memory reservation limit for the container."),
    "container_spec_cpu_shares": ("gauge", "CPU share of the container."),
    "container_spec_cpu_period": ("gauge", "CPU period of the container."),
    "container_spec_cpu_quota": ("gauge", "CPU quota of the container."),
    "container_network_receive_bytes_total": ("counter", "Cumulative count of bytes received"),
    "container_network_receive_packets_total": ("counter", "Cumulative count of packets received"),
    "container_network_receive_errors_total": ("counter", "Cumulative count of errors encountered while receiving"),
    "container_network_receive_packets_dropped_total": ("counter", "Cumulative count of packets dropped while "
                                                                   "receiving"),
    "container_network_transmit_bytes_total": ("counter", "Cumulative count of bytes transmitted"),
    "container_network_transmit_packets_total": ("counter", "Cumulative count of packets transmitted"),
    "container_network_transmit_errors_total": ("counter", "Cumulative count of errors encountered while "
                                                           "transmitting"),
    "container_network_transmit_packets_dropped_total": ("counter", "Cumulative count of packets dropped while "
                                                                    "transmitting"),
    "container_fs_reads_bytes_total": ("counter", "Cumulative count of bytes read"),
    "container_fs_writes_bytes_total": ("counter", "Cumulative count of bytes written"),
    "container_fs_reads_total": ("counter", "Cumulative count of reads completed"),
    "container_fs_writes_total": ("counter", "Cumulative count of writes completed"),
    "container_threads": ("gauge", "Number of threads running inside the container"),
    "container_threads_max": ("gauge", "Maximum number of threads allowed inside the container, infinity if value "
                                       "is zero"),
    "container_scrape_error": ("gauge", "1 if there was an error while getting container metrics, 0 otherwise"),
    "machine_cpu_cores": ("gauge", "Number of logical CPU cores."),
    "machine_memory_bytes": ("gauge", "Amount of memory installed on the machine."),
    "cadvisor_version_info": ("gauge", "A metric with a constant '1' value labeled by kernel version, OS version, "
                                       "docker version, cadvisor version & cadvisor revision."),
}


def _timestamp(text: str) -> float:
    """Docker's RFC 3339 times with nanoseconds (``2026-12-01T21:57:46.123456789Z``)."""
    text = text.rstrip("Z")
    main, _, fraction = text.partition(".")
    if "+" in fraction or "-" in fraction[1:]:
        fraction = fraction[: max(fraction.find("+"), fraction.find("-"))]
    seconds = datetime.fromisoformat(main + "+00:00").timestamp()
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


def _block_devices() -> dict[str, str]:
    """``major:minor`` -> ``/dev/<name>`` from ``/sys/dev/block`` (the mounted host /sys)."""
    devices = {}
    root = Path("/sys/dev/block")
    if root.is_dir():
        for entry in root.iterdir():
            try:
                uevent = (entry / "uevent").read_text()
            except OSError:
                continue
            for line in uevent.splitlines():
                if line.startswith("DEVNAME="):
                    devices[entry.name] = "/dev/" + line.split("=", 1)[1]
    return devices


Values = list[tuple[str, float | None, dict[str, str]]]
"""(metric, value or None when Docker does not report it, extra labels)."""


def cpu_values(stats: dict[str, Any]) -> Values:
    cpu = stats.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    values: Values = []
    if "total_usage" in usage:
        values += [("container_cpu_usage_seconds_total", usage["total_usage"] / 1e9, {"cpu": "total"}),
                   ("container_cpu_user_seconds_total", usage.get("usage_in_usermode", 0) / 1e9, {}),
                   ("container_cpu_system_seconds_total", usage.get("usage_in_kernelmode", 0) / 1e9, {})]
    throttling = cpu.get("throttling_data") or {}
    if throttling.get("periods"):
        values += [("container_cpu_cfs_periods_total", throttling["periods"], {}),
                   ("container_cpu_cfs_throttled_periods_total", throttling.get("throttled_periods", 0), {}),
                   ("container_cpu_cfs_throttled_seconds_total", throttling.get("throttled_time", 0) / 1e9, {})]
    return values


def memory_values(stats: dict[str, Any]) -> Values:
    """cgroup v1 (``total_*`` fields) or v2 names; working set = usage - inactive file, as cAdvisor."""
    memory = stats.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    if "usage" not in memory:
        return []
    v1 = "total_inactive_file" in detail or "total_rss" in detail
    inactive = detail.get("total_inactive_file" if v1 else "inactive_file", 0)
    values: Values = [
        ("container_memory_usage_bytes", memory["usage"], {}),
        ("container_memory_working_set_bytes", max(memory["usage"] - inactive, 0), {}),
        ("container_memory_rss", detail.get("total_rss" if v1 else "anon"), {}),
        ("container_memory_cache", detail.get("total_cache" if v1 else "file"), {}),
        ("container_memory_mapped_file", detail.get("total_mapped_file" if v1 else "file_mapped"), {}),
        ("container_memory_swap", detail.get("total_swap") if v1 else None, {}),
        ("container_memory_max_usage_bytes", memory.get("max_usage"), {}),
        ("container_memory_failcnt", memory.get("failcnt"), {}),
    ]
    for kind in ("pgfault", "pgmajfault"):
        values.append(("container_memory_failures_total", detail.get(kind), {"type": kind, "scope": "container"}))
        values.append(("container_memory_failures_total", detail.get(f"total_{kind}"),
                       {"type": kind, "scope": "hierarchy"}))
    return values


def spec_values(host: dict[str, Any]) -> Values:
    """Limits from ``HostConfig``: unlimited memory is 0 (as cAdvisor reports it), unset shares 1024 and
    period 100000 (the cgroup defaults); a quota only when one is set."""
    period = host.get("CpuPeriod") or 100_000
    quota = host.get("CpuQuota") or (int(host.get("NanoCpus") or 0) * period // 1_000_000_000)
    return [("container_spec_memory_limit_bytes", host.get("Memory") or 0, {}),
            ("container_spec_memory_reservation_limit_bytes", host.get("MemoryReservation") or 0, {}),
            ("container_spec_cpu_shares", host.get("CpuShares") or 1024, {}),
            ("container_spec_cpu_period", period, {}),
            ("container_spec_cpu_quota", quota if quota > 0 else None, {})]


NETWORK_FIELDS = (("rx_bytes", "receive_bytes"), ("rx_packets", "receive_packets"), ("rx_errors", "receive_errors"),
                  ("rx_dropped", "receive_packets_dropped"), ("tx_bytes", "transmit_bytes"),
                  ("tx_packets", "transmit_packets"), ("tx_errors", "transmit_errors"),
                  ("tx_dropped", "transmit_packets_dropped"))


def network_values(stats: dict[str, Any]) -> Values:
    return [(f"container_network_{metric}_total", counters.get(field_name, 0), {"interface": interface})
            for interface, counters in sorted((stats.get("networks") or {}).items())
            for field_name, metric in NETWORK_FIELDS]


def blkio_values(stats: dict[str, Any], devices: dict[str, str]) -> Values:
    blkio = stats.get("blkio_stats") or {}
    values: Values = []
    for source, metric in (("io_service_bytes_recursive", "container_fs_{op}s_bytes_total"),
                           ("io_serviced_recursive", "container_fs_{op}s_total")):
        totals: dict[tuple[str, str], float] = {}
        for row in blkio.get(source) or []:
            op = str(row.get("op", "")).lower()
            if op in ("read", "write"):
                number = f"{row.get('major')}:{row.get('minor')}"
                device = devices.get(number, number)
                totals[(op, device)] = totals.get((op, device), 0) + float(row.get("value", 0))
        values += [(metric.format(op=op), value, {"device": device}) for (op, device), value in sorted(totals.items())]
    return values


def task_values(stats: dict[str, Any]) -> Values:
    pids = stats.get("pids_stats") or {}
    if "current" not in pids:
        return []
    limit = pids.get("limit")
    return [("container_threads", pids["current"], {}),
            ("container_threads_max", 0 if not limit or limit > 1 << 62 else limit, {})]


def container_samples(inspect: dict[str, Any], stats: dict[str, Any], store_labels: bool,
                      whitelist: set[str], devices: dict[str, str]) -> list[Sample]:
    """cAdvisor's series of one container, from ``docker inspect`` and one-shot ``docker stats``, each
    stamped with the time Docker read the stats (cAdvisor stamps its container samples too)."""
    config = inspect.get("Config") or {}
    labels = {"id": f"/docker/{inspect['Id']}", "image": str(config.get("Image") or ""),
              "name": str(inspect.get("Name") or "").lstrip("/")}
    for key, value in sorted((config.get("Labels") or {}).items()):
        if store_labels or key in whitelist:
            labels["container_label_" + "".join(c if c.isalnum() else "_" for c in key)] = str(value)
    read = stats.get("read") or ""
    try:
        timestamp = int(_timestamp(read) * 1000) if read and not read.startswith("0001") else None
    except ValueError:
        timestamp = None
    values: Values = []
    started = (inspect.get("State") or {}).get("StartedAt") or ""
    if started and not started.startswith("0001"):
        values.append(("container_start_time_seconds", round(_timestamp(started), 3), {}))
    values += cpu_values(stats) + memory_values(stats) + spec_values(inspect.get("HostConfig") or {})
    values += network_values(stats) + blkio_values(stats, devices) + task_values(stats)
    samples = [Sample("container_last_seen", labels, float(int(time.time())))]
    samples += [Sample(name, {**labels, **extra}, float(value), timestamp) for name, value, extra in values
                if value is not None]
    return samples


def root_samples(now_ms: int) -> list[Sample]:
    """The root cgroup (``id="/"``) from cgroup v1 files, when the host's /sys is mounted."""
    base = Path("/sys/fs/cgroup")
    labels = {"id": "/", "image": "", "name": ""}
    out: list[Sample] = []

    def read(path: Path) -> str | None:
        try:
            return path.read_text()
        except OSError:
            return None

    usage = read(base / "cpuacct" / "cpuacct.usage")
    if usage is not None:
        out.append(Sample("container_cpu_usage_seconds_total", {**labels, "cpu": "total"}, int(usage) / 1e9, now_ms))
        stat = read(base / "cpuacct" / "cpuacct.stat") or ""
        ticks = {k: int(v) for k, v in (line.split() for line in stat.splitlines() if len(line.split()) == 2)}
        hertz = os.sysconf("SC_CLK_TCK")
        if "user" in ticks:
            out.append(Sample("container_cpu_user_seconds_total", labels, ticks["user"] / hertz, now_ms))
        if "system" in ticks:
            out.append(Sample("container_cpu_system_seconds_total", labels, ticks["system"] / hertz, now_ms))
    memory = read(base / "memory" / "memory.usage_in_bytes")
    if memory is not None:
        detail = {k: int(v) for k, v in (line.split() for line in (read(base / "memory" / "memory.stat") or "")
                                         .splitlines() if len(line.split()) == 2)}
        used = int(memory)
        out.append(Sample("container_memory_usage_bytes", labels, used, now_ms))
        out.append(Sample("container_memory_working_set_bytes", labels,
                          max(used - detail.get("total_inactive_file", 0), 0), now_ms))
        if "total_rss" in detail:
            out.append(Sample("container_memory_rss", labels, detail["total_rss"], now_ms))
        if "total_cache" in detail:
            out.append(Sample("container_memory_cache", labels, detail["total_cache"], now_ms))
    return out


class Collector:
    def __init__(self, docker: Docker, interval: float, store_labels: bool, whitelist: set[str]) -> None:
        self.docker = docker
        self.interval = interval
        self.store_labels = store_labels
        self.whitelist = whitelist
        self.snapshot = Snapshot()
        self.machine: list[Sample] = []
        self.lock = threading.Lock()
        self.inspected: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, str] = {}
        self.pool = ThreadPoolExecutor(max_workers=8)

    def machine_info(self) -> None:
        info = self.docker.get("/info")
        version = self.docker.get("/version")
        self.machine = [
            Sample("machine_cpu_cores", {}, float(info.get("NCPU") or 0)),
            Sample("machine_memory_bytes", {}, float(info.get("MemTotal") or 0)),
            Sample("cadvisor_version_info", {
                "cadvisorRevision": "iid-standin", "cadvisorVersion": VERSION,
                "dockerVersion": str(version.get("Version") or ""), "kernelVersion": str(info.get("KernelVersion")
                                                                                        or ""),
                "osVersion": str(info.get("OperatingSystem") or "")}, 1.0),
        ]

    def collect(self) -> None:
        started = time.time()
        try:
            if not self.machine:
                self.machine_info()
            listed = self.docker.get("/containers/json")
            self.devices = _block_devices()
            results = list(self.pool.map(self._one, [c["Id"] for c in listed]))
            samples = [s for batch in results for s in batch]
            samples += root_samples(int(started * 1000))
            live = {c["Id"] for c in listed}
            self.inspected = {k: v for k, v in self.inspected.items() if k in live}
            snapshot = Snapshot(samples, "", started)
        except (OSError, ValueError, KeyError, FlagError) as error:
            snapshot = Snapshot(self.snapshot.samples, f"{type(error).__name__}: {error}", self.snapshot.collected)
            log(f"collection failed: {snapshot.error}")
        with self.lock:
            self.snapshot = snapshot

    def _one(self, container_id: str) -> list[Sample]:
        try:
            inspect = self.inspected.get(container_id) or self.docker.get(f"/containers/{container_id}/json")
            self.inspected[container_id] = inspect
            stats = self.docker.get(f"/containers/{container_id}/stats?stream=false&one-shot=true")
        except OSError as error:  # the container went away between listing and reading
            log(f"container {container_id[:12]}: {error}")
            return []
        return container_samples(inspect, stats, self.store_labels, self.whitelist, self.devices)

    def run(self, stop: threading.Event) -> None:
        while True:
            self.collect()
            if stop.wait(self.interval):
                return

    def exposition(self) -> bytes:
        with self.lock:
            snapshot = self.snapshot
        samples = [*self.machine, *snapshot.samples,
                   Sample("container_scrape_error", {}, 1.0 if snapshot.error else 0.0)]
        return render(samples)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(samples: Iterable[Sample]) -> bytes:
    by_name: dict[str, list[Sample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    lines = [f"# {STANDIN}"]
    for name in sorted(by_name):
        kind, text = HELP.get(name, ("gauge", name))
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        for sample in by_name[name]:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(sample.labels.items()))
            integral = sample.value == int(sample.value) and abs(sample.value) < 1e15
            value = f"{sample.value:.0f}" if integral else repr(sample.value)
            stamp = f" {sample.timestamp_ms}" if sample.timestamp_ms is not None else ""
            lines.append(f"{name}{{{labels}}} {value}{stamp}" if labels else f"{name} {value}{stamp}")
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------ HTTP


def serve(flags: dict[str, str]) -> int:
    interval = duration_seconds(flags["housekeeping_interval"])
    whitelist = {w for w in flags["whitelisted_container_labels"].split(",") if w}
    store_labels = flags["store_container_labels"].lower() in ("true", "1")
    if flags["docker_only"].lower() not in ("true", "1"):
        log("-docker_only=false: the stand-in reports Docker containers and the root cgroup only, whatever this flag")
    collector = Collector(Docker(flags["docker"]), interval, store_labels, whitelist)
    stop = threading.Event()
    threading.Thread(target=collector.run, args=(stop,), name="housekeeping", daemon=True).start()
    endpoint = flags["prometheus_endpoint"]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self.answer(head=False)

        def do_HEAD(self) -> None:
            self.answer(head=True)

        def answer(self, head: bool) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == endpoint:
                status, body, kind = 200, collector.exposition(), "text/plain; version=0.0.4; charset=utf-8"
            elif path == "/healthz":
                with collector.lock:
                    error = collector.snapshot.error
                ok = not error and collector.snapshot.collected > 0
                status, body, kind = (200, b"ok", "text/plain") if ok else (
                    500, f"unhealthy: {error or 'no collection yet'}".encode(), "text/plain")
            elif path in ("/", "/containers"):
                status, body, kind = 200, f"{STANDIN}\nsee {endpoint} and /healthz\n".encode(), "text/plain"
            else:
                status, body, kind = 404, b"404 page not found\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Iid-Standin", "cadvisor")
            self.end_headers()
            if not head:
                self.wfile.write(body)

    httpd = ThreadingHTTPServer((flags["listen_ip"] or "0.0.0.0", int(flags["port"])), Handler)
    httpd.daemon_threads = True

    def shutdown(number: int, frame: object) -> None:
        stop.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log(f"{STANDIN}; docker {flags['docker']}, housekeeping every {interval:g}s, listening on :{flags['port']}")
    httpd.serve_forever(poll_interval=0.5)
    httpd.server_close()
    return 0


def main(argv: list[str]) -> int:
    try:
        flags = parse_flags(argv)
        duration_seconds(flags["housekeeping_interval"])
    except FlagError as error:
        print(error, file=sys.stderr)
        return 2
    return serve(flags)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
