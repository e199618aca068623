"""Local receivers that record every notification Alertmanager sends, thread-safe.

* ``SlackStandIn``: an incoming-webhook endpoint (any path), records the JSON Slack gets.
* ``PagerDutyStandIn``: ``POST /v2/enqueue`` (Events API v2), answers 202 like PagerDuty.
* ``WebhookStandIn``: any POST (the Watchdog heartbeat).
* ``SmtpStandIn``: an aiosmtpd server (AUTH PLAIN/LOGIN without TLS, as on loopback).

Each keeps a list of ``Received`` items and offers ``wait_for(predicate, timeout)``.  The HTTP ones
can also fail on purpose (``outage``): answer an error status for a while, as a receiver having an
incident does, and record the attempts they refused in ``refused``.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.live.harness.ports import LOOPBACK

T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """Nothing matching arrived in time; the message lists what did arrive."""


class Recorder(Generic[T]):
    """A thread-safe list of received items with a bounded wait."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[T] = []
        self._cond = threading.Condition()

    def add(self, item: T) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    @property
    def items(self) -> list[T]:
        with self._cond:
            return list(self._items)

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def matching(self, predicate: Callable[[T], bool]) -> list[T]:
        return [item for item in self.items if predicate(item)]

    def wait_for(self, predicate: Callable[[T], bool], timeout: float, count: int = 1) -> list[T]:
        """Wait until ``count`` items satisfy ``predicate``; return them, or fail listing what came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [item for item in self._items if predicate(item)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(timeout=min(remaining, 0.5))
            got = "\n".join(f"  {item!r}"[:600] for item in self._items[-10:]) or "  (nothing)"
        raise WaitTimeoutError(
            f"{self.name}: {len(found)}/{count} matching item(s) after {timeout:.0f}s; last received:\n{got}"
        )


@dataclass(frozen=True)
class OutageStep:
    """One phase of a receiver's outage: every request is answered ``status`` for ``seconds``."""

    status: int
    seconds: float
    body: Any = None
    """The answer's body; by default ``{"status": "outage", "code": <status>}``."""


