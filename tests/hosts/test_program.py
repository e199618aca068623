"""The example multi-host stack (tests/multihost/stack.yaml) under Pulumi's mocks: one explicit provider per host,
each host's containers where the role table puts them, the TLS material only as Pulumi secrets, a drained host left
as it is, an unreachable host stopping ``pulumi up`` in one line."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest
import yaml

from components import program
from components.config_source import settings_from_mapping
from components.hosts.placement import placement
from tests.contexts import EXAMPLE, multi_host_context
from tests.pulumi_harness import (
    SECRET_SIG,
    SIG_KEY,
    Deployment,
    pinned_dashboards,
    plain_text,
    run_program,
    unwrap,
)
from tests.secrets_for_tests import fake_secret

NS = "internet-id-monitoring"
CONTAINER = "docker:index/container:Container"
PROVIDER = "pulumi:providers:docker"
HOSTS = ("app-1", "app-2", "db-1")


def example_config(**changes: Any) -> dict[str, Any]:
    """The example stack's config, ``hostN={...}`` changing host N, its dashboards pinned to the cached fixtures."""
    config = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text())["config"])
    for index, values in changes.items():
        config[f"{NS}:hosts"][int(index.removeprefix("host"))].update(values)
    return pinned_dashboards("prod", config)


SECRETS = {f"{NS}:{key}": fake_secret(key) for key in settings_from_mapping(
    "prod", yaml.safe_load(EXAMPLE.read_text())["config"], require_secrets=False).required_secrets()}


@pytest.fixture(autouse=True)
def every_host_answers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    asked: list[tuple[str, int]] = []

    def answer(host: str, port: int, timeout: float) -> bool:
        asked.append((host, port))
        return True

    monkeypatch.setattr(program, "REACHABLE", answer)
    return asked


@pytest.fixture
def deployed() -> Deployment:
    return run_program("prod", example_config(), SECRETS)


def provider_of(resource: pulumi.runtime.MockResourceArgs) -> str:
    """The provider resource's name in ``urn::id`` (the mocks give every provider the id ``<name>-id``)."""
    return str(resource.provider).rsplit("::", 1)[-1].removesuffix("-id")


def test_one_explicit_provider_per_host(deployed: Deployment, every_host_answers: list[tuple[str, int]]) -> None:
    providers = {r.name: unwrap(dict(r.inputs)) for r in deployed.of_type(PROVIDER)}
    assert sorted(providers) == [f"docker-{host}" for host in HOSTS]
    assert providers["docker-app-1"]["host"] == "tcp://10.0.1.11:2376"
    assert providers["docker-db-1"]["host"] == "ssh://ops@10.0.1.13"
    assert sorted(every_host_answers) == [("10.0.1.11", 2376), ("10.0.1.12", 2376), ("10.0.1.13", 22)]


def test_tcp_hosts_get_the_tls_material_as_secrets_and_ssh_hosts_none(deployed: Deployment) -> None:
    for resource in deployed.of_type(PROVIDER):
        inputs = dict(resource.inputs)
        materials = [inputs.get(key) for key in ("caMaterial", "certMaterial", "keyMaterial")]
        if resource.name == "docker-db-1":
            assert materials == [None, None, None]
            continue
        assert all(isinstance(m, dict) and m.get(SIG_KEY) == SECRET_SIG for m in materials), resource.name
        assert unwrap(materials) == [SECRETS[f"{NS}:dockerTlsCa"], SECRETS[f"{NS}:dockerTlsCert"],
                                     SECRETS[f"{NS}:dockerTlsKey"]]


def test_each_hosts_containers_where_the_role_table_puts_them(deployed: Deployment) -> None:
    found: dict[str, set[str]] = {host: set() for host in HOSTS}
    for resource in deployed.of_type(CONTAINER):
        host = provider_of(resource).removeprefix("docker-")
        component = resource.name.removeprefix(f"monitoring-{host}-")
        if not component.endswith("-reload"):
            found[host].add(component)
            assert unwrap(dict(resource.inputs))["name"] == f"iidmon-prod-{component}"
    assert found == {host: set(names) for host, names in placement(multi_host_context().hosts).items()}


def test_every_resource_of_a_host_goes_through_its_own_provider(deployed: Deployment) -> None:
    docker_resources = [r for r in deployed.resources if r.typ.startswith("docker:index/")]
    assert docker_resources
    for resource in docker_resources:
        host = resource.name.removeprefix("monitoring-").split("-")[:2]
        assert provider_of(resource) == f"docker-{'-'.join(host)}", resource.name


def inputs(deployment: Deployment, name: str) -> dict[str, Any]:
    found: dict[str, Any] = unwrap(dict(deployment.named(CONTAINER, name).inputs))
    return found


def test_published_ports_are_on_each_hosts_address(deployed: Deployment) -> None:
    ports = {r.name: [(p["ip"], p["external"]) for p in unwrap(dict(r.inputs)).get("ports", [])]
             for r in deployed.of_type(CONTAINER)}
    assert ports["monitoring-app-1-prometheus"] == [("10.0.1.11", 9090)]
    assert ports["monitoring-app-2-alertmanager"] == [("10.0.1.12", 9093), ("10.0.1.12", 9094)]
    assert ports["monitoring-app-1-victoria-metrics"] == [("10.0.1.11", 8428)]
    assert ports["monitoring-app-1-vmauth"] == [("10.0.1.11", 8427)]
    assert ports["monitoring-db-1-postgres-exporter"] == [("10.0.1.13", 9187)]
    assert ports["monitoring-db-1-cadvisor"] == [("10.0.1.13", 8080)]
    assert ports["monitoring-app-1-grafana"] == [("127.0.0.1", 3030)]  # docker.bindAddress, as on one host
    assert ports["monitoring-app-2-node-exporter"] == []  # the host's network namespace: --web.listen-address
    assert "--web.listen-address=10.0.1.12:9100" in inputs(deployed, "monitoring-app-2-node-exporter")["command"]
    # cAdvisor sits on its own network there too, which Docker forwards a published port to only when not internal
    own = [unwrap(dict(n.inputs)) for n in deployed.of_type("docker:index/network:Network")
           if n.name.endswith("-cadvisor-network")]
    assert len(own) == 3 and not any(network.get("internal") for network in own), own  # one per host


