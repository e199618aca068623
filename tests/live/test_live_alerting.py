"""Scenarios: a failure is provoked for real, and the receivers show who was told what.

Each test starts from a healthy, quiet stack (``live`` fixture) and looks only at what the
receivers got after the failure began.  Timings come from the live profile: 2s scrapes, 1s
evaluations, ``for`` scaled by 0.02, 10s rate windows, 1s group wait, 2s group interval.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.live.harness import profile
from tests.live.harness.clients import poll
from tests.live.harness.receivers import HttpRequest, Mail, channel_of, pd_field, slack_text
from tests.live.harness.stack import HOST_SERVICES, LiveStack

pytestmark = pytest.mark.live

FIRE = 45.0
"""Upper bound from provoking a failure to the notification (``for`` + group wait + slack)."""
RESOLVE = 45.0


def slack_about(alertname: str, since: float, channel: str | None = None, *, resolved: bool | None = None
                ) -> Any:
    def match(r: HttpRequest) -> bool:
        if r.at < since or alertname not in slack_text(r):
            return False
        if channel is not None and channel_of(r) != channel:
            return False
        if resolved is None:
            return True
        return ("RESOLVED" in slack_text(r)) == resolved
    return match


def host_alert(r: HttpRequest) -> bool:
    """An event about the test machine itself (disk, memory, load): not part of any scenario."""
    return pd_field(r, "payload", "component") in HOST_SERVICES


def pd_event(alertname: str, since: float, action: str) -> Any:
    def match(r: HttpRequest) -> bool:
        return r.at >= since and pd_field(r, "event_action") == action and (
            action != "trigger" or pd_field(r, "payload", "class") == alertname)
    return match


def test_api_down_pages_and_posts_to_slack_then_both_resolve(live: LiveStack) -> None:
    since = time.time()
    live.api.down()

    trigger = live.pagerduty.wait_for(pd_event("ServiceDown", since, "trigger"), FIRE)[0]
    live.measurements["API down -> ServiceDown page (s)"] = round(trigger.at - since, 1)
    event = trigger.json
    assert event["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"].startswith("ServiceDown: ")
    runbook = live.settings.rules.runbook_url("ServiceDown")
    assert {"href": runbook, "text": "Runbook"} in event["links"], event["links"]
    assert event["payload"]["custom_details"]["runbook_url"] == runbook
    slack = live.slack.wait_for(slack_about("ServiceDown", since, live.settings.notifications.slack.channels.critical,
                                            resolved=False), FIRE)
    assert "danger" in str(slack[0].json)
    # The probe of the same API is down too, but ServiceDown explains it: no second page, no warning post.
    assert not live.pagerduty.matching(pd_event("ProbeFailed", since, "trigger"))

    back = time.time()
    live.api.up()
    resolve = live.pagerduty.wait_for(
        lambda r: r.at >= back and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == event["dedup_key"], RESOLVE)[0]
    live.measurements["API back -> ServiceDown resolve (s)"] = round(resolve.at - back, 1)
    assert resolve.json["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
    live.slack.wait_for(slack_about("ServiceDown", back, "alerts-critical", resolved=True), RESOLVE)
    assert not [r for r in live.slack.matching(slack_about("ProbeFailed", since))], "ProbeFailed was not inhibited"
    assert not live.slack.rejected and not live.pagerduty.rejected


def test_api_that_stops_answering_pages_too(live: LiveStack) -> None:
    """Port open, no answer: every scrape times out, ``up`` is 0 all the same."""
    since = time.time()
    live.api.hang()
    trigger = live.pagerduty.wait_for(pd_event("ServiceDown", since, "trigger"), FIRE)[0]
    live.measurements["API hangs -> ServiceDown page (s)"] = round(trigger.at - since, 1)
    assert trigger.json["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
    back = time.time()
    live.api.answer()
    live.pagerduty.wait_for(
        lambda r: r.at >= back and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == trigger.json["dedup_key"], RESOLVE)


def test_high_error_ratio_warns_in_slack_only(live: LiveStack) -> None:
    since = time.time()
    live.api.set_error_ratio(0.07)  # above HighErrorRate (5%), below CriticalErrorRate (10%)
    message = live.slack.wait_for(slack_about("HighErrorRate", since, resolved=False), FIRE)[0]
    assert channel_of(message) == live.settings.notifications.slack.channels.warnings
    assert "WARNING" in slack_text(message)
    # Alertmanager routed it to Slack only, and Prometheus has no critical tier pending.
    routed = {r["name"] for alert in live.alertmanager.alerts_named("HighErrorRate") for r in alert["receivers"]}
    assert routed == {"slack-warnings"}, routed
    assert not [a for a in live.prometheus.alerts() if a["labels"].get("alertname") == "CriticalErrorRate"]
    live.flushed_since(message.at)  # a page or mail would have gone out by now
    # The threshold alert pages nobody. The SLO does: 7% errors burn a 0.1% budget 70 times too fast, so
    # ErrorBudgetBurn pages (test_live_slo.py); its events are the only ones PagerDuty may get here.
    assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r)
                                       and pd_field(r, "payload", "class") != "ErrorBudgetBurn")
    assert not live.smtp.matching(lambda m: m.at >= since)
    assert not live.slack.matching(slack_about("CriticalErrorRate", since))

    fixed = time.time()
    live.api.set_error_ratio(0.0)
    live.slack.wait_for(slack_about("HighErrorRate", fixed, "alerts-warnings", resolved=True), RESOLVE)


def test_critical_mutes_the_warning_of_the_same_service(live: LiveStack) -> None:
    since = time.time()
    live.api.set_error_ratio(0.3)  # both HighErrorRate (warning) and CriticalErrorRate (critical) hold
    trigger = live.pagerduty.wait_for(pd_event("CriticalErrorRate", since, "trigger"), FIRE)[0]
    assert trigger.json["routing_key"] == profile.PAGERDUTY_ROUTING_KEY

    prom, am = live.prometheus, live.alertmanager
    poll(lambda: prom.firing("HighErrorRate"), bool, FIRE, "HighErrorRate firing in Prometheus")
    critical = poll(lambda: am.alerts_named("CriticalErrorRate"), bool, FIRE, "CriticalErrorRate in Alertmanager")
    warning = poll(lambda: am.alerts_named("HighErrorRate"), lambda a: bool(a and a[0]["status"]["inhibitedBy"]),
                   FIRE, "HighErrorRate inhibited in Alertmanager")
    assert warning[0]["status"]["state"] == "suppressed"
    assert warning[0]["status"]["inhibitedBy"] == [critical[0]["fingerprint"]]
    live.flushed_since(time.time())
    assert not live.slack.matching(slack_about("HighErrorRate", since)), "the warning reached Slack"
    live.slack.wait_for(slack_about("CriticalErrorRate", since, "alerts-critical", resolved=False), FIRE)


def test_info_alert_is_emailed(live: LiveStack) -> None:
    since = time.time()
    live.api.set_cache_hit_ratio(0.2)  # LowCacheHitRate: below 50%
    mail: Mail = live.smtp.wait_for(lambda m: m.at >= since and "LowCacheHitRate" in m.subject, FIRE + 15)[0]
    assert mail.rcpt_tos == [profile.EMAIL_TO]
    assert profile.EMAIL_FROM in mail.mail_from
    assert mail.login == (profile.SMTP_USER, profile.SMTP_PASSWORD), "SMTP login is not the smtpPassword secret"
    assert "[Internet-ID live]" in mail.subject and "INFO" in mail.subject
    assert live.settings.rules.runbook_url("LowCacheHitRate") in mail.text()
    assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r))
    assert not live.slack.matching(slack_about("LowCacheHitRate", since))


def test_database_down_pages_the_database_key_and_mutes_pool_alerts(live: LiveStack) -> None:
    since = time.time()
    live.postgres.stop()
    trigger = live.pagerduty.wait_for(pd_event("DatabaseDown", since, "trigger"), FIRE)[0]
    live.measurements["PostgreSQL stopped -> DatabaseDown page (s)"] = round(trigger.at - since, 1)
    assert trigger.json["routing_key"] == profile.PAGERDUTY_DATABASE_ROUTING_KEY
    assert trigger.json["payload"]["severity"] == "critical"
    assert trigger.json["payload"]["summary"].startswith("[Database] DatabaseDown")
    assert not live.pagerduty.matching(
        lambda r: r.at >= since and pd_field(r, "routing_key") == profile.PAGERDUTY_ROUTING_KEY)
    live.slack.wait_for(slack_about("DatabaseDown", since, "alerts-critical", resolved=False), FIRE)

    # With the database gone the pool series vanish, so pool alerts are sent the way a stale
    # Prometheus would: straight to Alertmanager's API, and they must be muted by DatabaseDown.
    am = live.alertmanager
    database_down = poll(lambda: am.alerts_named("DatabaseDown"), bool, FIRE, "DatabaseDown in Alertmanager")[0]
    now = datetime.now(UTC)
    pool: list[dict[str, Any]] = [
        {"labels": {"alertname": name, "severity": severity, "service": "database", "cluster": live.settings.cluster,
                    "environment": live.settings.environment, "job": "postgres"},
         "annotations": {"summary": "pool alert during DatabaseDown"},
         "startsAt": now.isoformat(), "endsAt": (now + timedelta(seconds=60)).isoformat()}
        for name, severity in (("DatabaseConnectionPoolExhaustion", "warning"),
                               ("DatabaseConnectionPoolCritical", "critical"))
    ]
    try:
        # One at a time: once the critical pool alert is in, it mutes the warning tier by itself.
        for alert in pool:
            am.post_alerts([alert])
            name = alert["labels"]["alertname"]
            got = poll(lambda n=name: am.alerts_named(n), bool, 10, f"{name} in Alertmanager")[0]  # type: ignore[misc]
            assert got["status"]["state"] == "suppressed", got
            assert got["status"]["inhibitedBy"] == [database_down["fingerprint"]], got
        live.flushed_since(time.time())
        assert not live.pagerduty.matching(pd_event("DatabaseConnectionPoolCritical", since, "trigger"))
        assert not live.slack.matching(slack_about("DatabaseConnectionPool", since))
    finally:
        ended = datetime.now(UTC).isoformat()
        am.post_alerts([{**alert, "endsAt": ended} for alert in pool])

    back = time.time()
    live.postgres.start()
    live.pagerduty.wait_for(
        lambda r: r.at >= back and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == trigger.json["dedup_key"]
        and pd_field(r, "routing_key") == profile.PAGERDUTY_DATABASE_ROUTING_KEY, RESOLVE)


def test_watchdog_reaches_the_heartbeat_repeatedly(live: LiveStack) -> None:
    since = time.time()
    beats = live.heartbeat.wait_for(lambda r: r.at >= since and r.method == "POST", 30, count=3)
    for beat in beats:
        assert beat.path == "/ping/live-heartbeat"
        alerts = beat.json["alerts"]
        assert [a["labels"]["alertname"] for a in alerts] == ["Watchdog"]
        assert beat.json["status"] == "firing"
    # Never to people.
    assert not live.slack.matching(slack_about("Watchdog", since))
    assert not live.pagerduty.matching(lambda r: r.at >= since and pd_field(r, "payload", "class") == "Watchdog")
