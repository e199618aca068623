"""The README's first command, ``scripts/deploy-dev``, as a new user meets it, its output going to a log (the
README's quick start on a terminal, command by command: ``test_quick_start.py``).

It runs as written in a scratch copy of the project, with the built Pulumi CLI on PATH and our
engine as the Docker daemon.  The engine cannot pull, so the stand-in images are tagged there
with the official names the dev stack asks for (``prom/prometheus:v2.48.0``, …): the dev settings
start as the committed ones (``local/Pulumi.dev.yaml``, made by ``scripts/dev``), every result about Grafana is
about its stand-in, and cAdvisor is its library under a minimal main of ours
(``tests/e2e/images/cadvisor/README.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.versions import IMAGES
from tests.e2e.harness.app import App
from tests.e2e.harness.engine import Engine
from tests.e2e.harness.project import REPO, PulumiResult, ScratchProject
from tests.e2e.harness.stack import NS, http_json, seed_dashboard_cache, wait_for

DEV_PASSPHRASE = "internet-id-dev"
"""The passphrase deploy-dev uses when none is exported (README, 'Quick start')."""
TYPO_COLLECTOR = f"  {NS}:postgresExporter:\n    collectors: [postmastr]\n"
"""A misspelt collector: postgres_exporter exits on the unknown flag, so its container keeps restarting."""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, engine: Engine, app: App,
        stand_in_images: dict[str, str]) -> Iterator[ScratchProject]:
    for container, stand_in in stand_in_images.items():  # a single-host stack's (no multi-host-only image)
        engine.docker("tag", stand_in, IMAGES[container])
    project = ScratchProject.create(tmp_path_factory.mktemp("dev"), docker_host=engine.docker_host)
    del project.env["PULUMI_CONFIG_PASSPHRASE"]  # deploy-dev's own default applies
    seed_dashboard_cache(project, "dev")
    yield project
    project.run(["scripts/dev", "pulumi", "destroy", "--yes"], check=False)


def deploy_dev(project: ScratchProject, env: dict[str, str] | None = None) -> PulumiResult:
    return project.run(["scripts/deploy-dev", "--yes"], check=False, timeout=1800, env=env)


def dev_settings(project: ScratchProject) -> Path:
    """The developer's own dev settings, made by scripts/dev from the committed file the first time."""
    project.run(["scripts/dev", "true"])
    return project.root / "local" / "Pulumi.dev.yaml"


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
    stack_file = dev_settings(dev)
    written = stack_file.read_text()
    stack_file.write_text(written.replace(
        "config:\n", f"config:\n  {NS}:docker:\n    appNetwork: internet-id-gone_default\n", 1))
    try:
        result = deploy_dev(dev)
    finally:
        stack_file.write_text(written)
    assert result.returncode != 0
    assert "deploy-dev: error: the dev stack cannot deploy on this machine yet; fix each, then run " \
        "scripts/deploy-dev again:\n" in result.stderr
    assert ("\n  - the Internet-ID app network 'internet-id-gone_default' does not exist: start the app (docker "
            "compose up -d in the internet-id repo), or set it: scripts/dev pulumi config set --path "
            f"{NS}:docker.appNetwork <network>\n") in result.stderr


def test_a_bad_dev_stack_file_is_one_line_per_problem(dev: ScratchProject) -> None:
    stack_file = dev_settings(dev)
    written = stack_file.read_text()
    stack_file.write_text(written.replace("config:\n", f"config:\n  {NS}:ports:\n    grafana: 3001\n", 1))
    try:
        result = deploy_dev(dev)
    finally:
        stack_file.write_text(written)
    assert result.returncode != 0
    assert ("deploy-dev: error: stack 'dev': internet-id-monitoring:ports.grafana: port 3001 is taken by the "
            "Internet-ID API") in result.stderr
    assert "Traceback" not in result.output


def test_host_paths_this_machine_lacks_stop_the_deploy_naming_the_settings(dev: ScratchProject) -> None:
    """Our engine keeps its data elsewhere, and sandboxes often have no /dev/disk: the dev stack as committed
    stops before creating anything, and the message names the setting of each missing path, the value to set and
    the command."""
    paths = {"/var/lib/docker": ("docker.dataRoot", "\"$(docker info -f '{{.DockerRootDir}}')\""),
             "/dev/disk": ("cadvisor.diskDevices", "false"),
             "/var/run/dbus/system_bus_socket": ("nodeExporter.systemd", "false")}
    missing = {path: fix for path, fix in paths.items() if not os.path.exists(path)}
    assert missing, "this machine has every host path the dev stack mounts: nothing to show here"
    result = deploy_dev(dev)
    assert result.returncode != 0
    for path, (key, value) in missing.items():
        assert f"  - {NS}:{key}: " in result.stderr and f" mounts {path}, which does not exist on the Docker host; " \
            f"set it to " in result.stderr, (path, result.output[-2000:])
        assert f": scripts/dev pulumi config set --path {NS}:{key} {value}\n" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert "Previewing update" not in result.output, "stopped before pulumi up"


