"""Faults of the pipeline itself while an incident is on: a receiver out, Alertmanager or Prometheus
stopped or restarted, a sick scrape target, Prometheus' disk filling up.

The incident is always the same real one (the API stand-in closes its port, ServiceDown pages), so the
question each test asks is only what the fault does to it: is the page lost, late, doubled, resolved too
early?  Every assertion is on what the stand-in receivers got (accepted or refused) and when.  Timings:
the live profile (2s scrapes, 1s evaluations, ``for`` x0.02, 1s group wait, 2s group interval, Alertmanager's
state written every 2s); Prometheus re-sends a firing alert to Alertmanager every minute (its default
``--rules.alert.resend-delay``, which the stack does not change).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from components.durations import seconds
from components.rules.catalogue import CATALOGUE
from tests.live.harness.clients import poll
from tests.live.harness.receivers import HttpRequest, OutageStep, pd_field, slack_text
from tests.live.harness.stack import LiveStack
from tests.live.test_live_alerting import FIRE, RESOLVE, host_alert, pd_event, slack_about

pytestmark = pytest.mark.live

NOTIFY_TIMEOUT = 10.0
"""Alertmanager gives one flush's retries max(group_interval, 10 s) (its ``notify.MinTimeout``); the next
flush, a group interval later, starts over.  So a receiver that recovers is retried within about that."""
RESEND_DELAY = 60.0
"""Prometheus' ``--rules.alert.resend-delay`` (default 1m): how often a firing alert is sent again, so how long
a restarted Alertmanager may wait before it knows of an alert that began while it was away."""
HEARTBEAT_SILENCE = 10.0
"""More than three Watchdog repeats (3 s in the live profile): a heartbeat silent this long has stopped."""


HOST_ALERTS = tuple(alert.name for alert in CATALOGUE if alert.area == "host")
"""The test machine's own disk, memory and load alerts: not part of any scenario."""


def host_alert_post(request: HttpRequest) -> bool:
    return any(name in slack_text(request) for name in HOST_ALERTS)


def group_interval(live: LiveStack) -> float:
    return seconds(live.settings.notifications.timing.critical.group_interval)


def triggers(live: LiveStack, alertname: str, since: float) -> list[HttpRequest]:
    return live.pagerduty.matching(pd_event(alertname, since, "trigger"))


def incidents(live: LiveStack, alertname: str, since: float) -> list[str]:
    """The PagerDuty incidents ``alertname`` opened since ``since``: one per dedup key, and one more for a trigger
    after that key was resolved.

    A trigger for a key that is still open is no new page: PagerDuty adds it to the open incident.  Alertmanager
    sends one whenever the group's alert set changes (on a loaded machine a resolved ServiceDown series that
    Prometheus still re-sends can rejoin the group), so counting trigger events would count updates as pages."""
    opened: list[str] = []
    open_keys: set[str] = set()
    for request in live.pagerduty.matching(lambda r: r.at >= since):  # in arrival order; a resolve has no class
        key, action = pd_field(request, "dedup_key"), pd_field(request, "event_action")
        if action == "trigger" and pd_field(request, "payload", "class") == alertname and key not in open_keys:
            opened.append(key)
            open_keys.add(key)
        elif action == "resolve":
            open_keys.discard(key)
    return opened


def resolves(live: LiveStack, dedup_key: str, since: float) -> list[HttpRequest]:
    return live.pagerduty.matching(lambda r: r.at >= since and pd_field(r, "event_action") == "resolve"
                                   and pd_field(r, "dedup_key") == dedup_key)


def api_down_paged(live: LiveStack, since: float) -> HttpRequest:
    """Close the API's port and wait for the one ServiceDown page."""
    live.api.down()
    return live.pagerduty.wait_for(pd_event("ServiceDown", since, "trigger"), FIRE)[0]


def api_back_resolves(live: LiveStack, page: HttpRequest) -> float:
    """Reopen the API; wait for the resolve of that very incident; seconds it took."""
    back = time.time()
    live.api.up()
    resolve = live.pagerduty.wait_for(
        lambda r: r.at >= back and pd_field(r, "event_action") == "resolve"
        and pd_field(r, "dedup_key") == page.json["dedup_key"], RESOLVE)[0]
    return resolve.at - back


def alert_in_alertmanager(live: LiveStack, alertname: str, timeout: float, **labels: str) -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        return [a for a in live.alertmanager.alerts_named(alertname)
                if all(a["labels"].get(k) == v for k, v in labels.items())]
    return poll(found, bool, timeout, f"{alertname} {labels} in Alertmanager")[0]


