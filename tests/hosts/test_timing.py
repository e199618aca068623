"""The paging bound after a host loss, and the rule that keeps a rejoined Alertmanager peer from paging a resolved
alert again, checked against a model of Alertmanager 0.26's notification pipeline (``components/hosts/timing.py``
says why the rule holds; the multi-host benchmark measures the real peers)."""

from __future__ import annotations

import itertools
import re

import pytest

from components.alertmanager.settings import RouteTiming
from components.durations import seconds
from components.hosts.settings import AlertmanagerClusterSettings
from components.hosts.timing import MARGIN_SECONDS, bound_seconds, page_bound, rejoin_problems

CRITICAL = RouteTiming(group_wait="10s", group_interval="5m", repeat_interval="1h")


def test_the_default_bound_term_by_term() -> None:
    terms = page_bound(scrape_interval="15s", scrape_timeout="10s", evaluation_interval="15s", host_down_for="1m",
                       critical=CRITICAL, peer_timeout="1500ms")
    assert [term.seconds for term in terms] == [15, 10, 15, 60, 10, 1.5, 5]
    assert bound_seconds(terms) == 116.5
    assert all(term.what for term in terms)


def test_a_for_between_evaluations_waits_for_the_next_one() -> None:
    terms = page_bound(scrape_interval="15s", scrape_timeout="10s", evaluation_interval="20s", host_down_for="50s",
                       critical=CRITICAL, peer_timeout="2s")
    assert terms[3].seconds == 60


# ---------------------------------------------------------------- the model

def stale_page(*, period: float, wait: float, interval: float, peers: int, peer_timeout: float, settle: float,
               created: float, rejoined: float, resolved: float, position: int, settle_left: float) -> bool:
    """Whether one peer sends a firing notification after another sent the group's resolve.

    Every peer but one created the group at ``created`` (a send of Prometheus) and flushes ``wait`` later, then every
    ``interval``; the rejoined one got the alert at ``rejoined`` and flushes at once (the alert is older than
    ``wait``), waiting ``settle_left`` more the first time.  The alert resolves at ``resolved``.  A flush snapshots
    the alert (firing before ``resolved``), waits ``position x peer_timeout``, then compares the snapshot with the
    notification log: a firing snapshot against a logged resolve is the stale page; a resolved one against a logged
    firing sends the resolve, logged at once everywhere (no delivery or gossip time: the worst case).
    """
    order = list(range(peers))
    rejoined_at = position
    events = []  # (time of the dedup, snapshot firing?, peer)
    horizon = resolved + 2 * interval
    for peer in order:
        first = rejoined if peer == rejoined_at else created + wait
        extra = settle_left if peer == rejoined_at else 0.0
        flush, count = first, 0
        while flush < horizon:
            events.append((flush + peer * peer_timeout + (extra if count == 0 else 0.0), flush < resolved, peer))
            flush, count = flush + interval, count + 1
    logged_resolved = False
    for _, firing, _ in sorted(events):
        if firing and logged_resolved:
            return True
        if not firing and not logged_resolved:
            logged_resolved = True
    return False