def test_an_unhealthy_container_is_named_with_its_logs_and_no_traceback(dev: ScratchProject, engine: Engine) -> None:
    """After setting what the previous message named (as it says, through scripts/dev; what this sandbox refuses:
    privileged containers; and our engine's socket for cAdvisor), with a collector postgres-exporter does not have
    (a typo in the settings file): it exits on the flag and keeps restarting.  The watcher names it while pulumi up
    still waits, and deploy-dev again after pulumi up gave up, with its last log lines; no Python traceback."""
    socket = engine.docker_host.removeprefix("unix://")  # /var/run/docker.sock may lead to another test's engine
    for key, value in ((f"{NS}:docker.dataRoot", str(engine.data_root)), (f"{NS}:cadvisor.diskDevices", "false"),
                       (f"{NS}:cadvisor.privileged", "false"), (f"{NS}:nodeExporter.systemd", "false"),
                       (f"{NS}:nodeExporter.followHostMounts", "false"), (f"{NS}:cadvisor.dockerSocket", socket)):
        dev.run(["scripts/dev", "pulumi", "config", "set", "--path", key, value])
    assert (dev.root / "Pulumi.dev.yaml").read_text() == (REPO / "Pulumi.dev.yaml").read_text()
    stack_file = dev_settings(dev)
    stack_file.write_text(stack_file.read_text().replace("config:\n", f"config:\n{TYPO_COLLECTOR}", 1))
    result = deploy_dev(dev)
    assert result.returncode != 0
    named = "iidmon-dev-postgres-exporter keeps restarting ("
    early, _, late = result.stderr.partition("deploy-dev: containers of the dev stack in trouble:\n")
    assert named in early, "named while pulumi up waited"
    assert late.startswith(named), late[:2000]
    assert "    postgres_exporter: error: unknown long flag '--collector.postmastr'" in late
    assert "  (all of them: docker logs iidmon-dev-postgres-exporter)" in late
    assert result.stderr.rstrip().endswith("deploy-dev: error: pulumi up failed (above); fix what it names, then run "
                                           "scripts/deploy-dev again")
    assert "container failed to be in healthy state" in result.output
    for noise in ("Traceback", "KeyboardInterrupt"):
        assert noise not in result.output


def test_deploy_dev_deploys_and_says_how_to_sign_in(dev: ScratchProject) -> None:
    """With the typo of the previous test mended, as a user would after its message."""
    stack_file = dev_settings(dev)
    stack_file.write_text(stack_file.read_text().replace(TYPO_COLLECTOR, "", 1))
    result = deploy_dev(dev)
    assert result.returncode == 0, result.output[-6000:]
    assert ("deploy-dev: Grafana: http://127.0.0.1:3030 as admin; its password: scripts/dev pulumi stack output "
            "grafanaAdminPassword --show-secrets") in result.stdout
    assert result.stdout.rstrip().endswith(f"PULUMI_CONFIG_PASSPHRASE={DEV_PASSPHRASE} (dev's documented "
                                           "passphrase; scripts/dev sets both)")
    password = dev.run(["scripts/dev", "pulumi", "stack", "output", "grafanaAdminPassword",
                        "--show-secrets"]).stdout.strip()
    assert len(password) == 24
    health = wait_for("Grafana answering with the generated password",
                      lambda: http_json("http://127.0.0.1:3030/api/search", auth=("admin", password)), timeout=60)
    assert {"internet-id-overview"} <= {d["uid"] for d in health}
    dev.run(["scripts/dev", "pulumi", "preview", "--expect-no-changes"])
    assert (dev.root / "Pulumi.dev.yaml").read_text() == (REPO / "Pulumi.dev.yaml").read_text()


def test_a_passphrase_of_ones_own_is_not_shown(dev: ScratchProject) -> None:
    """Exported by the user (here the same value, so the deployed stack still opens): the last line says it is
    theirs and does not print it."""
    result = deploy_dev(dev, env={"PULUMI_CONFIG_PASSPHRASE": DEV_PASSPHRASE})
    assert result.returncode == 0, result.output[-4000:]
    last = result.stdout.rstrip().splitlines()[-1]
    assert "its secrets under your own passphrase (the PULUMI_CONFIG_PASSPHRASE you exported, not shown)" in last
    assert DEV_PASSPHRASE not in last
