"""Failures the alerts could not see before: the API's request series gone while it answers, a container restarting
in a loop, the kernel OOM-killing, a Redis eviction.  Each is provoked on the live pipeline and judged by what the
receivers got.

Timings are the live profile's (2s scrapes, 1s evaluations, ``for`` x 0.02, 12s rate window, ``restartWindow``
40s, 1s group wait, 2s group interval).  Two causes come from stand-ins, and the tests say so where they use them:
the renamed metrics are the API stand-in's, and the restarts are the cAdvisor stand-in's counter (Debian packages
no cAdvisor).  The OOM kills are real (this machine's kernel, a memory cgroup of the test's own, Debian's
node_exporter 1.5), and so is the Redis eviction (Debian's redis-server 7.0 and redis_exporter 1.45).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from components.durations import seconds
from tests.live.harness import profile
from tests.live.harness.clients import poll
from tests.live.harness.oom import oom_kill_in_private_cgroup
from tests.live.harness.receivers import HttpRequest, channel_of, pd_field, slack_text
from tests.live.harness.stack import LiveStack
from tests.live.test_live_alerting import FIRE, RESOLVE, host_alert, pd_event, slack_about

pytestmark = pytest.mark.live


def _was_active(live: LiveStack, alertnames: str, since: float) -> list[dict[str, Any]]:
    """The ``ALERTS`` series (pending or firing) of ``alertnames`` (a regex) since ``since``."""
    window = max(1, round(time.time() - since) + 1)
    return live.prometheus.query(f'max_over_time(ALERTS{{alertname=~"{alertnames}"}}[{window}s])')


def _resolved(dedup_key: str, since: float) -> Callable[[HttpRequest], bool]:
    def match(r: HttpRequest) -> bool:
        return r.at >= since and pd_field(r, "event_action") == "resolve" and pd_field(r, "dedup_key") == dedup_key
    return match


def test_the_apis_request_series_vanishing_while_it_answers_pages(live: LiveStack) -> None:
    """Stand-in behaviour: the API stand-in serves ``http_requests_total`` and ``http_request_duration_seconds`` as
    ``iid_http_…`` from now on, as a deploy that gave prom-client a prefix would.  ``/api/metrics`` still answers
    (``up`` stays 1) and the health probe gets 200: only ApiMetricsMissing can tell that the error, latency and SLO
    alerts went blind."""
    since = time.time()
    live.api.rename_request_metrics("iid_")

    trigger = live.pagerduty.wait_for(pd_event("ApiMetricsMissing", since, "trigger"), FIRE)[0]
    live.measurements["API request series renamed -> ApiMetricsMissing page (s)"] = round(trigger.at - since, 1)
    assert trigger.json["routing_key"] == profile.PAGERDUTY_ROUTING_KEY
    assert trigger.json["payload"]["severity"] == "critical"
    post = live.slack.wait_for(slack_about("ApiMetricsMissing", since, "alerts-critical", resolved=False), FIRE)[0]
    for family in ("http_requests_total", "http_request_duration_seconds_bucket"):
        assert family in slack_text(post), slack_text(post)
    firing = {a["labels"]["metric"]: a["labels"]["alerts"] for a in live.prometheus.firing("ApiMetricsMissing")}
    assert firing == {
        "http_requests_total": "HighErrorRate, CriticalErrorRate, ErrorBudgetBurn (api-availability)",
        "http_request_duration_seconds_bucket": "HighResponseTime, ErrorBudgetBurn (api-latency)",
        "http_request_duration_seconds_bucket le=1": "ErrorBudgetBurn (api-latency)",
    }
    # The API answered every scrape meanwhile: no outage alert, and nothing else paged.
    assert live.prometheus.value(f'min_over_time(up{{job="internet-id-api"}}[{round(time.time() - since)}s])') == 1
    assert not _was_active(live, "ServiceDown|ServiceFlapping|ApiProcessMetricsMissing", since)
    assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r)
                                       and pd_field(r, "payload", "class") != "ApiMetricsMissing")

    back = time.time()
    live.api.rename_request_metrics(None)
    resolve = live.pagerduty.wait_for(_resolved(trigger.json["dedup_key"], back), RESOLVE)[0]
    live.measurements["API request series back -> ApiMetricsMissing resolve (s)"] = round(resolve.at - back, 1)


def test_a_container_restarting_in_a_loop_pages_once(live: LiveStack) -> None:
    """Stand-in: the cAdvisor stand-in's ``container_cpu_usage_seconds_total`` of ``internet-id-db-1`` starts again
    near zero at each restart in place (same container id), as a re-created cgroup's counter does; a deploy of the web
    app replaces its container (a new id) and must page nobody.  Six restarts 4s apart: one page, to the database
    rotation, at the third; none after; resolved once fewer than three are left in ``restartWindow``."""
    window = seconds(live.settings.rules.restart_window)
    since = time.time()
    live.app_containers.replace("internet-id-web-1")
    time.sleep(6)  # three scrapes of the new web container
    restarts = []
    for _ in range(6):
        live.app_containers.restart_in_place("internet-id-db-1")
        restarts.append(time.time())
        time.sleep(4)

    trigger = live.pagerduty.wait_for(pd_event("ContainerRestarting", since, "trigger"), FIRE)[0]
    live.measurements["third restart in place -> ContainerRestarting page (s)"] = round(trigger.at - restarts[2], 1)
    assert trigger.at > restarts[2], "paged before the third restart"
    assert trigger.json["routing_key"] == profile.PAGERDUTY_DATABASE_ROUTING_KEY  # service database: the DBA rotation
    assert trigger.json["payload"]["severity"] == "critical"
    assert "internet-id-db-1" in str(trigger.json)

    resolve = live.pagerduty.wait_for(_resolved(trigger.json["dedup_key"], restarts[-1]), window + RESOLVE)[0]
    live.measurements["last restart -> ContainerRestarting resolve (s)"] = round(resolve.at - restarts[-1], 1)
    assert resolve.at - restarts[-1] < window + 10, "resolved long after the restarts left the window"
    triggers = live.pagerduty.matching(lambda r: r.at >= since and pd_field(r, "event_action") == "trigger"
                                       and not host_alert(r))
    assert [pd_field(r, "payload", "class") for r in triggers] == ["ContainerRestarting"], "paged more than once"
    posts = live.slack.matching(slack_about("ContainerRestarting", since, "alerts-critical", resolved=False))
    assert len(posts) == 1, [slack_text(p) for p in posts]
    names = {series["metric"].get("name") for series in _was_active(live, "ContainerRestarting", since)}
    assert names == {"internet-id-db-1"}, "the web deploy counted as a restart"
    assert not _was_active(live, "DatabaseFlapping|DatabaseDown", since)


def test_the_kernels_oom_kills_warn(live: LiveStack) -> None:
    """Three processes OOM-killed for real in a 32 MiB memory cgroup (what a container at its limit goes through):
    the kernel's counter, which survives every restart and re-created cgroup, reaches #alerts-warnings as
    HostOomKills; no page (ContainerRestarting pages the loop, this says it is OOM)."""
    counter = 'max(node_vmstat_oom_kill{job="node-exporter"})'
    before = live.prometheus.value(counter)
    assert before is not None, "node_exporter exposes no node_vmstat_oom_kill"
    since = time.time()
    oom_kill_in_private_cgroup(3)
    warnings = live.settings.notifications.slack.channels.warnings
    post = live.slack.wait_for(slack_about("HostOomKills", since, warnings, resolved=False), FIRE)[0]
    live.measurements["3 OOM kills -> HostOomKills in Slack (s)"] = round(post.at - since, 1)
    poll(lambda: live.prometheus.value(counter), lambda after: after is not None and after - before >= 3, FIRE,
         "node_vmstat_oom_kill up by the three kills")
    live.flushed_since(time.time())
    assert not live.pagerduty.matching(lambda r: r.at >= since and pd_field(r, "payload", "class") == "HostOomKills")


def test_a_redis_eviction_warns(live: LiveStack) -> None:
    """Real Redis and redis_exporter: a maxmemory half a megabyte above what Redis uses, with allkeys-lru, then 3,000
    job-sized keys.  Every evicted key is lost job state: a warning to ``#alerts-warnings`` (no page), resolved once the
    rate window holds no eviction; the evicting policy itself is mailed while it stands."""
    since = time.time()
    limit = int(live.redis.info("memory")["used_memory"]) + 512 * 1024  # its clients' buffers count too
    live.redis.pipeline([("CONFIG", "SET", "maxmemory", str(limit)),
                         ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")])
    job = b"x" * 1024
    for batch in range(0, 3000, 100):  # in batches: one 3 MB pipeline alone would be over maxmemory
        live.redis.pipeline([("SET", f"bull:verification:{i}", job) for i in range(batch, batch + 100)])
    evicted = int(live.redis.info("stats")["evicted_keys"])
    assert evicted > 0, "Redis evicted nothing"

    warnings = live.settings.notifications.slack.channels.warnings
    post = live.slack.wait_for(slack_about("RedisEvictingKeys", since, warnings, resolved=False), FIRE)[0]
    live.measurements["Redis eviction -> RedisEvictingKeys in Slack (s)"] = round(post.at - since, 1)
    assert channel_of(post) == warnings and "WARNING" in slack_text(post)
    resolved = live.slack.wait_for(slack_about("RedisEvictingKeys", post.at, warnings, resolved=True), RESOLVE)[0]
    live.measurements["last eviction -> RedisEvictingKeys resolved (s)"] = round(resolved.at - post.at, 1)
    mail = live.smtp.wait_for(lambda m: m.at >= since and "RedisMaxmemoryPolicyEvicts" in m.subject, FIRE)[0]
    assert "allkeys-lru" in mail.text()
    live.flushed_since(time.time())
    assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r)), "an eviction paged"

    live.redis.reset()  # noeviction again
    poll(live.prometheus.alerts, lambda alerts: not any(
        a["labels"]["alertname"] == "RedisMaxmemoryPolicyEvicts" for a in alerts), RESOLVE,
         "RedisMaxmemoryPolicyEvicts resolved once the policy is noeviction")
