"""A stand-in for the Internet-ID API: the real metric names, labels, buckets and health shape.

Metrics follow the API's ``scripts/services/metrics.service.ts`` (prom-client, custom registry,
no prefix).  ``/api/health`` answers like
``scripts/routes/health.routes.ts``: 200 with ``status: ok``, 503 with
``status: degraded``, and it writes ``health_check_status`` the way the API does.

The test steers it: ``down()`` closes the port (Prometheus sees a refused connection),
``up()`` reopens it, ``flap(down_for, up_for)`` alternates the two (a crash loop seen from outside)
until ``steady()``; ``set_error_ratio``, ``set_latency`` and ``set_service_health`` shape the
traffic a background thread records (``requests_per_tick`` requests every ``tick`` seconds);
``rename_request_metrics(prefix)`` serves the request families under another name, as a deploy that gave
prom-client a prefix would.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from tests.live.harness.ports import LOOPBACK

# prom-client exposes no ``*_created`` series; neither does this stand-in.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10)
VERIFICATION_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30)
SLOW_BUCKETS = (1, 5, 10, 30, 60, 120, 300)
DB_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1)

ServiceName = Literal["database", "cache", "blockchain"]


class ApiMetrics:
    """The API's registry: every metric it declares, recorded or not."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        labels = ["method", "route", "status_code"]
        self.duration = Histogram(
            "http_request_duration_seconds", "Duration of HTTP requests in seconds", labels,
            buckets=HTTP_BUCKETS, registry=r,
        )
        self.requests = Counter("http_requests_total", "Total number of HTTP requests", labels, registry=r)
        # Declared by the API but never recorded: HELP/TYPE only, no samples (as prom-client).
        Counter("verification_total", "Total verifications", ["outcome", "platform"], registry=r)
        Histogram("verification_duration_seconds", "Verification duration", ["outcome", "platform"],
                  buckets=VERIFICATION_BUCKETS, registry=r)
        Histogram("ipfs_upload_duration_seconds", "IPFS upload duration", ["provider"],
                  buckets=SLOW_BUCKETS, registry=r)
        Counter("ipfs_uploads_total", "IPFS uploads", ["provider", "status"], registry=r)
        self.cache_hits = Counter("cache_hits_total", "Cache hits", ["cache_type"], registry=r)
        self.cache_misses = Counter("cache_misses_total", "Cache misses", ["cache_type"], registry=r)
        Histogram("db_query_duration_seconds", "Database query duration", ["operation", "table"],
                  buckets=DB_BUCKETS, registry=r)
        Counter("blockchain_transactions_total", "Blockchain transactions", ["operation", "status", "chain_id"],
                registry=r)
        Histogram("blockchain_transaction_duration_seconds", "Blockchain transaction duration",
                  ["operation", "chain_id"], buckets=SLOW_BUCKETS, registry=r)
        Gauge("queue_depth", "Queue depth", ["queue_name"], registry=r)
        self.active_connections = Gauge("active_connections", "Number of active connections", registry=r)
        self.health = Gauge("health_check_status", "Health check status (1 = healthy, 0 = unhealthy)",
                            ["service", "status"], registry=r)
        # collectDefaultMetrics(): the process_* family (of this process) and a few nodejs_* gauges.
        ProcessCollector(registry=r)
        self.eventloop_lag = Gauge("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds", registry=r)
        self.heap_used = Gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes",
                               registry=r)
        version = Gauge("nodejs_version_info", "Node.js version info", ["version", "major", "minor", "patch"],
                        registry=r)
        version.labels("v20.11.1", "20", "11", "1").set(1)
        self.eventloop_lag.set(0.002)
        self.heap_used.set(48_000_000)

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        code = str(status)
        self.requests.labels(method, route, code).inc()
        self.duration.labels(method, route, code).observe(seconds)


