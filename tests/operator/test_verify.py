"""``verify`` against stand-in servers: all pass on a healthy stack, and each breakage is named."""

from __future__ import annotations

import io
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.cli import main
from components.config_source import settings_from_stack_file
from components.operator import checks
from components.operator.checks import Check, Outcome
from components.operator.endpoints import default_endpoints, stack_outputs
from components.operator.verify import run_checks, table
from tests.operator.conftest import PASSWORD, StandIns


def verify(standins: StandIns, *extra: str) -> int:
    return main(["verify", "--stack", "dev", *standins.flags(), "--timeout", "2", *extra])


def rows(out: str) -> dict[str, tuple[str, str]]:
    """The table's rows: check name -> (result, detail)."""
    found = {}
    for line in out.splitlines():
        for name in CHECK_NAMES:
            if line.startswith(name + "  "):
                result, _, detail = line[len(name):].strip().partition("  ")
                found[name] = (result, detail.strip())
    return found


CHECK_NAMES = (
    "prometheus ready", "prometheus targets up", "prometheus jobs present", "rule groups loaded", "rules evaluating",
    "prometheus -> alertmanager", "alertmanager ready", "alertmanager receivers", "watchdog firing",
    "grafana healthy", "grafana datasource", "grafana dashboards", "api health",
)


def failed(out: str) -> dict[str, str]:
    return {name: detail for name, (result, detail) in rows(out).items() if result == "FAIL"}


