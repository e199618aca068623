"""Inhibition rules: while a source alert fires, matching target alerts are muted (still visible,
with ``inhibitedBy`` set, in Alertmanager's UI and ``/api/v2/alerts``).

``equal`` lists labels whose values must be the same on source and target (a label missing on
both counts as equal).  Every rule has ``cluster`` in ``equal``.

Two kinds of rules:

* tiers: for each warning/critical pair of the catalogue (``PAIRS``), the critical tier mutes the
  warning tier *of the same thing*: ``equal`` is ``cluster``, ``environment`` and the pair's
  ``identity`` labels from the catalogue (container ``name``, IPFS ``provider``, ``mountpoint`` …).
  A critical never mutes another alert, nor the warning of another container or provider.
* causes: an alert that explains others by itself (the API down, the database down, the
  blockchain RPC down behind a degraded /api/health).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.rules.catalogue import BY_NAME, PAIRS


@dataclass(frozen=True)
class Inhibition:
    source: tuple[str, ...]
    target: tuple[str, ...]
    equal: tuple[str, ...]
    why: str


DATABASE_POOL_ALERTS = ("DatabaseConnectionPoolExhaustion", "DatabaseConnectionPoolCritical")


def tier_inhibitions() -> tuple[Inhibition, ...]:
    """One rule per warning/critical pair, derived from the catalogue's ``identity`` labels."""
    rules = []
    for warning, critical in PAIRS:
        identity = BY_NAME[critical].identity
        if not identity or BY_NAME[warning].identity != identity:
            raise ValueError(f"{warning}/{critical}: both tiers need the same non-empty identity in the catalogue")
        rules.append(
            Inhibition(
                source=(f'alertname="{critical}"',),
                target=(f'alertname="{warning}"',),
                equal=("cluster", "environment", *identity),
                why=f"{critical} makes {warning} of the same {', '.join(identity)} noise (same condition, worse)",
            )
        )
    return tuple(rules)


CAUSES: tuple[Inhibition, ...] = (
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
    Inhibition(
        source=('alertname="BlockchainRPCDown"',),
        target=('alertname="ServiceHealthDegraded"',),
        equal=("cluster", "environment", "instance"),
        why=(
            "the same /api/health answer (instance: its URL) reports the blockchain RPC unhealthy and is "
            "therefore 503: the degraded health is the RPC outage already paged"
        ),
    ),
)

INHIBITIONS: tuple[Inhibition, ...] = tier_inhibitions() + CAUSES
