"""The multi-host stack on three Docker hosts, with the real Pulumi CLI (issue 23's scenarios).

One fleet and one stack for every scenario, in file order: each leaves the stack whole for the next.
1. ``pulumi up`` from nothing; every target up on both replicas; ``preview --expect-no-changes``; ``verify`` of one
   replica and one peer passes, and ``test-alert`` through one peer pages once and resolves.
4. A Prometheus replica stopped for a minute: the deduplicated view has no gap and no duplicate.
   (Meanwhile a critical alert starts on the app and pages once; it fires through 5, 6, 2 and 3.)
5. Every Alertmanager peer replaced by ``pulumi up`` (a flag change): full membership, silences kept, no re-page.
6. A partition cut and healed: one page while split; nothing left open (at most one stale page after the heal).
2. A host killed while the critical alert fires: its HostDown pages once within the bound the settings give; the
   critical alert does not page again; Grafana's datasource answers with data of the surviving hosts.
3. The host back: no second page; HostDown and then the critical alert resolve.
7. ``pulumi up`` with a host down: one line naming it; draining it deploys the rest; back and undrained, no drift.

Stand-ins, named: the images are the e2e suite's (tests/e2e/harness/README.md): Prometheus, Alertmanager and the
exporters built from their Go modules at the pinned versions, cAdvisor's library under a minimal main of ours, a
Grafana stand-in; VictoriaMetrics and vmauth are built from their Go module; the receivers are PagerDuty's Events
API and the heartbeat played by the suite on the machine.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
from functools import partial
from typing import Any

import yaml

from components.config_source import settings_from_mapping
from components.hosts.timing import bound_seconds, page_bound
from components.operator.alert_drill import ALERTNAME
from components.render import expected
from tests.multihost.conftest import World
from tests.multihost.harness import apps
from tests.multihost.harness.stack import GRAFANA_PASSWORD, NS, SETTLE, STACK, Api, set_drain, wait_for

ALERTMANAGER_CONTAINER = f"iidmon-{STACK}-alertmanager"
PROMETHEUS_CONTAINER = f"iidmon-{STACK}-prometheus"
CRITICAL = "CriticalErrorRate"
HOST_DOWN = "HostDown"
REPLICAS = ("h1", "h2")
PEERS = ("h1", "h2", "h3")


def up(world: World, *args: str, check: bool = True) -> Any:
    return world.project.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, *args, timeout=1800, check=check)


def no_drift(world: World) -> None:
    world.project.pulumi("preview", "--expect-no-changes", "--stack", STACK, timeout=900)


def settings(world: World) -> Any:
    document = yaml.safe_load((world.project.root / f"Pulumi.{STACK}.yaml").read_text())
    return settings_from_mapping(STACK, document["config"], require_secrets=False)


def api(world: World) -> Api:
    assert world.api is not None, "the first scenario deploys the stack"
    return world.api


def targets(world: World, replica: str) -> list[dict[str, Any]]:
    answer = api(world).get(f"{world.prometheus(replica)}/api/v1/targets?state=active")
    found: list[dict[str, Any]] = answer["data"]["activeTargets"]
    return found


def members(world: World, peer: str) -> int:
    status = api(world).get(f"{world.alertmanager(peer)}/api/v2/status")
    return len(status["cluster"]["peers"]) if status["cluster"]["status"] == "ready" else 0


def firing(world: World, replica: str, alertname: str) -> list[dict[str, Any]]:
    alerts = api(world).get(f"{world.prometheus(replica)}/api/v1/alerts")["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == alertname and a["state"] == "firing"]


# ---------------------------------------------------------------- 1


def up_targets(world: World, replica: str) -> list[dict[str, Any]] | None:
    """The replica's active targets once every one is up."""
    found = targets(world, replica)
    return found if found and all(target["health"] == "up" for target in found) else None


def full_cluster(world: World, peer: str) -> bool:
    return members(world, peer) == len(PEERS)


def has_silence(world: World, peer: str, silence_id: str) -> bool:
    return any(s["id"] == silence_id for s in api(world).get(f"{world.alertmanager(peer)}/api/v2/silences"))


def test_1_up_from_nothing_every_target_up_on_both_replicas_and_no_drift(world: World) -> None:
    started = time.monotonic()
    up(world)
    world.facts["cold pulumi up of three hosts (s)"] = time.monotonic() - started
    world.relays()
    password = world.project.pulumi("stack", "output", "webAuthPassword", "--show-secrets", "--stack",
                                    STACK).stdout.strip()
    world.api = Api(world.host("h1").client.ca, "iidmon", password)
    expected = None
    for replica in REPLICAS:
        found = wait_for(f"every target of the replica on {replica} up",
                         partial(up_targets, world, replica), timeout=300, interval=5)
        urls = sorted(target["scrapeUrl"] for target in found)
        assert expected is None or urls == expected, "the two replicas scrape different targets"
        expected = urls
    assert expected is not None
    assert {t["labels"]["job"] for t in found} >= {"internet-id-api", "node-exporter", "cadvisor", "prometheus",
                                                   "alertmanager", "victoria-metrics", "postgres", "redis", "grafana"}
    for peer in PEERS:
        assert wait_for(f"{peer}'s Alertmanager sees 3 members", partial(full_cluster, world, peer), 120)
    no_drift(world)


