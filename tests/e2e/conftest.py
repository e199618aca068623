"""The end-to-end suite's world: the built Pulumi toolchain, our own Docker engine, the stand-in
images, the Internet-ID app stand-ins, and a scratch copy of the project with its stack ``e2e``.

Nothing here skips: a missing toolchain, dockerd or image build fails the suite with a line that
says what is missing and how to get it (CI must never pass without having run it).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import images
from tests.e2e.harness.app import App, AppError
from tests.e2e.harness.engine import Engine, EngineError
from tests.e2e.harness.images import ImageError
from tests.e2e.harness.project import REPO, TOOLCHAIN, ScratchProject, ToolchainMissingError, toolchain_env
from tests.e2e.harness.stack import BENCHMARK_KEY, NS, STACK, real_looking_secrets, seed_dashboard_cache, stack_document

MONITORING_ROLE = "monitoring"
"""The database role postgres-exporter logs in as (``targets.postgres.user`` of the e2e stack)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test (``-m e2e`` selects them, ``-m "not e2e"`` leaves them out)."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    results = config.stash.get(BENCHMARK_KEY, None)
    if results:
        terminalreporter.section("e2e benchmark (real pulumi up)")
        for name, value in results.items():
            terminalreporter.write_line(f"{name}: {value:g}")


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


@pytest.fixture(scope="session")
def stack_secrets() -> dict[str, str]:
    return real_looking_secrets()


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
    document = stack_document(stand_in_images, engine.data_root, engine.docker_host)
    scratch.write_stack_file(STACK, yaml.safe_dump(document, sort_keys=False))
    grafana = document["config"].setdefault(f"{NS}:grafana", {})
    grafana["communityDashboards"] = seed_dashboard_cache(scratch, STACK)
    scratch.write_stack_file(STACK, yaml.safe_dump(document, sort_keys=False))
    scratch.pulumi("stack", "init", STACK)
    for key, value in stack_secrets.items():  # on stdin: never on a command line
        scratch.pulumi("config", "set", "--secret", "--stack", STACK, key, stdin=value)
    yield scratch
    scratch.pulumi("state", "unprotect", "--all", "--yes", "--stack", STACK, check=False)
    scratch.pulumi("destroy", "--yes", "--stack", STACK, check=False)
