"""`pulumi preview`, `up`, a change, and `destroy` of the stack ``e2e``, with the real CLI and the
rebuilt providers, against our own Docker engine.

The tests run in file order and build on each other (one stack, deployed once): preview, up,
health, targets, verify, no drift, a change that replaces containers, secrets, destroy,
protection.  The daemons are built from their Go modules at the pinned versions (postgres_exporter
and redis_exporter at the nearest served ones; cAdvisor's library under a main of ours); results that
depend on a stand-in (Grafana, the toolchain's language host) say so in their docstrings.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from tests.e2e.harness.engine import Engine
from tests.e2e.harness.project import PulumiResult, ScratchProject
from tests.e2e.harness.stack import (
    ALERTMANAGER,
    CONFIG_VOLUMES,
    LIVE_CONFIG,
    NS,
    PROMETHEUS,
    STACK,
    VOLUMES,
    WEB_AUTH,
    http_json,
    longest_scrape_gap,
    reload_jobs,
    remember_web_auth,
    resource_types,
    stack_containers,
    stack_document,
    stack_volumes,
    wait_for,
)

CONTAINERS = ("prometheus", "alertmanager", "grafana", "postgres-exporter", "redis-exporter", "node-exporter",
              "cadvisor", "blackbox-exporter")
"""Written down here, not taken from the code under test."""
UNPROBED = {"redis-exporter"}
"""FROM scratch: no healthcheck (docs/design.md, 'What runs')."""


@dataclass
class Deployment:
    """What the module's one `pulumi up` did, for the tests after it."""

    first_up: PulumiResult
    timings: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def deployed(project: ScratchProject) -> Deployment:
    first = project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    remember_web_auth(project)
    return Deployment(first_up=first, timings={"cold up": first.seconds})


def test_preview_lists_the_expected_resources(project: ScratchProject) -> None:
    preview = project.pulumi("preview", "--json", "--stack", STACK, timeout=900)
    steps = preview.json()["steps"]
    assert {step["op"] for step in steps} == {"create"}
    types = resource_types(steps)
    assert types["docker:index/container:Container"] == len(CONTAINERS) + len(LIVE_CONFIG)
    assert types["docker:index/remoteImage:RemoteImage"] == len(CONTAINERS)
    assert types["docker:index/volume:Volume"] == len(VOLUMES) + len(CONFIG_VOLUMES)
    assert types["docker:index/network:Network"] == 2  # the monitoring network and cAdvisor's own
    assert not [t for t in types if t.startswith(("grafana:", "pagerduty:", "slack:", "sentry:"))], types
    names = {step["urn"].rsplit("::", 1)[-1] for step in steps}
    expected = {f"monitoring-{name}" for name in CONTAINERS} | {f"monitoring-{name}-reload" for name in LIVE_CONFIG}
    assert expected <= names


def test_a_bad_value_fails_preview_with_the_programs_message_and_creates_nothing(
    project: ScratchProject, engine: Engine, stand_in_images: dict[str, str]
) -> None:
    bad = "e2ebad"
    document = stack_document(stand_in_images, engine.data_root, engine.docker_host,
                              **{f"{NS}:ports": {"grafana": 3001}})
    project.write_stack_file(bad, yaml.safe_dump(document, sort_keys=False))
    project.pulumi("stack", "init", bad)
    try:
        preview = project.pulumi("preview", "--stack", bad, check=False)
        assert preview.returncode != 0
        assert f"{NS}:ports.grafana: port 3001 is taken by the Internet-ID API; use e.g. 3030" in preview.output
        assert "Traceback" not in preview.output
        exported = project.pulumi("stack", "export", "--stack", bad).json()
        assert not exported["deployment"].get("resources"), "a refused preview left resources in state"
        assert engine.docker("ps", "-aq", "--filter", f"label=com.internet-id.stack={bad}").stdout.strip() == ""
    finally:
        project.pulumi("stack", "rm", "--yes", "--force", bad)


