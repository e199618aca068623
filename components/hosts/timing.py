"""Two timing facts of a multi-host stack, computed from its settings: how long after a host is lost its page
can take (``page_bound``), and the rule that keeps an Alertmanager peer which rejoined while an alert fired from
paging it again after its resolve (``rejoin_problems``).

Why the rule holds (Alertmanager 0.26, ``dispatch/dispatch.go`` and ``notify/notify.go``): each peer keeps its
own timer per alert group and, when it fires, *snapshots* the group's alerts (``aggrGroup.flush``), then waits
for gossip to settle (``GossipSettleStage``, a restarted peer only) and ``position * peerTimeout``
(``WaitStage``), and only then compares the snapshot with the notification log (``DedupStage``).  If another
peer logged the group's *resolved* notification during that wait, the snapshot's firing alert is not in the
log's firing set and the stale firing is sent: PagerDuty opens a new incident for a key it just resolved.

Peers that received the alert together flush together, so one snapshot cannot predate the resolve while
another's follows it.  A peer that (re)joined while the alert fired gets it with Prometheus' next resend and,
the alert being older than ``groupWait``, flushes at once: its timer runs in phase with Prometheus' sends,
the others' ``groupWait`` later.  Prometheus sends an alerting rule's alerts at the rule group's evaluations,
whose phase is fixed on every replica (an offset from the group's name and file), so every send, resolve
included, lands on one grid of period ``evaluationInterval``.  With ``groupInterval`` a multiple of it, the
rejoined peer's flushes sit on the grid and the others' ``g = groupWait mod evaluationInterval`` after it;
a resolve between two peers' flushes is then at least ``g`` (rejoined before) or ``evaluationInterval - g``
(rejoined after) from the later flush, and no peer waits that long when

    settleTimeout + (peers - 1) * peerTimeout + MARGIN < g   and   (peers - 1) * peerTimeout + MARGIN < E - g.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.durations import format_duration, seconds

if TYPE_CHECKING:
    from components.alertmanager.settings import RouteTiming
    from components.hosts.settings import AlertmanagerClusterSettings

MARGIN_SECONDS = 1.0
"""What the grid argument leaves to chance: the rule group's evaluation before its send, the send itself,
Alertmanager's scheduling of its timers, the clock skew of the Prometheus hosts."""
DELIVERY_SECONDS = 5.0
"""From Alertmanager's send to the receiver's answer (PagerDuty's Events API)."""
PAGING_ROUTE = "critical"
"""The route whose receivers page (``notifications.timing.critical``: PagerDuty)."""
MIN_PEER_TIMEOUT_SECONDS = 0.01
"""The shortest ``alertmanagerCluster.peerTimeout`` the settings accept (10ms)."""


@dataclass(frozen=True)
class BoundTerm:
    """One term of the paging bound: what it waits for and how long."""

    what: str
    seconds: float


def page_bound(*, scrape_interval: str, scrape_timeout: str, evaluation_interval: str, host_down_for: str,
               critical: RouteTiming, peer_timeout: str) -> list[BoundTerm]:
    """The longest time from losing a host to HostDown's page, term by term (their sum is the bound).

    The worst host runs an app replica, a Prometheus replica and the Alertmanager peer first in the member list.
    """
    evaluation = seconds(evaluation_interval)
    fires_after = math.ceil(seconds(host_down_for) / evaluation) * evaluation
    return [
        BoundTerm("the host dies just after a good scrape: the next scrape starts one scrape interval later",
                  seconds(scrape_interval)),
        BoundTerm("that scrape of a host that no longer answers fails at the scrape timeout", seconds(scrape_timeout)),
        BoundTerm("the next evaluation sees up == 0 of both host agents: HostDown pending", evaluation),
        BoundTerm("HostDown's for, rounded up to whole evaluations: firing, sent to every peer", fires_after),
        BoundTerm("the critical route's groupWait (a new group)", seconds(critical.group_wait)),
        BoundTerm("the surviving peer first in the member list waits one peerTimeout while the lost peer is still "
                  "listed", seconds(peer_timeout)),
        BoundTerm("delivery to PagerDuty", DELIVERY_SECONDS),
    ]


