"""A small JSON-over-HTTP client whose every failure is one readable line (``FetchError``)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from components.model import check_http_url
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
        headers["Authorization"] = f"Basic {authorization(*auth)}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
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