class ApiStandIn:
    """The API on ``127.0.0.1:port``: ``/api/metrics``, ``/api/health``, synthetic traffic."""

    def __init__(self, port: int, *, tick: float = 0.1, requests_per_tick: int = 10) -> None:
        self.port = port
        self.tick = tick
        self.requests_per_tick = requests_per_tick
        self.metrics = ApiMetrics()
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._error_ratio = 0.0
        self._latency = 0.02
        self._cache_hit_ratio: float | None = None
        self._request_prefix: str | None = None
        self._services: dict[str, dict[str, Any]] = {
            "database": {"status": "healthy"},
            "cache": {"status": "healthy", "enabled": True},
            "blockchain": {"status": "healthy", "blockNumber": 19_000_000},
        }
        self._server: ThreadingHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._traffic = threading.Thread(target=self._traffic_loop, name="api-standin-traffic", daemon=True)
        self.health_calls = 0
        self._answering = threading.Event()
        self._answering.set()
        self._flapper: threading.Thread | None = None
        self._steady = threading.Event()
        self.flap_log: list[tuple[float, bool]] = []
        """(time.time(), listening) at each switch of the last ``flap``."""

    # -- test controls -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def set_error_ratio(self, ratio: float) -> None:
        """Share of synthetic requests answered 500 (recorded as ``status_code="500"``)."""
        with self._lock:
            self._error_ratio = min(max(ratio, 0.0), 1.0)

    def set_cache_hit_ratio(self, ratio: float | None) -> None:
        """Record cache hits/misses at this ratio (the API declares the counters but never records
        them today; ``None``, the default, keeps them without samples)."""
        with self._lock:
            self._cache_hit_ratio = ratio

    def set_latency(self, seconds: float) -> None:
        """Duration recorded for every synthetic request."""
        with self._lock:
            self._latency = seconds

    def set_service_health(self, service: ServiceName, healthy: bool, error: str = "stand-in failure") -> None:
        """Make ``/api/health`` report one dependency (un)healthy; any unhealthy one degrades it."""
        with self._lock:
            if service == "cache":
                self._services["cache"] = {"status": "healthy" if healthy else "degraded", "enabled": True}
            elif healthy:
                self._services[service] = {"status": "healthy"}
                if service == "blockchain":
                    self._services[service]["blockNumber"] = 19_000_000
            else:
                self._services[service] = {"status": "unhealthy", "error": error}

    def rename_request_metrics(self, prefix: str | None) -> None:
        """Serve ``http_requests_total`` and ``http_request_duration_seconds`` as ``<prefix>http_…`` (``# HELP``,
        ``# TYPE`` and samples), as after a deploy that gave prom-client a prefix; ``None`` restores the names.
        The process and Node.js families keep theirs (prom-client's default metrics take no prefix of the
        registry's)."""
        with self._lock:
            self._request_prefix = prefix

    def exposition(self) -> bytes:
        """``/api/metrics``: the registry, with the request families renamed if ``rename_request_metrics`` says so."""
        text = generate_latest(self.metrics.registry)
        with self._lock:
            prefix = self._request_prefix
        if prefix is None:
            return text
        return re.sub(rb"^(# (?:HELP|TYPE) )?(http_request)", rb"\1" + prefix.encode() + rb"\2", text, flags=re.M)

    def flap(self, down_for: float, up_for: float) -> None:
        """Go down now, come back after ``down_for`` seconds, go down again after ``up_for`` … until ``steady()``.

        Switches follow a fixed schedule from the start (not sleeps added up), so phases do not drift.
        """
        self.steady()
        self._steady.clear()
        self.flap_log = []

        def loop() -> None:
            start, switches = time.monotonic(), 0
            while True:
                listening = switches % 2 == 1
                (self.up if listening else self.down)()
                self.flap_log.append((time.time(), listening))
                switches += 1
                periods, rest = divmod(switches, 2)
                due = start + periods * (down_for + up_for) + rest * down_for
                if self._steady.wait(max(0.0, due - time.monotonic())):
                    return

        self._flapper = threading.Thread(target=loop, name="api-standin-flap", daemon=True)
        self._flapper.start()

    def steady(self) -> None:
        """Stop flapping and stay up."""
        self._steady.set()
        if self._flapper is not None:
            self._flapper.join(timeout=5)
            self._flapper = None
        self.up()

    def reset(self) -> None:
        """Healthy, no errors, fast, reachable."""
        self.steady()
        self.set_error_ratio(0.0)
        self.set_cache_hit_ratio(None)
        self.rename_request_metrics(None)
        self.answer()
        self.set_latency(0.02)
        services: tuple[ServiceName, ...] = ("database", "cache", "blockchain")
        for service in services:
            self.set_service_health(service, True)
        self.up()

    def hang(self) -> None:
        """Keep the port open but stop answering: requests wait (until ``answer()``, at most 60s)."""
        self._answering.clear()

    def answer(self) -> None:
        self._answering.set()

    def up(self) -> None:
        """Listen again on the same port."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer((LOOPBACK, self.port), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._serve_thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="api-standin-http", daemon=True
        )
        self._serve_thread.start()

    def down(self) -> None:
        """Close the port: scrapes and probes get ``connection refused``."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=5)
            self._serve_thread = None

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> ApiStandIn:
        self.up()
        self._traffic.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._steady.set()
        if self._flapper is not None:
            self._flapper.join(timeout=5)
        self.answer()
        self.down()
        if self._traffic.is_alive():
            self._traffic.join(timeout=5)

    # -- behaviour -----------------------------------------------------------------------
    def _traffic_loop(self) -> None:
        routes = ("/contents/:hash", "/verify", "/stats")
        i = 0
        errors_due = hits_due = 0.0  # fractional carry, so the ratios hold exactly over time
        while not self._stop.wait(self.tick):
            if not self.is_up:
                continue  # a dead API records nothing
            with self._lock:
                ratio, latency, hit_ratio = self._error_ratio, self._latency, self._cache_hit_ratio
            errors_due += ratio * self.requests_per_tick
            errors = int(errors_due)
            errors_due -= errors
            for n in range(self.requests_per_tick):
                status = 500 if n < errors else 200
                self.metrics.record("GET", routes[i % len(routes)], status, latency)
                i += 1
            if hit_ratio is not None:
                hits_due += hit_ratio * self.requests_per_tick
                hits = int(hits_due)
                hits_due -= hits
                self.metrics.cache_hits.labels("content").inc(hits)
                self.metrics.cache_misses.labels("content").inc(self.requests_per_tick - hits)

    def health_document(self) -> tuple[int, dict[str, Any]]:
        """The body and status of ``GET /api/health``; updates ``health_check_status`` like the API."""
        with self._lock:
            services = json.loads(json.dumps(self._services))
        gauge = self.metrics.health
        db_ok = services["database"]["status"] == "healthy"
        gauge.labels("database", "healthy" if db_ok else "unhealthy").set(1 if db_ok else 0)
        cache_ok = services["cache"]["status"] in ("healthy", "disabled")
        gauge.labels("cache", "healthy" if cache_ok else "degraded").set(1 if cache_ok else 0)
        chain_ok = services["blockchain"]["status"] == "healthy"
        gauge.labels("blockchain", "healthy" if chain_ok else "unhealthy").set(1 if chain_ok else 0)
        overall = "ok" if db_ok and cache_ok and chain_ok else "degraded"
        gauge.labels("api", overall).set(1 if overall == "ok" else 0)
        body = {
            "status": overall,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "uptime": round(time.monotonic() - self.started, 3),
            "services": services,
        }
        return (200 if overall == "ok" else 503), body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 as Express answers (the probe module accepts only 1.1 and 2), but one request
            # per connection: a kept-alive scrape connection would outlive ``down()``.
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                started = time.monotonic()
                if not standin._answering.wait(timeout=60):
                    return
                if path == "/api/metrics":
                    self._send(200, standin.exposition(), CONTENT_TYPE_LATEST)
                    return  # the metrics route ends the response itself: not recorded
                if path == "/api/health":
                    standin.health_calls += 1
                    status, document = standin.health_document()
                    self._send(status, json.dumps(document).encode(), "application/json; charset=utf-8")
                    standin.metrics.record("GET", "/health", status, time.monotonic() - started)
                    return
                self._send(404, b"Not Found", "text/plain")

        return Handler


