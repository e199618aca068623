"""``test-alert`` against the live Alertmanager: each severity reaches the stand-in receivers it
routes to (PagerDuty, Slack, e-mail), and its resolve is sent and seen."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest

from components.operator.alert_drill import ALERTNAME, AlertDrill, duration_plan, labels_for, run
from components.render import operator_view
from tests.live.harness.receivers import HttpRequest, Mail, channel_of, pd_field, slack_text
from tests.live.harness.stack import LiveStack

pytestmark = pytest.mark.live

ARRIVE = 20.0
"""Group wait (1s) and group interval (2s) of the live profile, with room to spare."""


def send(live: LiveStack, severity: str, *, service: str = "monitoring-test", duration: float | None = None) -> str:
    """Send a test alert held for ``duration`` (default: what ``test-alert`` derives from the live timings)."""
    out = io.StringIO()
    stack = operator_view(live.settings)
    alert = AlertDrill(stack.context, stack.timings, stack.runbook_base_url, live.alertmanager.url, severity,
                       service=service, duration=duration, timeout=20, out=out, auth=live.web_auth)
    assert run(alert, err=out) == 0, out.getvalue()
    assert not live.alertmanager.alerts_named(ALERTNAME)
    return out.getvalue()


def slack_about(since: float, channel: str, *, resolved: bool) -> Callable[[HttpRequest], bool]:
    def match(r: HttpRequest) -> bool:
        text = slack_text(r)
        return r.at >= since and ALERTNAME in text and channel_of(r) == channel and ("RESOLVED" in text) == resolved
    return match


def test_critical_test_alert_pages_and_posts_then_resolves(live: LiveStack) -> None:
    since = time.time()
    out = send(live, "critical")
    assert "routed to: pagerduty-critical, slack-critical" in out
    assert "resolved InternetIdTestAlert" in out
    critical = live.settings.notifications.slack.channels.critical
    trigger = live.pagerduty.wait_for(lambda r: r.at >= since and pd_field(r, "event_action") == "trigger"
                                      and pd_field(r, "payload", "class") == ALERTNAME, ARRIVE)[0]
    assert "TEST alert" in str(trigger.json)
    live.pagerduty.wait_for(lambda r: r.at >= since and pd_field(r, "event_action") == "resolve"
                            and pd_field(r, "dedup_key") == pd_field(trigger, "dedup_key"), ARRIVE)
    live.slack.wait_for(slack_about(since, critical, resolved=False), ARRIVE)
    live.slack.wait_for(slack_about(since, critical, resolved=True), ARRIVE)
    assert not live.smtp.matching(lambda m: m.at >= since and ALERTNAME in m.subject)


def test_warning_test_alert_reaches_slack_only(live: LiveStack) -> None:
    since = time.time()
    out = send(live, "warning")
    assert "routed to: slack-warnings" in out
    warnings = live.settings.notifications.slack.channels.warnings
    live.slack.wait_for(slack_about(since, warnings, resolved=False), ARRIVE)
    live.slack.wait_for(slack_about(since, warnings, resolved=True), ARRIVE)
    assert not live.pagerduty.matching(lambda r: r.at >= since)


def test_info_test_alert_is_emailed(live: LiveStack) -> None:
    since = time.time()
    out = send(live, "info")
    assert "routed to: email-info" in out
    mail: Mail = live.smtp.wait_for(lambda m: m.at >= since and ALERTNAME in m.subject, ARRIVE)[0]
    assert "TEST alert" in mail.text()
    assert live.settings.rules.runbook_base_url + "#test-alerts" in mail.text()
    assert not live.pagerduty.matching(lambda r: r.at >= since)
    assert not live.slack.matching(lambda r: r.at >= since and ALERTNAME in slack_text(r))


def test_default_duration_comes_from_the_live_timings(live: LiveStack) -> None:
    plan = duration_plan(live.settings.notifications.timing, labels_for(live.settings.context, "info",
                                                                        "monitoring-test"))
    assert plan.group_wait + plan.group_interval < plan.default <= 2 * (plan.group_wait + plan.group_interval)


def test_alert_resolved_before_group_wait_notifies_nobody(live: LiveStack) -> None:
    """Why ``test-alert`` refuses a --duration shorter than group_wait: Alertmanager drops a group whose alerts
    all resolved before its first notification.  (A service of its own, so the group is new.)"""
    plan = duration_plan(live.settings.notifications.timing, labels_for(live.settings.context, "info", "short-test"))
    since = time.time()
    out = send(live, "info", service="short-test", duration=0)  # resolved as soon as listed
    assert "routed to: email-info" in out
    time.sleep(plan.group_wait + 2 * plan.group_interval + 2)  # the first flush and two more have passed
    assert not live.smtp.matching(lambda m: m.at >= since and ALERTNAME in m.subject)
