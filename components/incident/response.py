"""``IncidentResponse``: builds the enabled ones of PagerDuty, Slack and Sentry for one stack.

Wiring in ``__main__``: create it before Alertmanager, then put ``routing_keys`` into the
settings' secrets (``pagerdutyRoutingKey``, ``pagerdutyDatabaseRoutingKey``) so the rendered
Alertmanager config reads them from secret uploads in the same ``pulumi up``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from components.alertmanager.settings import SlackChannels
from components.incident.pagerduty import PagerDuty
from components.incident.sentry import Sentry
from components.incident.slack import Slack

if TYPE_CHECKING:
    from components.settings import StackSettings


def provider_token(settings: StackSettings, key: str) -> pulumi.Input[str]:
    """The value of the provider token ``key``; a one-line error when it is not set."""
    secret = settings.secret(key)
    if secret is None:
        raise ValueError(f"{key}: required by the incident settings; `pulumi config set --secret {key} <value>`")
    value: pulumi.Input[str] = secret.value
    return value


def shared_channel_names(settings: StackSettings) -> list[str]:
    """Default Slack channel names used by a non-production stack (it would share prod's channels)."""
    if settings.environment == "production":
        return []
    names = settings.notifications.slack.channels.model_dump()
    defaults = SlackChannels().model_dump()
    return sorted(name for key, name in names.items() if defaults.get(key) == name)


class IncidentResponse(pulumi.ComponentResource):
    """PagerDuty, Slack and Sentry for one stack; only the enabled ones are created."""

    routing_keys: dict[str, pulumi.Output[str]]
    """Secret Events API v2 keys by secret config key; empty when PagerDuty is off."""
    pagerduty_service_ids: dict[str, pulumi.Output[str]]
    slack_channel_ids: dict[str, pulumi.Output[str]]
    sentry_dsn: pulumi.Output[str] | None
    sentry_env: pulumi.Output[str] | None

    def __init__(self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("internet-id:incident:IncidentResponse", name, None, opts)
        incident = settings.incident
        self.pagerduty: PagerDuty | None = None
        self.slack: Slack | None = None
        self.sentry: Sentry | None = None
        self.routing_keys = {}
        self.pagerduty_service_ids = {}
        self.slack_channel_ids = {}
        self.sentry_dsn = None
        self.sentry_env = None
        child = pulumi.ResourceOptions(parent=self)

        if incident.pagerduty.enabled:
            self.pagerduty = PagerDuty(
                f"{name}-pagerduty", incident.pagerduty, provider_token(settings, "pagerduty:token"), opts=child
            )
            self.routing_keys = dict(self.pagerduty.routing_keys)
            self.pagerduty_service_ids = dict(self.pagerduty.service_ids)

        if incident.slack.enabled:
            shared = shared_channel_names(settings)
            if shared:
                pulumi.log.warn(
                    f"stack {settings.stack!r} uses the default Slack channel names {shared}, which production uses "
                    "too; set distinct internet-id-monitoring:notifications.slack.channels for this stack"
                )
            self.slack = Slack(
                f"{name}-slack",
                incident.slack,
                channel_names=settings.notifications.slack.channels.model_dump(),
                environment=settings.environment,
                token=provider_token(settings, "slack:token"),
                opts=child,
            )
            self.slack_channel_ids = dict(self.slack.channel_ids)

        if incident.sentry.enabled:
            self.sentry = Sentry(
                f"{name}-sentry",
                incident.sentry,
                settings.environment,
                provider_token(settings, "sentry:token"),
                opts=child,
            )
            self.sentry_dsn = self.sentry.dsn
            self.sentry_env = self.sentry.env

        outputs: dict[str, object] = {
            "pagerdutyServiceIds": self.pagerduty_service_ids,
            "slackChannelIds": self.slack_channel_ids,
        }
        if self.sentry_dsn is not None:
            outputs["sentryDsn"] = self.sentry_dsn
        self.register_outputs(outputs)
