"""MonitoringContainers under Pulumi's mocks: every credential file goes up as a secret, whatever it is given."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pulumi
import pulumi.runtime

from components.config_source import settings_from_stack_file
from components.containers.component import MonitoringContainers, MonitoringContainersArgs
from components.render import container_specs, render_documents
from components.settings import PROJECT
from tests.pulumi_harness import RecordingMocks, unwrap, without_secrets

CONTAINER = "docker:index/container:Container"
SECRET_DIRS = ("/run/secrets/", "/etc/alertmanager/secrets/", "/etc/alertmanager/web/", "/etc/prometheus/web/")
PLAIN = {
    "grafanaAdminPassword": "plain-grafana-password-0001",
    "postgresExporterPassword": "plain-postgres-password-0002",
    "smtpPassword": "plain-smtp-password-0003",
    "alertmanagerSlackToken": "plain-slack-token-0004",
    "pagerdutyRoutingKey": "plain-routing-key-0005",
    "pagerdutyDatabaseRoutingKey": "plain-database-routing-key-0006",
    "webAuthPassword": "plain-web-password-0007",
    "webAuthConfig": "basic_auth_users: {iidmon: $2b$10$plain-web-config-0008}",
    "webAuthAuthorization": "plain-web-authorization-0009",
    "heartbeatUrl": "https://hc-ping.example.org/plain-heartbeat-0010",
}
"""prod's credentials handed to the component as plain strings (no ``Output.secret`` around them)."""
RELOAD_JOBS = {"monitoring-alertmanager-reload": "/etc/alertmanager", "monitoring-prometheus-reload": "/etc/prometheus"}
"""Alertmanager's and Prometheus' credential files reach them through their reload jobs, staged below ``/staging``."""


def declare(stack: str, secrets: dict[str, Any], *, app_network: str | None = "") -> RecordingMocks:
    """``app_network``: overrides the stack's (``None``: no app network) unless empty."""
    settings = settings_from_stack_file(stack)
    documents = render_documents(settings)
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        docker = settings.docker.model_copy(update={
            "app_network": settings.docker.app_network if app_network == "" else app_network,
            "bind_address": IPv4Address("127.0.0.1"), "protect_volumes": False})
        containers = MonitoringContainers("monitoring", MonitoringContainersArgs(
            context=settings.context, docker=docker, specs=container_specs(settings, documents), documents=documents,
            secrets=secrets))
        return pulumi.Output.all(*(c.name for c in containers.containers.values()))

    program()
    return mocks


def credential_uploads(mocks: RecordingMocks, view: Any) -> dict[str, Any]:
    """Container path -> content of every credential file, as ``view`` shows the uploads (plain or with
    ``[secret]`` for what is secret)."""
    found: dict[str, Any] = {}
    for container in mocks.of_type(CONTAINER):
        uploads = view(container.inputs.get("uploads", []))
        if uploads == "[secret]":
            continue
        for upload in uploads:
            path = upload["file"]
            if container.name in RELOAD_JOBS and path.startswith("/staging/"):
                path = RELOAD_JOBS[container.name] + path.removeprefix("/staging")
            if path.startswith(SECRET_DIRS):
                found[path] = upload["content"]
    return found


def test_credential_files_are_secrets_even_when_handed_in_plain() -> None:
    mocks = declare("prod", PLAIN)
    assert credential_uploads(mocks, unwrap) == {
        "/run/secrets/postgres-exporter-password": PLAIN["postgresExporterPassword"],
        "/run/secrets/grafana-admin-password": PLAIN["grafanaAdminPassword"],
        "/etc/alertmanager/secrets/slack-bot-token": PLAIN["alertmanagerSlackToken"],
        "/etc/alertmanager/secrets/smtp-password": PLAIN["smtpPassword"],
        "/etc/alertmanager/secrets/pagerduty-routing-key": PLAIN["pagerdutyRoutingKey"],
        "/etc/alertmanager/secrets/pagerduty-database-routing-key": PLAIN["pagerdutyDatabaseRoutingKey"],
        "/etc/alertmanager/secrets/heartbeat-url": PLAIN["heartbeatUrl"],
        "/etc/alertmanager/web/web.yml": PLAIN["webAuthConfig"],
        "/etc/alertmanager/web/authorization": PLAIN["webAuthAuthorization"],
        "/etc/prometheus/web/web.yml": PLAIN["webAuthConfig"],
        "/etc/prometheus/web/authorization": PLAIN["webAuthAuthorization"],
        "/etc/prometheus/web/password": PLAIN["webAuthPassword"],
    }
    assert set(credential_uploads(mocks, without_secrets).values()) <= {"[secret]"}