class StaticSite:
    """A page that answers 200 (the web app stand-in the blackbox exporter probes)."""

    def __init__(self, port: int, body: bytes = b"<!doctype html><title>Internet-ID</title>") -> None:
        self.port = port
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

        self.body = body
        self._server = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="static-site", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def start(self) -> StaticSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class MetricsStandIn:
    """``/metrics`` with a fixed exposition: cAdvisor and Grafana, stand-ins in the live suite.

    Like a sick exporter it can ``hang()`` (port open, no answer until ``answer()``) or answer ``slow(seconds)``
    late; ``reset()`` makes it prompt again."""

    def __init__(self, port: int, registry: CollectorRegistry) -> None:
        self.port = port
        self.registry = registry
        self._answering = threading.Event()
        self._answering.set()
        self.delay = 0.0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if not standin._answering.wait(timeout=60):
                    return
                time.sleep(standin.delay)
                if self.path.split("?", 1)[0] != "/metrics":
                    body, status, kind = b"Not Found", 404, "text/plain"
                else:
                    body, status, kind = generate_latest(standin.registry), 200, CONTENT_TYPE_LATEST
                # A late answer finds the scrape gone (Prometheus timed out): nothing to write to.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self._server = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"metrics-{port}", daemon=True)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def hang(self) -> None:
        """Keep the port open but stop answering (until ``answer()``, at most 60 s per request)."""
        self._answering.clear()

    def answer(self) -> None:
        self._answering.set()

    def slow(self, seconds: float) -> None:
        """Answer every request ``seconds`` late."""
        self.delay = seconds

    def reset(self) -> None:
        self.slow(0.0)
        self.answer()

    def start(self) -> MetricsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.answer()
        self._server.shutdown()
        self._server.server_close()


