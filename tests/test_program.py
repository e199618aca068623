"""The whole Pulumi program under Pulumi's mocks, for each committed stack."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
import pulumi_docker as docker
import pytest
import yaml

from components import program
from components.config_source import settings_from_stack_file
from components.containers.records import RECORDS
from components.grafana.settings import GrafanaSettings
from components.render import render_documents
from tests.pulumi_harness import (
    COMPUTED,
    PROJECT_DIR,
    Deployment,
    declared_types,
    plain_text,
    run_program,
    stack_config,
    unwrap,
    without_secrets,
)
from tests.secrets_for_tests import required_test_secrets

CONTAINER = "docker:index/container:Container"
GO_DURATION = re.compile(r"\d+h[0-5]?\dm[0-5]?\ds|[1-5]?\dm[0-5]?\ds|[0-5]?\ds")
"""How Docker prints a duration back (``1m0s``, never ``60s``)."""
VOLUME = "docker:index/volume:Volume"


@pytest.fixture
def deployed(stack: str) -> Deployment:
    return run_program(stack, stack_config(stack), required_test_secrets(stack))


LIVE_CONFIG = {"prometheus": "/etc/prometheus", "alertmanager": "/etc/alertmanager",
               "blackbox-exporter": "/etc/blackbox_exporter"}
"""Containers whose config is delivered by a reload job, and the directory it lands in (written here)."""
GRAFANA_LIVE = "/etc/grafana/live"
"""Grafana's too, when it provisions from files (``grafana.provisioning: files``, as dev does)."""


def live_config(deployment: Deployment) -> dict[str, str]:
    """The live-config containers of a deployment: Grafana's files are live when it has a reload job."""
    jobs = {r.name for r in deployment.of_type(CONTAINER)}
    return {**LIVE_CONFIG, "grafana": GRAFANA_LIVE} if "monitoring-grafana-reload" in jobs else dict(LIVE_CONFIG)


