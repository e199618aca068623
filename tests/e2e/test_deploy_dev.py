"""The README's first command, ``scripts/deploy-dev``, as a new user meets it.

It runs as written in a scratch copy of the project, with the built Pulumi CLI on PATH and our
engine as the Docker daemon.  The engine cannot pull, so the stand-in images are tagged there
with the official names the dev stack asks for (``prom/prometheus:v2.48.0``, …): the dev stack
file is the committed one, every result about Grafana is about its stand-in, and cAdvisor is its
library under a minimal main of ours (``tests/e2e/images/cadvisor/README.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.versions import IMAGES
from tests.e2e.harness.app import App
from tests.e2e.harness.engine import Engine
from tests.e2e.harness.project import PulumiResult, ScratchProject
from tests.e2e.harness.stack import NS, http_json, seed_dashboard_cache, wait_for

DEV_PASSPHRASE = "internet-id-dev"
"""The passphrase deploy-dev uses when none is exported (README, 'Quick start')."""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, engine: Engine, app: App,
        stand_in_images: dict[str, str]) -> Iterator[ScratchProject]:
    for container, official in IMAGES.items():
        engine.docker("tag", stand_in_images[container], official)
    project = ScratchProject.create(tmp_path_factory.mktemp("dev"), docker_host=engine.docker_host)
    del project.env["PULUMI_CONFIG_PASSPHRASE"]  # deploy-dev's own default applies
    seed_dashboard_cache(project, "dev")
    yield project
    project.run(["pulumi", "destroy", "--yes", "--stack", "dev"], check=False,
                env={"PULUMI_CONFIG_PASSPHRASE": DEV_PASSPHRASE})


def deploy_dev(project: ScratchProject, env: dict[str, str] | None = None) -> PulumiResult:
    return project.run(["scripts/deploy-dev", "--yes"], check=False, timeout=1800, env=env)


def test_a_missing_pulumi_cli_is_named_with_where_to_get_it(dev: ScratchProject) -> None:
    path = os.pathsep.join(p for p in dev.env["PATH"].split(os.pathsep) if not (Path(p) / "pulumi").exists())
    result = deploy_dev(dev, env={"PATH": path})
    assert result.returncode != 0
    assert ("deploy-dev: error: the Pulumi CLI is not installed: see https://www.pulumi.com/docs/install/"
            in result.stderr)


def test_a_docker_daemon_that_does_not_answer_is_named(dev: ScratchProject, tmp_path: Path) -> None:
    result = deploy_dev(dev, env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert result.returncode != 0
    assert "deploy-dev: error: no Docker daemon answers (docker info failed)" in result.stderr


def test_a_missing_app_network_says_what_to_do(dev: ScratchProject) -> None:
    stack_file = dev.root / "Pulumi.dev.yaml"
    committed = stack_file.read_text()
    stack_file.write_text(committed.replace(
        "config:\n", f"config:\n  {NS}:docker:\n    appNetwork: internet-id-gone_default\n", 1))
    try:
        result = deploy_dev(dev)
    finally:
        stack_file.write_text(committed)
    assert result.returncode != 0
    assert "the Internet-ID app network 'internet-id-gone_default' does not exist: start the app" in result.stderr


def test_a_bad_dev_stack_file_is_one_line_per_problem(dev: ScratchProject) -> None:
    stack_file = dev.root / "Pulumi.dev.yaml"
    committed = stack_file.read_text()
    stack_file.write_text(committed.replace("config:\n", f"config:\n  {NS}:ports:\n    grafana: 3001\n", 1))
    try:
        result = deploy_dev(dev)
    finally:
        stack_file.write_text(committed)
    assert result.returncode != 0
    assert ("deploy-dev: error: stack 'dev': internet-id-monitoring:ports.grafana: port 3001 is taken by the "
            "Internet-ID API") in result.stderr
    assert "Traceback" not in result.output


def test_host_paths_this_machine_lacks_stop_the_deploy_naming_the_settings(dev: ScratchProject) -> None:
    """Our engine keeps its data elsewhere, and sandboxes often have no /dev/disk: the dev stack as committed
    stops before creating anything, and the message names the setting of each missing path."""
    paths = {"/var/lib/docker": "docker.dataRoot", "/dev/disk": "cadvisor.diskDevices",
             "/var/run/dbus/system_bus_socket": "nodeExporter.systemd"}
    missing = {path: key for path, key in paths.items() if not os.path.exists(path)}
    assert missing, "this machine has every host path the dev stack mounts: nothing to show here"
    result = deploy_dev(dev)
    assert result.returncode != 0
    for path, key in missing.items():
        assert f"{NS}:{key}: " in result.output and f" mounts {path}, which does not exist on the Docker host; " \
            f"change {key}" in result.output, (path, result.output[-2000:])
    assert "Traceback" not in result.output


def test_deploy_dev_deploys_and_says_how_to_sign_in(dev: ScratchProject, engine: Engine) -> None:
    """After setting what the previous message named (and what this sandbox refuses: privileged containers),
    as a user would with `pulumi config set`."""
    env = {"PULUMI_CONFIG_PASSPHRASE": DEV_PASSPHRASE}
    for key, value in ((f"{NS}:docker.dataRoot", str(engine.data_root)), (f"{NS}:cadvisor.diskDevices", "false"),
                       (f"{NS}:cadvisor.privileged", "false"), (f"{NS}:nodeExporter.systemd", "false"),
                       (f"{NS}:nodeExporter.followHostMounts", "false")):
        dev.run(["pulumi", "config", "set", "--path", "--stack", "dev", key, value], env=env)
    result = deploy_dev(dev)
    assert result.returncode == 0, result.output[-6000:]
    assert "deploy-dev: Grafana: http://127.0.0.1:3030 as admin; password:" in result.stdout
    assert "pulumi stack output grafanaAdminPassword --show-secrets" in result.stdout
    password = dev.run(["pulumi", "stack", "output", "grafanaAdminPassword", "--show-secrets", "--stack", "dev"],
                       env=env).stdout.strip()
    assert len(password) == 24
    health = wait_for("Grafana answering with the generated password",
                      lambda: http_json("http://127.0.0.1:3030/api/search", auth=("admin", password)), timeout=60)
    assert {"internet-id-overview"} <= {d["uid"] for d in health}
    dev.run(["pulumi", "preview", "--expect-no-changes", "--stack", "dev"], env=env)
