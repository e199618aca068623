"""The Docker hosts of a stack spread over several machines (config keys ``hosts``, ``alertmanagerCluster``,
``store``).

A stack without ``hosts`` is the single-host stack: nothing here is read, and ``alertmanagerCluster`` and
``store`` may not be set.  With ``hosts``, every host says how ``pulumi up`` reaches its Docker engine, its
address on the network the hosts share, and what it runs (``roles``; ``placement.py`` maps them to containers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import IPv4Address
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator

from components.durations import duration
from components.model import ConfigModel, DockerHost, Kind, pattern, split_host_port, text
from components.secret_keys import (
    DOCKER_TLS_CA,
    DOCKER_TLS_CERT,
    DOCKER_TLS_KEY,
    HOST_TLS_CA,
    HOST_TLS_CERT,
    HOST_TLS_KEY,
    SecretKey,
)

Role = Literal["app", "postgres", "redis", "monitoring", "alertmanager", "store", "grafana"]
"""What a host runs: ``app`` an API replica and the web app (their targets follow the host); ``postgres`` and
``redis`` the app's database and cache; ``monitoring`` a Prometheus replica; ``alertmanager`` a peer of the
Alertmanager cluster; ``store`` a VictoriaMetrics node of the long-term view; ``grafana`` Grafana and its reader."""
ROLES: tuple[Role, ...] = get_args(Role)
AT_LEAST_TWO: dict[Role, str] = {
    "monitoring": "HA needs 2 or more (one Prometheus replica each)",
    "alertmanager": "the cluster needs peers on 2 or more hosts (3 keep paging with one host down and another drained)",
    "store": "the long-term view needs 2 to survive losing a host",
}
EXACTLY_ONE: dict[Role, str] = {
    "postgres": "the stack watches one database",
    "redis": "the stack watches one Redis",
    "grafana": "one Grafana per stack",
}


def _check_address(value: str) -> str:
    try:
        return str(IPv4Address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address (Alertmanager's advertise address must be one; give the "
                         "host's address on the network the hosts share)") from None


def _check_retention(value: str) -> None:
    days = int(value[:-1]) * {"d": 1, "w": 7, "y": 365}[value[-1]]
    if days > MAX_RETENTION_DAYS:
        raise ValueError(f"{value!r} is longer than VictoriaMetrics keeps data (at most 100y)")


HostName = Annotated[str, pattern(
    "host name", r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?",
    "a host name here: lower-case letters, digits and '-' (at most 32, not starting or ending with '-')",
    max_length=32)]
HostAddress = Annotated[str, Kind("IPv4 address", "an IPv4 address such as 10.0.1.11", _check_address,
                                  family="address", max_length=15)]
SshOption = Annotated[str, text(255)]
MAX_RETENTION_DAYS = 36500
"""VictoriaMetrics keeps data at most 1200 months."""
Retention = Annotated[str, pattern(
    "retention", r"[1-9][0-9]{0,4}[dwy]", "a whole number of days, weeks or years such as 400d, 56w or 2y (what "
    "VictoriaMetrics' -retentionPeriod and Prometheus both read)", check=_check_retention)]


class HostSettings(ConfigModel):
    """One Docker host of the stack."""

    name: HostName
    """Lower-case letters, digits and '-' (up to 32): in resource names, the ``host`` label of its series, the
    per-host secrets (``hostTlsCert-<name>``)."""
    docker: DockerHost
    """How ``pulumi up`` reaches its Docker engine: ``ssh://user@host`` or ``tcp://host:2376`` (mutual TLS with
    the secrets ``dockerTlsCa``, ``dockerTlsCert``, ``dockerTlsKey``; plain TCP is refused)."""
    address: HostAddress
    """Its IPv4 address on the network the hosts share: where the other hosts reach its published ports and
    where its Alertmanager peer advertises itself (an IP, not a name: Alertmanager's gossip needs one)."""
    roles: list[Role] = Field(default_factory=list)
    """What it runs besides node-exporter and cAdvisor (which run on every host): any of ``app``, ``postgres``,
    ``redis``, ``monitoring``, ``alertmanager``, ``store``, ``grafana``."""
    drain: bool = False
    """The host is down and ``pulumi up`` should deploy the rest: its resources are left exactly as they are
    (neither updated nor deleted), the others' documents still name it.  Set it back to false once the host is
    up and run ``pulumi up`` again."""
    ssh_opts: list[SshOption] = Field(default_factory=list)
    """Extra ssh options of an ``ssh://`` endpoint (e.g. ``["-i", "/home/ops/.ssh/deploy"]``)."""

    @field_validator("docker")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value.startswith("unix://"):
            raise ValueError(f"{value!r} is this machine's engine, not another host's; give the address `pulumi up` "
                             "reaches the host by: ssh://user@host or tcp://host:port with TLS")
        return value  # the grammar: DockerHost; the TLS material of tcp://: the secrets dockerTls* (required)

    @field_validator("roles")
    @classmethod
    def _once(cls, value: list[Role]) -> list[Role]:
        twice = sorted({role for role in value if value.count(role) > 1})
        if twice:
            raise ValueError(f"{twice} listed twice; list each role once")
        return value

    @property
    def uses_tcp(self) -> bool:
        return self.docker.startswith("tcp://")

    @property
    def endpoint(self) -> tuple[str, int]:
        """Host and port ``pulumi up`` connects to (ssh: 22 unless given)."""
        rest = self.docker.split("://", 1)[1].rsplit("@", 1)[-1].rstrip("/")  # tcp://host:port/ is Docker's too
        if rest.rsplit(":", 1)[-1].isdigit() and (not rest.startswith("[") or "]:" in rest):
            host, port = split_host_port(rest)  # checked by the field's validator: never raises here
            return host.strip("[]"), port
        return rest.strip("[]"), 22


class AlertmanagerClusterSettings(ConfigModel):
    """The Alertmanager peers of a multi-host stack (one per host with role ``alertmanager``), gossiping over
    mutual TLS on port 9094 (TCP only: no UDP, so Docker's stale UDP conntrack entries of a replaced peer never
    leave a ghost member)."""

    peer_timeout: Annotated[str, duration("10ms", "1m", consumer="Alertmanager (--cluster.peer-timeout)")] = "1500ms"
    """How long each peer waits per peer before it in the member list before notifying
    (``--cluster.peer-timeout``; Alertmanager's default is 15s).  Short enough that a peer that rejoined while an
    alert fired cannot re-page it after its resolve (docs/multi-host.md, "A rejoined peer and the resolve"; the
    settings refuse a longer one); a duplicate *firing* it may send meanwhile is merged by PagerDuty."""
    settle_timeout: Annotated[str, duration("10ms", "10m", consumer="Alertmanager (--cluster.settle-timeout)")] = "2s"
    """The longest a (re)started peer waits for gossip to settle before notifying (``--cluster.settle-timeout``;
    default 1m): part of the same window.  The full state arrives by push-pull when it joins."""
    reconnect_timeout: Annotated[str, duration("1s", "12h", consumer="Alertmanager (--cluster.reconnect-timeout)")] = (
        "5m")
    """How long peers keep trying to reach a peer that left before forgetting it (``--cluster.reconnect-timeout``,
    default 6h): a host replaced under a new address leaves no ghost member for hours."""


class StoreSettings(ConfigModel):
    """The long-term view of a multi-host stack: one VictoriaMetrics single-node per host with role ``store`` (HTTPS on
    port 8428 of its address), each written by both Prometheus replicas and deduplicating at the scrape interval;
    Grafana reads them through vmauth on its own host (HTTPS on port 8427 of its address), its own host's store
    first."""

    retention: Retention = "400d"
    """How long samples are kept (``-retentionPeriod``)."""


def hosts_problems(hosts: Sequence[HostSettings], *, docker_host: str | None, web_auth: bool,
                   grafana_api_without_url: bool) -> list[str]:
    """One line per problem of the hosts as a whole, each starting with its key (``hosts``, ``docker.host`` …)."""
    problems = []
    if len(hosts) == 1:
        problems.append("hosts: only 1 host; a multi-host stack needs 2 or more (remove hosts for the single-host "
                        "stack)")
    for label, values in (("name", [h.name for h in hosts]), ("address", [h.address for h in hosts])):
        for value in sorted({v for v in values if values.count(v) > 1}):
            where = ", ".join(f"hosts.{i}" for i, v in enumerate(values) if v == value)
            problems.append(f"hosts: {label} {value} appears more than once ({where}); each host needs its own")
    holders = {role: [h.name for h in hosts if role in h.roles] for role in ROLES}
    for role in ROLES:
        names = holders[role]
        if not names:
            problems.append(f"hosts: no host has role {role}; give it to one")
        elif role in AT_LEAST_TWO and len(names) < 2:
            problems.append(f"hosts: role {role} is held by 1 host ({names[0]}); {AT_LEAST_TWO[role]}")
        elif role in EXACTLY_ONE and len(names) > 1:
            problems.append(f"hosts: role {role} is held by {len(names)} hosts ({', '.join(names)}); "
                            f"{EXACTLY_ONE[role]}: give it to one")
    grafana = [h for h in hosts if "grafana" in h.roles]
    if len(grafana) == 1 and "store" not in grafana[0].roles:
        problems.append(f"hosts: Grafana's host {grafana[0].name} has no role store; give it store too (Grafana "
                        "reads its own host's store first, so losing another host never slows it)")
    if hosts and all(h.drain for h in hosts):
        problems.append("hosts: every host is drained, so nothing would be deployed; set drain: false on the hosts "
                        "that are back")
    if docker_host is not None:
        problems.append("docker.host: set together with hosts, where each host names its own Docker endpoint "
                        "(hosts.N.docker); remove docker.host")
    if not web_auth:
        problems.append("webAuth.enabled: false, but the hosts call each other's Prometheus, Alertmanager and "
                        "stores over the network with the stack's credential; remove webAuth.enabled")
    if grafana_api_without_url:
        problems.append("grafana.rootUrl: required with hosts when grafana.provisioning is 'api' (the Grafana "
                        "provider runs where `pulumi up` runs and must reach Grafana on its host), unless "
                        "grafana.provisioning is 'files'")
    return problems


PEM_KINDS: dict[str, str] = {
    DOCKER_TLS_CA.key: "CERTIFICATE", DOCKER_TLS_CERT.key: "CERTIFICATE", DOCKER_TLS_KEY.key: "PRIVATE KEY",
    HOST_TLS_CA.key: "CERTIFICATE", HOST_TLS_CERT.key: "CERTIFICATE", HOST_TLS_KEY.key: "PRIVATE KEY",
}
"""What each TLS secret holds (a PEM block of this kind; keys may be ``RSA``/``EC PRIVATE KEY`` blocks)."""


def pem_problem(secret: SecretKey, value: str) -> str | None:
    """Why ``value`` is not the PEM material ``secret`` holds, or None (other secrets: None).  Never quotes it."""
    kind = PEM_KINDS.get(secret.key)
    if kind is None:
        return None
    begins = re.search(r"-----BEGIN ([A-Z ]+)-----", value)
    if begins is None or not begins[1].endswith(kind) or f"-----END {begins[1]}-----" not in value:
        return (f"not a PEM {kind.lower()} (a -----BEGIN {kind}----- block); set it from the file: "
                f"pulumi config set --secret {secret.key}{'-<host>' if secret.per_host else ''} < file.pem")
    return None
