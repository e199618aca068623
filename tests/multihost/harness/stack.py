"""The multi-host stack on a fleet: its stack file, secrets, receivers and what the suite asks of it.

The stack is the committed example (``tests/multihost/stack.yaml``) with the fleet's hosts, the stand-in images,
a time-compressed profile and PagerDuty/heartbeat stand-ins.  Everything the stack deploys runs as rendered; the
harness only adds, inside each Alertmanager container's network namespace, a relay from its loopback to the
receivers on the machine's LAN address (the settings allow a plain-http receiver on loopback only, and each
container's loopback is its own).  The Pulumi CLI runs from a private copy of the built toolchain, so another
suite re-installing it meanwhile cannot pull a binary from under a run.
"""

from __future__ import annotations

import base64
import copy
import fcntl
import json
import os
import shutil
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.harness.project import PASSPHRASE, REPO, ScratchProject, toolchain_env
from tests.e2e.harness.stack import seed_dashboard_cache
from tests.multihost.harness.fleet import Fleet, FleetError, Host

STACK = "multihost"
NS = "internet-id-monitoring"
EXAMPLE = REPO / "tests" / "multihost" / "stack.yaml"
ROLES = {
    "h1": ["app", "monitoring", "alertmanager", "store", "grafana"],
    "h2": ["app", "monitoring", "alertmanager", "store"],
    "h3": ["postgres", "redis", "alertmanager"],
}
"""The example's three hosts on the fleet: h2 is the worst one to lose (an API replica, a Prometheus replica, a
peer and a store), h1 keeps Grafana."""
RECEIVER_PORT = 18089
"""The receivers' port on the machine's LAN address, and the relays' on each peer's loopback."""
PAGERDUTY_PATH = "/v2/enqueue"
HEARTBEAT_PATH = "/heartbeat"
ROUTING_KEY = "multihost-routing-key-0000000000000"
DATABASE_ROUTING_KEY = "multihost-routing-key-dba-111111111"
GRAFANA_PASSWORD = "multihost-grafana-admin-4711"

PROFILE: dict[str, Any] = {
    "prometheus": {"scrapeInterval": "10s", "scrapeTimeout": "5s", "evaluationInterval": "10s"},
    "rules": {"rateInterval": "1m", "overrides": {"HostDown": {"for": "20s"}, "CriticalErrorRate": {"for": "20s"}}},
    "alertmanagerCluster": {"peerTimeout": "1s", "settleTimeout": "1s"},
    "timing": {"critical": {"groupWait": "6s", "groupInterval": "30s", "repeatInterval": "1h"},
               "watchdog": {"groupWait": "5s", "groupInterval": "1m", "repeatInterval": "5m"}},
}
"""Time compression: 10 s scrapes and evaluations, HostDown and the critical error rate after 20 s, the critical
route's groupWait 6 s (off the 10 s evaluation grid by more than the peers' waits: docs/multi-host.md, "A rejoined
peer and the resolve") and groupInterval 30 s, 1 s peer and settle timeouts."""
SETTLE = 40.0
"""Long enough after an event for every peer to have flushed every group once more (groupInterval, plus the peers'
waits and delivery): what a scenario waits before counting pages."""


# ---------------------------------------------------------------------------------------------------- toolchain


