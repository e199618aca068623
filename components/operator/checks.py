"""The checks of ``verify``: each fetches one API answer and judges it against what the stack should have.

The ``judge_*`` functions are pure (an API document in, an ``Outcome`` out); ``build_checks`` pairs
them with the requests.  Alertmanager is only ever asked through ``/api/v2`` (``/api/v1`` is gone
since Alertmanager 0.27); Prometheus through its stable ``/api/v1``.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from components.operator.endpoints import Endpoints
from components.operator.expected import Expected
from components.operator.http import FetchError, get_json, join, request

PROMETHEUS_AM_DISCOVERY = "/api/v1/alertmanagers"
"""Prometheus' own API (v1 is current there): the Alertmanagers it discovered."""

NEVER = "0001-01-01T00:00:00Z"
"""``lastEvaluation`` of a rule Prometheus has not evaluated yet."""
API_PROBE = 'probe_success{job="blackbox",service="api"}'
MISSING_GRAFANA_PASSWORD = "set GRAFANA_ADMIN_PASSWORD to check this"
SHOWN = 8
"""At most this many items are listed in a detail; the rest are counted."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    final: bool = False
    """A failure waiting cannot fix (a credential missing or refused): ``--wait`` does not retry it."""


class MissingCredentialError(FetchError):
    """A check that needs a credential the command does not have; the message says what to set."""


REFUSED_CREDENTIAL = re.compile(r": HTTP (401|403)\b")
"""How ``FetchError`` words an answer refusing the credential sent (a wrong password stays wrong)."""


UNEXPECTED = (AttributeError, LookupError, TypeError, ValueError)
"""What a judge raises on an answer of another shape (a list for an object, a missing key, a non-number)."""
_JSON_TYPES = {"list": "a list", "dict": "an object", "str": "a string", "int": "a number", "float": "a number",
               "bool": "a boolean", "NoneType": "null"}
ANSWER_SHOWN = 160
"""At most this many characters of an unexpected answer are quoted."""


@dataclass
class Answers:
    """The last JSON answer fetched (URL and document), so an answer a judge cannot read is named."""

    last: tuple[str, Any] | None = None


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], Outcome]
    answers: Answers = field(default_factory=Answers, compare=False)

    def outcome(self) -> Outcome:
        """The check's result; an unreachable URL or an answer of an unexpected shape is a failure, never raised."""
        self.answers.last = None
        try:
            return self.run()
        except MissingCredentialError as error:
            return Outcome(False, str(error), final=True)
        except FetchError as error:
            return Outcome(False, str(error), final=bool(REFUSED_CREDENTIAL.search(str(error))))
        except UNEXPECTED as error:
            return Outcome(False, unexpected_answer(self.answers.last, error))


def _why(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r} where expected" if error.args else "a key is missing"
    if isinstance(error, IndexError):
        return "a list shorter than expected"
    found = re.match(r"'(\w+)' object (has no attribute|is not subscriptable|is not iterable)", str(error))
    if found:
        return f"{_JSON_TYPES.get(found.group(1), found.group(1))} where another type was expected"
    return str(error) or type(error).__name__


def unexpected_answer(last: tuple[str, Any] | None, error: Exception) -> str:
    """One line naming the URL, the start of its answer, and what did not fit."""
    if last is None:
        return " ".join(f"unexpected answer: {_why(error)}".split())
    url, document = last
    try:
        shown = json.dumps(document, separators=(",", ":"))
    except (TypeError, ValueError):
        shown = repr(document)
    if len(shown) > ANSWER_SHOWN:
        shown = shown[: ANSWER_SHOWN - 1] + "…"
    return " ".join(f"unexpected answer from {url}: {shown} ({_why(error)})".split())


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _data(document: Any, what: str) -> Any:
    if not isinstance(document, dict) or document.get("status") != "success":
        error = document.get("error") if isinstance(document, dict) else None
        raise FetchError(f"{what}: Prometheus answered {error or 'something other than status success'}")
    return document.get("data")


# ------------------------------------------------------------------ judging (pure)


def judge_targets(targets: list[dict[str, Any]]) -> Outcome:
    if not targets:
        return Outcome(False, "Prometheus has no active target at all")
    down = [t for t in targets if t.get("health") != "up"]
    if not down:
        return Outcome(True, f"{len(targets)} targets up")
    rows = [
        f"{t.get('labels', {}).get('job', '?')} {t.get('labels', {}).get('instance') or t.get('scrapeUrl', '?')} "
        f"{t.get('health', '?')}: {t.get('lastError') or 'no error reported yet'}"
        for t in down
    ]
    return Outcome(False, f"{len(down)} of {len(targets)} targets not up: {_listing(rows)}")


def judge_jobs(targets: list[dict[str, Any]], expected: Iterable[str]) -> Outcome:
    present = {str(t.get("labels", {}).get("job") or t.get("scrapePool")) for t in targets}
    missing = [job for job in expected if job not in present]
    if missing:
        return Outcome(False, f"jobs without any target: {', '.join(missing)} (not configured, or discovery "
                              "found nothing, e.g. no 'api' container on the network)")
    return Outcome(True, f"all {len(present & set(expected))} jobs have targets")


