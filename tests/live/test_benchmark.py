"""Benchmark with the real production timings: time to page, and Prometheus' footprint.

Run with ``pytest -m benchmark tests/live`` (about 5 minutes: ServiceDown's ``for`` is 2m in prod).
It starts a second live stack whose timings (scrape and evaluation interval, ``rateInterval``,
``forScale`` and ``for`` overrides, route timings) are those of ``settings_from_stack_file("prod")``;
targets, receivers and secrets point at loopback as in the time-compressed profile.

It reports numbers (terminal summary, and JSON at ``$IID_BENCHMARK_OUT`` if set) and asserts only
that the page arrived, with the main routing key, within the configured bound plus a generous margin.
The ``page_bound`` tests below need no daemons and run with the unit tests.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.durations import seconds
from tests.live.harness import profile
from tests.live.harness.benchmark import RESULTS_KEY, PageBound, page_bound, timestamp, write_results
from tests.live.harness.clients import poll
from tests.live.harness.profile import LIVE_TIMINGS, live_config, timings_of
from tests.live.harness.receivers import HttpRequest, pd_field
from tests.live.harness.stack import LiveStack, allocate_ports, remove_root

TIMINGS_FROM = "prod"
WARM_CYCLES = 4
"""Scrape cycles, after every target is up, before the footprint is read."""
MARGIN = 30.0
"""Allowed beyond the bound: generous, this is no timing test (delivery on loopback takes well under 1s)."""
EXERCISED = ("prometheus", "alertmanager", "node-exporter", "blackbox-exporter", "postgres", "redis")
"""Jobs whose ``*_build_info`` is a real daemon (built from its Go module, or Debian's PostgreSQL and Redis; the others
are stand-ins)."""


def _settings(timings: profile.Timings, rules: dict[str, Any] | None = None) -> Any:
    config = live_config(allocate_ports(), secrets_dir="/tmp/secrets", rules=rules or dict(timings.rules),
                         timings=timings)
    return settings_from_mapping(profile.STACK, config)


def test_page_bound_of_the_prod_timings() -> None:
    prod = settings_from_stack_file(TIMINGS_FROM)
    bound = page_bound(prod)
    assert bound == PageBound(scrape_interval=15, evaluation_interval=15, for_=120, group_wait=10)
    assert bound.total == 160
    # The loopback stack built from prod's timings has prod's bound.
    assert page_bound(_settings(timings_of(prod))) == bound


def test_page_bound_of_the_live_profile_and_overrides() -> None:
    live = page_bound(_settings(LIVE_TIMINGS))
    assert live.parts() == {"scrape_interval": 2, "evaluation_interval": 1, "for": 2, "group_wait": 1}  # 2m x 0.02
    assert live.total == 6
    overridden = _settings(LIVE_TIMINGS, rules={"forScale": 0.02, "overrides": {"ServiceDown": {"for": "45s"}}})
    assert page_bound(overridden).for_ == 45  # an explicit ``for`` is not scaled
    assert page_bound(overridden, "DatabaseDown").for_ == 1  # 1m x 0.02, rounded


def test_timings_of_a_stack_carry_its_for_overrides() -> None:
    source = _settings(LIVE_TIMINGS, rules={"forScale": 0.5, "overrides": {"ServiceDown": {"for": "3m"},
                                                                             "HighErrorRate": {"threshold": 0.04}}})
    timings = timings_of(source)
    assert timings.rules == {"rateInterval": "5m", "forScale": 0.5, "flapWindow": "10m", "restartWindow": "1h",
                             "overrides": {"ServiceDown": {"for": "3m"}}}
    assert timings.routes["critical"] == {"groupWait": "1s", "groupInterval": "2s", "repeatInterval": "1h"}


def test_the_slo_windows_are_compressed_in_the_live_profile_and_prods_in_the_benchmark() -> None:
    live = _settings(LIVE_TIMINGS).slo_alerting
    assert [(p.burn_rate, p.long, p.short, p.for_) for p in live.page + live.ticket] == [
        (14.4, "20s", "10s", "0s"), (6, "40s", "12s", "0s"), (3, "1m", "16s", "0s"), (1, "90s", "20s", "0s")]
    assert live.budget_interval == "2s"
    prod = _settings(timings_of(settings_from_stack_file(TIMINGS_FROM))).slo_alerting
    assert [(p.long, p.short, p.for_) for p in prod.page + prod.ticket] == [
        ("1h", "5m", "2m"), ("6h", "30m", "15m"), ("1d", "2h", "1h"), ("3d", "6h", "3h")]
    assert prod.budget_interval == "3m"


def test_timestamp_reads_nanosecond_rfc3339() -> None:
    assert timestamp("2026-11-26T10:00:01.123456789Z") == pytest.approx(1795687201.123457)
    assert timestamp("2026-11-26T10:00:01Z") == 1795687201.0
    assert timestamp("2026-11-26T11:00:01.5+01:00") == 1795687201.5


@pytest.fixture(scope="module")
def prod_timed_stack(request: pytest.FixtureRequest) -> Iterator[LiveStack]:
    stack = LiveStack.start(timings_of(settings_from_stack_file(TIMINGS_FROM)))
    failed_before = request.session.testsfailed
    try:
        yield stack
    finally:
        stack.close()
        if os.environ.get("IID_LIVE_KEEP") == "1" or request.session.testsfailed > failed_before:
            print(f"\nbenchmark stack files kept in {stack.root}", file=sys.stderr)
        else:
            remove_root(stack)


def _by_job(stack: LiveStack, expr: str) -> dict[str, float]:
    return {r["metric"].get("job", "?"): float(r["value"][1]) for r in stack.prometheus.query(expr)}


def _versions(stack: LiveStack) -> dict[str, str]:
    found: dict[str, str] = {}
    for r in stack.prometheus.query('{__name__=~".+_build_info"}'):
        job, version = r["metric"].get("job"), r["metric"].get("version")
        if job in EXERCISED and version:
            found[f"{r['metric']['__name__'].removesuffix('_build_info')}"] = version
    for expr, label, name in (("pg_static", "short_version", "postgresql"),
                              ("redis_instance_info", "redis_version", "redis-server")):
        for r in stack.prometheus.query(expr):
            if r["metric"].get(label):
                found[name] = r["metric"][label]
    return found


def _phases(stack: LiveStack, since: float, trigger: HttpRequest) -> dict[str, float]:
    """Where the time went: Prometheus' pending start (``activeAt``), firing (Alertmanager's ``startsAt``
    is Prometheus' ``FiredAt``), then group wait and delivery."""
    pending = [a for a in stack.prometheus.alerts() if a["labels"].get("alertname") == "ServiceDown"]
    received = stack.alertmanager.alerts_named("ServiceDown")
    if not pending or not received:
        return {}
    active_at = timestamp(pending[0]["activeAt"])
    fired_at = timestamp(received[0]["startsAt"])
    return {
        "down -> pending (scrape + evaluation)": active_at - since,
        "pending -> firing (for)": fired_at - active_at,
        "firing -> PagerDuty (group_wait + delivery)": trigger.at - fired_at,
    }