class AppContainers(Collector):
    """``container_cpu_usage_seconds_total`` of the app's containers, as cAdvisor 0.47 reports it (labels ``id``,
    ``name``, ``image``, ``cpu``): a stand-in, since Debian packages no cAdvisor.

    Each collect adds CPU time.  ``restart_in_place(name)`` is what Docker's restart policy does after a crash or an
    OOM kill: the same container (same ``id``: one series) in a re-created cgroup, whose counter starts again near
    zero.  ``replace(name)`` is a deploy: a new container, so a new ``id`` (a new series) counting from zero.  The real
    cAdvisor's behaviour, not exercised here: ``container_start_time_seconds`` is the container's creation and does
    not move on a restart in place.
    """

    IMAGES = {"internet-id-db-1": "postgres:16-alpine", "internet-id-web-1": "internet-id-web:stand-in"}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cpu: dict[str, tuple[str, float]] = {}
        self.reset()

    def reset(self) -> None:
        """Every container fresh (new ids), as after a deploy of the whole app."""
        with self._lock:
            self._cpu = {name: (self._new_id(), 0.0) for name in self.IMAGES}

    @staticmethod
    def _new_id() -> str:
        return f"/system.slice/docker-{uuid.uuid4().hex}.scope"

    def restart_in_place(self, name: str) -> None:
        with self._lock:
            container_id, _ = self._cpu[name]
            self._cpu[name] = (container_id, 0.1)

    def replace(self, name: str) -> None:
        with self._lock:
            self._cpu[name] = (self._new_id(), 0.0)

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
                                     labels=["id", "name", "image", "cpu"])
        with self._lock:
            for name, (container_id, used) in self._cpu.items():
                self._cpu[name] = (container_id, used + 0.5)
                family.add_metric([container_id, name, self.IMAGES[name], "total"], used + 0.5)
        yield family


def cadvisor_registry(app: AppContainers | None = None) -> CollectorRegistry:
    """A few cAdvisor series for the monitoring containers (names and labels as cAdvisor 0.47), and ``app``'s."""
    registry = CollectorRegistry()
    if app is not None:
        registry.register(app)
    labels = ["id", "name", "image"]
    usage = Gauge("container_memory_working_set_bytes", "Current working set in bytes.", labels, registry=registry)
    limit = Gauge("container_spec_memory_limit_bytes", "Memory limit for the container.", labels, registry=registry)
    for name, image, used, cap in (
        ("iidmon-live-prometheus", "prom/prometheus:v2.48.0", 180e6, 1024e6),
        ("iidmon-live-alertmanager", "prom/alertmanager:v0.26.0", 30e6, 128e6),
    ):
        usage.labels(f"/docker/{name}", name, image).set(used)
        limit.labels(f"/docker/{name}", name, image).set(cap)
    Gauge("cadvisor_version_info", "cAdvisor version", ["cadvisorVersion"], registry=registry).labels("v0.47.2").set(1)
    return registry


def grafana_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("grafana_build_info", "Grafana build info", ["version", "edition"], registry=registry).labels(
        "10.2.2", "oss").set(1)
    return registry
