"""A crash-looping API pages: the API stand-in alternates down and up every few scrapes, ServiceDown never
fires, and ServiceFlapping reaches PagerDuty and Slack within the bound the settings set; it resolves once the
API stays up.

This scenario runs on a stack of its own.  The live profile's ``forScale`` 0.02 makes ServiceDown's 2m a 2s
``for``, a single 2s scrape: there, any down phase of a few scrapes is a clean outage that pages through
ServiceDown, and the story (a target down half the time that no outage alert ever reports) cannot happen.  This
stack keeps every ``for`` and the flap window in prod's proportion to the scrape interval (prod: 15s scrapes,
ServiceDown 2m = 8 scrapes, ``flapWindow`` 10m = 40 scrapes; here 2s scrapes, 16s and 80s); all else (2s scrapes,
1s evaluations, 1s group wait, 2s group interval, loopback targets and receivers) is the live profile's.

The bounds (``FlapBounds``), with h the length of a phase and T the alert's threshold (changes above which it
fires):

* page: the first down is seen by the next scrape (at most one scrape interval after it begins), and each phase
  adds one change, so the (T+1)-th change is seen at most T·h + scrape interval after the flapping began; the
  rule sees it within an evaluation interval, holds it for ``for``, and Alertmanager holds the new group for
  ``group_wait``;
* resolve: the last change (back up) is seen within a scrape interval of the API staying up; a flap window later
  no change is left in it, the rule sees that within an evaluation interval, and Alertmanager sends the resolve
  within the group's ``group_interval``.

Both allow one more scrape and one more evaluation interval for a machine too busy to keep Prometheus' schedule.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.durations import format_duration, seconds
from components.prometheus import jobs
from components.settings import StackSettings
from tests.live.harness import profile
from tests.live.harness.clients import poll
from tests.live.harness.profile import LIVE_TIMINGS, Timings, live_config
from tests.live.harness.receivers import channel_of, pd_field, slack_text
from tests.live.harness.stack import EXTRA_REPORT_KEY, LiveStack, allocate_ports, remove_root
from tests.live.test_live_alerting import host_alert, pd_event, slack_about

FLAPPING = "ServiceFlapping"
OUTAGE = "ServiceDown"
PROBE_FLAPPING = "ProbeFlapping"
PHASE_SCRAPES = 3
"""Down for three scrape intervals, up for three: every other scrape phase of a crash loop, far shorter than
ServiceDown's eight-scrape ``for``."""
TIMINGS_FROM = "prod"


def proportional_timings(source: StackSettings) -> Timings:
    """The live profile, with ``forScale`` and ``flapWindow`` so that every ``for`` and the flap window hold as
    many scrapes as in ``source`` (its scrape interval against the live profile's 2s)."""
    factor = seconds(profile.SCRAPE_INTERVAL) / seconds(source.prometheus.scrape_interval)
    rules = {**LIVE_TIMINGS.rules, "forScale": round(source.rules.for_scale * factor, 4),
             "flapWindow": format_duration(round(seconds(source.rules.flap_window) * factor))}
    return replace(LIVE_TIMINGS, source=f"{profile.STACK} ({source.stack}'s for and flapWindow in scrapes)",
                   rules=rules)


@dataclass(frozen=True)
class FlapBounds:
    """Worst cases from the start of the flapping to the page, and from the API staying up to the resolve."""

    scrape_interval: float
    evaluation_interval: float
    phase: float
    threshold: float
    for_: float
    group_wait: float
    group_interval: float
    window: float

    @property
    def changes_seen(self) -> float:
        """When the (threshold+1)-th change is in Prometheus, from the first down."""
        return self.threshold * self.phase + self.scrape_interval

    @property
    def page(self) -> float:
        return self.changes_seen + self.evaluation_interval + self.for_ + self.group_wait

    @property
    def resolve(self) -> float:
        return self.scrape_interval + self.window + self.evaluation_interval + self.group_interval

    @property
    def slack(self) -> float:
        return self.scrape_interval + self.evaluation_interval


def flap_bounds(settings: StackSettings, phase: float, alert: str = FLAPPING, route: str = "critical") -> FlapBounds:
    timing = getattr(settings.notifications.timing, route)
    return FlapBounds(
        scrape_interval=seconds(settings.prometheus.scrape_interval),
        evaluation_interval=seconds(settings.prometheus.evaluation_interval),
        phase=phase,
        threshold=settings.rules.threshold(alert),
        for_=seconds(settings.rules.for_duration(alert)),
        group_wait=seconds(timing.group_wait),
        group_interval=seconds(timing.group_interval),
        window=seconds(settings.rules.flap_window),
    )


def _phase(settings: StackSettings) -> float:
    return PHASE_SCRAPES * seconds(settings.prometheus.scrape_interval)


def test_flap_bounds_of_the_proportional_stack() -> None:
    """Not live: the arithmetic, written out, and the conditions the scenario relies on."""
    timings = proportional_timings(settings_from_stack_file(TIMINGS_FROM))
    assert timings.rules == {"rateInterval": "12s", "forScale": 0.1333, "flapWindow": "1m20s", "restartWindow": "40s"}
    settings = settings_from_mapping(profile.STACK, live_config(
        allocate_ports(), secrets_dir="/tmp/iid-unused", rules=dict(timings.rules), timings=timings))
    assert settings.rules.for_duration(OUTAGE) == "16s"  # 8 scrapes, as prod's 2m of 15s scrapes
    bounds = flap_bounds(settings, _phase(settings))
    assert (bounds.phase, bounds.threshold, bounds.for_, bounds.window) == (6, 4, 16, 80)
    assert bounds.page == 4 * 6 + 2 + 1 + 16 + 1 == 44
    assert bounds.resolve == 2 + 80 + 1 + 2 == 85
    # A down phase, however the scrapes fall, never lasts ServiceDown's ``for``: it stays silent.
    assert bounds.phase + bounds.scrape_interval + bounds.evaluation_interval < seconds(
        settings.rules.for_duration(OUTAGE))
    # The first change is still in the window when the one that fires arrives.
    assert bounds.changes_seen < bounds.window