def all_containers(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Inputs (secret markers removed) of every container resource, reload jobs included, by name in the stack."""
    return {r.name.removeprefix("monitoring-"): unwrap(dict(r.inputs)) for r in deployment.of_type(CONTAINER)}


def containers(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """The monitoring containers' inputs (reload jobs left out) by container name in the stack."""
    return {name: inputs for name, inputs in all_containers(deployment).items() if not name.endswith("-reload")}


def delivered_files(deployment: Deployment, name: str) -> dict[str, Any]:
    """Container path -> content of every file ``name`` reads: its own uploads and, for a live-config
    container, what its reload job installs in its config directory."""
    resources = all_containers(deployment)
    found = {u["file"]: u["content"] for u in resources[name].get("uploads", [])}
    live = live_config(deployment)
    if name in live:
        for upload in resources[f"{name}-reload"].get("uploads", []):
            if upload["file"].startswith("/staging/"):
                found[live[name] + upload["file"].removeprefix("/staging")] = upload["content"]
    return found


def test_docker_inventory(stack: str, deployed: Deployment) -> None:
    counts = deployed.type_counts()
    files = settings_from_stack_file(stack).grafana.provisioning == "files"
    live = set(LIVE_CONFIG) | ({"grafana"} if files else set())
    assert counts[CONTAINER] == len(RECORDS) + len(live)
    assert sorted(name for name in all_containers(deployed) if name.endswith("-reload")) == sorted(
        f"{name}-reload" for name in live)
    assert counts["docker:index/remoteImage:RemoteImage"] == len(RECORDS)
    assert counts[VOLUME] == 3 + len(live)
    assert counts["docker:index/network:Network"] == 2  # the monitoring network and cAdvisor's own
    assert counts["pulumi:providers:docker"] == 1


def test_containers_are_named_per_stack_and_parented(stack: str, deployed: Deployment) -> None:
    for name, inputs in containers(deployed).items():
        assert inputs["name"] == f"iidmon-{stack}-{name}"
    for resource in deployed.of_type(CONTAINER) + deployed.of_type(VOLUME):
        assert resource.name.startswith("monitoring-")


def test_ports_are_published_on_the_bind_address_only_for_the_uis(deployed: Deployment) -> None:
    published = {
        name: [(p["ip"], p["external"], p["internal"]) for p in inputs.get("ports", [])]
        for name, inputs in containers(deployed).items()
    }
    assert published.pop("prometheus") == [("127.0.0.1", 9090, 9090)]
    assert published.pop("alertmanager") == [("127.0.0.1", 9093, 9093)]
    assert published.pop("grafana") == [("127.0.0.1", 3030, 3000)]
    assert all(ports == [] for ports in published.values()), published


HEALTH_TIMINGS = {"interval": "15s", "timeout": "5s", "retries": 4, "startPeriod": "30s"}
"""Every healthcheck's timings as Docker receives them (Go's spelling); Grafana's migrations take longer."""
EXPECTED_HEALTH_TIMINGS = {
    "prometheus": HEALTH_TIMINGS, "alertmanager": HEALTH_TIMINGS, "postgres-exporter": HEALTH_TIMINGS,
    "node-exporter": HEALTH_TIMINGS, "cadvisor": HEALTH_TIMINGS, "blackbox-exporter": HEALTH_TIMINGS,
    "grafana": {**HEALTH_TIMINGS, "startPeriod": "1m0s"},
}


def test_restart_limits_health_and_wait(deployed: Deployment) -> None:
    """`pulumi up` waits for each healthcheck, or for the reload job that starts a live-config container."""
    for name, inputs in containers(deployed).items():
        assert inputs["restart"] == "unless-stopped", name
        assert inputs["memory"] >= 64, name
        has_check = "healthcheck" in inputs
        assert has_check == (name != "redis-exporter"), name
        assert inputs.get("wait", False) == (has_check and name not in live_config(deployed)), name
        if inputs.get("wait"):
            assert inputs["waitTimeout"] >= 120, name
        if has_check:
            timings = [inputs["healthcheck"][key] for key in ("interval", "timeout", "startPeriod")]
            assert all(GO_DURATION.fullmatch(t) for t in timings), f"{name}: {timings} reads back differently"
        assert inputs["memorySwap"] == inputs["memory"], f"{name} may swap beyond its limit"


def test_healthcheck_timings(deployed: Deployment) -> None:
    timings = {name: {key: inputs["healthcheck"][key] for key in HEALTH_TIMINGS}
               for name, inputs in containers(deployed).items() if "healthcheck" in inputs}
    assert timings == EXPECTED_HEALTH_TIMINGS


def _go_seconds(duration: str) -> int:
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in re.findall(r"(\d+)([hms])", duration))


def test_pulumi_up_waits_long_enough_for_a_container_to_turn_healthy(deployed: Deployment) -> None:
    """Docker runs the first check one interval after the start and counts failures only after the start
    period: a container ready at the end of its start period is healthy one interval (plus the check's
    timeout) later, and ``pulumi up`` must still be waiting then."""
    for name, inputs in containers(deployed).items():
        if inputs.get("wait"):  # live-config containers: the reload job waits for them (RELOAD_TIMEOUT)
            check = inputs["healthcheck"]
            healthy_by = sum(_go_seconds(check[key]) for key in ("startPeriod", "interval", "timeout"))
            assert healthy_by <= inputs["waitTimeout"], f"{name}: healthy only after {healthy_by}s"


def test_pulumi_up_stops_waiting_once_docker_has_judged_a_container_unhealthy(deployed: Deployment) -> None:
    """After the start period, ``retries`` failed checks (each at most an interval plus its timeout apart) make
    Docker call a container unhealthy: ``pulumi up`` waits that long and one check more, not minutes beyond."""
    for name, inputs in containers(deployed).items():
        if inputs.get("wait"):
            check = inputs["healthcheck"]
            period = _go_seconds(check["interval"]) + _go_seconds(check["timeout"])
            unhealthy_by = _go_seconds(check["startPeriod"]) + check["retries"] * period
            assert unhealthy_by <= inputs["waitTimeout"] <= unhealthy_by + period, (name, inputs["waitTimeout"])


