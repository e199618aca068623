"""Inhibition rules: while a source alert fires, matching target alerts are muted (still visible,
with ``inhibitedBy`` set, in Alertmanager's UI and ``/api/v2/alerts``).

``equal`` lists labels whose values must be the same on source and target.  It never contains
``alertname``: the catalogue names each tier of a condition differently (HighErrorRate warning,
CriticalErrorRate critical), so an ``alertname`` in ``equal`` would never match.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inhibition:
    source: tuple[str, ...]
    target: tuple[str, ...]
    equal: tuple[str, ...]
    why: str


DATABASE_POOL_ALERTS = ("DatabaseConnectionPoolExhaustion", "DatabaseConnectionPoolCritical")

INHIBITIONS: tuple[Inhibition, ...] = (
    Inhibition(
        source=('severity="critical"',),
        target=('severity="warning"',),
        equal=("cluster", "service"),
        why="a critical on a service makes that service's warnings noise: the on-call is already on it",
    ),
    Inhibition(
        source=('alertname="ServiceDown"',),
        target=('alertname!="ServiceDown"',),
        equal=("cluster", "service"),
        why="a service that is down explains every other alert of that service (errors, latency, probes)",
    ),
    Inhibition(
        source=('alertname="DatabaseDown"',),
        target=(f'alertname=~"{"|".join(DATABASE_POOL_ALERTS)}"',),
        equal=("cluster",),
        why="with the database down, its connection-pool alerts are a consequence, whatever service label they carry",
    ),
)
