"""Inhibition rules: while a source alert fires, matching target alerts are muted (still visible,
with ``inhibitedBy`` set, in Alertmanager's UI and ``/api/v2/alerts``).

``equal`` lists labels whose values must be the same on source and target (a label missing on
both counts as equal).  Every rule has ``cluster`` in ``equal``.

Four kinds of rules:

* tiers: for each warning/critical pair of the catalogue (``PAIRS``), the critical tier mutes the
  warning tier *of the same thing*: ``equal`` is ``cluster``, ``environment`` and the pair's
  ``identity`` labels from the catalogue (container ``name``, IPFS ``provider``, ``mountpoint`` …).
  A critical never mutes another alert, nor the warning of another container or provider.
* flapping: for each outage alert with a flapping alert of the catalogue (``FLAPPING``), the outage alert
  mutes the flapping alert of the same thing (``equal``: ``cluster``, ``environment`` and the outage
  alert's ``identity``), so a target that flaps and then stays down pages once.
* causes: an alert that explains others by itself (the API down, the database down, the
  blockchain RPC down behind a degraded /api/health, the API or web app flapping behind its flapping probes,
  a container restarting in a loop behind its service's flapping, a disk filling fast behind it being almost full,
  Redis refusing connections behind its clients near the limit, an old transaction behind vacuum falling behind,
  failing DNS discovery behind missing API replicas).
* SLO tiers: a page of an SLO (``ErrorBudgetBurn``, ``severity: critical``) mutes the tickets of the same
  SLO (``slo`` in ``equal``), never another SLO's.  The threshold alerts of the same symptom
  (``HighErrorRate``, ``HighResponseTime`` …) are left alone: they judge the last minutes, the SLO judges
  the month's budget, and each still has its own tier rule; ``ServiceDown`` mutes both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.rules.alerts.hosts import HOST_DOWN
from components.rules.catalogue import BY_NAME, FLAPPING, PAIRS
from components.rules.model import flapping_name
from components.slo.sli import ALERT as ERROR_BUDGET_BURN
from components.slo.sli import SEVERITIES as SLO_SEVERITIES


@dataclass(frozen=True)
class Inhibition:
    source: tuple[str, ...]
    target: tuple[str, ...]
    equal: tuple[str, ...]
    why: str


DATABASE_POOL_ALERTS = ("DatabaseConnectionPoolExhaustion", "DatabaseConnectionPoolCritical")


def _same_identity(pairs: tuple[tuple[str, str], ...], why: str) -> tuple[Inhibition, ...]:
    """One rule per (source, target) pair of the catalogue, equal on the pair's shared ``identity`` labels;
    ``why`` is formatted with ``source``, ``target`` and ``identity``."""
    rules = []
    for source, target in pairs:
        identity = BY_NAME[source].identity
        if not identity or BY_NAME[target].identity != identity:
            raise ValueError(f"{target}/{source}: both need the same non-empty identity in the catalogue")
        rules.append(Inhibition(
            source=(f'alertname="{source}"',),
            target=(f'alertname="{target}"',),
            equal=("cluster", "environment", *identity),
            why=why.format(source=source, target=target, identity=", ".join(identity)),
        ))
    return tuple(rules)


def tier_inhibitions() -> tuple[Inhibition, ...]:
    """One rule per warning/critical pair, derived from the catalogue's ``identity`` labels."""
    return _same_identity(tuple((critical, warning) for warning, critical in PAIRS),
                          "{source} makes {target} of the same {identity} noise (same condition, worse)")


def flapping_inhibitions() -> tuple[Inhibition, ...]:
    """One rule per outage/flapping pair, derived from the outage alert's ``identity`` in the catalogue."""
    return _same_identity(FLAPPING, "{source} of the same {identity} already pages or posts the outage the "
                                    "flapping led to")