def test_1_verify_and_test_alert_answer_for_one_replica_and_one_peer(world: World) -> None:
    """The operator commands as docs/multi-host.md has them, run on h1 (where Grafana is published on loopback),
    trusting the hosts' CA as the system's, reading the web password from the stack output as they do for a user."""
    tls = {"SSL_CERT_FILE": str(world.host("h1").client.ca), "GRAFANA_ADMIN_PASSWORD": GRAFANA_PASSWORD}
    command = [*world.fleet.entering("h1"), ".venv/bin/python", "-m", "components"]
    verified = world.project.run([*command, "verify", "--stack", STACK, "--prometheus-url", world.prometheus("h1"),
                                  "--alertmanager-url", world.alertmanager("h3"), "--grafana-url",
                                  "http://127.0.0.1:3030", "--wait", "120"], env=tls, timeout=300, check=False)
    assert verified.returncode == 0, verified.output[-4000:]
    jobs = expected(settings(world)).jobs
    assert "victoria-metrics" in jobs and f"all {len(jobs)} jobs have targets" in verified.output, \
        "the replica's own jobs are checked, the stores' included"
    since = time.time()
    drill = world.project.run([*command, "test-alert", "--stack", STACK, "--severity", "critical",
                               "--alertmanager-url", world.alertmanager("h3")], env=tls, timeout=600, check=False)
    assert drill.returncode == 0, drill.output[-4000:]
    wait_for("the test alert's resolve", lambda: world.receivers.resolves(ALERTNAME, since), 180, 3)
    time.sleep(SETTLE)
    assert len(world.receivers.incidents(ALERTNAME, since)) == 1, "a test alert sent to one peer pages once"


# ---------------------------------------------------------------- 4


def export(world: World, series: str, start: float, end: float) -> list[float]:
    """The deduplicated view's raw samples of ``series`` (through Grafana's reader, its own host's store first)."""
    query = urllib.parse.urlencode({"match[]": series, "start": f"{start:.0f}", "end": f"{end:.0f}"})
    text = api(world).raw(f"{world.reader()}/api/v1/export?{query}", timeout=30).decode()  # JSON lines
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"{series}: {len(lines)} series in the view (one expected: the replica label dropped)"
    return sorted(stamp / 1000 for stamp in lines[0]["timestamps"])


