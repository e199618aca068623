"""The hosts settings: the example stack loads; every problem of a multi-host stack is one line naming its key."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_mapping
from components.secret_keys import CONFIG_SECRETS
from components.secrets import Secret
from components.settings import SettingsError, load_settings
from tests.contexts import EXAMPLE

NS = "internet-id-monitoring"
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


def example() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(EXAMPLE.read_text())["config"])


def hosts(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config[f"{NS}:hosts"]  # type: ignore[no-any-return]


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("prod", config, require_secrets=False)
    return caught.value.problems


def test_the_example_loads_and_its_context_knows_the_hosts() -> None:
    settings = settings_from_mapping("prod", example(), require_secrets=False)
    context = settings.context
    assert [h.name for h in context.hosts] == ["app-1", "app-2", "db-1"]
    assert [h.name for h in context.with_role("alertmanager")] == ["app-1", "app-2", "db-1"]
    assert [h.name for h in context.with_role("store")] == ["app-1", "app-2"]
    assert context.hosts[2].endpoint == ("10.0.1.13", 22) and context.hosts[0].endpoint == ("10.0.1.11", 2376)


def test_a_stack_without_hosts_has_an_empty_fleet() -> None:
    settings = settings_from_mapping("prod", {}, require_secrets=False)
    assert settings.context.hosts == () and not settings.context.multi_host


def drop_role(role: str, name: str) -> Any:
    def change(config: dict[str, Any]) -> None:
        host = next(h for h in hosts(config) if h["name"] == name)
        host["roles"] = [r for r in host["roles"] if r != role]
    return change


def set_host(index: int, **values: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        hosts(config)[index].update(values)
    return change


def put(key: str, value: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        config[f"{NS}:{key}"] = value
    return change


CASES = [
    (lambda c: c.update({f"{NS}:hosts": hosts(c)[:1]}),
     f"{NS}:hosts: only 1 host; a multi-host stack needs 2 or more (remove hosts for the single-host stack)"),
    (set_host(2, name="app-1"), f"{NS}:hosts: name app-1 appears more than once (hosts.0, hosts.2); each host needs "
                                "its own"),
    (set_host(1, address="10.0.1.11"), f"{NS}:hosts: address 10.0.1.11 appears more than once (hosts.0, hosts.1); "
                                       "each host needs its own"),
    (set_host(0, address="app-1.internal"), f"{NS}:hosts.0.address: 'app-1.internal' is not an IPv4 address "
                                            "(Alertmanager's advertise address must be one; give the host's address "
                                            "on the network the hosts share) (got 'app-1.internal')"),
    (set_host(1, docker="tcp://10.0.1.12"), f"{NS}:hosts.1.docker: 'tcp://10.0.1.12': not tcp://host:port "
                                            "(got 'tcp://10.0.1.12')"),
    (set_host(1, docker="http://10.0.1.12:2375"), f"{NS}:hosts.1.docker: 'http://10.0.1.12:2375' is no Docker address: "
                                                  "unix:///path, ssh://[user@]host[:port] or tcp://host:port with TLS "
                                                  "(got 'http://10.0.1.12:2375')"),
    (set_host(1, docker="unix:///var/run/docker.sock"),
     f"{NS}:hosts.1.docker: 'unix:///var/run/docker.sock' is this machine's engine, not another host's; give the "
     "address `pulumi up` reaches the host by: ssh://user@host or tcp://host:port with TLS "
     "(got 'unix:///var/run/docker.sock')"),
    (set_host(1, name="App_2"), f"{NS}:hosts.1.name: 'App_2' is not a host name here: lower-case letters, digits and "
                                "'-' (at most 32, not starting or ending with '-') (got 'App_2')"),
    (set_host(1, roles=["app", "mail"]), f"{NS}:hosts.1.roles.1: Input should be 'app', 'postgres', 'redis', "
                                         "'monitoring', 'alertmanager', 'store' or 'grafana' (got 'mail')"),
    (drop_role("monitoring", "app-2"), f"{NS}:hosts: role monitoring is held by 1 host (app-1); HA needs 2 or more "
                                       "(one Prometheus replica each)"),
    (lambda c: [drop_role("alertmanager", n)(c) for n in ("app-2", "db-1")],
     f"{NS}:hosts: role alertmanager is held by 1 host (app-1); the cluster needs peers on 2 or more hosts (3 keep "
     "paging with one host down and another drained)"),
    (drop_role("store", "app-2"), f"{NS}:hosts: role store is held by 1 host (app-1); the long-term view needs 2 to "
                                  "survive losing a host"),
    (drop_role("postgres", "db-1"), f"{NS}:hosts: no host has role postgres; give it to one"),
    (set_host(1, roles=["app", "monitoring", "alertmanager", "store", "grafana"]),
     f"{NS}:hosts: role grafana is held by 2 hosts (app-1, app-2); one Grafana per stack: give it to one"),
    (lambda c: (drop_role("grafana", "app-1")(c), set_host(2, roles=["postgres", "redis", "alertmanager",
                                                                      "grafana"])(c)),
     f"{NS}:hosts: Grafana's host db-1 has no role store; give it store too (Grafana reads its own host's store "
     "first, so losing another host never slows it)"),
    (lambda c: [h.update(drain=True) for h in hosts(c)],
     f"{NS}:hosts: every host is drained, so nothing would be deployed; set drain: false on the hosts that are back"),
    (put("docker", {"host": "ssh://ops@10.0.1.11"}),
     f"{NS}:docker.host: set together with hosts, where each host names its own Docker endpoint (hosts.N.docker); "
     "remove docker.host"),
    (put("webAuth", {"enabled": False}),
     f"{NS}:webAuth.enabled: false, but the hosts call each other's Prometheus, Alertmanager and stores over the "
     "network with the stack's credential; remove webAuth.enabled"),
    (put("grafana", {"provisioning": "api"}),
     f"{NS}:grafana.rootUrl: required with hosts when grafana.provisioning is 'api' (the Grafana provider runs where "
     "`pulumi up` runs and must reach Grafana on its host), unless grafana.provisioning is 'files'"),
    (put("alertmanagerCluster", {"peerTimeout": "5s"}),
     f"{NS}:alertmanagerCluster.peerTimeout: 5s makes 3 peers wait up to 10s after a flush, so one that rejoined "
     "while an alert fired may page it again after its resolve (with prometheus.evaluationInterval 15s, "
     "notifications.timing.critical.groupWait 10s and settleTimeout 2s the waits must end within 4s); set it below 2s "
     "(docs/multi-host.md, \"A rejoined peer and the resolve\")"),
    (put("notifications", {**example()[f"{NS}:notifications"], "timing": {"critical": {
        "groupWait": "30s", "groupInterval": "5m", "repeatInterval": "1h"}}}),
     f"{NS}:notifications.timing.critical.groupWait: 30s puts the Alertmanager peers' flushes 0s after Prometheus' "
     "evaluations (every 15s), too close to them for the peers' waits, so a peer that rejoined while an alert fired "
     "may page it again after its resolve; use 38s500ms (halfway between the evaluations, past settleTimeout 2s)"),
    (put("alertmanagerCluster", {"settleTimeout": "10s"}),
     f"{NS}:alertmanagerCluster.settleTimeout: 10s leaves a rejoined Alertmanager peer too little of an evaluation "
     "interval (15s) to wait out a resolve with 3 peers waiting up to 3s, whatever the groupWait; set it below 7s "
     "(docs/multi-host.md, \"A rejoined peer and the resolve\")"),
    (put("notifications", {**example()[f"{NS}:notifications"], "timing": {"critical": {
        "groupWait": "10s", "groupInterval": "100s", "repeatInterval": "1h"}}}),
     f"{NS}:notifications.timing.critical.groupInterval: 100s is not a multiple of prometheus.evaluationInterval 15s, "
     "so the Alertmanager peers' flushes drift against Prometheus' sends and one that rejoined while an alert fired "
     "may page it again after its resolve; use a multiple, e.g. 5m"),
]


@pytest.mark.parametrize(("change", "expected"), CASES, ids=range(len(CASES)))
def test_each_problem_is_one_line_naming_its_key(change: Any, expected: str) -> None:
    config = example()
    change(config)
    found = problems(config)
    assert expected in found, found
    assert all("\n" not in line for line in found)


def test_the_cluster_and_the_store_are_refused_without_hosts() -> None:
    found = problems({f"{NS}:alertmanagerCluster": {"peerTimeout": "1s"}, f"{NS}:store": {"retention": "90d"}})
    assert found == [f"{NS}:alertmanagerCluster: set without hosts, and only a multi-host stack reads it; remove it "
                     "or add hosts",
                     f"{NS}:store: set without hosts, and only a multi-host stack reads it; remove it or add hosts"]


def test_tcp_hosts_require_docker_tls_material_and_every_host_its_own_pair() -> None:
    settings = settings_from_mapping("prod", example(), require_secrets=False)
    required = settings.required_secrets()
    assert {"dockerTlsCa", "dockerTlsCert", "dockerTlsKey", "hostTlsCa", "hostTlsCert-app-1", "hostTlsKey-app-1",
            "hostTlsCert-db-1", "hostTlsKey-db-1"} <= set(required)
    assert required["dockerTlsCa"] == "hosts app-1, app-2 use tcp://, which needs mutual TLS"
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("prod", example())
    assert (f"{NS}:dockerTlsKey: required because hosts app-1, app-2 use tcp://, which needs mutual TLS; set it with "
            f"`pulumi config set --secret {NS}:dockerTlsKey <value>`") in caught.value.problems


def test_ssh_only_hosts_need_no_docker_tls() -> None:
    config = example()
    for index, host in enumerate(hosts(config)):
        host["docker"] = f"ssh://ops@10.0.1.{11 + index}"
    required = settings_from_mapping("prod", config, require_secrets=False).required_secrets()
    assert not {"dockerTlsCa", "dockerTlsCert", "dockerTlsKey"} & set(required)


def _load(secrets: dict[str, str]) -> list[str]:
    config = example()
    values = {key.removeprefix(f"{NS}:"): value for key, value in config.items()}
    with pytest.raises(SettingsError) as caught:
        load_settings("prod", values, {k: Secret(k, v, known=v) for k, v in secrets.items()}, require_secrets=False)
    return caught.value.problems


def test_tls_material_must_be_pem_and_is_never_quoted() -> None:
    found = _load({"hostTlsCert-app-1": "not-a-certificate-4711", "hostTlsKey-app-1": CERTIFICATE,
                   "hostTlsCa": CERTIFICATE, "dockerTlsKey": KEY})
    assert found == [
        f"{NS}:hostTlsCert-app-1: not a PEM certificate (a -----BEGIN CERTIFICATE----- block); set it from the file: "
        "pulumi config set --secret hostTlsCert-<host> < file.pem",
        f"{NS}:hostTlsKey-app-1: not a PEM private key (a -----BEGIN PRIVATE KEY----- block); set it from the file: "
        "pulumi config set --secret hostTlsKey-<host> < file.pem",
    ]
    assert "4711" not in "".join(found)


def test_a_per_host_secret_names_a_host_of_the_stack() -> None:
    assert "hostTlsCert-app-9" in CONFIG_SECRETS and "hostTlsCert" not in CONFIG_SECRETS
    assert "app-9Cert" not in CONFIG_SECRETS
    found = _load({"hostTlsCert-app-9": CERTIFICATE})
    assert found == [f"{NS}:hostTlsCert-app-9: no host 'app-9' in hosts; remove it"]


@pytest.mark.parametrize(("key", "secure"), [("hostTlsKey", True), ("hostTlsKey-App_1", True), ("hostTlsCert", False)])
def test_a_per_host_secret_without_a_host_is_never_advised_into_plain_text(key: str, secure: bool) -> None:
    """A TLS key set without (a valid) host is still a secret: the line asks for the host, never for plain text."""
    config = example() | {f"{NS}:{key}": {"secure": "v1:ciphertext"} if secure else "-----BEGIN PRIVATE KEY-----"}
    (line,) = problems(config)
    base = key.split("-", maxsplit=1)[0]
    assert line == (f"{NS}:{key}: {base} is a secret of one host: name the host (a name of `hosts`) after it: "
                    f"`pulumi config set --secret '{NS}:{base}-<host>' <value>`")
    assert "plain" not in line


@pytest.mark.parametrize(("docker", "endpoint"), [
    ("tcp://10.0.1.1:2376/", ("10.0.1.1", 2376)), ("tcp://[fd00::1]:2376", ("fd00::1", 2376)),
    ("ssh://ops@10.0.1.13", ("10.0.1.13", 22)), ("ssh://ops@db.example.net:2222", ("db.example.net", 2222)),
])
def test_every_endpoint_the_settings_accept_gives_the_address_the_reachability_check_asks(
        docker: str, endpoint: tuple[str, int]) -> None:
    config = example()
    hosts(config)[2]["docker"] = docker
    settings = settings_from_mapping("prod", config, require_secrets=False)
    assert settings.context.hosts[2].endpoint == endpoint


@pytest.mark.parametrize(("key", "value", "why"), [
    ("targets", {"api": {"expectedReplicas": 2}}, "targets.api.expectedReplicas: one replica per app host"),
    ("targets", {"api": {"discovery": "static", "staticTargets": ["api:3001"]}},
     "targets.api.discovery: the API replicas follow the hosts' app role"),
    ("ports", {"alertmanager": 9193}, "ports.alertmanager: each peer serves on its host's address at 9093"),
    ("targets", {"scrapeOverrides": {"node-exporter": ["10.0.9.9:9100"]}},
     "targets.scrapeOverrides.node-exporter: a multi-host stack scrapes this job's container on each host that runs "
     "it (only internet-id-api can be re-pointed)"),
])
def test_a_single_host_setting_a_multi_host_stack_would_ignore_is_refused(key: str, value: Any, why: str) -> None:
    config = example()
    config[f"{NS}:{key}"] = {**config.get(f"{NS}:{key}", {}), **value}
    assert f"{NS}:{why}; remove it" in problems(config)


def test_the_api_job_alone_may_be_re_pointed_on_a_multi_host_stack() -> None:
    config = example()
    overrides = {"scrapeOverrides": {"internet-id-api": ["10.0.9.9:3001"]}}
    config[f"{NS}:targets"] = {**config.get(f"{NS}:targets", {}), **overrides}
    rendered = settings_from_mapping("prod", config, require_secrets=False)
    assert rendered.targets.scrape_overrides == {"internet-id-api": ["10.0.9.9:3001"]}