def judge_rule_groups(groups: list[dict[str, Any]], expected: Iterable[str]) -> Outcome:
    loaded = [str(g.get("name")) for g in groups]
    missing = [name for name in expected if name not in loaded]
    extra = sorted(set(loaded) - set(expected))
    note = f" (also loaded, not rendered for this stack: {', '.join(extra)})" if extra else ""
    if missing:
        return Outcome(False, f"rule groups not loaded: {', '.join(missing)}{note}")
    return Outcome(True, f"{len(loaded)} groups loaded{note}")


SLOW_GROUP_SECONDS = 60.0
"""A rule group evaluated this seldom or less (the SLOs' 30-day budget, every few minutes) may not have run once
yet right after a (re)load: Prometheus spreads each group's first evaluation over its interval."""


def _never(value: Any) -> bool:
    return not value or value == NEVER


def judge_rule_health(groups: list[dict[str, Any]]) -> Outcome:
    problems, count, pending = [], 0, []
    for group in groups:
        slow_and_new = _never(group.get("lastEvaluation")) and float(group.get("interval") or 0) >= SLOW_GROUP_SECONDS
        for rule in group.get("rules") or []:
            count += 1
            name = f"{group.get('name')}/{rule.get('name')}"
            health, error = rule.get("health"), rule.get("lastError")
            if error or health not in ("ok", "unknown", None):
                problems.append(f"{name}: {health}: {error or 'no error text'}")
            elif health == "unknown" or _never(rule.get("lastEvaluation")):
                # Prometheus reports a rule it has not evaluated yet as health "unknown", without an error.
                if slow_and_new:
                    pending.append(f"{group.get('name')} (every {float(group['interval']):g}s)")
                else:
                    problems.append(f"{name}: not evaluated yet")
    if not count:
        return Outcome(False, "no rule loaded")
    if problems:
        return Outcome(False, f"{len(problems)} of {count} rules not evaluating cleanly: {_listing(problems)}")
    waiting = sorted(set(pending))
    note = (f" ({len(pending)} in {', '.join(waiting)} not evaluated yet: a group's first evaluation comes within "
            "one interval of its (re)load)") if pending else ""
    return Outcome(True, f"{count - len(pending)} rules evaluated without error{note}")


def judge_alertmanagers(data: dict[str, Any]) -> Outcome:
    active = [str(a.get("url")) for a in data.get("activeAlertmanagers") or []]
    dropped = [str(a.get("url")) for a in data.get("droppedAlertmanagers") or []]
    if not active:
        extra = f" (dropped: {', '.join(dropped)})" if dropped else ""
        return Outcome(False, f"Prometheus has no active Alertmanager{extra}: check alerting.alertmanagers")
    return Outcome(True, f"sending to {', '.join(active)}")


def judge_receivers(status: dict[str, Any], expected: Iterable[str]) -> Outcome:
    original = (status.get("config") or {}).get("original")
    if not isinstance(original, str) or not original.strip():
        return Outcome(False, "Alertmanager reports no loaded configuration")
    try:
        config = yaml.safe_load(original) or {}
    except yaml.YAMLError:
        return Outcome(False, "the loaded configuration is not YAML")
    names = [str(r.get("name")) for r in config.get("receivers") or [] if isinstance(r, dict)]
    missing = [name for name in expected if name not in names]
    extra = [name for name in names if name not in set(expected)]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else [])
        return Outcome(False, f"receivers differ from the rendered config: {'; '.join(parts)} (an old config?)")
    return Outcome(True, f"config loaded, receivers: {', '.join(names)}")


def judge_watchdog(alerts: list[dict[str, Any]]) -> Outcome:
    firing = [a for a in alerts if a.get("labels", {}).get("alertname") == "Watchdog"]
    if not firing:
        return Outcome(False, "no Watchdog alert in Alertmanager: rules are not evaluated, or Prometheus does "
                              "not reach Alertmanager")
    receivers = sorted({str(r.get("name")) for a in firing for r in a.get("receivers") or []})
    states = sorted({str((a.get("status") or {}).get("state", "?")) for a in firing})
    return Outcome(True, f"Watchdog {'/'.join(states)} in Alertmanager, routed to {', '.join(receivers) or '?'}")


def judge_grafana_health(document: dict[str, Any]) -> Outcome:
    database = document.get("database")
    version = document.get("version", "?")
    if database != "ok":
        return Outcome(False, f"Grafana {version}: database {database!r}")
    return Outcome(True, f"Grafana {version}, database ok")


def judge_datasource(document: dict[str, Any], uid: str) -> Outcome:
    status = str(document.get("status", "?"))
    message = str(document.get("message") or "")
    if status.upper() != "OK":
        return Outcome(False, f"datasource {uid}: {status} {message}".rstrip())
    return Outcome(True, f"datasource {uid}: {message or 'OK'}")