def test_alertmanager_peers_advertise_their_address_and_gossip_over_tls(deployed: Deployment) -> None:
    command = inputs(deployed, "monitoring-app-2-alertmanager")["command"]
    assert "--cluster.advertise-address=10.0.1.12:9094" in command
    assert [c for c in command if c.startswith("--cluster.peer=")] == ["--cluster.peer=10.0.1.11:9094",
                                                                         "--cluster.peer=10.0.1.13:9094"]
    assert {"--cluster.tls-config=/etc/alertmanager/cluster-tls.yml", "--cluster.peer-timeout=1500ms",
            "--cluster.settle-timeout=2s", "--cluster.reconnect-timeout=5m"} <= set(command)


def staged(deployment: Deployment, name: str) -> dict[str, Any]:
    """What a live-config container's reload job installs (path below its config directory -> content)."""
    return {u["file"].removeprefix("/staging/"): u["content"]
            for u in inputs(deployment, f"{name}-reload").get("uploads", []) if u["file"].startswith("/staging/")}


def test_each_replica_gets_its_own_prometheus_yml_differing_only_in_its_replica_label(deployed: Deployment) -> None:
    one = staged(deployed, "monitoring-app-1-prometheus")["prometheus.yml"]
    two = staged(deployed, "monitoring-app-2-prometheus")["prometheus.yml"]
    assert one.replace("replica: app-1", "replica: app-2") == two and one != two


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def test_host_tls_material_reaches_each_host_as_secret_files_of_that_host(deployed: Deployment) -> None:
    """Each container holding TLS material gets its own host's, in uploads the engine keeps secret."""
    holders = set()
    for resource in deployed.of_type(CONTAINER):
        host = provider_of(resource).removeprefix("docker-")
        uploads = dict(resource.inputs).get("uploads") or []
        contents = [str(upload["content"]) for upload in unwrap(uploads)]
        if any("-----BEGIN" in content for content in contents):
            holders.add(resource.name.removeprefix(f"monitoring-{host}-"))
            assert is_secret(uploads) or all(is_secret(u["content"]) for u in uploads), resource.name
            assert not any(f"-{other}-5e1d" in c for c in contents for other in HOSTS if other != host), resource.name
    assert holders == {"prometheus-reload", "alertmanager-reload", "victoria-metrics", "vmauth", "node-exporter",
                       "postgres-exporter", "redis-exporter"}
    key = staged(deployed, "monitoring-app-2-prometheus")["web/tls/key.pem"]
    assert key == SECRETS[f"{NS}:hostTlsKey-app-2"]


def test_no_secret_in_plain_state_outputs_environment_or_command_lines(deployed: Deployment) -> None:
    plain = plain_text(deployed)
    for key, value in SECRETS.items():
        marker = value.splitlines()[1] if "-----BEGIN" in value else value
        assert marker not in plain, f"{key} leaks into plain state"
    exposed = json.dumps([{k: unwrap(dict(r.inputs)).get(k) for k in ("envs", "command", "entrypoints")}
                          for r in deployed.of_type(CONTAINER)])
    assert "TEST-SECRET" not in exposed and "generated-web-auth-password" not in exposed
    assert all(not secret for name, (_, secret) in deployed.outputs.items() if name.endswith("Urls"))


def test_vmauth_reads_its_own_hosts_store_first_from_a_secret_config(deployed: Deployment) -> None:
    uploads = dict(deployed.named(CONTAINER, "monitoring-app-1-vmauth").inputs)["uploads"]
    assert is_secret(uploads)
    (config,) = [u for u in unwrap(uploads) if u["file"] == "/run/secrets/vmauth.yml"]
    (user,) = yaml.safe_load(config["content"])["users"]
    assert user["url_prefix"] == ["https://10.0.1.11:8428/", "https://10.0.1.12:8428/"]
    assert user["load_balancing_policy"] == "first_available"
    assert user["password"] == "generated-web-auth-password"


def test_a_drained_host_is_left_exactly_as_it_is(every_host_answers: list[tuple[str, int]]) -> None:
    deployment = run_program("prod", example_config(host1={"drain": True}), SECRETS)
    for (typ, name), ignored in deployment.ignore_changes.items():
        if name.startswith("monitoring-app-2-"):
            assert ignored == ["*"], name
        elif typ.startswith("docker:index/"):
            assert ignored == [], name
    assert ("10.0.1.12", 2376) not in every_host_answers
    # The others still name it: it stays a peer, a target, a store.
    assert "10.0.1.12:9093" in staged(deployment, "monitoring-app-1-prometheus")["prometheus.yml"]


def test_an_unreachable_host_stops_the_deploy_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(program, "REACHABLE", lambda host, port, timeout: host != "10.0.1.12")
    with pytest.raises(pulumi.RunError) as caught:
        run_program("prod", example_config(), SECRETS)
    assert str(caught.value) == (
        f"stack 'prod': {NS}:hosts.1.docker: host app-2 (tcp://10.0.1.12:2376) does not answer; bring it back, or "
        f"deploy the rest without it: pulumi config set --path '{NS}:hosts[1].drain' true (docs/multi-host.md, "
        "\"Deploying while a host is down\")")