def test_uploads_are_the_rendered_documents(stack: str, deployed: Deployment) -> None:
    documents = render_documents(settings_from_stack_file(stack))
    uploaded = delivered_files(deployed, "prometheus")
    assert uploaded["/etc/prometheus/prometheus.yml"] == documents["prometheus/prometheus.yml"]
    rules = {k for k in documents if k.startswith("prometheus/rules/")}
    assert {f"/etc/{k}" for k in rules} <= set(uploaded)


NS = "internet-id-monitoring"


def _operator_secrets(stack: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Distinctive values; the heartbeat's is a ping URL, the only shape its check accepts."""
    return {key: f"OPERATOR-{stack}-{key.rsplit(':', 1)[-1]}-7d1e" for key in keys} | {
        f"{NS}:heartbeatUrl": f"https://hc-ping.example.org/OPERATOR-{stack}-heartbeat-7d1e"}


OPERATOR_KEYS = (f"{NS}:grafanaAdminPassword", f"{NS}:postgresExporterPassword", f"{NS}:smtpPassword",
                 f"{NS}:alertmanagerSlackToken", "slack:token", "pagerduty:token")
OPERATOR_SECRETS: dict[str, dict[str, str]] = {
    "dev": {},
    "staging": _operator_secrets("staging", OPERATOR_KEYS),
    "prod": _operator_secrets("prod", (*OPERATOR_KEYS, "sentry:token")),
}
"""What each stack's operator sets with ``pulumi config set --secret`` (the stack files' comments, README
"Secrets"), written here rather than asked of the settings."""

SECRET_OUTPUTS = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "pagerduty:index/serviceIntegration:ServiceIntegration": ("integrationKey",),
    "sentry:index/sentryKey:SentryKey": ("dsnPublic", "dsnSecret"),
}
"""The outputs of the mocks (``COMPUTED``) that are secrets: a generated password, Events v2 keys, DSNs."""
GENERATED = {
    "dev": {"grafana-admin-password", "web-auth-password"},
    "staging": {"incident-pagerduty-service-production-events-v2", "incident-pagerduty-service-database-events-v2",
                "web-auth-password"},
    "prod": {"incident-pagerduty-service-production-events-v2", "incident-pagerduty-service-database-events-v2",
             "incident-sentry-key", "web-auth-password"},
}
"""The resources whose secret outputs each stack's run produces."""


def generated_secrets(deployment: Deployment) -> dict[str, str]:
    """``{"<resource> <output>": value}`` of every secret output the mocks produced in ``deployment``."""
    return {f"{r.name} {key}": COMPUTED[r.typ](r)[key]
            for r in deployment.resources if r.typ in SECRET_OUTPUTS for key in SECRET_OUTPUTS[r.typ]}


def test_every_secret_stays_secret(stack: str) -> None:
    deployment = run_program(stack, stack_config(stack), OPERATOR_SECRETS[stack])
    generated = generated_secrets(deployment)
    assert {what.split(" ")[0] for what in generated} == GENERATED[stack]
    plain = plain_text(deployment)
    derived = {"web authorization header": WEB_AUTHORIZATION}
    for what, value in {**OPERATOR_SECRETS[stack], **generated, **derived}.items():
        assert value not in plain, f"{what} leaks into plain state"
    for name, (_value, secret) in deployment.outputs.items():
        if "password" in name.lower() or "dsn" in name.lower():
            assert secret, f"output {name} is not secret"


ROUTING_KEY_FILE = "/etc/alertmanager/secrets/pagerduty-routing-key"
DATABASE_ROUTING_KEY_FILE = "/etc/alertmanager/secrets/pagerduty-database-routing-key"


WEB_PASSWORD = "generated-web-auth-password"
WEB_AUTHORIZATION = "aWlkbW9uOmdlbmVyYXRlZC13ZWItYXV0aC1wYXNzd29yZA=="
"""base64 of ``iidmon:generated-web-auth-password`` (the mocks' generated password)."""
WEB_CONFIG = ("# Rendered by internet-id-monitoring: who may call this server (a credential file).\n"
              "basic_auth_users:\n  iidmon: $2a$10$mock-bcrypt-hash-of-web-auth-password\n")
