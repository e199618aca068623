"""The stack's public URLs: where people (and the Grafana provider) reach the three UIs.

One place computes them for the containers' flags, the stack outputs and the operator commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.containers.settings import PortSettings


@dataclass(frozen=True)
class PublicUrls:
    """Where people reach Prometheus (alert source links), Alertmanager (the links notifications carry) and
    Grafana (also the Grafana provider), without a trailing slash."""

    prometheus: str
    alertmanager: str
    grafana: str


def public_urls(bind_address: IPv4Address, ports: PortSettings, *, prometheus: str | None = None,
                alertmanager: str | None = None, grafana: str | None = None) -> PublicUrls:
    """Each UI's configured URL, else its published port on ``bind_address``."""
    def url(configured: str | None, port: int) -> str:
        return (configured or f"http://{bind_address}:{port}").rstrip("/")

    return PublicUrls(prometheus=url(prometheus, ports.prometheus), alertmanager=url(alertmanager, ports.alertmanager),
                      grafana=url(grafana, ports.grafana))
