"""What runs where in a multi-host stack: a table from role to containers, walked per host.

Every host runs the agents that describe it (node-exporter, cAdvisor); each role adds its containers.  The
exporters of the database and of Redis run on the host that runs them, where they reach them by name on the
app's network; the blackbox exporter runs beside each Prometheus replica, which sends it its probes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.hosts.settings import ROLES, Role

if TYPE_CHECKING:
    from components.hosts.settings import HostSettings

EVERY_HOST: tuple[str, ...] = ("node-exporter", "cadvisor")
"""The host agents: HostDown judges a host by them."""

ROLE_CONTAINERS: dict[Role, tuple[str, ...]] = {
    "app": (),
    "postgres": ("postgres-exporter",),
    "redis": ("redis-exporter",),
    "monitoring": ("prometheus", "blackbox-exporter"),
    "alertmanager": ("alertmanager",),
    "store": ("victoria-metrics",),
    "grafana": ("grafana", "vmauth"),
}
"""The containers each role adds (``app`` only places the app's targets on the host)."""


def containers_of(host: HostSettings) -> tuple[str, ...]:
    """The containers of ``host``, agents first, then in the order of the roles."""
    return EVERY_HOST + tuple(name for role in ROLES if role in host.roles for name in ROLE_CONTAINERS[role])


def placement(hosts: tuple[HostSettings, ...]) -> dict[str, tuple[str, ...]]:
    """Host name -> its containers."""
    return {host.name: containers_of(host) for host in hosts}


APP_NETWORK_ON_HOST = frozenset({"postgres-exporter", "redis-exporter"})
"""Containers that join the app's network on their host (they reach the database and Redis by name there); the
others reach the app at its hosts' addresses, and a monitoring host need not have the app's network."""
PUBLISHED_ON_BIND_ADDRESS = frozenset({"grafana"})
"""The UIs still published on ``docker.bindAddress`` of their host (loopback by default): Grafana.  Prometheus and
Alertmanager serve HTTPS with the stack's credential on their host's address instead."""
