"""PagerDuty, Slack and Sentry resources (config key ``incident``)."""

from __future__ import annotations

from components.model import ConfigModel


class IncidentSettings(ConfigModel):
    """Which SaaS incident-response resources this stack manages."""
