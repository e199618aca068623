"""``test-alert`` against a stand-in Alertmanager: labels, routing shown, keep-alive, resolve, Ctrl-C, errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from components.alertmanager.routes import ROUTES
from components.alertmanager.settings import RouteTimings
from components.cli import main
from components.config_source import settings_from_mapping, settings_from_stack_file, stack_file
from components.exit_codes import EXIT_INTERRUPTED
from components.operator import alert_drill, commands
from components.operator.alert_drill import ALERTNAME, AlertDrill, duration_plan, labels_for, routes_for, run
from components.operator.endpoints import WEB_PASSWORD_ENV
from components.render import operator_view
from components.settings import StackSettings
from tests.contexts import stack_context
from tests.operator.conftest import StandIns
from tests.operator.test_verify import closed_port


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


NS = "internet-id-monitoring"


def with_timings(stack: str, timing: dict[str, Any]) -> StackSettings:
    """``stack``'s settings with ``notifications.timing`` replaced (stack-file form)."""
    config = dict(yaml.safe_load(stack_file(stack).read_text())["config"])
    notifications = dict(config.get(f"{NS}:notifications") or {})
    notifications["timing"] = timing
    config[f"{NS}:notifications"] = notifications
    return settings_from_mapping(stack, config, require_secrets=False)


def drill(settings: StackSettings, url: str, severity: str, **options: Any) -> AlertDrill:
    """A test alert of ``settings``' stack, as the command builds it."""
    stack = operator_view(settings)
    return AlertDrill(stack.context, stack.timings, stack.runbook_base_url, url, severity, **options)


FAST_ROUTE = {"groupWait": "100ms", "groupInterval": "200ms", "repeatInterval": "1h"}
FAST = {name: FAST_ROUTE for name in ("critical", "warning", "info", "default", "watchdog")}


@pytest.fixture
def fast_dev(monkeypatch: pytest.MonkeyPatch) -> StackSettings:
    """The CLI reads stack dev with route timings of a fraction of a second, so a test alert can be short."""
    settings = with_timings("dev", FAST)
    monkeypatch.setattr(commands, "settings_from_stack_file", lambda stack, **_: settings)
    return settings


