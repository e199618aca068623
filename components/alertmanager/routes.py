"""The routing table: which alerts reach which receiver, walked in order to build the route tree.

Every route hangs directly under the root route (receiver ``default``, which takes whatever no
route matches, e.g. an alert without a known ``severity``).  Order matters: Alertmanager stops at
the first matching route unless it has ``continue``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Timing = Literal["critical", "warning", "info", "default", "watchdog"]

GROUP_BY = ("alertname", "cluster", "service", "slo")
"""Alerts of one rule on one service in one cluster are notified together; ``ErrorBudgetBurn`` of each SLO
apart (two SLOs burning are two problems, two PagerDuty incidents).  Alerts without ``slo`` group as before."""

DEFAULT_RECEIVER = "default"
WATCHDOG = "watchdog"
PAGERDUTY_CRITICAL = "pagerduty-critical"
PAGERDUTY_DATABASE = "pagerduty-database"
SLACK_CRITICAL = "slack-critical"
SLACK_WARNINGS = "slack-warnings"
EMAIL_INFO = "email-info"

RECEIVERS = (
    PAGERDUTY_CRITICAL, PAGERDUTY_DATABASE, SLACK_CRITICAL, SLACK_WARNINGS, EMAIL_INFO, WATCHDOG, DEFAULT_RECEIVER
)
"""Every receiver name; all of them exist in every stack, whatever channels are switched on."""


@dataclass(frozen=True)
class Route:
    """One child route of the root: alerts matching every matcher go to ``receiver``."""

    receiver: str
    matchers: tuple[str, ...]
    timing: Timing
    continue_: bool = False
    why: str = ""


ROUTES: tuple[Route, ...] = (
    Route(
        WATCHDOG,
        ('alertname="Watchdog"',),
        "watchdog",
        why="the always-firing heartbeat goes to the dead-man's switch only, never to people",
    ),
    Route(
        PAGERDUTY_DATABASE,
        ('severity="critical"', 'service="database"'),
        "critical",
        continue_=True,
        why="database criticals page the database service (DBA rotation) ...",
    ),
    Route(
        PAGERDUTY_CRITICAL,
        ('severity="critical"', 'service!="database"'),
        "critical",
        continue_=True,
        why="... every other critical pages the main service",
    ),
    Route(SLACK_CRITICAL, ('severity="critical"',), "critical", why="every critical also reaches Slack"),
    Route(SLACK_WARNINGS, ('severity="warning"',), "warning", why="warnings go to Slack only"),
    Route(EMAIL_INFO, ('severity="info"',), "info", why="info goes to e-mail only"),
)
