"""Slack stand-ins for the two delivery modes (``notifications.slack.delivery``), on loopback.

* ``SlackApiStandIn``: the Web API method ``POST /api/chat.postMessage`` a bot posts to.  Like Slack,
  it answers HTTP 200 with JSON ``{"ok": true, ...}``, or ``{"ok": false, "error": "invalid_auth"}``
  when the ``Authorization: Bearer`` token is not the expected one.
* ``SlackWebhooksStandIn``: one incoming webhook per channel, each its own URL; like an app's webhook
  it ignores the ``channel`` in the body and answers ``ok`` (text/plain).

Both record every accepted request (header names in lower case) and offer ``wait_for``; requests
they refuse (a bad token, an unknown path) are kept in ``rejected``.
"""

from __future__ import annotations

from typing import Any

from tests.live.harness.receivers import HttpRequest, _HttpRecorder

POST_MESSAGE_PATH = "/api/chat.postMessage"


class SlackApiStandIn(_HttpRecorder):
    """``chat.postMessage`` answering like Slack: 200 with ``ok`` true or false."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__("slack-api", port)
        self.token = token

    @property
    def post_message_url(self) -> str:
        return self.base_url + POST_MESSAGE_PATH

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        if request.method != "POST" or request.path != POST_MESSAGE_PATH:
            self.rejected.append(request)
            return 404, {"ok": False, "error": "unknown_method"}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            self.rejected.append(request)
            return 200, {"ok": False, "error": "invalid_auth"}
        if not isinstance(request.json, dict) or not request.json.get("channel"):
            return 200, {"ok": False, "error": "channel_not_found"}
        return 200, {"ok": True, "channel": "C0STANDIN", "ts": "1700000000.000100"}


class SlackWebhooksStandIn(_HttpRecorder):
    """Incoming webhooks, one path per channel role; the channel is the URL's, never the body's."""

    def __init__(self, port: int, roles: tuple[str, ...] = ("critical", "warnings", "info")) -> None:
        super().__init__("slack-webhooks", port)
        self.paths = {role: f"/services/T0LIVE/B0{role.upper()}/webhook-of-{role}" for role in roles}

    def url(self, role: str) -> str:
        return self.base_url + self.paths[role]

    def role_of(self, request: HttpRequest) -> str | None:
        return next((role for role, path in self.paths.items() if path == request.path), None)

    def respond(self, request: HttpRequest) -> tuple[int, Any]:
        if request.method != "POST" or self.role_of(request) is None:
            self.rejected.append(request)
            return 404, b"no_service"
        if not isinstance(request.json, dict):
            self.rejected.append(request)
            return 400, b"invalid_payload"
        return 200, b"ok"