SERVICE_FLAPPING = (flapping_name("ServiceDown"), flapping_name("WebServiceDown"))
PROBE_FLAPPING = flapping_name("ProbeFailed")
APP_FLAPPING = (*SERVICE_FLAPPING, flapping_name("DatabaseDown"), flapping_name("RedisDown"), PROBE_FLAPPING)
"""The flapping alerts of the app's services (the monitoring's own, TargetFlapping, is not the app's)."""
OLD_TRANSACTIONS = ("PostgresIdleInTransaction", "PostgresLongRunningTransaction")

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
    Inhibition(
        source=('alertname="HostFilesystemFillingUpFast"',),
        target=('alertname="HostFilesystemAlmostFull"',),
        equal=("cluster", "environment", *BY_NAME["HostFilesystemAlmostFull"].identity),
        why="a disk filling fast pages once: almost full is where the same filling goes (it pages if the filling stops "
            "short of full)",
    ),
    Inhibition(
        source=('alertname=~"DatabaseDown|WebServiceDown"',),
        target=('alertname="ContainerRestarting"',),
        equal=("cluster", "environment", "service"),
        why="a container of the service that is mostly down is the outage already paged (ServiceDown mutes the API's)",
    ),
    Inhibition(
        source=('alertname="RedisRejectedConnections"',),
        target=('alertname="RedisClientsNearMaxclients"',),
        equal=("cluster", "environment", "instance"),
        why="refused connections are the next stage of clients near maxclients",
    ),
    Inhibition(
        source=(f'alertname=~"{"|".join(OLD_TRANSACTIONS)}"',),
        target=('alertname="PostgresVacuumFallingBehind"',),
        equal=("cluster", "environment", "instance"),
        why="the old transaction's snapshot is why vacuum cannot remove the dead rows",
    ),
    Inhibition(
        source=('alertname="ApiDiscoveryFailing"',),
        target=('alertname="ApiReplicasMissing"',),
        equal=("cluster", "environment"),
        why="with DNS discovery failing the target list is frozen: a missing replica is about the list, not the API",
    ),
)

FLAPPING_CAUSES: tuple[Inhibition, ...] = (
    Inhibition(
        source=(f'alertname=~"{"|".join(SERVICE_FLAPPING)}"',),
        target=(f'alertname="{PROBE_FLAPPING}"',),
        equal=("cluster", "environment", "service"),
        why="a flapping API or web app makes the probes of that service flap: the page already says so",
    ),
    Inhibition(
        source=('alertname="ContainerRestarting"',),
        target=(f'alertname=~"{"|".join(APP_FLAPPING)}"',),
        equal=("cluster", "environment", "service"),
        why="a container restarting in a loop makes its service flap: its page names the container",
    ),
)

SLO_TIERS: tuple[Inhibition, ...] = (
    Inhibition(
        source=(f'alertname="{ERROR_BUDGET_BURN}"', f'severity="{SLO_SEVERITIES["page"]}"'),
        target=(f'alertname="{ERROR_BUDGET_BURN}"', f'severity="{SLO_SEVERITIES["ticket"]}"'),
        equal=("cluster", "environment", "slo"),
        why="a page of an SLO makes its ticket noise: the same budget, burning faster",
    ),
)

INHIBITIONS: tuple[Inhibition, ...] = (
    tier_inhibitions() + flapping_inhibitions() + CAUSES + FLAPPING_CAUSES + SLO_TIERS
)

HOST_LOSS: tuple[Inhibition, ...] = (
    Inhibition(
        source=(f'alertname="{HOST_DOWN}"',),
        target=(f'alertname!="{HOST_DOWN}"',),
        equal=("cluster", "host"),
        why="a lost host explains every alert of what ran on it (its API replica, exporters, store, peers): "
            "one page (multi-host stacks)",
    ),
    Inhibition(
        source=(f'alertname="{HOST_DOWN}"',),
        target=('alertname="PrometheusErrorSendingAlerts"',),
        equal=("cluster",),
        why="with a host lost, the replicas fail to send to its Alertmanager peer while the others deliver "
            "(multi-host stacks)",
    ),
)
"""Rendered only with ``hosts``: every target there carries the ``host`` label."""