@pytest.mark.live
@pytest.mark.benchmark
def test_time_to_page_and_footprint_with_prod_timings(prod_timed_stack: LiveStack,
                                                      request: pytest.FixtureRequest) -> None:
    stack = prod_timed_stack
    prod = settings_from_stack_file(TIMINGS_FROM)
    bound = page_bound(stack.settings)
    assert bound == page_bound(prod), "the benchmark stack must have prod's timings"
    scrape = seconds(stack.settings.prometheus.scrape_interval)
    prom = stack.prometheus

    # Every exporter and stand-in scraped successfully, then a few more cycles before the footprint.
    poll(prom.targets, lambda ts: bool(ts) and all(t["health"] == "up" for t in ts), 3 * scrape + 30,
         "every target up")
    time.sleep(WARM_CYCLES * scrape)
    warm = stack.footprint()
    per_job = _by_job(stack, "sum by (job) (scrape_samples_post_metric_relabeling)")
    versions = _versions(stack)
    # ServiceDown must start from nothing (its absent() branch is pending until the first scrape).
    poll(prom.alerts, lambda alerts: not [a for a in alerts if a["labels"].get("alertname") == "ServiceDown"],
         3 * scrape, "no ServiceDown before the API goes down")

    since = time.time()
    stack.api.down()

    def main_page(r: HttpRequest) -> bool:
        return (r.at >= since and pd_field(r, "event_action") == "trigger"
                and pd_field(r, "payload", "class") == "ServiceDown"
                and pd_field(r, "routing_key") == profile.PAGERDUTY_ROUTING_KEY)

    trigger = stack.pagerduty.wait_for(main_page, bound.total + MARGIN)[0]
    elapsed = trigger.at - since
    phases = _phases(stack, since, trigger)
    at_page = stack.footprint()
    stack.api.up()

    results: dict[str, Any] = {
        "timings": TIMINGS_FROM,
        "settings": {
            "scrapeInterval": stack.settings.prometheus.scrape_interval,
            "evaluationInterval": stack.settings.prometheus.evaluation_interval,
            "scrapeTimeout": stack.settings.prometheus.scrape_timeout,
            "rateInterval": stack.settings.rules.rate_interval,
            "ServiceDown.for": stack.settings.rules.for_duration("ServiceDown"),
            "critical.groupWait": stack.settings.notifications.timing.critical.group_wait,
        },
        "time_to_page": {
            "seconds": round(elapsed, 2),
            "bound": {"total": bound.total, "parts": bound.parts()},
            "margin": MARGIN,
            "phases": {k: round(v, 2) for k, v in phases.items()},
        },
        "footprint": {f"after {WARM_CYCLES} cycles": warm, "at page": at_page},
        "samples_per_job": per_job,
        "versions": versions,
        "started_at_unix": round(since, 3),
    }
    request.config.stash[RESULTS_KEY] = results
    write_results(results)

    assert trigger.json["payload"]["severity"] == "critical"
    assert elapsed <= bound.total + MARGIN, f"page after {elapsed:.1f}s, bound {bound.total:g}s + {MARGIN:g}s"
    for name in ("prometheus head series", "prometheus RSS MiB", "alertmanager RSS MiB", "scraped samples per cycle"):
        assert name in warm, f"{name} not measured: {warm}"
