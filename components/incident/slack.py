"""Slack: the channels Alertmanager posts to, with topic and purpose.

The channel names are ``notifications.slack.channels`` (the names Alertmanager uses); this
component never invents its own.  Alertmanager posts with the same bot token
(``notifications.slack.delivery: bot``), or through incoming webhooks, which the Slack API
cannot create: they stay secret settings (``slackWebhookUrl…``).
"""

from __future__ import annotations

import pulumi
import pulumi_slack as slack

from components.alertmanager.settings import SlackChannels
from components.incident.slack_settings import SlackSettings, channel_table


class Slack(pulumi.ComponentResource):
    """Slack channels for alerts and incident coordination."""

    channel_ids: dict[str, pulumi.Output[str]]
    """Channel IDs by role (``critical``, ``warnings``, ``info``, ``incidents``)."""

    def __init__(
        self,
        name: str,
        settings: SlackSettings,
        *,
        channels: SlackChannels,
        environment: str,
        token: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("internet-id:incident:Slack", name, None, opts)
        self.provider = slack.Provider(
            f"{name}-provider", token=pulumi.Output.secret(token), opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.channel_ids = {}
        for spec in channel_table(channels, settings.channels, environment):
            channel = slack.Conversation(
                f"{name}-{spec.key}",
                name=spec.name,
                topic=spec.topic,
                purpose=spec.purpose,
                is_private=settings.is_private,
                adopt_existing_channel=settings.adopt_existing_channel,
                action_on_destroy=settings.action_on_destroy,
                opts=child,
            )
            self.channel_ids[spec.key] = channel.id
        self.register_outputs({"channelIds": self.channel_ids})
