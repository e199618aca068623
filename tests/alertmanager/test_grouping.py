"""Grouping proven on a real Alertmanager: alerts posted to /api/v2/alerts, the aggregation groups read
back from /api/v2/alerts/groups.  One notification goes out per group, so a group that spans clusters
would tell prod's on-call about staging (and hide one behind the other)."""

from __future__ import annotations

import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.alertmanager.running import request

RUN = "grouping"
"""Label value marking this module's alerts (the Alertmanager is shared with nothing else)."""


def _alert(cluster: str, alertname: str, severity: str, service: str, instance: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "severity": severity, "service": service, "cluster": cluster,
                   "environment": cluster.removeprefix("internet-id-"), "instance": instance, "run": RUN},
        "annotations": {"summary": f"{alertname} on {service}"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


Group = tuple[tuple[tuple[str, str], ...], str, tuple[str, ...]]
"""(group labels, receiver, instances of its alerts), comparable."""


def _groups(url: str, expected: set[Group]) -> set[Group]:
    """This module's aggregation groups, polled until they equal ``expected`` or 10 s pass."""
    deadline = time.monotonic() + 10
    while True:
        groups = request(f"{url}/api/v2/alerts/groups?filter=" + urllib.parse.quote(f'run="{RUN}"'))
        seen = {(tuple(sorted(g["labels"].items())), g["receiver"]["name"],
                 tuple(sorted(a["labels"]["instance"] for a in g["alerts"]))) for g in groups}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def test_one_group_per_alertname_cluster_and_service(alertmanager: str) -> None:
    request(f"{alertmanager}/api/v2/alerts", [
        _alert("internet-id-prod", "HighErrorRate", "warning", "api", "api-1:3001"),
        _alert("internet-id-prod", "HighErrorRate", "warning", "api", "api-2:3001"),
        _alert("internet-id-staging", "HighErrorRate", "warning", "api", "api-1:3001"),
        _alert("internet-id-prod", "HighErrorRate", "warning", "web", "web:3000"),
        _alert("internet-id-prod", "HighResponseTime", "warning", "api", "api-1:3001"),
    ])
    expected: set[Group] = {
        ((("alertname", "HighErrorRate"), ("cluster", "internet-id-prod"), ("service", "api")),
         "slack-warnings", ("api-1:3001", "api-2:3001")),
        ((("alertname", "HighErrorRate"), ("cluster", "internet-id-staging"), ("service", "api")),
         "slack-warnings", ("api-1:3001",)),
        ((("alertname", "HighErrorRate"), ("cluster", "internet-id-prod"), ("service", "web")),
         "slack-warnings", ("web:3000",)),
        ((("alertname", "HighResponseTime"), ("cluster", "internet-id-prod"), ("service", "api")),
         "slack-warnings", ("api-1:3001",)),
    }
    assert _groups(alertmanager, expected) == expected
