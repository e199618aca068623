"""A small JSON-over-HTTP client whose every failure is one readable line (``FetchError``).

Credentials (the web credential, Grafana's admin password) go only over https, or plain http on loopback, and
never to another origin than the one they were meant for: ``urllib`` would copy the ``Authorization`` header
onto a redirect to anywhere.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any
from urllib.parse import urlsplit

from components.model import check_http_url, is_loopback
from components.webauth.config import authorization


class FetchError(Exception):
    """A request that failed: unreachable, timed out, an HTTP error status, or not JSON."""


def join(base: str, path: str) -> str:
    """``base`` (which may carry a path prefix) with ``path`` appended."""
    return base.rstrip("/") + path


def check_url(url: str, flag: str) -> str:
    """``url`` if it is an absolute http(s) URL, else ``ValueError`` naming ``flag``."""
    try:
        check_http_url(url)
    except ValueError:
        raise ValueError(f"{flag} {url!r}: not an http(s) URL (e.g. http://127.0.0.1:9090)") from None
    return url.rstrip("/")


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of ``url`` (the default port made explicit): what a credential is bound to."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def credential_url_problem(url: str) -> str | None:
    """Why credentials must not be sent to ``url``, or None: plain http beyond loopback, or a user in the URL."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return "the URL holds a user or password; pass the URL without it"
    if parts.scheme != "https" and not is_loopback(parts.hostname):
        return (f"refusing to send credentials over plain http to {parts.hostname}; use its https URL (plain http "
                "only on loopback, e.g. through ssh -L)")
    return None


class _NoCredentialRedirect(urllib.request.HTTPRedirectHandler):
    """Follows a redirect within the request's origin; one to another origin (another host, port or scheme) while
    the request carries credentials is refused, naming where it pointed."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,  # noqa: PLR0917
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if req.has_header("Authorization") and origin(newurl) != origin(req.full_url):
            scheme, host, port = origin(newurl)
            raise FetchError(f"{req.get_method()} {req.full_url}: redirected to {scheme}://{host}:{port}; credentials "
                             "are never sent to another origin (pass that URL with --prometheus-url, "
                             "--alertmanager-url or --grafana-url if it is the right one)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_NoCredentialRedirect)


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError):
        if not isinstance(error.reason, BaseException):
            return str(error.reason)
        error = error.reason
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    return str(getattr(error, "strerror", None) or error or type(error).__name__)


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    body: Any = None,
    auth: tuple[str, str] | None = None,
) -> tuple[int, bytes]:
    """Send one request; return status and body for any status < 400, ``FetchError`` otherwise."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if auth is not None:
        problem = credential_url_problem(url)
        if problem:
            raise FetchError(f"{method} {url}: {problem}")
        headers["Authorization"] = f"Basic {authorization(*auth)}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(req, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        detail = _error_body(error)
        raise FetchError(f"{method} {url}: HTTP {error.code}{': ' + detail if detail else ''}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FetchError(f"{method} {url}: {_reason(error)}") from None


def _error_body(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read()
    except OSError:
        return ""
    try:
        document = json.loads(raw)
    except ValueError:
        return " ".join(raw.decode(errors="replace").split())[:200]
    if isinstance(document, dict):
        for key in ("message", "error", "detail"):
            if isinstance(document.get(key), str):
                return str(document[key])[:200]
    return " ".join(raw.decode(errors="replace").split())[:200]


def get_json(url: str, *, timeout: float, auth: tuple[str, str] | None = None) -> Any:
    _, raw = request("GET", url, timeout=timeout, auth=auth)
    try:
        return json.loads(raw)
    except ValueError:
        raise FetchError(f"GET {url}: the answer is not JSON (is this the right URL?)") from None


def post_json(url: str, body: Any, *, timeout: float, auth: tuple[str, str] | None = None) -> None:
    request("POST", url, timeout=timeout, body=body, auth=auth)
