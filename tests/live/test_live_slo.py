"""The SLO pipeline for real: the API stand-in fails a share of its requests, Prometheus burns the
``api-availability`` budget, and the receivers show a ticket or a page.

The live profile keeps the shipped burn rates (14.4 and 6 page, 3 and 1 open a ticket) over compressed
windows (``profile.SLO_WINDOWS``: 20s/10s, 40s/12s page; 1m/16s, 90s/20s ticket), and the shipped objective
(99.9%, a budget of 0.1%).  The stand-in sends 100 requests a second.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from components.slo.render import error_ratio
from tests.live.harness import profile
from tests.live.harness.clients import poll
from tests.live.harness.receivers import channel_of, pd_field, slack_text
from tests.live.harness.stack import LiveStack
from tests.live.test_live_alerting import RESOLVE, host_alert, pd_event, slack_about

pytestmark = pytest.mark.live

SLO = "api-availability"
FIRE = 60.0
"""From the first error to the notification: the burn must first fill a long window (20 s for a ticket here)."""


def clean_windows(live: LiveStack) -> None:
    """Wait until the longest window holds no error of an earlier scenario, so the burn starts from a clean budget."""
    longest = live.settings.slo_alerting.windows()[-1]
    expr = f'{error_ratio(longest)}{{slo="{SLO}"}}'
    poll(lambda: live.prometheus.value(expr), lambda v: v == 0, 150, f"{expr} back at 0")


def burns(severity: str) -> Any:
    return lambda alerts: [a for a in alerts if a["labels"].get("slo") == SLO and a["labels"]["severity"] == severity]


def test_a_small_error_ratio_opens_a_ticket_in_slack_only(live: LiveStack) -> None:
    clean_windows(live)
    since = time.time()
    # 0.45% of requests: a burn rate of 4.5, above the tickets' 3 and 1, below the pages' 6 and 14.4, and far
    # below HighErrorRate's 5%: only the SLO notices.
    live.api.set_error_ratio(0.0045)
    warnings = live.settings.notifications.slack.channels.warnings
    message = live.slack.wait_for(slack_about("ErrorBudgetBurn", since, warnings, resolved=False), FIRE)[0]
    live.measurements["0.45% errors -> ErrorBudgetBurn ticket (s)"] = round(message.at - since, 1)
    text = slack_text(message)
    assert "WARNING" in text and f"SLO {SLO}: error budget burn rate" in text, text
    assert f"{live.settings.rules.runbook_base_url}#errorbudgetburn" in text
    time.sleep(3)  # a page would have gone out by now
    assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r))
    assert not live.slack.matching(lambda r: r.at >= since and channel_of(r) != warnings)
    assert not live.slack.matching(slack_about("HighErrorRate", since))
    assert not live.smtp.matching(lambda m: m.at >= since)

    fixed = time.time()
    live.api.set_error_ratio(0.0)
    resolved = live.slack.wait_for(slack_about("ErrorBudgetBurn", fixed, warnings, resolved=True), RESOLVE)[0]
    live.measurements["errors stop -> ticket resolved (s)"] = round(resolved.at - fixed, 1)


def test_a_large_error_ratio_pages_pagerduty_and_slack_and_mutes_the_tickets(live: LiveStack) -> None:
    clean_windows(live)
    since = time.time()
    # 2% of requests: a burn rate of 20, above every factor, still below HighErrorRate's 5%.
    live.api.set_error_ratio(0.02)
    trigger = live.pagerduty.wait_for(pd_event("ErrorBudgetBurn", since, "trigger"), FIRE)[0]
    live.measurements["2% errors -> ErrorBudgetBurn page (s)"] = round(trigger.at - since, 1)
    event = trigger.json
    assert event["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"].startswith(f"ErrorBudgetBurn: SLO {SLO}: error budget burn rate ")
    critical = live.settings.notifications.slack.channels.critical
    live.slack.wait_for(slack_about("ErrorBudgetBurn", since, critical, resolved=False), FIRE)

    # The same burn opened the tickets first (their long windows fill sooner here); the page mutes them.
    am = live.alertmanager
    pages = poll(lambda: burns("critical")(am.alerts_named("ErrorBudgetBurn")), bool, FIRE, "the page in Alertmanager")
    tickets = poll(lambda: burns("warning")(am.alerts_named("ErrorBudgetBurn")),
                   lambda found: bool(found) and all(a["status"]["inhibitedBy"] for a in found), FIRE,
                   "the tickets muted in Alertmanager")
    page_prints = {a["fingerprint"] for a in pages}
    for ticket in tickets:
        assert ticket["status"]["state"] == "suppressed"
        assert set(ticket["status"]["inhibitedBy"]) <= page_prints, (ticket, pages)
    assert not live.slack.matching(slack_about("HighErrorRate", since))
    assert not live.slack.matching(slack_about("CriticalErrorRate", since))

    fixed = time.time()
    live.api.set_error_ratio(0.0)
    resolve = live.pagerduty.wait_for(
        lambda r: r.at >= fixed and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == event["dedup_key"], RESOLVE)[0]
    live.measurements["errors stop -> page resolved (s)"] = round(resolve.at - fixed, 1)
    live.slack.wait_for(slack_about("ErrorBudgetBurn", fixed, critical, resolved=True), RESOLVE)