def judge_probe(result: list[dict[str, Any]]) -> Outcome:
    if not result:
        return Outcome(False, f"no {API_PROBE} series: the blackbox exporter has not probed the API yet")
    failing = [str(r.get("metric", {}).get("instance", "?")) for r in result if float(r["value"][1]) != 1.0]
    if failing:
        return Outcome(False, f"the blackbox probe of the API fails: {', '.join(failing)}")
    instances = ", ".join(str(r.get("metric", {}).get("instance", "?")) for r in result)
    return Outcome(True, f"probe_success 1 (through Prometheus): {instances}")


# ------------------------------------------------------------------ fetching


def build_checks(endpoints: Endpoints, expected: Expected, *, timeout: float,
                 grafana_password: str | None, grafana_password_note: str = "") -> list[Check]:
    """Every check of ``verify``, in the order of the production checklist; without ``grafana_password`` the checks
    that log in to Grafana fail at once with ``grafana_password_note`` (what to set)."""
    prom, am, grafana = endpoints.prometheus, endpoints.alertmanager, endpoints.grafana
    answers = Answers()
    """Shared by every check: they run one after another, and ``Check.outcome`` clears it first."""

    def fetch(url: str, auth: tuple[str, str] | None = None) -> Any:
        document = get_json(url, timeout=timeout, auth=auth)
        answers.last = (url, document)
        return document

    web_auth = endpoints.web_auth

    def prom_get(path: str) -> Any:
        return _data(fetch(join(prom, path), web_auth), path)

    def ready(base: str, name: str) -> Outcome:
        url = join(base, "/-/ready")
        status, _ = request("GET", url, timeout=timeout, auth=web_auth)
        return Outcome(True, f"{name} ready at {base}") if status == 200 else Outcome(False, f"{url}: {status}")

    def targets() -> list[dict[str, Any]]:
        return list(prom_get("/api/v1/targets?state=active").get("activeTargets") or [])

    def groups() -> list[dict[str, Any]]:
        return list(prom_get("/api/v1/rules").get("groups") or [])

    def probe() -> Outcome:
        query = urllib.parse.urlencode({"query": API_PROBE})
        return judge_probe(list(prom_get(f"/api/v1/query?{query}").get("result") or []))

    def api_direct(url: str) -> Outcome:
        status, _ = request("GET", url, timeout=timeout)
        return Outcome(True, f"{url} answered {status}")

    auth = (endpoints.grafana_user, grafana_password) if grafana_password else None

    def grafana_get(path: str) -> Any:
        if auth is None:
            note = grafana_password_note or MISSING_GRAFANA_PASSWORD
            raise MissingCredentialError(f"no Grafana admin password: {note}")
        return fetch(join(grafana, path), auth)

    def dashboards() -> Outcome:
        missing: list[str] = []
        optional_missing: list[str] = []
        for uid in (*expected.dashboards, *expected.optional_dashboards):
            try:
                grafana_get(f"/api/dashboards/uid/{urllib.parse.quote(uid)}")
            except FetchError as error:
                if "HTTP 404" not in str(error):
                    raise
                (missing if uid in expected.dashboards else optional_missing).append(uid)
        note = f" (optional, not provisioned: {', '.join(optional_missing)})" if optional_missing else ""
        if missing:
            return Outcome(False, f"dashboards missing: {', '.join(missing)}{note}")
        present = len(expected.dashboards) + len(expected.optional_dashboards) - len(optional_missing)
        return Outcome(True, f"{present} dashboards present{note}")

    watchdog_filter = urllib.parse.urlencode({"filter": 'alertname="Watchdog"', "active": "true"})
    checks = [
        Check("prometheus ready", lambda: ready(prom, "Prometheus")),
        Check("prometheus targets up", lambda: judge_targets(targets())),
        Check("prometheus jobs present", lambda: judge_jobs(targets(), expected.jobs)),
        Check("rule groups loaded", lambda: judge_rule_groups(groups(), expected.rule_groups)),
        Check("rules evaluating", lambda: judge_rule_health(groups())),
        Check("prometheus -> alertmanager", lambda: judge_alertmanagers(prom_get(PROMETHEUS_AM_DISCOVERY))),
        Check("alertmanager ready", lambda: ready(am, "Alertmanager")),
        Check("alertmanager receivers",
              lambda: judge_receivers(fetch(join(am, "/api/v2/status"), web_auth), expected.receivers)),
        Check("watchdog firing",
              lambda: judge_watchdog(fetch(join(am, f"/api/v2/alerts?{watchdog_filter}"), web_auth))),
        Check("grafana healthy", lambda: judge_grafana_health(fetch(join(grafana, "/api/health")))),
        Check("grafana datasource",
              lambda: judge_datasource(
                  grafana_get(f"/api/datasources/uid/{urllib.parse.quote(expected.datasource_uid)}/health"),
                  expected.datasource_uid)),
        Check("grafana dashboards", dashboards),
    ]
    api_health = endpoints.api_health
    if api_health is not None:
        checks.append(Check("api health", lambda: api_direct(api_health)))
    elif expected.api_probe:
        checks.append(Check("api health", probe))
    else:
        checks.append(Check("api health", lambda: Outcome(
            False, "the stack does not probe the API; pass --api-health-url")))
    return [Check(check.name, check.run, answers) for check in checks]
