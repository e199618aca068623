"""``python -m components test-alert``: a clearly labelled alert through Alertmanager's /api/v2, held, then resolved.

The alert carries ``test="true"`` and says in its summary that it is a test; on-call checks that the
channels its severity routes to (PagerDuty, Slack, e-mail) really receive it, and its resolve.
"""

from __future__ import annotations

import getpass
import re
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from components.alertmanager.routes import ROUTES, Route
from components.durations import seconds
from components.exit_codes import EXIT_INTERRUPTED
from components.operator.http import FetchError, get_json, join, post_json

if TYPE_CHECKING:
    from components.alertmanager.settings import RouteTiming, RouteTimings
    from components.context import StackContext

ALERTNAME = "InternetIdTestAlert"
SEVERITIES = ("critical", "warning", "info")
DEFAULT_SERVICE = "monitoring-test"
MARGIN = 30.0
"""Seconds added to group_wait + group_interval in the default duration (posting, Alertmanager's timers);
a route whose group_wait + group_interval is shorter (the live profile's) gets that sum as margin instead."""
RUNBOOK_ANCHOR = "test-alerts"
"""Section of docs/runbook.md about test alerts (heading ``## Test alerts``)."""
HOLD = 60.0
"""The alert's endsAt lies this far ahead; if this command dies, Alertmanager resolves it by itself then."""
KEEPALIVE = 20.0
"""Re-post interval while the alert is held, pushing endsAt ahead again."""
POLL = 0.5


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def operator() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def labels_for(context: StackContext, severity: str, service: str) -> dict[str, str]:
    return {
        "alertname": ALERTNAME,
        "severity": severity,
        "service": service,
        "cluster": context.cluster,
        "environment": context.environment,
        "test": "true",
    }


def annotations_for(
    context: StackContext, runbook_base_url: str, severity: str, *, who: str, at: datetime, duration: float
) -> dict[str, str]:
    return {
        "summary": f"TEST alert ({severity}) from `python -m components test-alert`: no action needed",
        "description": (
            f"A test alert sent by {who} at {rfc3339(at)} with `python -m components test-alert --stack "
            f"{context.stack} --severity {severity}` to check that {severity} alerts of {context.cluster} reach "
            f"their receivers. It resolves by itself after {duration:g}s. Nothing is wrong with the service."
        ),
        "runbook_url": f"{runbook_base_url}#{RUNBOOK_ANCHOR}",
    }


_MATCHER = re.compile(r'(\w+)(!?=)"(.*)"', re.DOTALL)


def _matches(route: Route, labels: dict[str, str]) -> bool:
    for matcher in route.matchers:
        found = _MATCHER.fullmatch(matcher)
        if found is None:
            raise ValueError(f"route matcher {matcher!r} is not name=\"value\" or name!=\"value\"")
        name, operator_, value = found.groups()
        if (labels.get(name, "") == value) != (operator_ == "="):
            return False
    return True


def routes_for(labels: dict[str, str]) -> list[Route]:
    """The routes an alert with ``labels`` goes through, walked like Alertmanager walks the root's children:
    in order, stopping at the first match without ``continue``; empty means the root route itself."""
    matched = []
    for route in ROUTES:
        if _matches(route, labels):
            matched.append(route)
            if not route.continue_:
                break
    return matched


@dataclass(frozen=True)
class DurationPlan:
    """How long a test alert must stay active for the routes it goes through to notify about it.

    Alertmanager sends nothing for a group whose alerts all resolved before its first flush (group_wait
    after the group appears), and an alert joining a group that already exists (a test alert sent again
    soon) waits for that group's next flush, up to group_interval.  So the alert is held for group_wait +
    group_interval plus a margin by default; shorter than group_wait it can notify nobody.
    """

    route: str
    """The timing's name (``critical``, ``warning``, ``info``, ``default``)."""
    timing: RouteTiming

    @property
    def group_wait(self) -> float:
        return seconds(self.timing.group_wait)

    @property
    def group_interval(self) -> float:
        return seconds(self.timing.group_interval)

    @property
    def margin(self) -> float:
        return min(MARGIN, self.group_wait + self.group_interval)

    @property
    def default(self) -> float:
        return self.group_wait + self.group_interval + self.margin

    def explain(self) -> str:
        return (f"the {self.route} route's group_wait {self.timing.group_wait} + group_interval "
                f"{self.timing.group_interval} + {self.margin:g}s")

    def too_short(self, duration: float) -> str | None:
        """Why ``duration`` cannot work (shorter than group_wait), else ``None``."""
        if duration >= self.group_wait:
            return None
        return (f"--duration {duration:g}s is shorter than the {self.route} route's group_wait "
                f"{self.timing.group_wait}: Alertmanager would notify nobody (the alert resolves before the "
                f"group's first notification); use at least {self.group_wait:g}s, or leave --duration out "
                f"(default {self.default:g}s)")

    def risky(self, duration: float) -> str | None:
        """A warning when ``duration`` only works for a group Alertmanager does not hold yet, else ``None``."""
        if duration >= self.group_wait + self.group_interval:
            return None
        return (f"warning: --duration {duration:g}s is shorter than the {self.route} route's group_wait "
                f"{self.timing.group_wait} + group_interval {self.timing.group_interval}: if Alertmanager still "
                "holds a group of this alert (e.g. a test alert sent minutes ago), it may resolve before that "
                "group's next notification and nobody is notified")