def test_up_succeeds_and_every_container_is_healthy(deployed: Deployment, engine: Engine) -> None:
    """The provider waited for each healthcheck (``wait``); Docker confirms. Grafana is a stand-in."""
    assert deployed.first_up.returncode == 0
    containers = stack_containers(engine)
    assert sorted(containers) == sorted(CONTAINERS)
    for name, container in containers.items():
        assert container["State"]["Status"] == "running", name
        assert container["Name"] == f"/iidmon-{STACK}-{name}"
    # `pulumi up` waits for the live-config containers' reload jobs, which confirm the process serves, not
    # for their healthcheck: Docker says "healthy" at its next probe (every 15 s), which may come after `up`.
    def settled() -> dict[str, Any] | None:
        health = {name: c["State"].get("Health", {}).get("Status") for name, c in stack_containers(engine).items()}
        return None if "starting" in health.values() else health
    health = wait_for("every healthcheck past 'starting'", settled, timeout=40)
    assert health == {name: None if name in UNPROBED else "healthy" for name in CONTAINERS}
    jobs = reload_jobs(engine)
    assert sorted(jobs) == sorted(LIVE_CONFIG)
    for name, job in jobs.items():
        assert (job["State"]["Status"], job["State"]["ExitCode"]) == ("exited", 0), name


def test_every_prometheus_target_is_up(deployed: Deployment) -> None:
    """Prometheus scraping the exporters, cAdvisor, the stand-in app and the Grafana stand-in."""
    def all_up() -> list[dict[str, Any]] | None:
        targets = http_json(f"{PROMETHEUS}/api/v1/targets?state=active")["data"]["activeTargets"]
        down = [(t["labels"]["job"], t["scrapeUrl"], t["lastError"]) for t in targets if t["health"] != "up"]
        return None if down or not targets else targets

    targets = wait_for("every target up", all_up, timeout=180)
    jobs = {t["labels"]["job"] for t in targets}
    assert jobs == {"internet-id-api", "internet-id-web", "postgres", "redis", "node-exporter", "cadvisor",
                    "prometheus", "alertmanager", "grafana", "blackbox-exporter", "blackbox"}


CADVISOR_SERIES = ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                   "container_spec_memory_limit_bytes", "container_network_receive_bytes_total",
                   "container_network_transmit_bytes_total", "container_fs_usage_bytes", "container_last_seen",
                   "container_start_time_seconds", "container_cpu_load_average_10s")
"""What the catalogue's container rules and the Docker dashboard read of a container."""


def test_cadvisor_reports_the_api_container_with_the_products_access(deployed: Deployment) -> None:
    """cAdvisor (0.47.2's library under our minimal main), confined as the product runs it (``/proc``, the cgroups and
    the data root read-only, one capability, root), reports every series the stack reads for the API container,
    with its memory limit, through Prometheus."""
    def series(metric: str) -> list[dict[str, Any]] | None:
        query = urllib.parse.quote(f'{metric}{{job="cadvisor", name=~"internet-id-api-.*"}}')
        return http_json(f"{PROMETHEUS}/api/v1/query?query={query}")["data"]["result"] or None

    for metric in CADVISOR_SERIES:
        found = wait_for(f"{metric} of the API container in Prometheus", lambda m=metric: series(m), timeout=120)
        assert all(float(s["value"][1]) >= 0 for s in found), found
    limits = {float(s["value"][1]) for s in series("container_spec_memory_limit_bytes") or []}
    assert limits == {256 * 2**20}, limits


