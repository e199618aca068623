"""The render command: the files a stack deploys, checked by promtool and amtool as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from components.cli import main
from components.secrets import REDACTED
from tests.conftest import STACKS
from tests.pulumi_harness import PROJECT_DIR
from tests.tools import VERSION_SETS, run_tool


def render(stack: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components", "render", "--stack", stack, "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def rendered_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each committed stack rendered once by the real command line."""
    out: dict[str, Path] = {}
    for stack in STACKS:
        out[stack] = tmp_path_factory.mktemp(f"render-{stack}")
        result = render(stack, out[stack])
        assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def rendered(stack: str, rendered_stacks: dict[str, Path]) -> Path:
    return rendered_stacks[stack]


def test_render_writes_every_document(rendered: Path) -> None:
    for relative in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml", "blackbox/blackbox.yml"):
        assert (rendered / relative).is_file(), relative
    assert list((rendered / "prometheus/rules").glob("*.yml")), "no rule files rendered"


@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_promtool_accepts_prometheus_config_as_written(rendered: Path, version_set: str) -> None:
    result = run_tool("promtool", "check", "config", rendered / "prometheus/prometheus.yml", set_name=version_set)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    # The rule glob resolved to real files: promtool names each rule file it checked.
    assert "rules/" in result.stdout + result.stderr


@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_amtool_accepts_alertmanager_config_as_written(rendered: Path, version_set: str) -> None:
    result = run_tool("amtool", "check-config", rendered / "alertmanager/alertmanager.yml", set_name=version_set)
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_are_written_redacted(tmp_path: Path) -> None:
    assert render("prod", tmp_path).returncode == 0
    secrets = tmp_path / "alertmanager" / "secrets"
    written = {path.relative_to(secrets).as_posix() for path in secrets.rglob("*") if path.is_file()}
    # prod: e-mail, PagerDuty (the general and the database service) and Slack all deliver, and the Watchdog pings.
    assert written == {"smtp-password", "pagerduty-routing-key", "pagerduty-database-routing-key", "slack-bot-token",
                       "heartbeat-url"}
    for name in written:
        assert (secrets / name).read_text() == REDACTED + "\n", name


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["render", "--stack", "qa", "--out", "x"], "no stack file Pulumi.qa.yaml; known stacks: dev, prod, staging"),
        (["render", "--stack", "dev"], "the following arguments are required: --out"),
        (["deploy"], "invalid choice: 'deploy'"),
        (["dashboards", "fetch", "--stack", "dev", "--timeout", "-1"], "--timeout"),
        (["dashboards", "fetch", "--stack", "dev", "--base-url", "foo"], "--base-url"),
        (["render", "--stack", "../etc/passwd", "--out", "x"], "../etc/passwd"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("keep me")
    assert main(["render", "--stack", "dev", "--out", str(target)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_command_line_entry_point(tmp_path: Path) -> None:
    result = render("qa", tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: stack 'qa': no stack file")


def test_interrupt_ends_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("components.cli.settings_from_stack_file", interrupted)
    assert main(["render", "--stack", "dev", "--out", "unused"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


@pytest.mark.parametrize(("command", "extra"), [
    (["render"], ["--out", "unused"]), (["dashboards", "fetch"], []), (["verify"], []),
    (["test-alert"], ["--severity", "info"]), (["containers"], []),
])
def test_every_stack_command_reads_the_config_file_it_is_given(
    command: list[str], extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = tmp_path / "Pulumi.dev.yaml"
    local.write_text("config:\n  internet-id-monitoring:ports:\n    grafana: 3001\n")
    assert main([*command, "--stack", "dev", "--config-file", str(local), *extra]) == 2
    assert "internet-id-monitoring:ports.grafana: port 3001 is taken by the Internet-ID API" in capsys.readouterr().err


def test_a_python_without_the_packages_says_where_they_are() -> None:
    """The README's commands run in the .venv (scripts/dev); a bare ``python -m components`` names the missing
    package and the fix instead of a ModuleNotFoundError traceback."""
    done = subprocess.run([sys.executable, "-S", "-m", "components", "verify", "--stack", "dev"], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert " is not installed in this Python (" in done.stderr
    assert "run the command in the project's .venv" in done.stderr and "scripts/dev" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("command", "extra", "asked"), [
    (["verify"], [], "name a Prometheus replica and an Alertmanager peer to use, e.g. --prometheus-url "
                     "https://10.0.1.11:9090 --alertmanager-url https://10.0.1.11:9093"),
    (["verify"], ["--prometheus-url", "https://10.0.1.12:9090"],
     "name a Prometheus replica and an Alertmanager peer to use, e.g. --alertmanager-url https://10.0.1.11:9093"),
    (["test-alert"], ["--severity", "info"], "name an Alertmanager peer to use, e.g. --alertmanager-url "
                                             "https://10.0.1.11:9093"),
])
def test_operator_commands_on_a_multi_host_stack_ask_which_replica_and_peer(
    command: list[str], extra: list[str], asked: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each replica and peer answers alone; the single-host defaults would ask this machine's loopback."""
    example = PROJECT_DIR / "tests" / "multihost" / "stack.yaml"
    assert main([*command, "--stack", "prod", "--config-file", str(example), *extra]) == 2
    assert capsys.readouterr().err == f"error: stack prod spreads over several hosts: {asked} (each answers alone; " \
                                      "docs/multi-host.md)\n"
