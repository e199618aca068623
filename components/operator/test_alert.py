"""``python -m components test-alert``: a clearly labelled alert through Alertmanager's /api/v2, held, then resolved.

The alert carries ``test="true"`` and says in its summary that it is a test; on-call checks that the
channels its severity routes to (PagerDuty, Slack, e-mail) really receive it, and its resolve.
"""

from __future__ import annotations

import getpass
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from components.operator.http import FetchError, get_json, join, post_json
from components.settings import StackSettings

ALERTNAME = "InternetIdTestAlert"
SEVERITIES = ("critical", "warning", "info")
DEFAULT_SERVICE = "monitoring-test"
DEFAULT_DURATION = 120.0
RUNBOOK_ANCHOR = "test-alerts"
"""Section of docs/runbook.md about test alerts (heading ``## Test alerts``)."""
HOLD = 60.0
"""The alert's endsAt lies this far ahead; if this command dies, Alertmanager resolves it by itself then."""
KEEPALIVE = 20.0
"""Re-post interval while the alert is held, pushing endsAt ahead again."""
POLL = 0.5
EXIT_INTERRUPTED = 130


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def operator() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def labels_for(settings: StackSettings, severity: str, service: str) -> dict[str, str]:
    return {
        "alertname": ALERTNAME,
        "severity": severity,
        "service": service,
        "cluster": settings.cluster,
        "environment": settings.environment,
        "test": "true",
    }


def annotations_for(
    settings: StackSettings, severity: str, *, who: str, at: datetime, duration: float
) -> dict[str, str]:
    return {
        "summary": f"TEST alert ({severity}) from `python -m components test-alert`: no action needed",
        "description": (
            f"A test alert sent by {who} at {rfc3339(at)} with `python -m components test-alert --stack "
            f"{settings.stack} --severity {severity}` to check that {severity} alerts of {settings.cluster} reach "
            f"their receivers. It resolves by itself after {duration:g}s. Nothing is wrong with the service."
        ),
        "runbook_url": f"{settings.rules.runbook_base_url}#{RUNBOOK_ANCHOR}",
    }


@dataclass
class TestAlert:
    """One test alert and its posting; ``now`` and ``sleep`` are injectable for tests."""

    __test__ = False  # not a pytest test class

    settings: StackSettings
    alertmanager: str
    severity: str
    service: str = DEFAULT_SERVICE
    duration: float = DEFAULT_DURATION
    timeout: float = 30.0
    out: TextIO | None = None
    """Progress lines (default: stdout)."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    who: str = field(default_factory=operator)
    started: datetime | None = None
    posted: bool = False

    @property
    def labels(self) -> dict[str, str]:
        return labels_for(self.settings, self.severity, self.service)

    def document(self, ends_at: datetime) -> dict[str, Any]:
        assert self.started is not None
        return {
            "labels": self.labels,
            "annotations": annotations_for(self.settings, self.severity, who=self.who, at=self.started,
                                           duration=self.duration),
            "startsAt": rfc3339(self.started),
            "endsAt": rfc3339(ends_at),
        }

    def post(self, ends_at: datetime) -> None:
        post_json(join(self.alertmanager, "/api/v2/alerts"), [self.document(ends_at)], timeout=self.timeout)

    def listed(self) -> list[dict[str, Any]]:
        """This alert as Alertmanager lists it (active, silenced or inhibited): empty once resolved."""
        params = [("active", "true"), ("silenced", "true"), ("inhibited", "true"), ("unprocessed", "true")]
        params += [("filter", f'{name}="{value}"') for name, value in self.labels.items()]
        url = join(self.alertmanager, f"/api/v2/alerts?{urllib.parse.urlencode(params)}")
        found = get_json(url, timeout=self.timeout)
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
        self.say(f"posted {ALERTNAME} severity={self.severity} service={self.service} cluster={self.settings.cluster} "
                 f"to {self.alertmanager}/api/v2/alerts")
        found = self.wait_until(bool, "the posted alert")
        receivers = sorted({str(r.get("name")) for a in found for r in a.get("receivers") or []})
        status = found[0].get("status") or {}
        routed = ", ".join(receivers) or "none"
        self.say(f"Alertmanager lists it (state {status.get('state', '?')}); routed to: {routed}")
        if status.get("silencedBy") or status.get("inhibitedBy"):
            self.say("warning: the alert is silenced or inhibited: its receivers will not be notified")
        return receivers

    def hold(self) -> None:
        """Keep the alert active for ``duration`` seconds, re-posting it before its endsAt."""
        assert self.started is not None
        until = self.started + timedelta(seconds=self.duration)
        last_post = self.started
        self.say(f"holding it for {self.duration:g}s (until {rfc3339(until)}); Ctrl-C resolves it now")
        while (left := (until - self.now()).total_seconds()) > 0:
            if (self.now() - last_post).total_seconds() >= KEEPALIVE:
                last_post = self.now()
                self.post(last_post + timedelta(seconds=HOLD))
            self.sleep(min(left, 1.0))

    def resolve(self) -> None:
        """Post the alert with endsAt now; wait until Alertmanager no longer lists it."""
        self.post(self.now())
        self.wait_until(lambda found: not found, "the resolve")
        self.say(f"resolved {ALERTNAME}: Alertmanager no longer lists it as active")


def run(alert: TestAlert, *, err: TextIO | None = None) -> int:
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


def _resolve_quietly(alert: TestAlert, err: TextIO) -> None:
    try:
        alert.post(alert.now())
    except FetchError:
        print(f"note: could not resolve it; Alertmanager ends it by itself within {HOLD:g}s", file=err)
