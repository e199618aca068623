"""The e2e stack: its stack file and secrets, and what the suite asks of it once deployed (Docker's view of
its containers and volumes, Prometheus' samples)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import string
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DASHBOARD_FIXTURES
from tests.e2e.harness.engine import Engine
from tests.e2e.harness.project import ScratchProject

STACK = "e2e"
STACK_TEMPLATE = Path(__file__).resolve().parents[1] / "stack.yaml"
NS = "internet-id-monitoring"

PROMETHEUS = "http://127.0.0.1:29090"
ALERTMANAGER = "http://127.0.0.1:29093"
"""The e2e stack's published ports (tests/e2e/stack.yaml)."""
STACK_LABEL = f"com.internet-id.stack={STACK}"
VOLUMES = ("alertmanager-data", "grafana-data", "prometheus-data")
LIVE_CONFIG = ("prometheus", "alertmanager", "blackbox-exporter", "grafana")
"""Containers whose files reach them through a config volume and a reload job (Grafana: files mode)."""
CONFIG_VOLUMES = tuple(f"{name}-config" for name in LIVE_CONFIG)
BENCHMARK_KEY = pytest.StashKey[dict[str, float]]()
"""Where the benchmark leaves its numbers for the terminal summary."""


def resource_types(steps: list[dict[str, Any]]) -> Counter[str]:
    """Resource types of a preview's steps, from their URNs (``…::parent$type::name``)."""
    return Counter(step["urn"].split("::")[-2].split("$")[-1] for step in steps)


def docker_json(engine: Engine, *args: str) -> Any:
    return json.loads(engine.docker(*args).stdout)


def _stack_containers(engine: Engine) -> dict[str, dict[str, Any]]:
    ids = engine.docker("ps", "-aq", "--filter", f"label={STACK_LABEL}").stdout.split()
    inspected = docker_json(engine, "inspect", *ids) if ids else []
    return {c["Config"]["Labels"]["com.internet-id.component"]: c for c in inspected}


def stack_containers(engine: Engine) -> dict[str, dict[str, Any]]:
    """``docker inspect`` of every monitoring container the stack created, by its component label."""
    return {name: c for name, c in _stack_containers(engine).items() if not name.endswith("-reload")}


def reload_jobs(engine: Engine) -> dict[str, dict[str, Any]]:
    """``docker inspect`` of the stack's reload jobs, by the component they reload."""
    jobs = _stack_containers(engine).items()
    return {name.removesuffix("-reload"): c for name, c in jobs if name.endswith("-reload")}


def stack_volumes(engine: Engine, volumes: tuple[str, ...] = VOLUMES) -> dict[str, dict[str, Any]]:
    names = [f"iidmon-{STACK}-{volume}" for volume in volumes]
    listed = set(engine.docker("volume", "ls", "-q").stdout.split())
    present = [name for name in names if name in listed]
    return {v["Name"]: v for v in docker_json(engine, "volume", "inspect", *present)} if present else {}


def longest_scrape_gap(job: str, start: float, end: float) -> float:
    """Longest time between two of Prometheus' samples of ``up{job}`` in [start, end] (a restart shows here)."""
    window = int(time.time() - start) + 60
    query = urllib.parse.quote(f'up{{job="{job}"}}[{window}s]')
    result = http_json(f"{PROMETHEUS}/api/v1/query?query={query}")["data"]["result"]
    stamps = sorted(float(t) for series in result for t, _ in series["values"] if start <= float(t) <= end)
    stamps = [start, *stamps, end]
    return max(b - a for a, b in itertools.pairwise(stamps))


WEB_AUTH: dict[str, tuple[str, str]] = {}
"""The credential Prometheus and Alertmanager require, by their URL, once a deploy generated it (``webAuth``)."""


