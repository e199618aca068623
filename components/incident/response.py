"""``IncidentResponse``: builds the enabled ones of PagerDuty, Slack and Sentry for one stack.

Wiring in ``program.py``: create it before the containers and hand ``routing_keys``
(``pagerdutyRoutingKey``, ``pagerdutyDatabaseRoutingKey``) to them with the other secret values, so
Alertmanager reads them from its secret files in the same ``pulumi up``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.alertmanager.settings import SlackChannels
from components.incident.pagerduty import PagerDuty
from components.incident.sentry import Sentry
from components.incident.settings import IncidentSettings
from components.incident.slack import Slack
from components.secret_keys import PAGERDUTY_TOKEN, SENTRY_TOKEN, SLACK_PROVIDER_TOKEN, SecretKey

if TYPE_CHECKING:
    from components.context import StackContext


def shared_channel_names(environment: str, channels: SlackChannels) -> list[str]:
    """Default Slack channel names used by a non-production stack (it would share prod's channels)."""
    if environment == "production":
        return []
    names = channels.model_dump()
    defaults = SlackChannels().model_dump()
    return sorted(name for key, name in names.items() if defaults.get(key) == name)


@dataclass(frozen=True)
class IncidentResponseArgs:
    """What PagerDuty, Slack and Sentry need: the stack, their settings, the Slack channel names, the provider
    tokens."""

    context: StackContext
    incident: IncidentSettings
    slack_channels: SlackChannels
    """The channels Alertmanager posts to (``notifications.slack.channels``), created by the Slack component."""
    tokens: Mapping[str, pulumi.Input[str]]
    """Provider tokens by secret config key (``pagerduty:token`` …); those of the enabled vendors are required."""

    def token(self, secret: SecretKey) -> pulumi.Input[str]:
        value = self.tokens.get(secret.key)
        if value is None:
            raise ValueError(f"{secret.key}: required by the incident settings; "
                             f"`pulumi config set --secret {secret.key} <value>`")
        return value


class IncidentResponse(pulumi.ComponentResource):
    """PagerDuty, Slack and Sentry for one stack; only the enabled ones are created."""

    routing_keys: dict[str, pulumi.Output[str]]
    """Secret Events API v2 keys by secret config key; empty when PagerDuty is off."""
    pagerduty_service_ids: dict[str, pulumi.Output[str]]
    slack_channel_ids: dict[str, pulumi.Output[str]]
    sentry_dsn: pulumi.Output[str] | None
    sentry_env: pulumi.Output[str] | None

    def __init__(self, name: str, args: IncidentResponseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("internet-id:incident:IncidentResponse", name, None, opts)
        incident = args.incident
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
                f"{name}-pagerduty", incident.pagerduty, args.token(PAGERDUTY_TOKEN), opts=child
            )
            self.routing_keys = dict(self.pagerduty.routing_keys)
            self.pagerduty_service_ids = dict(self.pagerduty.service_ids)

        if incident.slack.enabled:
            shared = shared_channel_names(args.context.environment, args.slack_channels)
            if shared:
                pulumi.log.warn(
                    f"stack {args.context.stack!r} uses the default Slack channel names {shared}, which production "
                    "uses too; set distinct internet-id-monitoring:notifications.slack.channels for this stack"
                )
            self.slack = Slack(
                f"{name}-slack",
                incident.slack,
                channels=args.slack_channels,
                environment=args.context.environment,
                token=args.token(SLACK_PROVIDER_TOKEN),
                opts=child,
            )
            self.slack_channel_ids = dict(self.slack.channel_ids)

        if incident.sentry.enabled:
            self.sentry = Sentry(
                f"{name}-sentry",
                incident.sentry,
                args.context.environment,
                args.token(SENTRY_TOKEN),
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