def bound_seconds(terms: list[BoundTerm]) -> float:
    return sum(term.seconds for term in terms)


def rejoin_problems(*, peers: int, cluster: AlertmanagerClusterSettings, evaluation_interval: str,
                    critical: RouteTiming) -> list[str]:
    """One line per setting that lets a rejoined Alertmanager peer page again after a resolve (the module's rule),
    for the paging route; empty when the rule holds."""
    if peers < 2:
        return []
    period = seconds(evaluation_interval)
    interval, wait = seconds(critical.group_interval), seconds(critical.group_wait)
    route = f"notifications.timing.{PAGING_ROUTE}"
    if interval % period:
        return [f"{route}.groupInterval: {critical.group_interval} is not a multiple of prometheus.evaluationInterval "
                f"{evaluation_interval}, so the Alertmanager peers' flushes drift against Prometheus' sends and one "
                "that rejoined while an alert fired may page it again after its resolve; use a multiple, e.g. 5m"]
    phase = wait % period
    waits = (peers - 1) * seconds(cluster.peer_timeout)
    before, after = phase - MARGIN_SECONDS - seconds(cluster.settle_timeout), period - phase - MARGIN_SECONDS
    if waits < min(before, after):
        return []
    most = min(before, after) / (peers - 1)
    if most >= MIN_PEER_TIMEOUT_SECONDS:  # a shorter peerTimeout is enough
        return [f"alertmanagerCluster.peerTimeout: {cluster.peer_timeout} makes {peers} peers wait up to "
                f"{_duration(waits)} after a flush, so one that rejoined while an alert fired may page it again after "
                f"its resolve (with prometheus.evaluationInterval {evaluation_interval}, {route}.groupWait "
                f"{critical.group_wait} and settleTimeout {cluster.settle_timeout} the waits must end within "
                f"{_duration(min(before, after))}); set it below {_duration(most)} (docs/multi-host.md, "
                "\"A rejoined peer and the resolve\")"]
    settle = seconds(cluster.settle_timeout)
    room = (period - settle) / 2 - MARGIN_SECONDS  # the most any groupWait leaves: flushes halfway between the edges
    if room <= waits:
        longest = period - 2 * (MARGIN_SECONDS + waits)
        fix = (f"set it below {_duration(longest)}" if longest > 0 else
               f"no settleTimeout fits: lengthen prometheus.evaluationInterval {evaluation_interval} or shorten "
               f"peerTimeout {cluster.peer_timeout}")
        return [f"alertmanagerCluster.settleTimeout: {cluster.settle_timeout} leaves a rejoined Alertmanager peer too "
                f"little of an evaluation interval ({evaluation_interval}) to wait out a resolve with {peers} peers "
                f"waiting up to {_duration(waits)}, whatever the groupWait; {fix} (docs/multi-host.md, \"A rejoined "
                "peer and the resolve\")"]
    best = wait - phase + (period + settle) / 2
    return [f"{route}.groupWait: {critical.group_wait} puts the Alertmanager peers' flushes "
            f"{_duration(phase)} after Prometheus' evaluations (every {evaluation_interval}), too close to them "
            "for the peers' waits, so a peer that rejoined while an alert fired may page it again after its "
            f"resolve; use {_duration(best)} (halfway between the evaluations, past settleTimeout "
            f"{cluster.settle_timeout})"]


def _duration(value: float) -> str:
    """A duration as Prometheus and Alertmanager write it, to the millisecond below a second."""
    if value >= 1 and value == int(value):
        return format_duration(value)
    millis = int(value * 1000)
    whole, rest = divmod(millis, 1000)
    return f"{format_duration(whole) if whole else ''}{rest}ms" if rest else format_duration(whole)