def scenario_alerts(live: LiveStack) -> set[str]:
    """Alert names active in Prometheus (pending or firing) beyond the baseline."""
    return {a["labels"]["alertname"] for a in live.prometheus.alerts() if not live.baseline_alert(a["labels"])}


# ---------------------------------------------------------------- 1, 2: a receiver out


def test_pagerduty_answering_500_then_429_pages_once_after_it_recovers_and_slack_hears_of_it(live: LiveStack) -> None:
    since = time.time()
    recovered = live.pagerduty.outage(OutageStep(500, 20.0), OutageStep(429, 10.0))
    page_prints: set[str] = set()
    try:
        live.api.down()
        refused = live.pagerduty.refused.wait_for(
            lambda r: r.at >= since and pd_field(r, "event_action") == "trigger"
            and pd_field(r, "payload", "class") == "ServiceDown", FIRE)[0]
        live.measurements["PagerDuty out: first refused ServiceDown attempt (s)"] = round(refused.at - since, 1)
        warnings = live.settings.notifications.slack.channels.warnings
        told = live.slack.wait_for(slack_about("AlertmanagerFailedToSendAlerts", since, warnings, resolved=False),
                                   max(recovered - time.time(), 1.0))[0]
        live.measurements["PagerDuty out -> AlertmanagerFailedToSendAlerts in Slack (s)"] = round(told.at - since, 1)
        assert told.at < recovered, "the failure reached Slack only after PagerDuty was back"
        assert "pagerduty" in str(told.json), told
        assert not live.pagerduty.matching(lambda r: since <= r.at < recovered), "accepted during the outage"

        page = live.pagerduty.wait_for(pd_event("ServiceDown", recovered, "trigger"),
                                       group_interval(live) + NOTIFY_TIMEOUT + 5)[0]
        late = page.at - recovered
        live.measurements["PagerDuty back -> ServiceDown page (s)"] = round(late, 1)
        assert late <= group_interval(live) + NOTIFY_TIMEOUT, f"page {late:.1f}s after PagerDuty recovered"
        page_prints.add(page.json["dedup_key"])
        refused_429 = [r for r in live.pagerduty.refused.items if recovered - 10.0 <= r.at < recovered]
        assert refused_429, "no attempt was answered 429: the outage ended before Alertmanager retried"
        live.flushed_since(time.time())
        assert len(incidents(live, "ServiceDown", since)) == 1, triggers(live, "ServiceDown", since)
    finally:
        live.pagerduty.recover()
    live.measurements["PagerDuty outage: API back -> resolve (s)"] = round(api_back_resolves(live, page), 1)


def test_slack_down_does_not_delay_the_page_and_its_post_follows_recovery(live: LiveStack) -> None:
    since = time.time()
    recovered = live.slack.outage(OutageStep(503, 25.0))
    try:
        page = api_down_paged(live, since)
        live.measurements["Slack out: API down -> ServiceDown page (s)"] = round(page.at - since, 1)
        assert page.at < recovered, "the page waited for Slack"
        critical = live.settings.notifications.slack.channels.critical
        live.slack.refused.wait_for(lambda r: r.at >= since and "ServiceDown" in str(r.json), FIRE)
        assert not live.slack.matching(slack_about("ServiceDown", since)), "Slack accepted during the outage"
        post = live.slack.wait_for(slack_about("ServiceDown", recovered, critical, resolved=False),
                                   group_interval(live) + NOTIFY_TIMEOUT + 5 + max(recovered - time.time(), 0))[0]
        late = post.at - recovered
        live.measurements["Slack back -> ServiceDown post (s)"] = round(late, 1)
        assert late <= group_interval(live) + NOTIFY_TIMEOUT, f"post {late:.1f}s after Slack recovered"
        assert len(incidents(live, "ServiceDown", since)) == 1, triggers(live, "ServiceDown", since)
    finally:
        live.slack.recover()
    api_back_resolves(live, page)


# ---------------------------------------------------------------- 3, 8: Alertmanager away


