"""Stand-in HTTP servers answering like Prometheus 2.x, Alertmanager 0.25+ (/api/v2) and Grafana 10.

Each starts healthy for a given ``Expected``; a test breaks one answer by replacing a route or
editing the state (``targets``, ``groups``, …) and checks that ``verify`` names what broke.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import yaml

from components.operator.expected import Expected


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Answer = tuple[int, Any]
Handler = Callable[[Request], Answer]


class JsonServer:
    """A threaded loopback HTTP server: ``routes`` maps a path to a handler or a fixed answer.

    A path ending in ``/*`` matches every path below it.  Unknown paths answer 404.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Handler | Answer] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                request = Request(self.command, split.path, urllib.parse.parse_qs(split.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with server.lock:
                    server.requests.append(request)
                status, document = server.answer(request)
                data = document if isinstance(document, bytes) else json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, request: Request) -> Answer:
        route = self.routes.get(request.path)
        if route is None:
            for path, candidate in self.routes.items():
                if path.endswith("/*") and request.path.startswith(path[:-1]):
                    route = candidate
                    break
        if route is None:
            return 404, {"message": "Not found"}
        return route(request) if callable(route) else route

    def start(self) -> Self:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _success(data: Any) -> Answer:
    return 200, {"status": "success", "data": data}


class PrometheusStandIn(JsonServer):
    def __init__(self, expected: Expected) -> None:
        super().__init__()
        self.targets: list[dict[str, Any]] = [
            {"labels": {"job": job, "instance": f"{job}:9999"}, "scrapePool": job, "health": "up", "lastError": ""}
            for job in expected.jobs
        ]
        self.groups: list[dict[str, Any]] = [
            {"name": name, "file": f"/etc/prometheus/rules/{name}.yml",
             "rules": [{"name": f"{name}-rule", "health": "ok", "lastError": "",
                        "lastEvaluation": "2026-11-26T10:00:00Z", "type": "alerting"}]}
            for name in expected.rule_groups
        ]
        self.alertmanagers: list[dict[str, str]] = [{"url": "http://alertmanager:9093/api/v2/alerts"}]
        self.probe: list[dict[str, Any]] = [
            {"metric": {"job": "blackbox", "service": "api", "instance": "http://api:3001/api/health"},
             "value": [1.0, "1"]}]
        self.routes.update({
            "/-/ready": (200, b"Prometheus Server is Ready.\n"),
            "/api/v1/targets": lambda _: _success({"activeTargets": self.targets, "droppedTargets": []}),
            "/api/v1/rules": lambda _: _success({"groups": self.groups}),
            "/api/v1/alertmanagers": lambda _: _success(
                {"activeAlertmanagers": self.alertmanagers, "droppedAlertmanagers": []}),
            "/api/v1/query": lambda _: _success({"resultType": "vector", "result": self.probe}),
        })


ROUTED = {"critical": ["pagerduty-critical", "slack-critical"], "warning": ["slack-warnings"], "info": ["email-info"]}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class AlertmanagerStandIn(JsonServer):
    """Keeps posted alerts; lists the unresolved ones with receivers routed by severity like the real tree.  Its
    loaded config gives the receivers in ``delivering`` an integration (a webhook), the others none (as dev's)."""

    def __init__(self, expected: Expected) -> None:
        super().__init__()
        self.receivers = list(expected.receivers)
        self.delivering: set[str] = set()
        self.posted: list[dict[str, Any]] = []
        self.alerts: dict[str, dict[str, Any]] = {
            "Watchdog": {"labels": {"alertname": "Watchdog", "severity": "none"},
                         "endsAt": "2999-01-01T00:00:00Z", "startsAt": "2026-11-26T10:00:00Z"},
        }
        self.routes.update({
            "/-/ready": (200, b"OK"),
            "/api/v2/status": lambda _: (200, {
                "config": {"original": yaml.safe_dump(
                    {"route": {"receiver": "default"}, "receivers": [
                        {"name": n, **({"webhook_configs": [{"url": "http://127.0.0.1:1/"}]} if n in self.delivering
                                       else {})} for n in self.receivers]})},
                "cluster": {"status": "disabled"}, "versionInfo": {"version": "0.25.0"}}),
            "/api/v2/alerts": self._alerts,
        })

    def _alerts(self, request: Request) -> Answer:
        if request.method == "POST":
            for alert in request.body:
                self.posted.append(alert)
                self.alerts[json.dumps(alert["labels"], sort_keys=True)] = alert
            return 200, b""
        now = datetime.now(UTC)
        matchers = [f.split("=", 1) for f in request.query.get("filter", [])]
        listed = []
        for alert in list(self.alerts.values()):
            if _parse_time(alert["endsAt"]) <= now:
                continue
            if all(alert["labels"].get(k) == v.strip('"') for k, v in matchers):
                receivers = ROUTED.get(alert["labels"].get("severity", ""), ["watchdog"])
                listed.append({**alert, "receivers": [{"name": r} for r in receivers],
                               "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
                               "fingerprint": "0123456789abcdef"})
        return 200, listed


class GrafanaStandIn(JsonServer):
    """Grafana 10's /api/health, /api/datasources/uid/<uid>/health and /api/dashboards/uid/<uid> (basic auth)."""

    def __init__(self, *, dashboards: set[str], user: str = "admin", password: str = "stand-in-password-1234",
                 datasource_uid: str = "prometheus") -> None:
        super().__init__()
        self.user, self.password, self.datasource_uid = user, password, datasource_uid
        self.dashboards = set(dashboards)
        self.datasource_ok = True
        self.database = "ok"
        self.routes.update({
            "/api/health": lambda _: (200, {"commit": "stand-in", "database": self.database, "version": "10.2.2"}),
            "/api/datasources/uid/*": self._datasource,
            "/api/dashboards/uid/*": self._dashboard,
            "/api/search": lambda r: self._authorized(r) or (200, [
                {"uid": uid, "title": uid, "type": "dash-db"} for uid in sorted(self.dashboards)]),
        })

    def _authorized(self, request: Request) -> Answer | None:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return 401, {"message": "Invalid username or password"}
        return None

    def _datasource(self, request: Request) -> Answer:
        if (denied := self._authorized(request)) is not None:
            return denied
        parts = request.path.split("/")  # /api/datasources/uid/<uid>/health
        if len(parts) != 6 or parts[5] != "health" or parts[4] != self.datasource_uid:
            return 404, {"message": "Data source not found"}
        if not self.datasource_ok:
            return 400, {"status": "ERROR", "message": "Post \"http://prometheus:9090/api/v1/query\": dial tcp: "
                                                       "lookup prometheus: no such host"}
        return 200, {"status": "OK", "message": "Successfully queried the Prometheus API."}

    def _dashboard(self, request: Request) -> Answer:
        if (denied := self._authorized(request)) is not None:
            return denied
        uid = request.path.rsplit("/", 1)[-1]
        if uid not in self.dashboards:
            return 404, {"message": "Dashboard not found"}
        return 200, {"dashboard": {"uid": uid, "title": uid}, "meta": {"slug": uid}}