def stale_cases(*, period: float = 15, wait: float = 10, interval: float = 300, peers: int = 3,
                peer_timeout: float = 1.5, settle: float = 2, jitter: float = MARGIN_SECONDS) -> int:
    """How many of the enumerated rejoins and resolves page again: every slot of the rejoined peer within a group
    interval, every resolve over the next two, every position of the rejoined peer, its settle wait or none, and
    every send early or late by up to ``jitter``."""
    slots = int(interval // period)
    count = 0
    for rejoin, later, position, settle_left, (early, late_rejoin, late_resolve) in itertools.product(
            range(1, slots + 1), range(0, 2 * slots), range(peers), (0.0, settle),
            itertools.product((0.0, jitter), repeat=3)):
        rejoined = rejoin * period + late_rejoin
        resolved = (rejoin + later) * period + late_resolve
        count += stale_page(period=period, wait=wait, interval=interval, peers=peers, peer_timeout=peer_timeout,
                            settle=settle, created=early, rejoined=rejoined, resolved=resolved, position=position,
                            settle_left=settle_left)
    return count


def test_the_model_sees_the_stale_page_alertmanagers_default_allows() -> None:
    assert stale_cases(peer_timeout=15, settle=60) > 0


def test_no_stale_page_with_the_defaults_whatever_the_phases() -> None:
    assert stale_cases() == 0


@pytest.mark.parametrize(("peers", "peer_timeout", "settle", "wait", "interval"), [
    (3, 1.5, 2, 10, 300), (3, 2, 2, 10, 300), (2, 3.5, 2, 10, 300), (2, 4, 2, 10, 300), (3, 5, 2, 10, 300),
    (4, 1, 2, 10, 300), (4, 1.5, 2, 10, 300), (3, 1, 2, 30, 300), (3, 1, 8, 10, 300), (2, 1.5, 1, 8, 60),
])
def test_the_settings_check_agrees_with_the_model(peers: int, peer_timeout: float, settle: float, wait: float,
                                                  interval: float) -> None:
    """Settings the check accepts never page again in the model, and with ``groupInterval`` a multiple of the
    evaluation interval those it refuses do."""
    refused = _refused(peers, peer_timeout, settle, wait, interval)
    stale = stale_cases(peers=peers, peer_timeout=peer_timeout, settle=settle, wait=wait, interval=interval) > 0
    assert refused == stale, (refused, stale)


@pytest.mark.parametrize("settle", [1, 4, 6, 7])
def test_settings_the_check_accepts_never_page_again_in_the_model(settle: float) -> None:
    """The check keeps a margin on both sides; the model finds the rejoined peer's side (its settle wait) needs less,
    as the resolve that could follow its flush shares its evaluation."""
    for peer_timeout in (0.5, 1, 1.5, 2):
        if not _refused(3, peer_timeout, settle, 10, 300):
            assert stale_cases(peer_timeout=peer_timeout, settle=settle) == 0, (peer_timeout, settle)


def test_a_group_interval_off_the_evaluations_is_refused_as_it_may_drift() -> None:
    assert _refused(3, 1, 2, 10, 100)


def _refused(peers: int, peer_timeout: float, settle: float, wait: float, interval: float) -> bool:
    cluster = AlertmanagerClusterSettings(peer_timeout=f"{int(peer_timeout * 1000)}ms",
                                          settle_timeout=f"{int(settle * 1000)}ms")
    timing = RouteTiming(group_wait=f"{int(wait)}s", group_interval=f"{int(interval)}s", repeat_interval="1h")
    return bool(rejoin_problems(peers=peers, cluster=cluster, evaluation_interval="15s", critical=timing))


def _followed(problem: str) -> tuple[str, float]:
    """The key a refusal names and the value it asks for (just below it where it says "below")."""
    key = problem.split(":", 1)[0].rsplit(".", 1)[-1]
    below = re.search(r"set it below (\S+) ", problem)
    value = re.search(r"; use (\S+) \(", problem)
    found = below or value
    assert found, problem
    return key, seconds(found[1]) - (0.01 if below else 0)


@pytest.mark.parametrize("peers", [2, 3, 4])
def test_following_a_refusals_value_ends_the_refusals(peers: int) -> None:
    """No message sends the user round in circles: applying the value each one asks for (at most twice, as a
    shorter peerTimeout may then show the groupWait is the rest) gives settings the check accepts."""
    for peer_timeout, settle, wait in itertools.product((0.5, 1.5, 3), (1, 2, 6, 10), (1, 3, 6, 10, 14, 30)):
        values = {"peerTimeout": peer_timeout, "settleTimeout": settle, "groupWait": wait}
        for _ in range(3):
            cluster = AlertmanagerClusterSettings(peer_timeout=f"{round(values['peerTimeout'] * 1000)}ms",
                                                  settle_timeout=f"{round(values['settleTimeout'] * 1000)}ms")
            timing = RouteTiming(group_wait=f"{round(values['groupWait'] * 1000)}ms", group_interval="5m",
                                 repeat_interval="1h")
            problems = rejoin_problems(peers=peers, cluster=cluster, evaluation_interval="15s", critical=timing)
            if not problems or "no settleTimeout fits" in problems[0]:
                break
            key, value = _followed(problems[0])
            values[key] = value
        assert not problems or "no settleTimeout fits" in problems[0], (peers, peer_timeout, settle, wait, problems)