def test_a_documented_default_credential_is_uploaded_as_a_secret_too() -> None:
    """dev's exporter logs in with the app's documented dev password: not a secret, but still a credential file."""
    mocks = declare("dev", {key: PLAIN[key] for key in ("grafanaAdminPassword", "webAuthPassword", "webAuthConfig",
                                                        "webAuthAuthorization")})
    assert credential_uploads(mocks, unwrap)["/run/secrets/postgres-exporter-password"] == "internetid"
    assert set(credential_uploads(mocks, without_secrets).values()) <= {"[secret]"}


def networks_of(mocks: RecordingMocks) -> dict[str, list[str]]:
    return {
        unwrap(c.inputs["name"]).removeprefix("iidmon-prod-"): sorted(n["name"] for n in unwrap(
            c.inputs.get("networksAdvanced") or []))
        for c in mocks.of_type(CONTAINER) if not unwrap(c.inputs["name"]).endswith("-reload")
    }


def test_each_container_joins_only_the_networks_it_needs() -> None:
    """The exporters that only read the app are off the monitoring network, so a compromised app container cannot
    use them (the blackbox exporter's /probe?target=) to reach it; Prometheus, on both, scrapes them.  cAdvisor,
    whose API asks for nothing, shares an internal network with Prometheus alone."""
    monitoring, app, own = "internet-id-monitoring-prod", "internet-id_default", "internet-id-monitoring-prod-cadvisor"
    mocks = declare("prod", PLAIN)
    networks = networks_of(mocks)
    assert networks == {
        "prometheus": sorted([monitoring, own, app]),
        "alertmanager": [monitoring],
        "grafana": [monitoring],
        "postgres-exporter": [app],
        "redis-exporter": [app],
        "blackbox-exporter": [app],
        "cadvisor": [own],
        "node-exporter": [],  # the host's network namespace
    }
    declared = {unwrap(n.inputs["name"]): unwrap(n.inputs) for n in mocks.of_type("docker:index/network:Network")}
    assert declared[own]["internal"] is True  # neither reached from beyond it nor reaching out
    assert not declared[monitoring].get("internal")


def test_without_an_app_network_every_container_is_on_the_monitoring_one() -> None:
    networks = networks_of(declare("prod", PLAIN, app_network=None))
    assert {name: nets for name, nets in networks.items() if name not in ("node-exporter", "cadvisor")} == {
        name: ["internet-id-monitoring-prod"] for name in ("alertmanager", "grafana", "postgres-exporter",
                                                           "redis-exporter", "blackbox-exporter")} | {
        "prometheus": ["internet-id-monitoring-prod", "internet-id-monitoring-prod-cadvisor"]}
    assert networks["cadvisor"] == ["internet-id-monitoring-prod-cadvisor"]


def test_every_container_is_confined_and_its_credentials_readable_by_its_user_only() -> None:
    """no-new-privileges, every capability dropped but what the record keeps, a bounded json-file log; a read-only
    root with a tmpfs where nothing is uploaded into it; credential files readable by the USER that reads them only."""
    mocks = declare("prod", PLAIN)
    containers = {c.name: unwrap(c.inputs) for c in mocks.of_type(CONTAINER)}
    for name, inputs in containers.items():
        assert inputs["securityOpts"] == ["no-new-privileges:true"], name
        assert inputs["logDriver"] == "json-file" and inputs["logOpts"] == {"max-size": "10m", "max-file": "3"}, name
        expected_adds = ["DAC_READ_SEARCH"] if name == "monitoring-cadvisor" else None
        assert inputs["capabilities"].get("drops") == ["ALL"], name
        assert inputs["capabilities"].get("adds") == expected_adds, name
        assert not inputs.get("privileged"), name
    read_only = sorted(name for name, inputs in containers.items() if inputs.get("readOnly"))
    assert read_only == ["monitoring-alertmanager", "monitoring-blackbox-exporter", "monitoring-cadvisor",
                         "monitoring-node-exporter", "monitoring-prometheus", "monitoring-redis-exporter"]
    assert all(containers[name]["tmpfs"] == {"/tmp": "rw,noexec,nosuid,size=16m"} for name in read_only)
    owners = {(name, upload["file"]): (upload.get("owner"), upload.get("permissions"))
              for name, inputs in containers.items() for upload in inputs.get("uploads", [])
              if "secret" in upload["file"] or "password" in upload["file"]}
    assert owners == {
        ("monitoring-postgres-exporter", "/run/secrets/postgres-exporter-password"): ("nobody", "0400"),
        # Grafana's USER is numeric (472), which Docker 20.10 cannot chown to (secret_file_access)
        ("monitoring-grafana", "/run/secrets/grafana-admin-password"): (None, "0444"),
        **{("monitoring-alertmanager-reload", f"/staging/secrets/{name}"): ("nobody", "0400")
           for name in ("slack-bot-token", "smtp-password", "pagerduty-routing-key",
                        "pagerduty-database-routing-key", "heartbeat-url")},
        ("monitoring-prometheus-reload", "/staging/web/password"): ("nobody", "0400"),
    }