WEB_FILES = {
    "prometheus": {"/etc/prometheus/web/web.yml": WEB_CONFIG, "/etc/prometheus/web/authorization": WEB_AUTHORIZATION,
                   "/etc/prometheus/web/password": WEB_PASSWORD},
    "alertmanager": {"/etc/alertmanager/web/web.yml": WEB_CONFIG,
                     "/etc/alertmanager/web/authorization": WEB_AUTHORIZATION},
}
"""Every stack's Prometheus and Alertmanager require the generated credential (``webAuth`` on by default)."""


def _expected_secret_files(stack: str) -> dict[str, dict[str, str]]:
    """Container -> credential file -> the value it must hold, for the stacks run with ``OPERATOR_SECRETS``."""
    if stack == "dev":  # the app's documented dev login, and the passwords the stack generates
        return {"postgres-exporter": {"/run/secrets/postgres-exporter-password": "internetid"},
                "grafana": {"/run/secrets/grafana-admin-password": "generated-grafana-admin-password",
                            # files provisioning: the datasources read it with $__file{}
                            "/run/secrets/monitoring-web-password": WEB_PASSWORD},
                **WEB_FILES}
    secret = OPERATOR_SECRETS[stack]
    return {
        "postgres-exporter": {"/run/secrets/postgres-exporter-password": secret[f"{NS}:postgresExporterPassword"]},
        "grafana": {"/run/secrets/grafana-admin-password": secret[f"{NS}:grafanaAdminPassword"]},
        "prometheus": WEB_FILES["prometheus"],
        "alertmanager": {**WEB_FILES["alertmanager"],
            "/etc/alertmanager/secrets/slack-bot-token": secret[f"{NS}:alertmanagerSlackToken"],
            "/etc/alertmanager/secrets/smtp-password": secret[f"{NS}:smtpPassword"],
            "/etc/alertmanager/secrets/heartbeat-url": secret[f"{NS}:heartbeatUrl"],
            ROUTING_KEY_FILE: "key-incident-pagerduty-service-production-events-v2",
            DATABASE_ROUTING_KEY_FILE: "key-incident-pagerduty-service-database-events-v2",
        },
    }


SECRET_DIRS = ("/run/secrets/", "/etc/alertmanager/secrets/", "/etc/prometheus/web/", "/etc/alertmanager/web/")


def test_secret_files_reach_their_containers(stack: str) -> None:
    """Every credential file of every container holds its secret, and no container gets another."""
    deployment = run_program(stack, stack_config(stack), OPERATOR_SECRETS[stack])
    found = {
        name: {path: content for path, content in delivered_files(deployment, name).items()
               if path.startswith(SECRET_DIRS)}
        for name in containers(deployment)
    }
    assert {name: files for name, files in found.items() if files} == _expected_secret_files(stack)


