"""The render command: the files a stack deploys, checked by promtool and amtool as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.cli import main
from components.secrets import REDACTED
from tests.conftest import STACKS
from tests.pulumi_harness import PROJECT_DIR
from tests.tools import run_tool


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


def test_promtool_accepts_prometheus_config_as_written(rendered: Path) -> None:
    result = run_tool("promtool", "check", "config", rendered / "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    # The rule glob resolved to real files: promtool names each rule file it checked.
    assert "rules/" in result.stdout + result.stderr


def test_amtool_accepts_alertmanager_config_as_written(rendered: Path) -> None:
    result = run_tool("amtool", "check-config", rendered / "alertmanager/alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_keeps_job_names_and_service_labels(rendered: Path) -> None:
    config = yaml.safe_load((rendered / "prometheus/prometheus.yml").read_text())
    services: dict[str, set[str]] = {}
    for job in config["scrape_configs"]:
        found = [c["labels"].get("service") for c in job.get("static_configs", [])]
        found += [r["replacement"] for r in job.get("relabel_configs", []) if r.get("target_label") == "service"]
        services[job["job_name"]] = {label for label in found if label}
    expected = {
        "internet-id-api": {"api"},
        "internet-id-web": {"web"},
        "postgres": {"database"},
        "redis": {"cache"},
        "node-exporter": {"system"},
        "cadvisor": {"containers"},
        "prometheus": {"prometheus"},
        "alertmanager": {"alertmanager"},
        "grafana": {"grafana"},
        "blackbox": {"api", "blockchain"},  # /api/health, and its body judged for the blockchain RPC
    }
    for job, labels in expected.items():
        assert services[job] == labels, job
    global_ = config["global"]
    assert global_["scrape_interval"] == global_["evaluation_interval"] == "15s"
    assert set(global_["external_labels"]) == {"cluster", "environment"}


def test_api_job_discovers_each_replica_and_keeps_every_series(rendered: Path) -> None:
    config = yaml.safe_load((rendered / "prometheus/prometheus.yml").read_text())
    api = next(job for job in config["scrape_configs"] if job["job_name"] == "internet-id-api")
    assert api["metrics_path"] == "/api/metrics"
    assert api["dns_sd_configs"] == [{"names": ["api"], "type": "A", "port": 3001}]
    assert "metric_relabel_configs" not in api


def test_web_app_is_probed_not_scraped(rendered: Path) -> None:
    config = yaml.safe_load((rendered / "prometheus/prometheus.yml").read_text())
    web = next(job for job in config["scrape_configs"] if job["job_name"] == "internet-id-web")
    assert web["metrics_path"] == "/probe"
    assert web["static_configs"][0]["labels"]["__param_module"] == "http_2xx"


def test_secrets_are_written_redacted(tmp_path: Path) -> None:
    assert render("prod", tmp_path).returncode == 0
    secrets = tmp_path / "alertmanager" / "secrets"
    written = {path.relative_to(secrets).as_posix() for path in secrets.rglob("*") if path.is_file()}
    # prod: e-mail, PagerDuty (the general and the database service) and Slack all deliver.
    assert written == {"smtp-password", "pagerduty-routing-key", "pagerduty-database-routing-key", "slack-bot-token"}
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
