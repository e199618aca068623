"""The end-to-end suite's world: the built Pulumi toolchain, our own Docker engine, the stand-in
images, the Internet-ID app stand-ins, and a scratch copy of the project with its stack ``e2e``.

Nothing here skips: a missing toolchain, dockerd or image build fails the suite with a line that
says what is missing and how to get it (CI must never pass without having run it).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import secrets
import string
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DASHBOARD_FIXTURES
from tests.e2e.harness import images
from tests.e2e.harness.app import App, AppError
from tests.e2e.harness.engine import Engine, EngineError
from tests.e2e.harness.images import ImageError
from tests.e2e.harness.project import REPO, TOOLCHAIN, ScratchProject, ToolchainMissingError, toolchain_env

STACK = "e2e"
STACK_TEMPLATE = Path(__file__).resolve().parent / "stack.yaml"
NS = "internet-id-monitoring"
MONITORING_ROLE = "monitoring"
"""The database role postgres-exporter logs in as (``targets.postgres.user`` of the e2e stack)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test (``-m e2e`` selects them, ``-m "not e2e"`` leaves them out)."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def toolchain(request: pytest.FixtureRequest) -> dict[str, str]:
    """The built toolchain; built here first (minutes, output shown as it goes) when it is missing."""
    if subprocess.run([str(TOOLCHAIN), "--check"], capture_output=True, check=False).returncode != 0:
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            built = subprocess.run([str(TOOLCHAIN)], check=False)
        if built.returncode != 0:
            pytest.fail("the end-to-end suite needs the Pulumi toolchain and scripts/toolchain could not build it "
                        "(its message is above)", pytrace=False)
    try:
        return toolchain_env()
    except ToolchainMissingError as error:
        pytest.fail(f"the end-to-end suite needs the built Pulumi toolchain: {error}", pytrace=False)


@pytest.fixture(scope="session")
def engine(toolchain: dict[str, str]) -> Iterator[Engine]:
    try:
        started = Engine().start()
    except EngineError as error:
        pytest.fail(f"the end-to-end suite needs a Docker engine: {error}", pytrace=False)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def stand_in_images(engine: Engine) -> dict[str, str]:
    """``images.*`` settings that select the stand-ins, built in the engine when missing."""
    try:
        images.ensure_parallel(engine.docker_host, images.PRODUCT_IMAGES)
    except ImageError as error:
        pytest.fail(f"stand-in images could not be built: {error}", pytrace=False)
    return images.stack_images()


@pytest.fixture(scope="session")
def app(engine: Engine) -> Iterator[App]:
    try:
        running = App(engine.docker_host).up()
    except (AppError, ImageError) as error:
        pytest.fail(f"the Internet-ID app stand-ins could not start: {error}", pytrace=False)
    try:
        yield running
    finally:
        running.down()


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
    }


@pytest.fixture(scope="session")
def stack_secrets() -> dict[str, str]:
    return real_looking_secrets()


def stack_document(stand_ins: dict[str, str], data_root: Path, **overrides: Any) -> dict[str, Any]:
    """Pulumi.e2e.yaml: the committed template plus what only the running suite knows."""
    document: dict[str, Any] = yaml.safe_load(STACK_TEMPLATE.read_text())
    config = document["config"]
    config[f"{NS}:images"] = stand_ins
    config[f"{NS}:docker"] = {**config.get(f"{NS}:docker", {}), "dataRoot": str(data_root)}
    config.update(overrides)
    return document


def seed_dashboard_cache(project: ScratchProject, stack: str) -> None:
    """The stack's community dashboards, each played by one of our fixtures (grafana.com is out of reach)."""
    listed = project.run(
        [".venv/bin/python", "-c", "import json; from components.config_source import settings_from_stack_file as s;"
         f" print(json.dumps([d.cache_name for d in s({stack!r}).grafana.community_dashboards]))"])
    names = json.loads(listed.stdout)
    fixtures = itertools.cycle(sorted(DASHBOARD_FIXTURES.glob("*.json")))
    project.seed_dashboards({name: next(fixtures) for name in names})


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, engine: Engine, app: App, stand_in_images: dict[str, str],
            stack_secrets: dict[str, str]) -> Iterator[ScratchProject]:
    """The scratch project with stack ``e2e`` initialised, its config and secrets set, nothing deployed.

    At the end whatever is still deployed is destroyed (so the app's network can go too).
    """
    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.fail("the project's .venv is missing: run scripts/bootstrap --test", pytrace=False)
    root = tmp_path_factory.mktemp("project")
    scratch = ScratchProject.create(root, docker_host=engine.docker_host)
    password = stack_secrets[f"{NS}:postgresExporterPassword"]
    app.exec("db", "psql", "-q", "-U", "internetid", "-d", "internetid", "-c",
             f"CREATE ROLE {MONITORING_ROLE} LOGIN PASSWORD '{password}' IN ROLE pg_monitor")
    document = stack_document(stand_in_images, engine.data_root)
    scratch.write_stack_file(STACK, yaml.safe_dump(document, sort_keys=False))
    seed_dashboard_cache(scratch, STACK)
    scratch.pulumi("stack", "init", STACK)
    for key, value in stack_secrets.items():  # on stdin: never on a command line
        scratch.pulumi("config", "set", "--secret", "--stack", STACK, key, stdin=value)
    yield scratch
    scratch.pulumi("state", "unprotect", "--all", "--yes", "--stack", STACK, check=False)
    scratch.pulumi("destroy", "--yes", "--stack", STACK, check=False)


def http_json(url: str, *, timeout: float = 10, auth: tuple[str, str] | None = None,
              method: str = "GET", body: Any = None) -> Any:
    """One JSON request to a published port of the deployed stack."""
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

