"""What the operator commands need to know of a stack besides what it deploys (``render.operator_view``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.alertmanager.settings import RouteTimings
    from components.containers.urls import PublicUrls
    from components.context import StackContext
    from components.webauth.settings import WebAuthSettings


@dataclass(frozen=True)
class OperatorView:
    """The stack's identity, where it answers and who logs in, its route timings and runbook."""

    context: StackContext
    urls: PublicUrls
    """The URLs the settings give when the stack's outputs cannot be read."""
    grafana_admin_user: str
    grafana_password_generated: bool
    """The stack generates Grafana's admin password and exports it (``grafana.generateAdminPassword``)."""
    web_auth: WebAuthSettings
    timings: RouteTimings
    """Alertmanager's route timings (``notifications.timing``): how long a test alert must stay active."""
    runbook_base_url: str
