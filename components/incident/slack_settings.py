"""Slack settings (config key ``incident.slack``): the channels the stack creates, with topic and purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from components.alertmanager.settings import SlackChannels
from components.model import ConfigModel, text

SlackText = Annotated[str, text(250)]
"""A channel topic or purpose: Slack keeps 250 characters."""


class ChannelText(ConfigModel):
    topic: SlackText | None = None
    """Channel topic; default names the environment."""
    purpose: SlackText | None = None
    """Channel purpose; default names the environment."""


class SlackChannelTexts(ConfigModel):
    """Topic/purpose overrides per channel; unset keeps the defaults in ``DEFAULT_CHANNEL_TEXT``."""

    critical: ChannelText = ChannelText()
    warnings: ChannelText = ChannelText()
    info: ChannelText = ChannelText()
    incidents: ChannelText = ChannelText()


DEFAULT_CHANNEL_TEXT: dict[str, tuple[str, str]] = {
    "critical": (
        "Internet-ID {environment}: critical alerts (also paged via PagerDuty)",
        "Alertmanager posts critical alerts of Internet-ID {environment} here; each one needs action now.",
    ),
    "warnings": (
        "Internet-ID {environment}: warnings",
        "Alertmanager posts warning alerts of Internet-ID {environment} here; look at them within the day.",
    ),
    "info": (
        "Internet-ID {environment}: informational alerts",
        "Alertmanager posts info alerts of Internet-ID {environment} here; no action expected.",
    ),
    "incidents": (
        "Internet-ID {environment}: incident coordination",
        "Coordinate ongoing Internet-ID {environment} incidents here: status, decisions, hand-overs.",
    ),
}

class SlackSettings(ConfigModel):
    """Channels named in ``notifications.slack.channels``; the webhook URL stays a secret setting."""

    enabled: bool = False
    """Create (or adopt) the Slack channels named in ``notifications.slack.channels``, one per role (so those
    names must differ)."""
    channels: SlackChannelTexts = SlackChannelTexts()
    adopt_existing_channel: bool = True
    """Take over a channel that already exists under the name instead of failing with ``name_taken``."""
    action_on_destroy: Literal["none", "archive"] = "none"
    """``none``: ``pulumi destroy`` leaves channels and their history; ``archive`` archives them."""
    is_private: bool = False
    """Create private channels instead of public ones."""


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    name: str
    topic: str
    purpose: str


def channel_table(names: SlackChannels, texts: SlackChannelTexts, environment: str) -> list[ChannelSpec]:
    """One row per channel: name from ``notifications.slack.channels`` (validated there: Slack's name rules,
    and distinct when this stack creates them), topic and purpose."""
    specs: list[ChannelSpec] = []
    for key in ("critical", "warnings", "info", "incidents"):
        name: str = getattr(names, key)
        override: ChannelText = getattr(texts, key)
        topic, purpose = DEFAULT_CHANNEL_TEXT[key]
        specs.append(
            ChannelSpec(
                key=key,
                name=name,
                topic=override.topic if override.topic is not None else topic.format(environment=environment),
                purpose=override.purpose if override.purpose is not None else purpose.format(environment=environment),
            )
        )
    return specs
