"""``test-alert`` against a stand-in Alertmanager: labels, routing shown, keep-alive, resolve, Ctrl-C, errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from components.cli import main
from components.config_source import settings_from_stack_file
from components.operator import test_alert
from components.operator.test_alert import ALERTNAME, TestAlert, run
from tests.operator.conftest import StandIns
from tests.operator.test_verify import closed_port


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("severity", "receivers"), [
    ("critical", "pagerduty-critical, slack-critical"), ("warning", "slack-warnings"), ("info", "email-info"),
])
def test_posts_a_labelled_alert_shows_its_receivers_and_resolves_it(
    standins: StandIns, capsys: pytest.CaptureFixture[str], severity: str, receivers: str
) -> None:
    am = standins.alertmanager
    argv = ["test-alert", "--stack", "dev", "--severity", severity, "--alertmanager-url", am.url, "--duration", "0.2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"routed to: {receivers}" in out
    assert "resolved InternetIdTestAlert" in out

    first, last = am.posted[0], am.posted[-1]
    assert first["labels"] == {"alertname": ALERTNAME, "severity": severity, "service": "monitoring-test",
                               "cluster": "internet-id-dev", "environment": "dev", "test": "true"}
    assert first["annotations"]["summary"].startswith(f"TEST alert ({severity})")
    assert "python -m components test-alert --stack dev" in first["annotations"]["description"]
    assert first["annotations"]["runbook_url"].endswith("docs/runbook.md#test-alerts")
    assert parse(first["endsAt"]) > parse(first["startsAt"]) + timedelta(seconds=30)
    assert last["labels"] == first["labels"] and last["startsAt"] == first["startsAt"]
    assert parse(last["endsAt"]) <= datetime.now(UTC)
    assert {r.path for r in am.requests} == {"/api/v2/alerts"}


def test_service_label_is_configurable(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", standins.alertmanager.url,
            "--duration", "0", "--service", "database"]
    assert main(argv) == 0
    assert standins.alertmanager.posted[0]["labels"]["service"] == "database"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_keeps_the_alert_alive_while_holding_it(standins: StandIns) -> None:
    clock = FakeClock()
    am = standins.alertmanager
    # The stand-in drops alerts whose endsAt passed by real time; real time is behind the fake clock's end.
    alert = TestAlert(settings_from_stack_file("dev"), am.url, "warning", duration=50, out=io.StringIO(),
                      now=clock, sleep=clock.sleep)
    alert.started = clock()
    alert.posted = True
    alert.hold()
    posts = [parse(p["endsAt"]) for p in am.posted]
    assert len(posts) == 2  # at 20s and 40s; the first post is fire()'s
    assert all(ends > clock.now - timedelta(seconds=50) for ends in posts)


def test_ctrl_c_resolves_before_exiting(standins: StandIns) -> None:
    am = standins.alertmanager
    out = io.StringIO()

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    alert = TestAlert(settings_from_stack_file("dev"), am.url, "critical", duration=60, out=out)
    alert.sleep = interrupt
    assert run(alert, err=io.StringIO()) == test_alert.EXIT_INTERRUPTED
    assert "interrupted: resolving" in out.getvalue()
    assert parse(am.posted[-1]["endsAt"]) <= datetime.now(UTC)
    assert len(am.posted) == 2


def test_unreachable_alertmanager_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", url, "--duration", "0"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: POST {url}/api/v2/alerts: connection refused"
    assert "Traceback" not in err


def test_alert_never_listed_times_out_and_is_resolved(standins: StandIns, capsys: pytest.CaptureFixture[str]) -> None:
    am = standins.alertmanager
    am.routes["/api/v2/alerts"] = lambda r: (200, b"") if r.method == "POST" else (200, [])
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", am.url, "--timeout", "1"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: Alertmanager at {am.url}: the posted alert not seen within 1s"
    assert len([r for r in am.requests if r.method == "POST"]) == 2  # posted, then resolved


@pytest.mark.parametrize("argv", [
    ["test-alert", "--stack", "dev"],
    ["test-alert", "--stack", "dev", "--severity", "page"],
    ["test-alert", "--stack", "dev", "--severity", "info", "--duration", "-1"],
    ["test-alert", "--stack", "nope", "--severity", "info"],
])
def test_user_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