def test_cadvisor_answers_prometheus_alone(deployed: Deployment, engine: Engine) -> None:
    """cAdvisor's API asks for no credential and answers with what it reads of the host: it sits on an internal
    network of its own with Prometheus, so Alertmanager and Grafana (on the monitoring network) reach it neither by
    name nor by address, and it reaches nothing beyond."""
    cadvisor = stack_containers(engine)["cadvisor"]
    networks = cadvisor["NetworkSettings"]["Networks"]
    assert list(networks) == [f"internet-id-monitoring-{STACK}-cadvisor"]
    (address,) = [network["IPAddress"] for network in networks.values()]

    def fetch(container: str, host: str) -> str:
        """The answer to a request from inside ``container`` (its busybox nc, as the healthchecks send theirs)."""
        done = engine.docker("exec", f"iidmon-{STACK}-{container}", "sh", "-c",
                             f"printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {host} 8080",
                             check=False, timeout=60)
        return done.stdout + done.stderr

    for host in (f"iidmon-{STACK}-cadvisor", address):
        assert fetch("prometheus", host).startswith("HTTP/1.0 200 OK"), host
        refused = fetch("alertmanager", host)
        assert "HTTP/" not in refused and ("bad address" in refused or "timed out" in refused), (host, refused)
    inspected = json.loads(engine.docker("network", "inspect", f"internet-id-monitoring-{STACK}-cadvisor").stdout)
    assert inspected[0]["Internal"] is True


def test_prometheus_and_alertmanager_answer_only_with_the_stack_credential(deployed: Deployment,
                                                                          engine: Engine) -> None:
    """An unauthenticated request is refused (401); the healthcheck Docker stores names a file, not the password."""
    user, password = WEB_AUTH[PROMETHEUS]
    for url in (f"{PROMETHEUS}/api/v1/query?query=up", f"{ALERTMANAGER}/api/v2/status"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401, url
    containers = stack_containers(engine)
    for name in ("prometheus", "alertmanager"):
        inspected = json.dumps(containers[name]["Config"])
        assert password not in inspected and base64.b64encode(f"{user}:{password}".encode()).decode() not in inspected
        assert "web/authorization" in " ".join(containers[name]["Config"]["Healthcheck"]["Test"])


def test_verify_passes_against_the_deployed_stack(deployed: Deployment, project: ScratchProject,
                                                  stack_secrets: dict[str, str]) -> None:
    """``python -m components verify`` as an operator runs it; the Grafana rows check the Grafana stand-in."""
    password = stack_secrets[f"{NS}:grafanaAdminPassword"]
    result = project.run([".venv/bin/python", "-m", "components", "verify", "--stack", STACK, "--wait", "180"],
                         env={"GRAFANA_ADMIN_PASSWORD": password}, check=False, timeout=600)
    assert result.returncode == 0, result.output
    assert password not in result.output
    assert "checks passed" in result.stdout


def test_no_changes_right_after_up_and_after_a_second_up(deployed: Deployment, project: ScratchProject) -> None:
    project.pulumi("preview", "--expect-no-changes", "--stack", STACK)
    second = project.pulumi("up", "--yes", "--expect-no-changes", "--stack", STACK)
    deployed.timings["second up (no change)"] = second.seconds
    project.pulumi("preview", "--expect-no-changes", "--stack", STACK)


def test_a_threshold_and_a_timing_change_reload_in_place(
    deployed: Deployment, project: ScratchProject, engine: Engine
) -> None:
    """No container is replaced: the reload jobs install the new files and have Prometheus and Alertmanager load
    them; when `pulumi up` returns the new rule is active and the new route timing in force."""
    before = {name: c["Id"] for name, c in stack_containers(engine).items()}
    silence = http_json(f"{ALERTMANAGER}/api/v2/silences", method="POST", body={
        "matchers": [{"name": "alertname", "value": "E2eSilenced", "isRegex": False, "isEqual": True}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200)),
        "createdBy": "e2e", "comment": "survives the change",
    })["silenceID"]
    wait_for("a sample of up{job=prometheus}", lambda: http_json(
        f"{PROMETHEUS}/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D")["data"]["result"], timeout=60)
    sampled_before = time.time()

    for key, value in ((f"{NS}:rules.overrides.HighErrorRate.threshold", "0.02"),
                       (f"{NS}:notifications.timing.critical.groupWait", "15s")):
        project.pulumi("config", "set", "--path", "--stack", STACK, key, value)
    change_started = time.time()
    changed = project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    returned = time.time()
    deployed.timings["up after a threshold and a timing change"] = changed.seconds

    rules = http_json(f"{PROMETHEUS}/api/v1/rules?type=alert")["data"]["groups"]
    queries = {r["name"]: r["query"] for g in rules for r in g["rules"]}
    assert "> 0.02" in queries["HighErrorRate"], queries["HighErrorRate"]
    status = http_json(f"{ALERTMANAGER}/api/v2/status")
    assert "group_wait: 15s" in status["config"]["original"]
    after = {name: c["Id"] for name, c in stack_containers(engine).items()}
    assert after == before, {name for name in after if after[name] != before.get(name)}
    assert {name for name, job in reload_jobs(engine).items() if job["State"]["ExitCode"] == 0} == set(LIVE_CONFIG)

    earlier = http_json(f"{PROMETHEUS}/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D&time={sampled_before - 5}")
    assert earlier["data"]["result"], "the samples scraped before the change are gone"
    assert http_json(f"{ALERTMANAGER}/api/v2/silence/{silence}")["status"]["state"] == "active"
    time.sleep(20)  # scrapes after the change, so a gap would show at both ends
    gap = longest_scrape_gap("node-exporter", change_started, returned)
    deployed.timings["longest gap in up{job=node-exporter} during the reload"] = gap
    assert gap <= 15 + 5, f"a scrape gap of {gap:.0f}s: Prometheus stopped scraping during the reload"
    project.pulumi("preview", "--expect-no-changes", "--stack", STACK)