def toolchain_cache() -> Path:
    """Where ``scripts/toolchain`` keeps its builds and installs (its own rule)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("IID_TOOLCHAIN_DIR") or Path(base) / "internet-id-monitoring" / "toolchain")


def private_toolchain(directory: Path) -> dict[str, str]:
    """The built Pulumi toolchain's environment, with its binaries and plugins hard-linked into ``directory``
    (under the toolchain's lock, so never half-installed; the links keep the files if it is re-installed)."""
    env = toolchain_env()
    cache = toolchain_cache()
    with open(cache / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for source, target in ((cache / "bin", directory / "bin"), (cache / "home" / "plugins",
                                                                    directory / "home" / "plugins")):
            shutil.copytree(source, target, copy_function=_link_or_copy)
    env["PATH"] = f"{directory / 'bin'}:{os.environ.get('PATH', '')}"
    env["PULUMI_HOME"] = str(directory / "home")
    return env


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def scratch_project(root: Path, toolchain: dict[str, str]) -> ScratchProject:
    """The project's files in ``root`` (as ``ScratchProject.create`` copies them) with a local backend and the
    private toolchain; no DOCKER_HOST: every host has its own provider."""
    template = ScratchProject.create(root, docker_host="unix:///nonexistent/multihost-uses-one-provider-per-host")
    env = {key: value for key, value in template.env.items() if key != "DOCKER_HOST"}
    env.update(toolchain)
    env.update({"PULUMI_BACKEND_URL": f"file://{root / '.pulumi-backend'}", "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    return ScratchProject(root=root, env=env)


# ---------------------------------------------------------------------------------------------------- the stack


def stack_document(fleet: Fleet, stand_ins: dict[str, str], data_root: Path) -> dict[str, Any]:
    """Pulumi.multihost.yaml: the committed example on the fleet's hosts, with the suite's images and profile."""
    document: dict[str, Any] = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    config = document["config"]
    config[f"{NS}:hosts"] = [{"name": host.name, "docker": host.docker_host, "address": host.address,
                              "roles": ROLES[host.name]} for host in fleet.hosts]
    config[f"{NS}:images"] = stand_ins
    config[f"{NS}:docker"] = {"dataRoot": str(data_root), "memoryMb": {"prometheus": 512, "victoria-metrics": 256}}
    # This sandbox: no systemd, no shared / mount, no /dev/disk (tests/e2e/stack.yaml says why).
    config[f"{NS}:nodeExporter"] = {"systemd": False, "followHostMounts": False}
    config[f"{NS}:cadvisor"] = {"diskDevices": False}
    config[f"{NS}:postgresExporter"] = {"collectors": []}
    config[f"{NS}:targets"] = {"postgres": {"useAppDevCredentials": True}}
    config[f"{NS}:prometheus"] = PROFILE["prometheus"]
    config[f"{NS}:rules"] = PROFILE["rules"]
    config[f"{NS}:alertmanagerCluster"] = PROFILE["alertmanagerCluster"]
    receivers = f"http://localhost:{RECEIVER_PORT}"
    config[f"{NS}:notifications"] = {
        "pagerduty": {"enabled": True, "url": receivers + PAGERDUTY_PATH},
        "timing": PROFILE["timing"],
    }
    return document


def stack_secrets(fleet: Fleet) -> dict[str, str]:
    """Every secret the stack reads: the fleet's TLS material (the CLI's client pair for the Docker APIs, each
    host's own pair for its daemons), the routing keys, Grafana's password."""
    client = fleet.hosts[0].client
    secrets = {
        f"{NS}:dockerTlsCa": client.ca.read_text(), f"{NS}:dockerTlsCert": client.cert.read_text(),
        f"{NS}:dockerTlsKey": client.key.read_text(), f"{NS}:hostTlsCa": client.ca.read_text(),
        f"{NS}:pagerdutyRoutingKey": ROUTING_KEY, f"{NS}:pagerdutyDatabaseRoutingKey": DATABASE_ROUTING_KEY,
        f"{NS}:grafanaAdminPassword": GRAFANA_PASSWORD,
        f"{NS}:heartbeatUrl": f"http://localhost:{RECEIVER_PORT}{HEARTBEAT_PATH}",  # the relay on each peer's loopback
    }
    for host in fleet.hosts:
        pair = fleet.server_tls(host.name)
        secrets[f"{NS}:hostTlsCert-{host.name}"] = pair.cert.read_text()
        secrets[f"{NS}:hostTlsKey-{host.name}"] = pair.key.read_text()
    return secrets


def init_stack(project: ScratchProject, fleet: Fleet, stand_ins: dict[str, str], data_root: Path) -> None:
    """Write the stack file (community dashboards played by the fixtures), create the stack, set its secrets on
    stdin (never on a command line)."""
    document = stack_document(fleet, stand_ins, data_root)
    project.write_stack_file(STACK, yaml.safe_dump(document, sort_keys=False))
    document["config"][f"{NS}:grafana"] = {**document["config"].get(f"{NS}:grafana", {}),
                                           "communityDashboards": seed_dashboard_cache(project, STACK)}
    project.write_stack_file(STACK, yaml.safe_dump(document, sort_keys=False))
    project.pulumi("stack", "init", STACK)
    for key, value in stack_secrets(fleet).items():
        project.pulumi("config", "set", "--secret", "--stack", STACK, key, stdin=value)


def set_drain(project: ScratchProject, index: int, drained: bool) -> None:
    """The documented way to drain a host (docs/multi-host.md)."""
    project.pulumi("config", "set", "--path", "--stack", STACK, f"{NS}:hosts[{index}].drain",
                   "true" if drained else "false")


# ---------------------------------------------------------------------------------------------------- receivers


@dataclass
class Event:
    at: float
    path: str
    body: dict[str, Any]
    sender: str = ""
    """The address the request came from: a host's LAN address, through its relay (which peer sent it)."""


@dataclass
class Receivers:
    """PagerDuty's Events API v2 and the heartbeat, on the machine's LAN address: every request recorded."""

    address: str
    port: int = RECEIVER_PORT
    events: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receivers:
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    parsed = json.loads(body or b"{}")
                except ValueError:
                    parsed = {}
                with receivers.lock:
                    receivers.events.append(Event(time.time(), self.path, parsed, self.client_address[0]))
                reply = json.dumps({"status": "success", "dedup_key": parsed.get("dedup_key", "")}).encode()
                self.send_response(202 if self.path == PAGERDUTY_PATH else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._server = ThreadingHTTPServer((self.address, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="multihost-receivers", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def pages(self, alertname: str, since: float = 0) -> list[Event]:
        """PagerDuty events of ``alertname`` (the payload's ``class``) since ``since``."""
        with self.lock:
            return [e for e in self.events if e.path == PAGERDUTY_PATH and e.at >= since
                    and e.body.get("payload", {}).get("class") == alertname]

    def _incidents(self, alertname: str) -> tuple[list[tuple[float, str]], set[str]]:
        """``(time, dedup key)`` of every incident ``alertname`` opened, and the keys still open: an incident opens
        with a trigger for a key with no open incident (a trigger for an open one is merged by PagerDuty; one after
        its resolve opens a new one)."""
        opened: list[tuple[float, str]] = []
        open_keys: set[str] = set()
        for event in self.pages(alertname):
            key, action = event.body.get("dedup_key", ""), event.body.get("event_action")
            if action == "trigger" and key not in open_keys:
                opened.append((event.at, key))
                open_keys.add(key)
            elif action == "resolve":
                open_keys.discard(key)
        return opened, open_keys

    def incidents(self, alertname: str, since: float = 0) -> list[str]:
        """The incidents ``alertname`` opened since ``since``.  Incidents opened before ``since`` count as open: a
        rejoined peer's duplicate firing of one is merged, not a page."""
        return [key for at, key in self._incidents(alertname)[0] if at >= since]

    def open_incidents(self, alertname: str) -> set[str]:
        return self._incidents(alertname)[1]

    def timeline(self, alertname: str, since: float, senders: dict[str, str]) -> str:
        """The PagerDuty events of ``alertname`` since ``since``, one per line with its sender's host name (from
        ``senders``: address -> name), for a failure message."""
        return "\n".join(f"+{e.at - since:.1f}s {e.body.get('event_action')} key {e.body.get('dedup_key', '')[:8]} "
                         f"from {senders.get(e.sender, e.sender)}" for e in self.pages(alertname, since))

    def all_incidents(self, since: float = 0) -> list[tuple[str, str]]:
        """``(alertname, dedup key)`` of every incident opened since ``since``, whatever the alert."""
        with self.lock:
            names = {e.body.get("payload", {}).get("class", "") for e in self.events if e.path == PAGERDUTY_PATH}
        return sorted((name, key) for name in names for key in self.incidents(name, since))

    def triggers(self, alertname: str, since: float = 0) -> list[Event]:
        """Every firing notification of ``alertname`` since ``since``, merged by PagerDuty or not."""
        return [e for e in self.pages(alertname, since) if e.body.get("event_action") == "trigger"]

    def resolves(self, alertname: str, since: float = 0) -> list[Event]:
        return [e for e in self.pages(alertname, since) if e.body.get("event_action") == "resolve"]

    def first_trigger(self, alertname: str, since: float = 0) -> Event | None:
        triggers = self.triggers(alertname, since)
        return triggers[0] if triggers else None


RELAY = """
import socket, sys, threading
target = (sys.argv[1], int(sys.argv[2]))
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[2]))); server.listen(16)
def pipe(a, b):
    try:
        while (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while True:
    client, _ = server.accept()
    try:
        upstream = socket.create_connection(target, timeout=10)
    except OSError:
        client.close(); continue
    for a, b in ((client, upstream), (upstream, client)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
"""


def start_relays(fleet: Fleet, python_image: str, peers: list[Host], container: str) -> None:
    """In each peer's Alertmanager container's network namespace, a relay from its loopback's receiver port to the
    receivers on the machine (re-run after the container was replaced or its host revived)."""
    for host in peers:
        name = "iidmh-receiver-relay"
        host.local_docker("rm", "-f", name, check=False)
        host.local_docker("run", "-d", "--name", name, "--label", fleet.label, "--network", f"container:{container}",
                          "--entrypoint", "python3", python_image, "-c", RELAY, fleet.machine_address,
                          str(RECEIVER_PORT))


# ---------------------------------------------------------------------------------------------------- the APIs


@dataclass
class Api:
    """HTTPS with the hosts' CA and the stack's credential (Prometheus, Alertmanager, vmauth on the LAN)."""

    ca: Path
    user: str
    password: str

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def raw(self, url: str, *, timeout: float = 10, method: str = "GET", body: Any = None) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=timeout, context=self.context()) as response:
            answer: bytes = response.read()
            return answer

    def get(self, url: str, *, timeout: float = 10, method: str = "GET", body: Any = None) -> Any:
        return json.loads(self.raw(url, timeout=timeout, method=method, body=body) or b"null")

    def query(self, base: str, promql: str, *, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": promql, **({"time": f"{at:.3f}"} if at is not None else {})}
        answer = self.get(f"{base}/api/v1/query?{urllib.parse.urlencode(params)}")
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def query_range(self, base: str, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        answer = self.get(f"{base}/api/v1/query_range?{urllib.parse.urlencode(params)}")
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result


def wait_for(what: str, condition: Callable[[], Any], timeout: float, interval: float = 2.0) -> Any:
    """Call ``condition()`` until it returns something truthy; fail naming ``what`` and the last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (OSError, ValueError, KeyError, urllib.error.URLError, FleetError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what} not within {timeout:.0f}s; last: {last!r}"[:2000])