def test_alertmanager_down_when_the_api_fails_pages_once_it_is_back_and_the_heartbeat_stops_meanwhile(
    live: LiveStack,
) -> None:
    prom = live.prometheus
    stopped = time.time()
    live.stop_daemon("alertmanager")
    since = time.time()
    live.api.down()
    poll(lambda: prom.firing("ServiceDown"), bool, FIRE, "ServiceDown firing in Prometheus")
    # Who is told meanwhile: nobody through Alertmanager.  Prometheus knows (its own alerts), and the
    # dead man's switch stops hearing the Watchdog, which is what pages (see test_heartbeat_stops…).
    poll(lambda: prom.firing("PrometheusErrorSendingAlerts"), bool, 60, "PrometheusErrorSendingAlerts firing")
    firing = scenario_alerts(live)
    assert {"ServiceDown", "PrometheusErrorSendingAlerts", "TargetDown"} <= firing, firing
    # With a static Alertmanager address, Prometheus still counts it as discovered: this alert stays quiet.
    assert prom.value("max(prometheus_notifications_alertmanagers_discovered)") == 1
    assert not prom.firing("PrometheusNotConnectedToAlertmanager")
    assert not live.heartbeat.matching(lambda r: r.at > stopped + 1), "a heartbeat without Alertmanager"
    assert not triggers(live, "ServiceDown", since)

    restarted = time.time()
    live.start_daemon("alertmanager")
    page = live.pagerduty.wait_for(pd_event("ServiceDown", restarted, "trigger"), RESEND_DELAY + FIRE)[0]
    live.measurements["Alertmanager back -> ServiceDown page (s)"] = round(page.at - restarted, 1)
    assert page.at - restarted <= RESEND_DELAY + 10, "the page came later than one resend of Prometheus"
    beat = live.heartbeat.wait_for(lambda r: r.at >= restarted, RESEND_DELAY + 10)[0]
    live.measurements["Alertmanager back -> heartbeat again (s)"] = round(beat.at - restarted, 1)
    live.flushed_since(time.time())
    assert len(incidents(live, "ServiceDown", since)) == 1, triggers(live, "ServiceDown", since)
    api_back_resolves(live, page)


def test_heartbeat_stops_while_alertmanager_is_stopped_and_resumes_after(live: LiveStack) -> None:
    fresh = time.time()
    last = live.heartbeat.wait_for(lambda r: r.at >= fresh, 10)[-1]
    live.stop_daemon("alertmanager")
    stopped = time.time()
    time.sleep(HEARTBEAT_SILENCE)
    assert not live.heartbeat.matching(lambda r: r.at > stopped), "Watchdog kept arriving without Alertmanager"
    gap_before = stopped - last.at
    assert gap_before < 5, f"the heartbeat was already silent {gap_before:.1f}s before the stop"

    started = time.time()
    live.start_daemon("alertmanager")
    beats = live.heartbeat.wait_for(lambda r: r.at >= started and r.method == "POST", RESEND_DELAY + 15, count=2)
    live.measurements["heartbeat silent while Alertmanager was stopped (s)"] = round(beats[0].at - last.at, 1)
    assert [a["labels"]["alertname"] for a in beats[0].json["alerts"]] == ["Watchdog"]


# ---------------------------------------------------------------- 4, 5: restarts mid-incident


@pytest.mark.parametrize("how", ["restart", "crash"])
def test_alertmanager_restart_mid_incident_pages_no_second_time_and_keeps_its_silence(
    live: LiveStack, how: str,
) -> None:
    """``restart`` is ``docker restart`` (SIGTERM: Alertmanager writes its state on the way out); ``crash`` is an
    OOM kill (SIGKILL), where only the periodic write (``notifications.stateSnapshotInterval``) saves the
    notification log and the silences.  The incident is PostgreSQL stopped (DatabaseDown, one alert in its
    group; see the runbook's "Alertmanager restarted" for a group of several)."""
    am = live.alertmanager
    silence = am.create_silence({"alertname": "TargetDown", "job": "grafana"}, 600, f"live: before an AM {how}")
    try:
        since = time.time()
        live.postgres.stop()
        page = live.pagerduty.wait_for(pd_event("DatabaseDown", since, "trigger"), FIRE)[0]
        time.sleep(2 * seconds(live.settings.notifications.state_snapshot_interval) + 1)
        live.stop_daemon("alertmanager", crash=how == "crash")
        restarted = time.time()
        live.start_daemon("alertmanager")
        assert silence in {s["id"] for s in am.silences() if s["status"]["state"] == "active"}, am.silences()

        live.exporters["grafana"].hang()  # TargetDown{job="grafana"}: the silence must hold it
        muted = alert_in_alertmanager(live, "TargetDown", FIRE, job="grafana")
        assert muted["status"]["silencedBy"] == [silence], muted
        back = alert_in_alertmanager(live, "DatabaseDown", RESEND_DELAY + 10)
        live.measurements[f"AM {how}: DatabaseDown back in Alertmanager after (s)"] = round(time.time() - restarted, 1)
        assert back["status"]["state"] == "active"
        live.flushed_since(time.time(), timeout=RESEND_DELAY + 10)  # the Watchdog, too, waits for a resend
        assert not triggers(live, "DatabaseDown", restarted), f"paged again after the {how}"
        assert not resolves(live, page.json["dedup_key"], since), "resolved while PostgreSQL was still down"
        assert not live.slack.matching(slack_about("TargetDown", since)), "the silence did not hold"
        assert not live.slack.matching(slack_about("DatabaseDown", restarted)), f"posted again after the {how}"
    finally:
        live.exporters["grafana"].answer()
        with contextlib.suppress(OSError):
            am.expire_silence(silence)
    back_at = time.time()
    live.postgres.start()
    live.pagerduty.wait_for(lambda r: r.at >= back_at and pd_field(r, "event_action") == "resolve"
                            and pd_field(r, "dedup_key") == page.json["dedup_key"], RESOLVE)