def test_a_config_the_checker_refuses_fails_up_and_the_running_one_stays(
    deployed: Deployment, project: ScratchProject, engine: Engine
) -> None:
    """A broken rule (here: a syntax error edited into the scratch copy's meta alerts) never reaches Prometheus:
    `pulumi up` fails naming the file and promtool's error, and the running container and rules are unchanged."""
    catalogue = project.root / "components" / "rules" / "alerts" / "meta.py"
    original = catalogue.read_text()
    assert 'expr="vector(1)' in original
    before = stack_containers(engine)["prometheus"]["Id"]
    running = http_json(f"{PROMETHEUS}/api/v1/rules?type=alert")["data"]["groups"]
    watchdog_before = [r["query"] for g in running for r in g["rules"] if r["name"] == "Watchdog"]
    catalogue.write_text(original.replace('expr="vector(1)', 'expr="vector(1', 1))
    try:
        refused = project.pulumi("up", "--yes", "--stack", STACK, check=False, timeout=900)
    finally:
        catalogue.write_text(original)
    assert refused.returncode != 0
    assert "prometheus: the new config was not loaded" in refused.output
    assert "refused by promtool" in refused.output and "meta.yml" in refused.output, refused.output[-3000:]
    assert "Traceback" not in refused.output
    assert stack_containers(engine)["prometheus"]["Id"] == before
    rules = http_json(f"{PROMETHEUS}/api/v1/rules?type=alert")["data"]["groups"]
    watchdog = [r["query"] for g in rules for r in g["rules"] if r["name"] == "Watchdog"]
    assert watchdog == watchdog_before and watchdog[0].startswith("vector(1)")
    project.pulumi("up", "--yes", "--stack", STACK, timeout=900)
    project.pulumi("preview", "--expect-no-changes", "--stack", STACK)


def test_a_published_port_change_replaces_grafana_and_keeps_its_data(
    deployed: Deployment, project: ScratchProject, engine: Engine, stack_secrets: dict[str, str]
) -> None:
    """A change that needs a new container still gets one, deleted before its replacement (fixed name and
    port); Grafana's data volume is the same volume."""
    before = {name: c["Id"] for name, c in stack_containers(engine).items()}
    grafana = f"iidmon-{STACK}-grafana"
    marker = f"/var/lib/grafana/e2e-marker-{time.time_ns()}"
    engine.docker("exec", grafana, "touch", marker)
    project.pulumi("config", "set", "--path", "--stack", STACK, f"{NS}:ports.grafana", "23031")
    changed = project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    deployed.timings["up after a published port change"] = changed.seconds
    after = stack_containers(engine)
    assert {name for name, c in after.items() if c["Id"] != before[name]} == {"grafana"}
    assert engine.docker("exec", grafana, "ls", marker, check=False).returncode == 0, "Grafana's volume is new"
    auth = ("admin", stack_secrets[f"{NS}:grafanaAdminPassword"])
    wait_for("Grafana on its new port", lambda: http_json("http://127.0.0.1:23031/api/health", auth=auth), 120)
    project.pulumi("preview", "--expect-no-changes", "--stack", STACK)


