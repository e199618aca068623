"""The stack's public URLs: where people (and the Grafana provider) reach the three UIs.

One place computes them for the containers' flags, the stack outputs and the operator commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings import StackSettings


def _published(settings: StackSettings, port: int) -> str:
    return f"http://{settings.docker.bind_address}:{port}"


def prometheus_url(settings: StackSettings) -> str:
    """Where people reach Prometheus (alert source links); the published port unless configured."""
    return (settings.prometheus.external_url or _published(settings, settings.ports.prometheus)).rstrip("/")


def alertmanager_url(settings: StackSettings) -> str:
    """Where people reach Alertmanager (the links notifications carry)."""
    return (settings.notifications.external_url or _published(settings, settings.ports.alertmanager)).rstrip("/")


def grafana_url(settings: StackSettings) -> str:
    """Where people, and the Grafana provider, reach Grafana."""
    return (settings.grafana.root_url or _published(settings, settings.ports.grafana)).rstrip("/")
