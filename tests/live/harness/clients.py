"""Small JSON clients for Prometheus' ``/api/v1`` and Alertmanager's ``/api/v2``."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from tests.live.harness.processes import authorized

T = TypeVar("T")


def get_json(url: str, timeout: float = 5.0, auth: tuple[str, str] | None = None) -> Any:
    with urllib.request.urlopen(authorized(url, auth), timeout=timeout) as response:
        return json.loads(response.read())


def post_json(url: str, document: Any, timeout: float = 5.0, auth: tuple[str, str] | None = None) -> Any:
    request = authorized(url, auth, data=json.dumps(document).encode(), method="POST",
                         headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


def poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str, interval: float = 0.5) -> T:
    """Call ``fetch`` until ``done(result)``; fail with the last result (or error) after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            result = fetch()
            last = result
            if done(result):
                return result
        except (urllib.error.URLError, OSError, ValueError) as error:
            last = error
        if time.monotonic() >= deadline:
            shown = json.dumps(last, default=str)[:3000] if not isinstance(last, Exception) else repr(last)
            raise AssertionError(f"{what}: not reached after {timeout:.0f}s; last: {shown}")
        time.sleep(interval)


class Prometheus:
    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.auth = auth
        """User and password it requires (the stack's ``webAuth``)."""

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = get_json(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}", auth=self.auth)
        if data.get("status") != "success":
            raise AssertionError(f"query {expr!r} failed: {data}")
        return list(data["data"]["result"])

    def value(self, expr: str) -> float | None:
        """The single value of an instant query, or None if it returns nothing."""
        result = self.query(expr)
        if not result:
            return None
        return float(result[0]["value"][1])

    def targets(self) -> list[dict[str, Any]]:
        targets = get_json(f"{self.url}/api/v1/targets?state=active", auth=self.auth)
        return list(targets["data"]["activeTargets"])

    def rule_groups(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.url}/api/v1/rules", auth=self.auth)["data"]["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.url}/api/v1/alerts", auth=self.auth)["data"]["alerts"])

    def firing(self, alertname: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts() if a["labels"].get("alertname") == alertname and a["state"] == "firing"]


class Alertmanager:
    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.auth = auth
        """User and password it requires (the stack's ``webAuth``)."""

    def status(self) -> dict[str, Any]:
        return dict(get_json(f"{self.url}/api/v2/status", auth=self.auth))

    def alerts(self, *, active: bool = True, silenced: bool = True, inhibited: bool = True,
               filters: list[str] | None = None) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [
            ("active", str(active).lower()), ("silenced", str(silenced).lower()),
            ("inhibited", str(inhibited).lower()),
        ]
        params += [("filter", f) for f in filters or []]
        return list(get_json(f"{self.url}/api/v2/alerts?{urllib.parse.urlencode(params)}", auth=self.auth))

    def alerts_named(self, alertname: str) -> list[dict[str, Any]]:
        return self.alerts(filters=[f'alertname="{alertname}"'])

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        post_json(f"{self.url}/api/v2/alerts", alerts, auth=self.auth)

    def create_silence(self, matchers: dict[str, str], seconds: float, comment: str) -> str:
        """Silence alerts whose labels equal ``matchers`` for ``seconds``; returns the silence id."""
        now = time.time()
        document = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _iso(now), "endsAt": _iso(now + seconds), "createdBy": "live suite", "comment": comment,
        }
        return str(post_json(f"{self.url}/api/v2/silences", document, auth=self.auth)["silenceID"])

    def silences(self) -> list[dict[str, Any]]:
        return list(get_json(f"{self.url}/api/v2/silences", auth=self.auth))

    def expire_silence(self, silence_id: str) -> None:
        request = authorized(f"{self.url}/api/v2/silence/{silence_id}", self.auth, method="DELETE")
        with urllib.request.urlopen(request, timeout=5):
            pass


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