def receivers_without_integrations(status: Any, receivers: list[str]) -> list[str] | None:
    """Those of ``receivers`` that Alertmanager's loaded config (``/api/v2/status``) gives no integration (no
    ``*_configs``): an alert routed there reaches nobody.  ``None`` when the answer holds no readable config."""
    original = (status.get("config") or {}).get("original") if isinstance(status, dict) else None
    try:
        config = yaml.safe_load(original) if isinstance(original, str) else None
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict):
        return None
    delivering = {
        str(receiver.get("name")) for receiver in config.get("receivers") or []
        if isinstance(receiver, dict) and any(key.endswith("_configs") and value for key, value in receiver.items())
    }
    return [name for name in receivers if name not in delivering]


def duration_plan(timings: RouteTimings, labels: dict[str, str]) -> DurationPlan:
    """The plan of the slowest route an alert with ``labels`` goes through with the stack's route ``timings``."""
    names = [route.timing for route in routes_for(labels)] or ["default"]
    plans = [DurationPlan(name, getattr(timings, name)) for name in dict.fromkeys(names)]
    return max(plans, key=lambda plan: plan.group_wait + plan.group_interval)


@dataclass
class AlertDrill:
    """One test alert and its posting; ``now`` and ``sleep`` are injectable for tests."""

    context: StackContext
    timings: RouteTimings
    """The stack's route timings (``notifications.timing``)."""
    runbook_base_url: str
    alertmanager: str
    severity: str
    service: str = DEFAULT_SERVICE
    duration: float | None = None
    """Seconds to hold the alert; ``None``: the plan's default (group_wait + group_interval + margin)."""
    timeout: float = 30.0
    auth: tuple[str, str] | None = field(default=None, repr=False)
    """User and password Alertmanager requires (``webAuth``), sent as basic auth."""
    out: TextIO | None = None
    """Progress lines (default: stdout)."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    who: str = field(default_factory=operator)
    started: datetime | None = None
    posted: bool = False

    @property
    def labels(self) -> dict[str, str]:
        return labels_for(self.context, self.severity, self.service)

    @property
    def plan(self) -> DurationPlan:
        return duration_plan(self.timings, self.labels)

    @property
    def held(self) -> float:
        """Seconds the alert is held: ``duration``, or the plan's default."""
        return self.plan.default if self.duration is None else self.duration

    def document(self, ends_at: datetime) -> dict[str, Any]:
        assert self.started is not None
        return {
            "labels": self.labels,
            "annotations": annotations_for(self.context, self.runbook_base_url, self.severity, who=self.who,
                                           at=self.started, duration=self.held),
            "startsAt": rfc3339(self.started),
            "endsAt": rfc3339(ends_at),
        }

    def post(self, ends_at: datetime) -> None:
        post_json(join(self.alertmanager, "/api/v2/alerts"), [self.document(ends_at)], timeout=self.timeout,
                  auth=self.auth)

    def listed(self) -> list[dict[str, Any]]:
        """This alert as Alertmanager lists it (active, silenced or inhibited): empty once resolved."""
        params = [("active", "true"), ("silenced", "true"), ("inhibited", "true"), ("unprocessed", "true")]
        params += [("filter", f'{name}="{value}"') for name, value in self.labels.items()]
        url = join(self.alertmanager, f"/api/v2/alerts?{urllib.parse.urlencode(params)}")
        found = get_json(url, timeout=self.timeout, auth=self.auth)
        return [a for a in found if a.get("labels") == self.labels] if isinstance(found, list) else []

    def wait_until(self, done: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + self.timeout
        while True:
            found = self.listed()
            if done(found):
                return found
            if time.monotonic() >= deadline:
                raise FetchError(f"Alertmanager at {self.alertmanager}: {what} not seen within {self.timeout:g}s")
            self.sleep(POLL)

    def say(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)

    def fire(self) -> list[str]:
        """Post the alert, wait until Alertmanager lists it; return the receivers it is routed to."""
        self.started = self.now()
        self.post(self.started + timedelta(seconds=HOLD))
        self.posted = True
        self.say(f"posted {ALERTNAME} severity={self.severity} service={self.service} cluster={self.context.cluster} "
                 f"to {self.alertmanager}/api/v2/alerts")
        found = self.wait_until(bool, "the posted alert")
        receivers = sorted({str(r.get("name")) for a in found for r in a.get("receivers") or []})
        status = found[0].get("status") or {}
        routed = ", ".join(receivers) or "none"
        self.say(f"Alertmanager lists it (state {status.get('state', '?')}); routed to: {routed}")
        if status.get("silencedBy") or status.get("inhibitedBy"):
            self.say("warning: the alert is silenced or inhibited: its receivers will not be notified")
        self.say_undelivered(receivers)
        return receivers

    def say_undelivered(self, receivers: list[str]) -> None:
        """Name the receivers that deliver nowhere in this stack (dev: no PagerDuty, Slack or e-mail)."""
        try:
            status = get_json(join(self.alertmanager, "/api/v2/status"), timeout=self.timeout, auth=self.auth)
        except FetchError as error:
            self.say(f"note: could not read Alertmanager's config to tell which receivers deliver: {error}")
            return
        silent = receivers_without_integrations(status, receivers)
        if not silent:
            return
        verb = "has" if len(silent) == 1 else "have"
        names = f"{', '.join(silent)} {verb} no integration in stack {self.context.stack}"
        if len(silent) < len(receivers):
            self.say(f"note: {names}: nothing is delivered there")
            return
        self.say(f"nothing is delivered: {names} (no PagerDuty, Slack or e-mail configured); the alert shows in "
                 f"Alertmanager ({self.alertmanager}) only")

    def hold(self) -> None:
        """Keep the alert active for ``duration`` seconds, re-posting it before its endsAt."""
        assert self.started is not None
        until = self.started + timedelta(seconds=self.held)
        last_post = self.started
        why = f" (the default: {self.plan.explain()})" if self.duration is None else ""
        self.say(f"holding it for {self.held:g}s{why} until {rfc3339(until)}; Ctrl-C resolves it now")
        while (left := (until - self.now()).total_seconds()) > 0:
            if (self.now() - last_post).total_seconds() >= KEEPALIVE:
                last_post = self.now()
                self.post(last_post + timedelta(seconds=HOLD))
            self.sleep(min(left, 1.0))

    def resolve(self) -> None:
        """Post the alert with endsAt now; wait until Alertmanager no longer lists it."""
        self.post(self.now())
        self.wait_until(lambda found: not found, "the resolve")
        self.say(f"resolved {ALERTNAME}: Alertmanager no longer lists it as active; receivers that send "
                 f"resolves get it at the group's next notification, within {self.plan.timing.group_interval}")


def run(alert: AlertDrill, *, err: TextIO | None = None) -> int:
    """Fire, hold and resolve ``alert``; one-line errors, Ctrl-C resolves before exiting."""
    err = err or sys.stderr
    try:
        try:
            alert.fire()
            alert.hold()
        except KeyboardInterrupt:
            alert.say("interrupted: resolving the test alert")
            alert.resolve()
            return EXIT_INTERRUPTED
        except FetchError as error:
            print(f"error: {error}", file=err)
            if alert.posted:
                _resolve_quietly(alert, err)
            return 1
        alert.resolve()
        return 0
    except FetchError as error:
        print(f"error: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted; the test alert ends by itself within {HOLD:g}s", file=err)
        return EXIT_INTERRUPTED


def _resolve_quietly(alert: AlertDrill, err: TextIO) -> None:
    try:
        alert.post(alert.now())
    except FetchError:
        print(f"note: could not resolve it; Alertmanager ends it by itself within {HOLD:g}s", file=err)
