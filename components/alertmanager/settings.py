"""Alertmanager routing and receivers (config key ``notifications``)."""

from __future__ import annotations

from components.model import ConfigModel


class SlackChannels(ConfigModel):
    """Slack channel names (without ``#``): Alertmanager posts to them, the Slack component creates them."""

    critical: str = "alerts-critical"
    warnings: str = "alerts-warnings"
    info: str = "alerts-info"
    incidents: str = "incidents"


class SlackNotifications(ConfigModel):
    enabled: bool = False
    channels: SlackChannels = SlackChannels()


class PagerDutyNotifications(ConfigModel):
    enabled: bool = False


class EmailNotifications(ConfigModel):
    enabled: bool = False


class NotificationSettings(ConfigModel):
    """Where alerts go, per severity."""

    pagerduty: PagerDutyNotifications = PagerDutyNotifications()
    slack: SlackNotifications = SlackNotifications()
    email: EmailNotifications = EmailNotifications()