def test_healthy_stack_passes_every_check(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(standins) == 0
    captured = capsys.readouterr()
    assert set(rows(captured.out)) == set(CHECK_NAMES)
    assert not failed(captured.out), captured.out
    assert "13 of 13 checks passed" in captured.out
    assert "[13/13] api health: pass" in captured.err  # progress, one line per check
    assert PASSWORD not in captured.out + captured.err
    # Alertmanager is asked through /api/v2 only.
    assert {r.path for r in standins.alertmanager.requests} <= {"/-/ready", "/api/v2/status", "/api/v2/alerts"}


def test_down_target_is_listed_with_its_last_error(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    target = standins.prometheus.targets[3]
    target.update(health="down", lastError='Get "http://redis-exporter:9121/metrics": connection refused')
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)
    assert set(detail) == {"prometheus targets up"}
    assert "1 of 11 targets not up" in detail["prometheus targets up"]
    assert "redis-exporter:9121/metrics\": connection refused" in detail["prometheus targets up"]
    assert target["labels"]["job"] in detail["prometheus targets up"]


def test_job_without_targets_is_named(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.prometheus.targets = [t for t in standins.prometheus.targets if t["labels"]["job"] != "internet-id-api"]
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)
    assert set(detail) == {"prometheus jobs present"}
    assert "internet-id-api" in detail["prometheus jobs present"]


def test_missing_rule_group_and_failing_rule(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    groups = standins.prometheus.groups
    missing = groups.pop()["name"]
    groups[0]["rules"][0].update(health="err", lastError="vector contains metrics with the same labelset")
    groups[1]["rules"][0]["lastEvaluation"] = checks.NEVER
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)
    assert set(detail) == {"rule groups loaded", "rules evaluating"}
    assert missing in detail["rule groups loaded"]
    assert "same labelset" in detail["rules evaluating"]
    assert f"{groups[1]['name']}/{groups[1]['rules'][0]['name']}: not evaluated yet" in detail["rules evaluating"]


def test_prometheus_without_alertmanager(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.prometheus.alertmanagers = []
    assert verify(standins) == 1
    assert set(failed(capsys.readouterr().out)) == {"prometheus -> alertmanager"}


def test_receivers_must_match_the_rendered_config(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.alertmanager.receivers = [r for r in standins.expected.receivers if r != "email-info"] + ["team-x"]
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)["alertmanager receivers"]
    assert "missing email-info" in detail and "unexpected team-x" in detail


def test_watchdog_missing(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.alertmanager.alerts.clear()
    assert verify(standins) == 1
    assert set(failed(capsys.readouterr().out)) == {"watchdog firing"}


def test_grafana_datasource_and_dashboards(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.grafana.datasource_ok = False
    standins.grafana.dashboards.discard("community-1860")
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)
    assert set(detail) == {"grafana datasource", "grafana dashboards"}
    assert "no such host" in detail["grafana datasource"]
    assert detail["grafana dashboards"] == "dashboards missing: community-1860"


def test_grafana_needs_the_password_from_the_environment(
    standins: StandIns, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAFANA_ADMIN_PASSWORD")
    assert verify(standins) == 1
    detail = failed(capsys.readouterr().out)
    assert set(detail) == {"grafana datasource", "grafana dashboards"}
    assert "GRAFANA_ADMIN_PASSWORD" in detail["grafana datasource"]

    monkeypatch.setenv("GRAFANA_ADMIN_PASSWORD", "wrong-password-5678")
    assert verify(standins) == 1
    captured = capsys.readouterr()
    assert "HTTP 401: Invalid username or password" in failed(captured.out)["grafana datasource"]
    assert "wrong-password-5678" not in captured.out + captured.err


def test_api_health_through_the_probe_or_directly(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.prometheus.probe[0]["value"] = [1.0, "0"]
    assert verify(standins) == 1
    assert "blackbox probe of the API fails" in failed(capsys.readouterr().out)["api health"]
    standins.prometheus.probe = []
    assert verify(standins) == 1
    assert "no probe_success" in failed(capsys.readouterr().out)["api health"]

    standins.grafana.routes["/api/health-of-api"] = (200, {"status": "ok"})
    assert verify(standins, "--api-health-url", standins.grafana.url + "/api/health-of-api") == 0
    assert "answered 200" in rows(capsys.readouterr().out)["api health"][1]
    assert verify(standins, "--api-health-url", standins.grafana.url + "/nope") == 1
    assert "HTTP 404" in failed(capsys.readouterr().out)["api health"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_is_a_failing_check_not_a_traceback(
    standins: StandIns, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    assert main(["verify", "--stack", "dev", *standins.flags(), "--alertmanager-url", url]) == 1
    captured = capsys.readouterr()
    detail = failed(captured.out)
    assert set(detail) == {"alertmanager ready", "alertmanager receivers", "watchdog firing"}
    assert detail["alertmanager ready"] == f"GET {url}/-/ready: connection refused"
    assert "Traceback" not in captured.err


def test_not_json_is_named(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    standins.alertmanager.routes["/api/v2/status"] = (200, b"<html>login</html>")
    assert verify(standins) == 1
    assert "not JSON" in failed(capsys.readouterr().out)["alertmanager receivers"]


@pytest.mark.parametrize("argv", [
    ["verify"],
    ["verify", "--stack", "dev", "--prometheus-url", "localhost:9090"],
    ["verify", "--stack", "dev", "--timeout", "0"],
    ["verify", "--stack", "dev", "--wait", "soon"],
    ["verify", "--stack", "dev", "--grafana-password", "x"],
    ["verify", "--stack", "nope"],
])
def test_user_errors_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err


def test_wait_retries_a_failing_check_until_it_passes() -> None:
    answers = iter([Outcome(False, "starting"), Outcome(False, "starting"), Outcome(True, "up")])
    progress = io.StringIO()
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    results = run_checks([Check("flaky", lambda: next(answers)), Check("steady", lambda: Outcome(False, "down"))],
                         wait=10, progress=progress, clock=lambda: now[0], sleep=sleep, interval=2)
    assert [r.outcome.ok for r in results] == [True, False]
    assert results[1].seconds == pytest.approx(6.0)  # retried until the deadline, not longer
    lines = progress.getvalue().splitlines()
    assert lines[0] == "[1/2] flaky: waiting up to 10s (starting)"
    assert lines[1] == "[1/2] flaky: pass"
    assert lines[-1] == "[2/2] steady: FAIL"
    text = table(results)
    assert "1 of 2 checks passed, 1 failed" in text
    assert "steady  FAIL    down" in text


def test_without_wait_each_check_runs_once() -> None:
    calls: list[int] = []

    def failing() -> Outcome:
        calls.append(1)
        return Outcome(False, "no")

    run_checks([Check("x", failing)], progress=io.StringIO())
    assert len(calls) == 1


# ---------------------------------------------------------------- URLs from the stack outputs


def completed(stdout: str = "", stderr: str = "", returncode: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["pulumi"], returncode, stdout, stderr)


def test_outputs_without_the_pulumi_cli() -> None:
    outputs = stack_outputs("dev", Path("."), which=lambda _: None)
    assert outputs.values == {} and "Pulumi CLI not found" in outputs.note


def test_outputs_from_pulumi() -> None:
    seen: list[Any] = []

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.append((argv, kwargs))
        return completed('{"prometheusUrl": "https://prom.example.test", "grafanaAdminPassword": "[secret]", '
                         '"grafanaAdminUser": "ops"}')

    outputs = stack_outputs("prod", Path("/p"), which=lambda _: "/usr/bin/pulumi", run=run)
    assert seen[0][0] == ["/usr/bin/pulumi", "stack", "output", "--json", "--stack", "prod"]
    assert seen[0][1]["timeout"] > 0 and seen[0][1]["cwd"] == Path("/p")
    endpoints = default_endpoints(settings_from_stack_file("prod"), outputs.values)
    assert endpoints.prometheus == "https://prom.example.test"
    assert endpoints.grafana_user == "ops"


@pytest.mark.parametrize(("result", "note"), [
    (completed(stderr="error: no stack named 'dev' found\n", returncode=255), "no stack named 'dev' found"),
    (completed("not json"), "no JSON"),
    (subprocess.TimeoutExpired("pulumi", 30), "timed out"),
])
def test_outputs_unavailable_fall_back_to_the_settings(result: Any, note: str) -> None:
    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]

    outputs = stack_outputs("dev", Path("."), which=lambda _: "/usr/bin/pulumi", run=run)
    assert outputs.values == {}
    assert note in outputs.note and "computed from the settings" in outputs.note


def test_default_urls_are_the_settings_ui_urls() -> None:
    endpoints = default_endpoints(settings_from_stack_file("dev"))
    assert (endpoints.prometheus, endpoints.alertmanager, endpoints.grafana) == (
        "http://127.0.0.1:9090", "http://127.0.0.1:9093", "http://127.0.0.1:3030")
    assert endpoints.grafana_user == "admin"