def test_prometheus_restart_keeps_a_firing_alert_with_no_resolve_and_no_second_page(live: LiveStack) -> None:
    prom = live.prometheus
    since = time.time()
    page = api_down_paged(live, since)
    [firing] = poll(lambda: prom.firing("ServiceDown"), bool, FIRE, "ServiceDown firing")
    stop = time.time()
    live.stop_daemon("prometheus")
    live.start_daemon("prometheus")
    live.measurements["Prometheus restart, stop to ready (s)"] = round(time.time() - stop, 1)
    # Restored after the second evaluation (until then the alert shows as new), from ALERTS_FOR_STATE, which
    # holds activeAt in whole seconds.
    restored = float(int(_epoch(firing["activeAt"])))
    poll(lambda: prom.firing("ServiceDown"), lambda found: [_epoch(a["activeAt"]) for a in found] == [restored],
         FIRE, f"ServiceDown firing again since {firing['activeAt']} (its for-state restored)")
    live.flushed_since(time.time())
    assert not resolves(live, page.json["dedup_key"], since), "resolved across the restart"
    assert len(incidents(live, "ServiceDown", since)) == 1, "paged again after the restart"
    api_back_resolves(live, page)


def low_cache_hit_rate(live: LiveStack) -> list[dict[str, Any]]:
    return [a for a in live.prometheus.alerts() if a["labels"]["alertname"] == "LowCacheHitRate"]


def test_prometheus_restart_keeps_a_pending_alert_s_progress(live: LiveStack) -> None:
    """LowCacheHitRate waits 12 s (10m x 0.02); restarted while pending, it goes on from where it was.  For a
    ``for`` shorter than ``--rules.alert.for-grace-period`` (10m) Prometheus moves ``activeAt`` on by the time
    it was down: the outage does not count, the time pending before it does."""
    since = time.time()
    live.api.set_cache_hit_ratio(0.2)
    wanted = seconds(live.settings.rules.for_duration("LowCacheHitRate"))
    progress = wanted / 3
    [before] = poll(lambda: low_cache_hit_rate(live), lambda found: bool(found) and found[0]["state"] == "pending"
                    and time.time() - _epoch(found[0]["activeAt"]) >= progress, FIRE,
                    f"LowCacheHitRate pending for {progress:.0f}s")
    kept = time.time() - _epoch(before["activeAt"])
    stop = time.time()
    live.stop_daemon("prometheus")
    live.start_daemon("prometheus")
    outage = time.time() - stop
    # Restored (second evaluation after start): pending for at least what it had before the stop.
    [after] = poll(lambda: low_cache_hit_rate(live), lambda found: bool(found)
                   and time.time() - _epoch(found[0]["activeAt"]) >= kept - 1, 15,
                   f"LowCacheHitRate pending with its {kept:.0f}s of progress after the restart")
    shift = _epoch(after["activeAt"]) - _epoch(before["activeAt"])
    assert -1 <= shift <= outage + 4, f"activeAt moved {shift:.1f}s for an outage of {outage:.1f}s"
    mail = live.smtp.wait_for(lambda m: m.at >= since and "LowCacheHitRate" in m.subject, FIRE)[0]
    live.measurements["LowCacheHitRate pending across a Prometheus restart: mailed after (s)"] = round(
        mail.at - since, 1)
    live.flushed_since(time.time())
    assert len(live.smtp.matching(lambda m: m.at >= since and "LowCacheHitRate" in m.subject)) == 1
    live.api.set_cache_hit_ratio(None)