@pytest.mark.parametrize(("severity", "receivers"), [
    ("critical", "pagerduty-critical, slack-critical"), ("warning", "slack-warnings"), ("info", "email-info"),
])
def test_posts_a_labelled_alert_shows_its_receivers_and_resolves_it(
    standins: StandIns, fast_dev: StackSettings, capsys: pytest.CaptureFixture[str], *, severity: str, receivers: str
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
    assert {r.path for r in am.requests} == {"/api/v2/alerts", "/api/v2/status"}


def test_says_when_nothing_is_delivered(standins: StandIns, fast_dev: StackSettings,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Dev has no PagerDuty, Slack or e-mail: its receivers have no integration, and the command says so."""
    am = standins.alertmanager
    argv = ["test-alert", "--stack", "dev", "--severity", "critical", "--alertmanager-url", am.url, "--duration", "0.2"]
    assert main(argv) == 0
    assert ("nothing is delivered: pagerduty-critical, slack-critical have no integration in stack dev (no PagerDuty, "
            f"Slack or e-mail configured); the alert shows in Alertmanager ({am.url}) only") in capsys.readouterr().out

    am.delivering = {"slack-critical"}
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "note: pagerduty-critical has no integration in stack dev: nothing is delivered there" in out
    assert "nothing is delivered:" not in out

    am.delivering = {"pagerduty-critical", "slack-critical"}
    assert main(argv) == 0
    assert "nothing is delivered" not in capsys.readouterr().out


def test_service_label_is_configurable(standins: StandIns, fast_dev: StackSettings) -> None:
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", standins.alertmanager.url,
            "--duration", "0.1", "--service", "database"]
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
    alert = drill(settings_from_stack_file("dev"), am.url, "warning", duration=50, out=io.StringIO(),
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

    alert = drill(settings_from_stack_file("dev"), am.url, "critical", duration=60, out=out)
    alert.sleep = interrupt
    assert run(alert, err=io.StringIO()) == EXIT_INTERRUPTED
    assert "interrupted: resolving" in out.getvalue()
    assert parse(am.posted[-1]["endsAt"]) <= datetime.now(UTC)
    assert len(am.posted) == 2


def test_unreachable_alertmanager_is_one_line(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEB_PASSWORD_ENV, "a-web-password")
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", url]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"error: POST {url}/api/v2/alerts: connection refused"
    assert "Traceback" not in err


def test_alert_never_listed_times_out_and_is_resolved(standins: StandIns, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEB_PASSWORD_ENV, "a-web-password")
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


# ---------------------------------------------------------------- how long the alert is held


DEFAULTS = {"critical": 10 + 300 + 30, "warning": 30 + 300 + 30, "info": 300 + 1800 + 30}
"""group_wait + group_interval + 30s of each severity's route, with the timings the stacks ship."""


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
@pytest.mark.parametrize("service", ["monitoring-test", "database"])
def test_default_duration_outlasts_the_routes_first_notification(stack: str, severity: str, service: str) -> None:
    settings = settings_from_stack_file(stack)
    plan = duration_plan(settings.notifications.timing, labels_for(settings.context, severity, service))
    timing = getattr(settings.notifications.timing, severity)
    assert plan.route == severity and plan.timing == timing
    assert plan.default == DEFAULTS[severity]
    assert plan.too_short(DEFAULTS[severity]) is None and plan.risky(DEFAULTS[severity]) is None
    alert = drill(settings, "http://127.0.0.1:1", severity, service=service)
    assert alert.held == DEFAULTS[severity]


def test_default_duration_follows_the_stacks_timings() -> None:
    timing = {"critical": {"groupWait": "1m", "groupInterval": "10m", "repeatInterval": "1h"},
              "info": {"groupWait": "2s", "groupInterval": "3s", "repeatInterval": "1h"}}
    timings, context = RouteTimings.model_validate(timing), stack_context()
    assert duration_plan(timings, labels_for(context, "critical", "api")).default == 60 + 600 + 30
    assert duration_plan(timings, labels_for(context, "warning", "api")).default == 30 + 300 + 30  # as shipped
    info = duration_plan(timings, labels_for(context, "info", "api"))
    assert (info.margin, info.default) == (5, 10)  # a margin no longer than the timings themselves


def test_routes_are_walked_like_alertmanager_walks_them() -> None:
    def receivers(**labels: str) -> list[str]:
        return [route.receiver for route in routes_for(labels)]

    assert receivers(severity="critical", service="database") == [
        "pagerduty-database", "slack-critical"]
    assert receivers(severity="critical", service="api") == ["pagerduty-critical", "slack-critical"]
    assert receivers(severity="info", service="api") == ["email-info"]
    assert receivers(severity="none", service="api") == []  # the root route: timing "default"
    assert receivers(alertname="Watchdog", severity="critical") == ["watchdog"]
    for route in ROUTES:  # every matcher of the routing table is one the walk understands
        alert_drill._matches(route, {})
    assert duration_plan(RouteTimings(), {"severity": "none"}).route == "default"


def test_a_duration_shorter_than_group_wait_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", url, "--duration", "120"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: --duration 120s is shorter than the info route's group_wait 5m: Alertmanager "
                          "would notify nobody"), err
    assert "use at least 300s, or leave --duration out (default 2130s)" in err


def test_the_default_duration_is_derived_and_printed(
    standins: StandIns, fast_dev: StackSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    am = standins.alertmanager
    assert main(["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", am.url]) == 0
    captured = capsys.readouterr()
    assert "holding it for 0.6s (the default: the info route's group_wait 100ms + group_interval 200ms + 0.3s)" \
        in captured.out
    assert "within 200ms" in captured.out  # when the resolve notification is due
    assert "warning" not in captured.err
    assert "resolves by itself after 0.6s" in am.posted[0]["annotations"]["description"]
    held = parse(am.posted[-1]["endsAt"]) - parse(am.posted[0]["startsAt"])
    assert held >= timedelta(seconds=0.6)


def test_a_duration_shorter_than_wait_plus_interval_warns(
    standins: StandIns, fast_dev: StackSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    am = standins.alertmanager
    argv = ["test-alert", "--stack", "dev", "--severity", "warning", "--alertmanager-url", am.url,
            "--duration", "0.15"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: --duration 0.15s is shorter than the warning route's group_wait 100ms "
                                   "+ group_interval 200ms: if Alertmanager still holds a group of this alert"), \
        captured.err
    assert "holding it for 0.15s until" in captured.out


def test_the_command_logs_in_to_alertmanager(standins: StandIns, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEB_PASSWORD_ENV, "a-web-password")
    am = standins.alertmanager
    am.routes["/api/v2/alerts"] = lambda r: (200, b"") if r.method == "POST" else (200, [])
    main(["test-alert", "--stack", "dev", "--severity", "info", "--alertmanager-url", am.url, "--timeout", "1"])
    assert am.requests and {r.headers.get("authorization") for r in am.requests} == {
        "Basic aWlkbW9uOmEtd2ViLXBhc3N3b3Jk"}  # iidmon:a-web-password
    assert "a-web-password" not in capsys.readouterr().err