def remember_web_auth(project: ScratchProject) -> tuple[str, str]:
    """Read the generated credential as an operator does (the secret stack output); ``http_json`` sends it."""
    password = project.pulumi("stack", "output", "webAuthPassword", "--show-secrets", "--stack", STACK).stdout.strip()
    user = project.pulumi("stack", "output", "webAuthUser", "--stack", STACK).stdout.strip()
    WEB_AUTH.update({PROMETHEUS: (user, password), ALERTMANAGER: (user, password)})
    return user, password


def http_json(url: str, *, timeout: float = 10, auth: tuple[str, str] | None = None,
              method: str = "GET", body: Any = None) -> Any:
    """One JSON request to a published port of the deployed stack (Prometheus and Alertmanager: with
    ``WEB_AUTH``)."""
    auth = auth or next((credential for base, credential in WEB_AUTH.items() if url.startswith(base)), None)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def wait_for(what: str, condition: Any, timeout: float, interval: float = 2.0) -> Any:
    """Call ``condition()`` until it returns something truthy; fail naming ``what`` and the last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (OSError, ValueError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"{what} not within {timeout:.0f}s; last: {last!r}"[:2000], pytrace=False)


def real_looking_secrets() -> dict[str, str]:
    """Fresh values, in the shapes of the real credentials, for every secret the e2e stack reads."""
    def token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))

    upper = string.ascii_uppercase + string.digits
    return {
        f"{NS}:grafanaAdminPassword": token(24),
        f"{NS}:postgresExporterPassword": token(20),
        f"{NS}:smtpPassword": token(16),
        f"{NS}:slackWebhookUrl": f"https://hooks.slack.com/services/T{token(8, upper)}/B{token(8, upper)}/{token(24)}",
        f"{NS}:pagerdutyRoutingKey": token(32, "0123456789abcdef"),
        f"{NS}:pagerdutyDatabaseRoutingKey": token(32, "0123456789abcdef"),
        f"{NS}:heartbeatUrl": f"https://hc-ping.invalid/{token(8, '0123456789abcdef')}-{token(4, '0123456789abcdef')}",
    }


def stack_document(stand_ins: dict[str, str], data_root: Path, docker_host: str, **overrides: Any) -> dict[str, Any]:
    """Pulumi.e2e.yaml: the committed template plus what only the running suite knows: the images, the engine's
    data root and its socket (cAdvisor's: ``/var/run/docker.sock`` may lead to another engine on this machine)."""
    document: dict[str, Any] = yaml.safe_load(STACK_TEMPLATE.read_text())
    config = document["config"]
    config[f"{NS}:images"] = stand_ins
    config[f"{NS}:docker"] = {**config.get(f"{NS}:docker", {}), "dataRoot": str(data_root)}
    config[f"{NS}:cadvisor"] = {**config.get(f"{NS}:cadvisor", {}), "dockerSocket": docker_host.removeprefix("unix://")}
    config.update(overrides)
    return document


def seed_dashboard_cache(project: ScratchProject, stack: str) -> list[dict[str, Any]]:
    """The stack's community dashboards, each played by one of our fixtures (grafana.com is out of reach).

    Returns the dashboards' settings pinned to the fixtures' sha256, as an operator pins them after
    ``dashboards fetch`` (a stack other than dev refuses unpinned ones).
    """
    listed = project.run(
        [".venv/bin/python", "-c", "import json; from components.config_source import settings_from_stack_file as s;"
         f" print(json.dumps([[d.cache_name, d.model_dump(by_alias=True, exclude_none=True)]"
         f" for d in s({stack!r}).grafana.community_dashboards]))"])
    dashboards = json.loads(listed.stdout)
    fixtures = itertools.cycle(sorted(DASHBOARD_FIXTURES.glob("*.json")))
    seeded = {name: next(fixtures) for name, _ in dashboards}
    project.seed_dashboards(seeded)
    return [{**setting, "sha256": hashlib.sha256(seeded[name].read_bytes()).hexdigest()}
            for name, setting in dashboards]