def _epoch(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 time as the APIs write it (nanoseconds, ``Z``)."""
    date, _, fraction = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(date).replace(tzinfo=UTC).timestamp() + float(f"0.{fraction or 0}")


# ---------------------------------------------------------------- 6: sick scrape targets


@pytest.mark.parametrize("fault", ["hangs", "slower than the scrape timeout"])
def test_a_sick_scrape_target_raises_target_down_and_nothing_else(live: LiveStack, fault: str) -> None:
    exporter = live.exporters["grafana"]
    since = time.time()
    if fault == "hangs":
        exporter.hang()
    else:
        exporter.slow(seconds(live.settings.prometheus.scrape_timeout) + 1.0)
    try:
        warnings = live.settings.notifications.slack.channels.warnings
        post = live.slack.wait_for(slack_about("TargetDown", since, warnings, resolved=False), FIRE)[0]
        live.measurements[f"grafana target {fault} -> TargetDown in Slack (s)"] = round(post.at - since, 1)
        assert "grafana" in str(post.json)
        [target] = [t for t in live.prometheus.targets() if t["labels"]["job"] == "grafana"]
        assert target["health"] == "down" and "deadline exceeded" in target["lastError"], target
        live.flushed_since(time.time())
        assert scenario_alerts(live) == {"TargetDown"}, scenario_alerts(live)
        others = [slack_text(r).splitlines()[0:3] for r in live.slack.items
                  if r.at >= since and "TargetDown" not in slack_text(r) and not host_alert_post(r)]
        assert not others, f"a storm: {others}"
        assert not live.pagerduty.matching(lambda r: r.at >= since and not host_alert(r))
    finally:
        exporter.reset()
    live.slack.wait_for(slack_about("TargetDown", time.time(), warnings, resolved=True), RESOLVE)


# ---------------------------------------------------------------- 7: Prometheus' disk fills up

DISK_MB = 64


@contextlib.contextmanager
def small_filesystem(root: Path) -> Iterator[Path]:
    """An ext4 filesystem of DISK_MB on a loop device, mounted under ``root``: the volume Prometheus writes to,
    as node_exporter sees a real one (tmpfs would be left out by the host alerts' filesystem selector)."""
    image, mountpoint = root / "prometheus-disk.img", root / "prometheus-disk"
    mountpoint.mkdir()
    with image.open("wb") as out:
        out.truncate(DISK_MB * 2**20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], check=True, capture_output=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True, capture_output=True, text=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False, capture_output=True)
        image.unlink(missing_ok=True)


def test_prometheus_disk_filling_up_pages_before_samples_are_lost(live: LiveStack) -> None:
    prom = live.prometheus
    with small_filesystem(live.root) as disk:
        tsdb = disk / "tsdb"
        original = live.move_prometheus_storage(tsdb)
        try:
            live.settle()
            since = time.time()
            usage = shutil.disk_usage(disk)
            threshold = live.settings.rules.threshold("HostFilesystemAlmostFull")  # 5% left
            filler = disk / "filler"  # whatever else shares the volume: logs, a backup, another container
            with filler.open("wb") as out:
                os.posix_fallocate(out.fileno(), 0, int(usage.free - usage.total * threshold * 0.6))
            page = live.pagerduty.wait_for(
                lambda r: r.at >= since and pd_field(r, "payload", "class") == "HostFilesystemAlmostFull"
                and str(disk) in str(r.json), FIRE + 30)[0]
            live.measurements["Prometheus disk at 97% -> HostFilesystemAlmostFull page (s)"] = round(page.at - since, 1)
            critical = live.settings.notifications.slack.channels.critical
            live.slack.wait_for(slack_about("HostFilesystemAlmostFull", since, critical, resolved=False), FIRE)
            # Nothing lost yet: every write of the TSDB succeeded, and this very moment's scrape is stored.
            assert prom.value("max(prometheus_tsdb_wal_writes_failed_total)") == 0
            newest = prom.value('time() - timestamp(up{job="prometheus"})')
            assert newest is not None and newest < 5, newest
            assert page.json["payload"]["custom_details"]["runbook_url"].endswith("#hostfilesystemalmostfull")
            filler.unlink()
        finally:
            live.move_prometheus_storage(original)