@dataclass
class HttpRequest:
    """One request a stand-in received."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None

    def __repr__(self) -> str:
        shown = json.dumps(self.json)[:400] if self.json is not None else self.body[:200].decode(errors="replace")
        return f"{self.method} {self.path} {shown}"


class _HttpRecorder(Recorder[HttpRequest]):
    """A threaded HTTP server on loopback that records each request and answers ``respond``."""

    def __init__(self, name: str, port: int) -> None:
        super().__init__(name)
        self.port = port
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed: Any = None
                if body:
                    try:
                        parsed = json.loads(body)
                    except ValueError:
                        parsed = None
                request = HttpRequest(
                    at=time.time(),
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    json=parsed,
                )
                outage = recorder.outage_status(request.at)
                if outage is not None:
                    status, reply = outage
                    recorder.refused.add(request)
                else:
                    status, reply = recorder.respond(request)
                if outage is None and status < 400 and not (isinstance(reply, dict) and reply.get("ok") is False):
                    recorder.add(request)
                data = json.dumps(reply).encode() if not isinstance(reply, bytes) else reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(reply, bytes) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _handle  # noqa: N815
            do_GET = _handle  # noqa: N815
            do_PUT = _handle  # noqa: N815

        self._server = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{name}-http", daemon=True)
        self.rejected: list[HttpRequest] = []
        self.refused: Recorder[HttpRequest] = Recorder(f"{name} (refused during an outage)")
        """Requests answered by an outage step (never in ``items``, never in ``rejected``)."""
        self._outage: list[tuple[float, OutageStep]] = []
        self._outage_lock = threading.Lock()

    def outage(self, *steps: OutageStep) -> float:
        """Fail every request from now on, step after step (e.g. 500 for 10 s, then 429 for 5 s); afterwards
        answer normally again.  Returns the moment (``time.time()``) the receiver recovers."""
        start = time.time()
        schedule = []
        for step in steps:
            start += step.seconds
            schedule.append((start, step))
        with self._outage_lock:
            self._outage = schedule
        return start

    def recover(self) -> None:
        """End any outage now."""
        with self._outage_lock:
            self._outage = []

    def outage_status(self, at: float) -> tuple[int, Any] | None:
        """The answer of the outage step in force at ``at``, or None when the receiver is healthy."""
        with self._outage_lock:
            step = next((step for until, step in self._outage if at < until), None)
        if step is None:
            return None
        return step.status, step.body if step.body is not None else {"status": "outage", "code": step.status}

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        return 200, b"ok"

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SlackStandIn(_HttpRecorder):
    """Slack, both ways Alertmanager can post (``notifications.slack.delivery``):

    * ``bot``: ``POST /api/chat.postMessage`` with ``Authorization: Bearer <bot token>``; answers
      200 ``{"ok": true}``, or 200 ``{"ok": false, "error": "invalid_auth"}`` for another token, as Slack does;
    * ``webhook``: ``POST <webhook path>``; answers 200 ``ok``, 404 ``no_service`` elsewhere.

    Both bodies are ``{channel, username, attachments: [{title, text, color, …}]}``.
    """

    WEBHOOK_PATH = "/services/T0LIVE/B0LIVE/live-webhook-token"
    POST_MESSAGE_PATH = "/api/chat.postMessage"

    def __init__(self, port: int, bot_token: str = "") -> None:
        super().__init__("slack", port)
        self.bot_token = bot_token

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.WEBHOOK_PATH

    @property
    def post_message_url(self) -> str:
        return self.base_url + self.POST_MESSAGE_PATH

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        if request.method != "POST" or request.path not in (self.WEBHOOK_PATH, self.POST_MESSAGE_PATH):
            self.rejected.append(request)
            return 404, b"no_service"
        if not isinstance(request.json, dict):
            self.rejected.append(request)
            return 400, b"invalid_payload"
        if request.path == self.POST_MESSAGE_PATH:
            if request.headers.get("authorization") != f"Bearer {self.bot_token}":
                self.rejected.append(request)
                # Slack answers 200 with ok:false, so the request is not recorded as a message.
                return 200, {"ok": False, "error": "invalid_auth"}
            return 200, {"ok": True, "channel": "C0LIVE", "ts": f"{time.time():.6f}"}
        return 200, b"ok"

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [r.json for r in self.items if channel is None or channel_of(r) == channel]


def channel_of(request: HttpRequest) -> str:
    return str((request.json or {}).get("channel", "")).lstrip("#")


def slack_text(request: HttpRequest) -> str:
    """Everything readable in a Slack message: text, attachment title/text/fields."""
    document = request.json or {}
    parts = [str(document.get("text", ""))]
    for attachment in document.get("attachments", []) or []:
        for key in ("title", "text", "pretext", "fallback", "title_link"):
            parts.append(str(attachment.get(key, "")))
        for item in attachment.get("fields", []) or []:
            parts.append(f"{item.get('title', '')} {item.get('value', '')}")
    return "\n".join(parts)


class PagerDutyStandIn(_HttpRecorder):
    """PagerDuty Events API v2: ``POST /v2/enqueue`` → 202 ``{status: success, dedup_key}``."""

    def __init__(self, port: int) -> None:
        super().__init__("pagerduty", port)

    @property
    def enqueue_url(self) -> str:
        return self.base_url + "/v2/enqueue"

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        event = request.json
        if request.method != "POST" or request.path != "/v2/enqueue":
            self.rejected.append(request)
            return 404, {"status": "invalid path"}
        if not isinstance(event, dict) or event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
            self.rejected.append(request)
            return 400, {"status": "invalid event", "message": "Event object is invalid"}
        if not event.get("routing_key"):
            self.rejected.append(request)
            return 400, {"status": "invalid event", "errors": ["'routing_key' is missing or blank"]}
        return 202, {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key", "")}


def pd_field(request: HttpRequest, *path: str) -> Any:
    """``pd_field(r, "payload", "severity")``: a nested field of an Events v2 body, or None."""
    node: Any = request.json
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


class WebhookStandIn(_HttpRecorder):
    """A heartbeat / generic webhook endpoint: records every POST."""

    def __init__(self, port: int, name: str = "heartbeat") -> None:
        super().__init__(name, port)

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        return 200, {"ok": True}


@dataclass
class Mail:
    at: float
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def text(self) -> str:
        parts = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                parts.append(str(part.get_content()))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"Mail(to={self.rcpt_tos}, subject={self.subject!r}, login={self.login and self.login[0]!r})"


class _StandardSmtp(SMTP):
    """AUTH LOGIN with the challenges real servers send (Postfix, Gmail): ``Username:``, ``Password:``.

    aiosmtpd's defaults (``User Name\\0``, ``Password\\0``) are rejected by Alertmanager's LOGIN client.
    """

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _StandardSmtp(self.handler, **self.SMTP_kwargs)


class SmtpStandIn(Recorder[Mail]):
    """An SMTP server on loopback; records each message and the AUTH login that sent it."""

    def __init__(self, port: int) -> None:
        super().__init__("smtp")
        self.port = port
        self.logins: list[tuple[str, str]] = []
        recorder = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
                raw = envelope.original_content or envelope.content or b""
                data = raw if isinstance(raw, bytes) else raw.encode()
                message = email.message_from_bytes(data, policy=email.policy.default)
                login: tuple[str, str] | None = None
                if isinstance(session.auth_data, LoginPassword):
                    login = (session.auth_data.login.decode(), session.auth_data.password.decode())
                recorder.add(
                    Mail(
                        at=time.time(),
                        mail_from=str(envelope.mail_from),
                        rcpt_tos=list(envelope.rcpt_tos),
                        message=message,
                        login=login,
                    )
                )
                return "250 Message accepted for delivery"

        def authenticator(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
                          ) -> AuthResult:
            if isinstance(auth_data, LoginPassword):
                recorder.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True, auth_data=auth_data)

        self._controller = _Controller(
            Handler(),
            hostname=LOOPBACK,
            port=port,
            authenticator=authenticator,
            auth_require_tls=False,
            ready_timeout=10,
        )

    def start(self) -> SmtpStandIn:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