def test_volumes_are_protected_only_where_configured(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    protected: dict[str, bool] = {}
    real_volume = docker.Volume

    def recording_volume(resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> Any:
        protected[resource_name] = bool(opts and opts.protect)
        return real_volume(resource_name, opts=opts, **kwargs)

    monkeypatch.setattr(docker, "Volume", recording_volume)
    run_program(stack, stack_config(stack), required_test_secrets(stack))
    data = {name for name in protected if not name.endswith("-config")}
    assert data == {"monitoring-prometheus-data", "monitoring-alertmanager-data", "monitoring-grafana-data"}
    assert {protected[name] for name in data} == {stack == "prod"}
    assert not any(protected[name] for name in set(protected) - data), "config volumes are rewritten, never kept"


def test_dev_generates_the_grafana_password_as_a_secret_output() -> None:
    deployment = run_program("dev", stack_config("dev"))
    value, secret = deployment.outputs["grafanaAdminPassword"]
    assert secret and value == "generated-grafana-admin-password"
    assert deployment.outputs["grafanaUrl"] == ("http://127.0.0.1:3030", False)


def test_bad_config_stops_before_any_resource() -> None:
    config = {**stack_config("dev"), "internet-id-monitoring:ports": {"grafana": 3001, "typo": 1}}
    with pytest.raises(pulumi.RunError) as caught:
        run_program("dev", config)
    message = str(caught.value)
    assert "internet-id-monitoring:ports.grafana" in message
    assert "internet-id-monitoring:ports.typo: unknown setting" in message


def test_two_slack_roles_on_one_channel_stop_prod_before_any_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    """prod creates its Slack channels (one per role): a shared name is a settings error, not a Slack failure
    after the PagerDuty resources are registered."""
    registered = declared_types(monkeypatch)
    config = stack_config("prod")
    notifications = dict(config[f"{NS}:notifications"])
    notifications["slack"] = {**notifications["slack"], "channels": {"warnings": "alerts", "info": "alerts"}}
    with pytest.raises(pulumi.RunError) as caught:
        run_program("prod", {**config, f"{NS}:notifications": notifications}, OPERATOR_SECRETS["prod"])
    assert str(caught.value) == (
        f"stack 'prod': {NS}:notifications.slack.channels: warnings and info share 'alerts'; incident.slack creates "
        "one channel per role, so give each its own name")
    assert registered == []


def test_missing_secret_stops_prod_with_the_fix() -> None:
    with pytest.raises(pulumi.RunError, match=r"grafanaAdminPassword: required .*pulumi config set --secret"):
        run_program("prod", stack_config("prod"))


def test_plain_text_secret_is_refused() -> None:
    config = {**stack_config("dev"), "internet-id-monitoring:slackWebhookUrl": "https://hooks.example/T0/B0/x"}
    with pytest.raises(pulumi.RunError, match="slackWebhookUrl: is a secret"):
        run_program("dev", config)


GRAFANA_TYPES_DASHBOARD = "grafana:oss/dashboard:Dashboard"
GRAFANA_TYPES = {
    "pulumi:providers:grafana": 1,
    "grafana:oss/dataSource:DataSource": 2,
    "grafana:oss/folder:Folder": 2,
    GRAFANA_TYPES_DASHBOARD: 5,
}


def deployed_dashboards(deployment: Deployment) -> list[str]:
    """The JSON of every dashboard deployed: Grafana provider resources, or files uploaded into Grafana."""
    resources = [str(unwrap(dict(d.inputs))["configJson"]) for d in deployment.of_type(GRAFANA_TYPES_DASHBOARD)]
    return resources + [content for path, content in delivered_files(deployment, "grafana").items()
                        if path.startswith(f"{GRAFANA_LIVE}/dashboards/")]


def test_grafana_content_in_every_stack(stack: str, deployed: Deployment) -> None:
    """Through the Grafana provider (staging, prod) or as Grafana's own provisioning files (dev)."""
    counts = deployed.type_counts()
    if settings_from_stack_file(stack).grafana.provisioning == "api":
        assert {typ: counts.get(typ, 0) for typ in GRAFANA_TYPES} == GRAFANA_TYPES
    else:
        assert not {typ: counts[typ] for typ in GRAFANA_TYPES if typ in counts}
    dashboards = deployed_dashboards(deployed)
    assert len(dashboards) == GRAFANA_TYPES[GRAFANA_TYPES_DASHBOARD]
    assert not [text for text in dashboards if "${" in text]


def test_pagerduty_integration_keys_become_alertmanager_routing_key_files() -> None:
    deployment = run_program("prod", stack_config("prod"), required_test_secrets("prod"))
    integrations = deployment.of_type("pagerduty:index/serviceIntegration:ServiceIntegration")
    assert len(integrations) == 2
    uploads = delivered_files(deployment, "alertmanager")
    keys = {
        uploads[f"/etc/alertmanager/secrets/{name}"]
        for name in ("pagerduty-routing-key", "pagerduty-database-routing-key")
    }
    assert keys == {f"key-{integration.name}" for integration in integrations}
    raw_uploads = [r.inputs.get("uploads") for r in deployment.of_type(CONTAINER)
                   if r.name in ("monitoring-alertmanager", "monitoring-alertmanager-reload")]
    assert "key-" not in json.dumps(without_secrets(raw_uploads)), "routing keys must be uploaded as secrets"


def test_a_stack_without_pagerduty_resources_uses_routing_keys_from_config() -> None:
    config = {**stack_config("prod"), "internet-id-monitoring:incident": {"pagerduty": {"enabled": False}}}
    secrets = {
        **required_test_secrets("prod"),
        "internet-id-monitoring:pagerdutyRoutingKey": "CONFIG-KEY-1",
        "internet-id-monitoring:pagerdutyDatabaseRoutingKey": "CONFIG-KEY-2",
    }
    deployment = run_program("prod", config, secrets)
    assert not deployment.of_type("pagerduty:index/serviceIntegration:ServiceIntegration")
    uploads = delivered_files(deployment, "alertmanager")
    assert uploads["/etc/alertmanager/secrets/pagerduty-routing-key"] == "CONFIG-KEY-1"
    assert "CONFIG-KEY" not in plain_text(deployment)


def test_pagerduty_routing_without_any_key_is_refused() -> None:
    config = {**stack_config("prod"), "internet-id-monitoring:incident": {"pagerduty": {"enabled": False}}}
    with pytest.raises(pulumi.RunError, match=r"pagerdutyRoutingKey: required because notifications\.pagerduty"):
        run_program("prod", config, required_test_secrets("prod"))


def test_a_service_turned_off_needs_its_routing_key_from_config() -> None:
    config = stack_config("prod")
    incident = dict(config["internet-id-monitoring:incident"])
    incident["pagerduty"] = {**incident["pagerduty"], "services": {"database": {"enabled": False}}}
    config = {**config, "internet-id-monitoring:incident": incident}
    with pytest.raises(pulumi.RunError, match="pagerdutyDatabaseRoutingKey: required") as caught:
        run_program("prod", config, required_test_secrets("prod"))
    assert "pagerdutyRoutingKey:" not in str(caught.value)
    secrets = {
        **required_test_secrets("prod"),
        "internet-id-monitoring:pagerdutyDatabaseRoutingKey": "DB-KEY-FROM-CONFIG",
    }
    deployment = run_program("prod", config, secrets)
    assert len(deployment.of_type("pagerduty:index/serviceIntegration:ServiceIntegration")) == 1
    uploads = delivered_files(deployment, "alertmanager")
    assert uploads["/etc/alertmanager/secrets/pagerduty-database-routing-key"] == "DB-KEY-FROM-CONFIG"


def test_an_unavailable_optional_dashboard_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    extra = {"gnetId": 4242, "revision": 1, "optional": True}
    config = stack_config("dev")
    grafana = {**config["internet-id-monitoring:grafana"]}
    grafana["communityDashboards"] = [*_default_dashboards(), extra]
    deployment = run_program("dev", {**config, "internet-id-monitoring:grafana": grafana})
    assert len(deployed_dashboards(deployment)) == 5
    assert any("community dashboard 4242 revision 1" in w for w in warnings), warnings


def test_an_unavailable_required_dashboard_stops_before_any_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    registered = declared_types(monkeypatch)
    config = stack_config("dev")
    grafana = {**config["internet-id-monitoring:grafana"]}
    grafana["communityDashboards"] = [*_default_dashboards(), {"gnetId": 4242, "revision": 1}]
    with pytest.raises(pulumi.RunError, match=r"community dashboard 4242 revision 1: download failed") as caught:
        run_program("dev", {**config, "internet-id-monitoring:grafana": grafana})
    assert "dashboards fetch --stack dev" in str(caught.value)
    assert registered == []


def _default_dashboards() -> list[dict[str, Any]]:
    return [d.model_dump(by_alias=True, exclude_none=True) for d in GrafanaSettings().community_dashboards]


def test_containers_are_deleted_before_their_replacement(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixed container names and host ports: a replacement created first would collide with the old one."""
    delete_first: dict[str, bool] = {}
    real_container = docker.Container

    def recording_container(resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> Any:
        delete_first[resource_name] = bool(opts and opts.delete_before_replace)
        return real_container(resource_name, opts=opts, **kwargs)

    monkeypatch.setattr(docker, "Container", recording_container)
    run_program(stack, stack_config(stack), required_test_secrets(stack))
    assert len(delete_first) == len(RECORDS) + len(live_config(run_program(stack, stack_config(stack),
                                                                            required_test_secrets(stack))))
    assert all(delete_first.values()), delete_first


def test_files_provisioning_declares_no_grafana_resource_and_uploads_what_grafana_loads() -> None:
    config = stack_config("dev")
    assert config["internet-id-monitoring:grafana"]["provisioning"] == "files"
    deployment = run_program("dev", config)
    assert not [r.typ for r in deployment.resources if r.typ.startswith(("grafana:", "pulumi:providers:grafana"))]
    uploads = delivered_files(deployment, "grafana")
    datasources = yaml.safe_load(uploads["/etc/grafana/live/provisioning/datasources/internet-id.yaml"])
    assert {(d["uid"], d["url"]) for d in datasources["datasources"]} == {
        ("prometheus", "http://prometheus:9090"), ("alertmanager", "http://alertmanager:9093"),
    }
    providers = yaml.safe_load(uploads["/etc/grafana/live/provisioning/dashboards/internet-id.yaml"])["providers"]
    paths = {p["folderUid"]: p["options"]["path"] for p in providers}
    assert paths == {"infrastructure": "/etc/grafana/live/dashboards/infrastructure",
                     "internet-id": "/etc/grafana/live/dashboards/internet-id"}
    custom = json.loads(uploads["/etc/grafana/live/dashboards/internet-id/internet-id-overview.json"])
    assert custom["uid"] == "internet-id-overview"
    assert uploads["/run/secrets/grafana-admin-password"] == "generated-grafana-admin-password"


@pytest.mark.parametrize("provisioning", ["files", "api"])
def test_a_weak_admin_password_stops_the_program_in_one_line_before_any_resource(
    provisioning: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked on the configured value when settings load, not inside an Output during registration (where
    pulumi printed a traceback after the PagerDuty and Docker resources were already registered)."""
    registered = declared_types(monkeypatch)
    dev = stack_config("dev")
    grafana = {**dev["internet-id-monitoring:grafana"], "provisioning": provisioning, "generateAdminPassword": False}
    config = {**dev, "internet-id-monitoring:grafana": grafana}
    with pytest.raises(pulumi.RunError) as caught:
        run_program("dev", config, {"internet-id-monitoring:grafanaAdminPassword": "short-pass"})
    assert str(caught.value) == "stack 'dev': internet-id-monitoring:grafanaAdminPassword: shorter than 12 characters"
    assert registered == []


def test_a_local_docker_host_missing_a_cadvisor_path_stops_before_any_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = declared_types(monkeypatch)
    monkeypatch.setattr(os.path, "exists", lambda path: path not in {"/dev/disk", "/srv/docker"})
    config = {**stack_config("dev"), "internet-id-monitoring:docker": {"dataRoot": "/srv/docker"}}
    with pytest.raises(pulumi.RunError) as caught:
        run_program("dev", config, docker_host="unix:///var/run/docker.sock")
    message = str(caught.value)
    assert "internet-id-monitoring:docker.dataRoot: cadvisor mounts /srv/docker, which does not exist" in message
    assert "internet-id-monitoring:cadvisor.diskDevices: cadvisor mounts /dev/disk" in message
    assert declared == []


def test_a_remote_docker_host_is_not_checked_against_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    deployment = run_program("dev", stack_config("dev"), docker_host="ssh://ops@monitoring.example.com")
    assert len(containers(deployment)) == len(RECORDS)


def test_an_interrupted_program_ends_at_once_without_a_traceback(tmp_path: Path) -> None:
    """The engine that failed a resource interrupts the program (SIGINT): it must not answer with a
    ``KeyboardInterrupt`` traceback from wherever it stood, under the error the engine already showed."""
    script = ("import os, signal, threading, time\n"
              "from components import program\n"
              "program.stop_quietly_when_interrupted()\n"
              "threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
              "threading.Thread(target=time.sleep, args=(30,)).start()\n"
              "time.sleep(30)\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=60, check=False)
    assert time.monotonic() - started < 20
    assert done.returncode == program.EXIT_ALREADY_REPORTED
    assert done.stdout == done.stderr == ""