SECRET_FILES = {
    "alertmanager": {
        "/etc/alertmanager/secrets/pagerduty-routing-key": f"{NS}:pagerdutyRoutingKey",
        "/etc/alertmanager/secrets/pagerduty-database-routing-key": f"{NS}:pagerdutyDatabaseRoutingKey",
        "/etc/alertmanager/secrets/slack-webhook-url": f"{NS}:slackWebhookUrl",
        "/etc/alertmanager/secrets/smtp-password": f"{NS}:smtpPassword",
    },
    "grafana": {"/run/secrets/grafana-admin-password": f"{NS}:grafanaAdminPassword"},
    "postgres-exporter": {"/run/secrets/postgres-exporter-password": f"{NS}:postgresExporterPassword"},
}
"""Where each secret is meant to be, written down here: nowhere else may hold it."""


def test_secrets_are_only_where_they_are_meant_to_be(
    deployed: Deployment, project: ScratchProject, engine: Engine, stack_secrets: dict[str, str]
) -> None:
    values = set(stack_secrets.values())
    exported = project.pulumi("stack", "export", "--stack", STACK).stdout
    assert not [v for v in values if v in exported], "a secret is in plain text in `pulumi stack export`"
    for path in project.backend.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not [v for v in values if v.encode() in content], f"a secret is in plain text in {path}"
    for name, container in stack_containers(engine).items():
        env = "\n".join(container["Config"]["Env"] or [])
        assert not [v for v in values if v in env], f"a secret is in the environment of {name}"
        assert not [v for v in values if v in " ".join(container["Args"] or [])], f"a secret is in {name}'s command"
    for component, files in SECRET_FILES.items():
        for file, key in files.items():
            held = engine.docker("exec", f"iidmon-{STACK}-{component}", "cat", file).stdout
            assert held.strip() == stack_secrets[key], f"{file} in {component} does not hold {key}"
    config = engine.docker("exec", f"iidmon-{STACK}-alertmanager", "cat", "/etc/alertmanager/alertmanager.yml").stdout
    assert not [v for v in values if v in config]
    outputs = project.pulumi("stack", "output", "--json", "--stack", STACK).stdout
    assert not [v for v in values if v in outputs]


def test_destroy_removes_every_container_the_network_and_the_unprotected_volumes(
    deployed: Deployment, project: ScratchProject, engine: Engine
) -> None:
    project.pulumi("destroy", "--yes", "--stack", STACK, timeout=900)
    assert stack_containers(engine) == {} and reload_jobs(engine) == {}
    assert stack_volumes(engine) == {} and stack_volumes(engine, CONFIG_VOLUMES) == {}
    networks = engine.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert f"internet-id-monitoring-{STACK}" not in networks


def test_protected_volumes_refuse_destroy_and_survive(project: ScratchProject, engine: Engine) -> None:
    """As prod sets it (docker.protectVolumes): destroy fails, the data volumes stay."""
    project.pulumi("config", "set", "--path", "--stack", STACK, f"{NS}:docker.protectVolumes", "true")
    project.pulumi("up", "--yes", "--stack", STACK, timeout=1800)
    refused = project.pulumi("destroy", "--yes", "--stack", STACK, check=False, timeout=900)
    assert refused.returncode != 0
    assert "protected" in refused.output
    assert sorted(stack_volumes(engine)) == sorted(f"iidmon-{STACK}-{v}" for v in VOLUMES)
    project.pulumi("state", "unprotect", "--all", "--yes", "--stack", STACK)
    project.pulumi("destroy", "--yes", "--stack", STACK, timeout=900)
    assert stack_volumes(engine) == {} and stack_containers(engine) == {}