@pytest.fixture(scope="module")
def flapping_stack(request: pytest.FixtureRequest) -> Iterator[LiveStack]:
    stack = LiveStack.start(proportional_timings(settings_from_stack_file(TIMINGS_FROM)))
    failed_before = request.session.testsfailed
    try:
        stack.settle(timeout=120)
        # Right after start-up, ``settle`` may pass before the API is even scraped: a first down with no ``up 1``
        # before it is no change at all.  Wait for a phase of answered scrapes, as a long-running stack has.
        api_up = f'up{{job="{jobs.API}"}}'
        window = format_duration(_phase(stack.settings))
        healthy = f"min_over_time({api_up}[{window}]) == 1 and count_over_time({api_up}[{window}]) >= {PHASE_SCRAPES}"
        poll(lambda: stack.prometheus.value(healthy), lambda value: value == 1, 60, f"{healthy} in Prometheus")
        yield stack
    finally:
        source = stack.settings.rules
        lines = [f"flapping stack: forScale {source.for_scale:g}, flapWindow {source.flap_window}, "
                 f"start-up {', '.join(f'{k} {v:.1f}s' for k, v in stack.timings.items())}"]
        lines += [f"{name}: {value:g}" for name, value in stack.measurements.items()]
        request.config.stash.setdefault(EXTRA_REPORT_KEY, []).extend(lines)
        stack.close()
        if request.session.testsfailed > failed_before:
            print(f"\nflapping stack files kept in {stack.root}", file=sys.stderr)
        else:
            remove_root(stack)


@pytest.mark.live
def test_a_crash_looping_api_pages_once_then_resolves_when_it_stays_up(flapping_stack: LiveStack) -> None:
    live = flapping_stack
    settings = live.settings
    bounds = flap_bounds(settings, _phase(settings))
    critical = settings.notifications.slack.channels.critical
    since = time.time()
    live.api.flap(bounds.phase, bounds.phase)
    try:
        trigger = live.pagerduty.wait_for(pd_event(FLAPPING, since, "trigger"), bounds.page + bounds.slack)[0]
        to_page = trigger.at - since
        live.measurements[f"API flapping every {bounds.phase:g}s -> {FLAPPING} page (s)"] = round(to_page, 1)
        live.measurements[f"{FLAPPING} page bound (s)"] = bounds.page
        event = trigger.json
        assert event["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
        assert event["payload"]["severity"] == "critical"
        assert event["payload"]["summary"].startswith(f"{FLAPPING}: Internet-ID API flapping")
        live.slack.wait_for(slack_about(FLAPPING, since, critical, resolved=False), bounds.slack)

        # The flapping goes on until the probe of /api/health flaps too (its ``for`` is longer): muted by the page.
        am = live.alertmanager
        page = poll(lambda: am.alerts_named(FLAPPING), bool, bounds.slack, f"{FLAPPING} in Alertmanager")[0]
        probe_for = seconds(settings.rules.for_duration(PROBE_FLAPPING))
        probe = poll(lambda: am.alerts_named(PROBE_FLAPPING), bool, probe_for + bounds.page,
                     f"{PROBE_FLAPPING} in Alertmanager")[0]
        assert probe["status"]["state"] == "suppressed", probe
        assert probe["status"]["inhibitedBy"] == [page["fingerprint"]], probe
    finally:
        back = time.time()
        live.api.steady()
    flapped = back - since
    switches = len(live.api.flap_log)
    assert switches >= 2 * (bounds.threshold + 1), live.api.flap_log

    resolve = live.pagerduty.wait_for(
        lambda r: r.at >= back and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == event["dedup_key"], bounds.resolve + bounds.slack)[0]
    live.measurements[f"API up for good -> {FLAPPING} resolve (s)"] = round(resolve.at - back, 1)
    live.measurements[f"{FLAPPING} resolve bound (s)"] = bounds.resolve
    live.slack.wait_for(slack_about(FLAPPING, back, critical, resolved=True), bounds.slack)

    # The outage alert never fired (each down phase was too short for it): without ServiceFlapping, silence.
    window = format_duration(round(time.time() - since + 1))
    fired = live.prometheus.query(f'max_over_time(ALERTS{{alertname="{OUTAGE}", alertstate="firing"}}[{window}])')
    assert not fired, fired
    # One incident, one page: PagerDuty heard of nothing else (the test machine's own host alerts aside).
    others = live.pagerduty.matching(lambda r: r.at >= since and pd_field(r, "event_action") == "trigger"
                                     and not host_alert(r) and pd_field(r, "payload", "class") != FLAPPING)
    assert not others, [pd_field(r, "payload", "summary") for r in others]
    others_posted = live.slack.matching(lambda r: r.at >= since and channel_of(r) == critical
                                        and FLAPPING not in slack_text(r))
    assert not others_posted, [slack_text(r)[:200] for r in others_posted]
    # While the page stood, the flapping probe stayed muted.  (Once the page resolves, the probe's own last
    # change, seen up to a scrape later, may outlive it by a group interval: Alertmanager then posts that warning.)
    assert not live.slack.matching(lambda r: slack_about(PROBE_FLAPPING, since)(r) and r.at < back)
    live.measurements[f"flapped for (s), {switches} switches"] = round(flapped, 1)
