"""The operator commands' HTTP client never hands a credential to another origin or to plain http beyond loopback
(two servers on loopback: one redirects, the other records what reaches it)."""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from components.operator.http import FetchError, _NoCredentialRedirect, get_json, request

AUTH = ("iidmon", "s3cret-web-password")


class Recorder(BaseHTTPRequestHandler):
    """Answers JSON, or redirects to ``server.redirect_to`` (with ``server.redirect_code``); records every request."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        server: Any = self.server
        server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        if server.redirect_to and self.path.startswith("/start"):
            self.send_response(server.redirect_code)
            self.send_header("Location", server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"status": "success"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve() -> Any:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen, server.redirect_to, server.redirect_code = [], "", 302
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[Any, Any]]:
    first, other = serve(), serve()
    try:
        yield first, other
    finally:
        for server in (first, other):
            server.shutdown()
            server.server_close()


def url(server: Any, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_refused_and_the_credential_never_reaches_it(
    servers: tuple[Any, Any], code: int,
) -> None:
    first, other = servers
    first.redirect_to, first.redirect_code = url(other, "/steal"), code
    with pytest.raises(FetchError) as caught:
        get_json(url(first, "/start"), timeout=5, auth=AUTH)
    assert f"redirected to http://127.0.0.1:{other.server_address[1]}" in str(caught.value)
    assert "credentials are never sent to another origin" in str(caught.value)
    assert other.seen == []
    assert first.seen[0][2] is not None  # the first origin did get it: the one it was meant for


def test_a_redirect_within_the_origin_keeps_working(servers: tuple[Any, Any]) -> None:
    first, _ = servers
    first.redirect_to = url(first, "/elsewhere")
    assert get_json(url(first, "/start"), timeout=5, auth=AUTH) == {"status": "success"}
    assert [path for _, path, _ in first.seen] == ["/start", "/elsewhere"]
    assert all(header and header.startswith("Basic ") for _, _, header in first.seen)


def test_without_credentials_a_redirect_anywhere_is_followed(servers: tuple[Any, Any]) -> None:
    first, other = servers
    first.redirect_to = url(other, "/health")
    status, _ = request("GET", url(first, "/start"), timeout=5)
    assert status == 200 and [path for _, path, _ in other.seen] == ["/health"]


def test_https_to_http_on_the_same_host_is_another_origin() -> None:
    original = urllib.request.Request("https://prometheus.example.com/api/v1/rules",
                                      headers={"Authorization": "Basic x"})
    with pytest.raises(FetchError, match=re.escape("redirected to http://prometheus.example.com:80")):
        _NoCredentialRedirect().redirect_request(original, io.BytesIO(), 301, "Moved", HTTPMessage(),
                                                 "http://prometheus.example.com/api/v1/rules")


@pytest.mark.parametrize(("target", "problem"), [
    ("http://prometheus.example.com:9090/api/v1/rules", "refusing to send credentials over plain http to "
                                                        "prometheus.example.com; use its https URL"),
    ("http://10.0.0.5:9093/api/v2/status", "refusing to send credentials over plain http to 10.0.0.5"),
    ("https://iidmon:pw@prometheus.example.com/api/v1/rules", "the URL holds a user or password"),
])
def test_credentials_go_over_https_only_beyond_loopback(target: str, problem: str) -> None:
    with pytest.raises(FetchError) as caught:  # refused before any connection: these hosts do not exist
        get_json(target, timeout=0.1, auth=AUTH)
    assert problem in str(caught.value)
    assert AUTH[1] not in str(caught.value)


def test_plain_http_on_loopback_is_allowed_with_credentials(servers: tuple[Any, Any]) -> None:
    first, _ = servers
    get_json(url(first, "/api"), timeout=5, auth=AUTH)
    assert first.seen[0][2] == "Basic aWlkbW9uOnMzY3JldC13ZWItcGFzc3dvcmQ="