def test_4_a_replica_stopped_a_minute_leaves_no_gap_and_no_duplicate(world: World) -> None:
    interval = 10.0
    before = time.time()
    world.marks["critical alert started"] = before  # for the next test, which waits for its page
    apps.api(world.host("h1"), "set_error_ratio", 0.9)
    world.host("h2").local_docker("stop", PROMETHEUS_CONTAINER)
    stopped = time.time()
    time.sleep(60)
    world.host("h2").local_docker("start", PROMETHEUS_CONTAINER)
    started = time.time()
    wait_for("the replica on h2 back and scraped by h1", lambda: any(
        t["labels"]["job"] == "prometheus" and t["labels"].get("host") == "h2" and t["health"] == "up"
        for t in targets(world, "h1")), timeout=180, interval=5)
    time.sleep(3 * interval)
    window = (before - 30, started + 30)
    samples = export(world, 'up{job="node-exporter", host="h3"}', *window)
    buckets = [int(s // interval) for s in samples]
    expected = list(range(int(window[0] // interval) + 1, int(window[1] // interval)))
    missing = sorted(set(expected) - set(buckets))
    doubled = sorted({b for b in buckets if buckets.count(b) > 1})
    gaps = [b - a for a, b in itertools.pairwise(samples)]
    world.facts["replica stopped (s)"] = started - stopped
    world.facts["view's largest spacing around the stop (s)"] = max(gaps)
    assert not missing and not doubled, f"missing 10 s slots {missing}, doubled {doubled}; spacings {gaps}"


# ---------------------------------------------------------------- the critical alert of 5, 6, 2 and 3


def test_a_critical_alert_on_the_app_pages_once(world: World) -> None:
    since = world.marks["critical alert started"]
    wait_for(f"{CRITICAL} paged", lambda: world.receivers.incidents(CRITICAL, since), timeout=240, interval=3)
    time.sleep(SETTLE)
    assert len(world.receivers.incidents(CRITICAL, since)) == 1


# ---------------------------------------------------------------- 5


SILENCE = {"matchers": [{"name": "alertname", "value": "MultihostSilenceProbe", "isRegex": False}],
           "createdBy": "multihost suite", "comment": "kept across a replacement of every peer"}


def test_5_every_peer_replaced_by_pulumi_up_keeps_membership_silences_and_pages_nothing(world: World) -> None:
    assert firing(world, "h1", CRITICAL), "the critical alert of the app fires"
    now = time.time()
    silence = {**SILENCE, "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
               "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 7200))}
    created = api(world).get(f"{world.alertmanager('h3')}/api/v2/silences", method="POST", body=silence)
    silence_id = created["silenceID"]
    for peer in PEERS:
        wait_for(f"the silence on {peer}", partial(has_silence, world, peer, silence_id), 30, 1)
    ids = {peer: world.host(peer).local_docker("inspect", "-f", "{{.Id}}", ALERTMANAGER_CONTAINER).stdout.strip()
           for peer in PEERS}
    since = time.time()
    world.project.pulumi("config", "set", "--path", "--stack", STACK, f"{NS}:alertmanagerCluster.reconnectTimeout",
                         "4m")
    up(world)
    replaced = {peer: world.host(peer).local_docker("inspect", "-f", "{{.Id}}", ALERTMANAGER_CONTAINER).stdout.strip()
                for peer in PEERS}
    assert all(replaced[peer] != ids[peer] for peer in PEERS), "the flag change replaces every peer"
    world.relays()
    for peer in PEERS:
        assert wait_for(f"{peer} back with 3 members", partial(full_cluster, world, peer), 180, 3)
        kept = api(world).get(f"{world.alertmanager(peer)}/api/v2/silences")
        assert any(s["id"] == silence_id and s["status"]["state"] == "active" for s in kept), peer
    time.sleep(SETTLE)  # every peer has flushed the firing group since
    # stricter than incidents: peers replaced gracefully keep their notification log, so not even a merged firing
    assert world.receivers.triggers(CRITICAL, since) == [], "a replaced peer notified the open incident again"
    no_drift(world)


# ---------------------------------------------------------------- 6


def test_6_a_healed_partition_pages_once_while_split_and_leaves_nothing_open(world: World) -> None:
    """While h3 is cut off, its HostDown pages once; after the heal, no other alert pages and every incident is
    resolved. The peer that was split off may post a stale firing just after the resolve (Alertmanager's gossip
    is AP; docs/multi-host.md, "Residual risks"): at most one such second incident, and its resolve follows."""
    assert firing(world, "h1", CRITICAL), "the critical alert of the app fires"
    since = time.time()
    world.fleet.cut("h3")
    wait_for("HostDown of h3 paged", lambda: world.receivers.incidents(HOST_DOWN, since), 240, 3)
    healed = time.time()
    world.fleet.heal("h3")
    wait_for("HostDown of h3 resolved", lambda: world.receivers.resolves(HOST_DOWN, healed), 300, 3)
    for peer in PEERS:
        wait_for(f"{peer} with 3 members after the heal", partial(full_cluster, world, peer), 300, 3)
    time.sleep(SETTLE)
    story = world.receivers.timeline(HOST_DOWN, since, {a: n for n, a in world.fleet.addresses().items()})
    opened = world.receivers.all_incidents(since)
    assert {name for name, _ in opened} == {HOST_DOWN}, f"only HostDown pages, got {opened}"
    assert len(world.receivers.incidents(HOST_DOWN, since)) - len(world.receivers.incidents(HOST_DOWN, healed)) == 1, \
        f"one page while split:\n{story}"
    stale = world.receivers.incidents(HOST_DOWN, healed)
    world.facts["HostDown incidents opened after the heal (stale)"] = len(stale)
    assert len(stale) <= 1, f"more than one stale page after the heal:\n{story}"
    try:
        wait_for("every HostDown incident resolved", lambda: not world.receivers.open_incidents(HOST_DOWN), 120, 3)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{story}") from None


# ---------------------------------------------------------------- 2, 3


def grafana_query(world: World, promql: str) -> list[dict[str, Any]]:
    """Grafana's Prometheus datasource, asked on its host's loopback (where it is published) as a browser would."""
    path = "/api/datasources/proxy/uid/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    code = ("import base64,json,sys,urllib.request as u; r=u.Request('http://127.0.0.1:3030'+sys.argv[1]);"
            "r.add_header('Authorization','Basic '+base64.b64encode(sys.argv[2].encode()).decode());"
            "print(u.urlopen(r,timeout=20).read().decode())")
    result = world.fleet.run_in("h1", ["python3", "-c", code, path, f"admin:{GRAFANA_PASSWORD}"])
    assert result.returncode == 0, result.stderr[-500:]
    answer: list[dict[str, Any]] = json.loads(result.stdout)["data"]["result"]
    return answer


def test_2_a_host_lost_while_a_critical_alert_fires_pages_once_within_the_bound(world: World) -> None:
    current = settings(world)
    bound = bound_seconds(page_bound(
        scrape_interval=current.prometheus.scrape_interval, scrape_timeout=current.prometheus.scrape_timeout,
        evaluation_interval=current.prometheus.evaluation_interval,
        host_down_for=current.rules.for_duration(HOST_DOWN), critical=current.notifications.timing.critical,
        peer_timeout=current.alertmanager_cluster.peer_timeout))
    assert firing(world, "h1", CRITICAL), "the critical alert of the app fires"
    killed = time.time()
    world.fleet.kill("h2")
    page = wait_for("HostDown of h2 paged", lambda: world.receivers.first_trigger(HOST_DOWN, killed), 2 * bound, 1)
    world.facts["host loss to page (s)"] = page.at - killed
    world.facts["computed bound (s)"] = bound
    assert page.at - killed <= bound
    time.sleep(SETTLE)
    opened = world.receivers.all_incidents(killed)
    assert [name for name, _ in opened] == [HOST_DOWN], f"one page for the lost host, got {opened}"
    hosts = {series["metric"].get("host") for series in grafana_query(world, 'up{job="node-exporter"} == 1')}
    assert hosts == {"h1", "h3"}, hosts


def test_3_the_host_back_pages_nothing_and_each_incident_resolves_once(world: World) -> None:
    back = time.time()
    world.fleet.revive("h2")
    world.relays()
    wait_for("HostDown of h2 resolved", lambda: world.receivers.resolves(HOST_DOWN, back), 300, 3)
    for peer in PEERS:
        wait_for(f"{peer} with 3 members", partial(full_cluster, world, peer), 300, 3)
    resolving = time.time()
    apps.api(world.host("h1"), "set_error_ratio", 0.0)
    wait_for(f"{CRITICAL} resolved", lambda: world.receivers.resolves(CRITICAL, resolving), 300, 3)
    time.sleep(SETTLE)  # every peer's next flush of both groups
    started = world.marks["critical alert started"]
    assert len(world.receivers.incidents(CRITICAL, started)) == 1, "the critical alert paged again"
    # the rejoined peer may send a duplicate firing before the resolve (merged by PagerDuty: docs/multi-host.md,
    # "A rejoined peer and the resolve"); a trigger after the resolve would open a second incident
    assert world.receivers.incidents(HOST_DOWN, back) == [], "HostDown paged again after the host came back"
    world.facts["HostDown firings merged after the host came back"] = len(world.receivers.triggers(HOST_DOWN, back))
    for alertname, since in ((HOST_DOWN, back), (CRITICAL, resolving)):
        events = world.receivers.pages(alertname, since)
        first = next(i for i, e in enumerate(events) if e.body["event_action"] == "resolve")
        assert all(e.body["event_action"] == "resolve" for e in events[first:]), f"{alertname}: a trigger after it"
        world.facts[f"{alertname} resolve events after the host came back"] = len(events[first:])


# ---------------------------------------------------------------- 7


def test_7_a_host_down_stops_pulumi_up_in_one_line_and_draining_it_deploys_the_rest(world: World) -> None:
    world.fleet.kill("h2")
    world.project.pulumi("config", "set", "--path", "--stack", STACK,
                         f"{NS}:rules.overrides.HighErrorRate.threshold", "0.07")
    refused = up(world, check=False)
    assert refused.returncode != 0
    line = (f"{NS}:hosts.1.docker: host h2 (tcp://{world.host('h2').address}:2376) does not answer; bring it back, or "
            f"deploy the rest without it: pulumi config set --path '{NS}:hosts[1].drain' true")
    assert line in refused.output, refused.output[-3000:]
    assert "Traceback" not in refused.output
    set_drain(world.project, 1, True)
    drained = up(world)
    world.facts["pulumi up with h2 drained (s)"] = drained.seconds
    rules = api(world).get(f"{world.prometheus('h1')}/api/v1/rules")["data"]["groups"]
    thresholds = [r["query"] for g in rules for r in g["rules"] if r["name"] == "HighErrorRate"]
    assert thresholds and all("> 0.07" in q for q in thresholds), thresholds
    world.fleet.revive("h2")
    world.relays()
    set_drain(world.project, 1, False)
    up(world)
    wait_for("the replica on h2 has the new rule", lambda: any(
        "> 0.07" in r["query"] for g in api(world).get(f"{world.prometheus('h2')}/api/v1/rules")["data"]["groups"]
        for r in g["rules"] if r["name"] == "HighErrorRate"), 120, 3)
    no_drift(world)
