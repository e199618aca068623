"""Alertmanager routing and receivers (config key ``notifications``).

Every receiver name exists in every stack; a channel that is switched off only changes which
integrations a receiver holds (see ``receivers.py``), never the routing tree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from components.durations import duration, seconds
from components.model import (
    ConfigModel,
    ContainerPath,
    CredentialUrl,
    Email,
    EmailList,
    HostName,
    HostPort,
    Login,
    is_loopback,
    pattern,
    split_host_port,
    text,
)
from components.secret_keys import (
    ALERTMANAGER_SLACK_TOKEN,
    HEARTBEAT_URL,
    PAGERDUTY_DATABASE_ROUTING_KEY,
    PAGERDUTY_ROUTING_KEY,
    SLACK_PROVIDER_TOKEN,
    SLACK_WEBHOOK_URL,
    SLACK_WEBHOOK_URL_CRITICAL,
    SLACK_WEBHOOK_URL_INFO,
    SLACK_WEBHOOK_URL_WARNINGS,
    SMTP_PASSWORD,
    SecretKey,
)

PAGERDUTY_EVENTS_V2_URL = "https://events.pagerduty.com/v2/enqueue"
SLACK_POST_MESSAGE_URL = "https://slack.com/api/chat.postMessage"
SlackChannelName = Annotated[str, pattern(
    "Slack channel", r"[a-z0-9][a-z0-9_-]{0,79}", "a Slack channel name (lower case, digits, - and _; no '#')")]
GroupWait = Annotated[str, duration("0s", consumer="Alertmanager")]
Interval = Annotated[str, duration("1ms", consumer="Alertmanager")]
"""Alertmanager refuses a zero group_interval or repeat_interval; its longest is 292y (2^63 ns)."""


class SlackChannels(ConfigModel):
    """Slack channel names (without ``#``): Alertmanager posts to them, the Slack component creates them."""

    critical: SlackChannelName = "alerts-critical"
    """Channel for critical alerts."""
    warnings: SlackChannelName = "alerts-warnings"
    """Channel for warnings."""
    info: SlackChannelName = "alerts-info"
    """Channel for info alerts when e-mail is off."""
    incidents: SlackChannelName = "incidents"
    """Channel for incident coordination (created, not posted to by Alertmanager)."""


SlackChannelRole = Literal["critical", "warnings", "info"]
"""The channels Alertmanager posts to (``incidents`` is only created, never posted to)."""

WEBHOOK_SECRET_OF_ROLE: dict[str, SecretKey] = {
    "critical": SLACK_WEBHOOK_URL_CRITICAL,
    "warnings": SLACK_WEBHOOK_URL_WARNINGS,
    "info": SLACK_WEBHOOK_URL_INFO,
}
"""The incoming webhook of each channel with one of its own (``delivery: webhook``); the others post through
``SLACK_WEBHOOK_URL``."""


class SlackNotifications(ConfigModel):
    """Slack, through a bot token (``delivery: bot``) or incoming webhooks (``delivery: webhook``).

    ``bot`` (recommended): Alertmanager calls ``chat.postMessage`` with its own bot token
    ``alertmanagerSlackToken``, which needs the scope ``chat:write`` only (with ``useProviderToken``,
    the Slack provider's ``slack:token`` instead, which can also manage channels).  Each message names
    its channel, so every severity lands in its own channel.  The token is read from a file, never
    written into alertmanager.yml.

    ``webhook``: an incoming webhook of a Slack app posts only to the channel it was created for and
    ignores the ``channel`` and ``username`` Alertmanager sends (only legacy custom-integration webhooks
    honoured them).  So each channel needs its own webhook: list the channels in ``channelWebhooks``
    and set ``slackWebhookUrlCritical`` / ``slackWebhookUrlWarnings`` / ``slackWebhookUrlInfo``; a
    channel not listed posts through ``slackWebhookUrl`` and lands wherever that webhook points.
    """

    enabled: bool = False
    """Post critical and warning alerts to Slack (and info alerts when e-mail is off)."""
    delivery: Literal["bot", "webhook"] = "bot"
    """``bot``: ``chat.postMessage`` with the secret ``alertmanagerSlackToken``; ``webhook``: incoming webhooks."""
    use_provider_token: bool = False
    """``delivery: bot`` only: post with the Slack provider's ``slack:token`` instead of
    ``alertmanagerSlackToken``.  That token can also create, rename and archive channels, so whoever
    reads Alertmanager's files holds that power too: only when one token must do both."""
    api_url: CredentialUrl = SLACK_POST_MESSAGE_URL
    """``delivery: bot`` only: the Web API method messages are posted to (a live test points it at a
    local receiver)."""
    channel_webhooks: list[SlackChannelRole] = []
    """``delivery: webhook`` only: channels (``critical``, ``warnings``, ``info``) with an incoming webhook
    of their own (secret ``slackWebhookUrl<Channel>``, e.g. ``slackWebhookUrlCritical``); the others post
    through ``slackWebhookUrl``."""
    channels: SlackChannels = SlackChannels()
    username: Annotated[str, text(80, template_free=True)] = "Alertmanager"
    """Name the messages are posted under: a bot needs the scope ``chat:write.customize`` for it, legacy
    webhooks honour it, app webhooks post under the app's name."""

    @field_validator("channel_webhooks")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} names a channel twice")
        return value

    @model_validator(mode="after")
    def _delivery_fields(self) -> SlackNotifications:
        if self.delivery == "bot" and self.channel_webhooks:
            raise ValueError("channelWebhooks applies to delivery: webhook only (a bot posts to every channel)")
        if self.delivery == "webhook" and "api_url" in self.model_fields_set:
            raise ValueError("apiUrl applies to delivery: bot only (webhook URLs are secrets)")
        if self.delivery == "webhook" and self.use_provider_token:
            raise ValueError("useProviderToken applies to delivery: bot only (webhooks need no token)")
        return self

    @property
    def bot_token_secret(self) -> SecretKey:
        """The token Alertmanager posts with (``delivery: bot``): its own, or the provider's, which can also
        create and archive channels."""
        return SLACK_PROVIDER_TOKEN if self.use_provider_token else ALERTMANAGER_SLACK_TOKEN

    def webhook_secret(self, role: SlackChannelRole) -> SecretKey:
        """The webhook that posts to channel ``role`` (``delivery: webhook``)."""
        return WEBHOOK_SECRET_OF_ROLE[role] if role in self.channel_webhooks else SLACK_WEBHOOK_URL


class PagerDutyNotifications(ConfigModel):
    """PagerDuty Events API v2 (secrets ``pagerdutyRoutingKey``, ``pagerdutyDatabaseRoutingKey``)."""

    enabled: bool = False
    """Page through PagerDuty for critical alerts."""
    url: CredentialUrl = PAGERDUTY_EVENTS_V2_URL
    """Events API v2 endpoint; a live test points it at a local receiver."""
    separate_database_service: bool = True
    """Page database criticals on their own service (the DBA rotation, ``pagerdutyDatabaseRoutingKey``);
    false sends them to the main service (``pagerdutyRoutingKey``) with a ``[Database]`` prefix."""
    client: Annotated[str, text(255, template_free=True)] = "Internet-ID Alertmanager"
    """Name shown as the source of PagerDuty incidents."""

    @field_validator("url")
    @classmethod
    def _events_v2(cls, value: str) -> str:
        if "generic/2010-04-15" in value:
            raise ValueError("that is the Events API v1 endpoint; only Events API v2 (…/v2/enqueue) is used")
        return value


class EmailNotifications(ConfigModel):
    """E-mail over SMTP; with ``username`` set, the password is the secret ``smtpPassword`` (read from a file)."""

    enabled: bool = False
    """Send info alerts by e-mail."""
    to: EmailList | None = None
    """Recipient(s), comma-separated addresses (no names); required when enabled."""
    sender: Email | None = Field(None, alias="from")
    """From address (config key ``from``); required when enabled."""
    smarthost: HostPort | None = None
    """SMTP server as ``host:port``; required when enabled."""
    username: Login | None = None
    """SMTP login; unset means no authentication (and no ``smtpPassword``)."""
    require_tls: bool = True
    """STARTTLS required (Alertmanager's default); false only for a relay on loopback or a test server: with
    ``username``, Alertmanager would send the password in clear."""
    hello: HostName | None = None
    """Host name sent in EHLO; default ``localhost``."""
    send_resolved: bool = True
    """Also e-mail when an alert resolves."""

    @model_validator(mode="after")
    def _complete(self) -> EmailNotifications:
        if self.enabled:
            given = {"to": self.to, "from": self.sender, "smarthost": self.smarthost}
            missing = [key for key, value in given.items() if not value]
            if missing:
                raise ValueError(f"e-mail is enabled but {', '.join(missing)} not set")
        if self.username and not self.require_tls and self.smarthost:
            host, _ = split_host_port(self.smarthost)
            if not is_loopback(host):
                raise ValueError(f"requireTls: false would send the SMTP password to {host} in clear (Alertmanager's "
                                 "LOGIN authentication checks no TLS); keep it true, or relay through loopback")
        return self


class RouteTiming(ConfigModel):
    """How long a route waits before the first notification, between group updates, and before repeating."""

    group_wait: GroupWait
    """Wait before the first notification of a new group (collects alerts that fire together)."""
    group_interval: Interval
    """Wait before notifying about alerts added to a group that was already notified (not zero)."""
    repeat_interval: Interval
    """Wait before repeating a notification that is still firing (not zero)."""

    @model_validator(mode="after")
    def _ordered(self) -> RouteTiming:
        if seconds(self.repeat_interval) < seconds(self.group_interval):
            raise ValueError(
                f"repeatInterval {self.repeat_interval} is shorter than groupInterval {self.group_interval}"
            )
        return self


class RouteTimings(ConfigModel):
    """Timing per severity; ``default`` is the root route (alerts with no known severity).

    A route given only some of its timings keeps its defaults for the others, so
    ``pulumi config set --path '…:notifications.timing.critical.groupWait' 15s`` is enough.
    """

    critical: RouteTiming = RouteTiming(group_wait="10s", group_interval="5m", repeat_interval="1h")
    warning: RouteTiming = RouteTiming(group_wait="30s", group_interval="5m", repeat_interval="4h")
    info: RouteTiming = RouteTiming(group_wait="5m", group_interval="30m", repeat_interval="24h")
    default: RouteTiming = RouteTiming(group_wait="30s", group_interval="5m", repeat_interval="4h")
    watchdog: RouteTiming = RouteTiming(group_wait="10s", group_interval="1m", repeat_interval="5m")

    @model_validator(mode="before")
    @classmethod
    def _defaults_for_what_is_not_given(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name, given in data.items():
            field_info = cls.model_fields.get(name) or next(
                (f for f in cls.model_fields.values() if f.alias == name), None)
            if field_info is None or not isinstance(given, dict) or field_info.default is None:
                continue
            merged[name] = {**field_info.default.model_dump(by_alias=True), **given}
        return merged


class NotificationSettings(ConfigModel):
    """Where alerts go, per severity."""

    pagerduty: PagerDutyNotifications = PagerDutyNotifications()
    slack: SlackNotifications = SlackNotifications()
    email: EmailNotifications = EmailNotifications()
    external_url: CredentialUrl | None = None
    """URL on-call reaches Alertmanager at: the links in every notification (``verify`` and ``test-alert`` send the
    web credential there, so https unless on loopback).  Default ``http://<bindAddress>:<ports.alertmanager>``,
    which only works on the Docker host itself."""
    heartbeat_opt_out: Annotated[str, text(500)] | None = None
    """Why a stack that notifies people has no dead-man's switch (e.g. ``"Watchdog is watched by the
    central Alertmanager"``): the explicit opt-out from the secret ``heartbeatUrl``, kept in the stack file for
    review.  Without it, a stack with PagerDuty or Slack on POSTs the Watchdog alert to the secret ``heartbeatUrl``
    (the only thing that notices a dead Prometheus, Alertmanager or notification path)."""
    secrets_dir: ContainerPath = "/etc/alertmanager/secrets"
    """Absolute directory of the credential files alertmanager.yml points at (Alertmanager reads
    ``*_file`` credentials relative to its working directory, not to the config file).  Not ``/`` and not in
    Alertmanager's data volume (``/alertmanager``: old files would outlive the container); below its config
    directory, the reload job installs them with the config."""
    resolve_timeout: Interval = "5m"
    """Alertmanager marks an alert resolved when Prometheus stops resending it for this long."""
    state_snapshot_interval: Annotated[str, duration("1s", "1h", consumer="Alertmanager")] = "1m"
    """How often Alertmanager writes its notification log and silences to its data volume
    (``--data.maintenance-interval``; Alertmanager's own default is 15m).  A clean stop writes them too, but a
    crash (an OOM kill at ``docker.memoryMb``) loses what changed since the last write: a lost log entry pages
    again for an incident already paged, a lost silence un-mutes."""
    timing: RouteTimings = RouteTimings()

    @model_validator(mode="before")
    @classmethod
    def _heartbeat_url_is_a_secret(cls, data: Any) -> Any:
        """The ping URL was once a plain setting; in plain state it let anyone who reads the state keep the check
        green."""
        if isinstance(data, dict) and {HEARTBEAT_URL.key, "heartbeat_url"} & set(data):
            raise ValueError(
                f"heartbeatUrl: the dead-man's switch's ping URL is a credential: remove it here and set it as a "
                f"secret: pulumi config set --secret {HEARTBEAT_URL.key} <url>")
        return data

    @model_validator(mode="after")
    def _heartbeat_opt_out_says_why(self) -> NotificationSettings:
        if self.heartbeat_opt_out is not None and not self.heartbeat_opt_out.strip():
            raise ValueError("heartbeatOptOut: give the reason this stack has no dead-man's switch")
        if self.secrets_dir == "/":
            raise ValueError("secretsDir: '/' would mix the credential files with the image's own; name a directory")
        return self

    def people_notified(self) -> list[str]:
        """The integrations that notify people."""
        return [name for name, on in (("PagerDuty", self.pagerduty.enabled), ("Slack", self.slack.enabled)) if on]

    @property
    def heartbeat(self) -> bool:
        """The Watchdog alert is POSTed to the secret ``heartbeatUrl``: a stack that pages or posts to people must
        notice when its own pipeline is dead, unless ``heartbeatOptOut`` says why not."""
        return bool(self.people_notified()) and self.heartbeat_opt_out is None

    def required_secrets(self) -> dict[str, str]:
        """Secrets the chosen channels need.  The PagerDuty routing keys are among them; the stack
        drops those its own PagerDuty services provide (``incident.pagerduty``)."""
        required: dict[str, str] = {}
        if self.heartbeat:
            people = self.people_notified()
            required[HEARTBEAT_URL.key] = (
                f"{' and '.join(people)} {'notify' if len(people) > 1 else 'notifies'} people and only a dead-man's "
                "switch notices a dead Prometheus or Alertmanager: a check expecting a ping every 5 minutes (e.g. "
                "https://hc-ping.com/<uuid>); or set notifications.heartbeatOptOut to the reason there is none")
        if self.slack.enabled:
            required.update(self.slack_secrets())
        if self.email.enabled and self.email.username:
            required[SMTP_PASSWORD.key] = "notifications.email.username is set (SMTP authentication)"
        if self.pagerduty.enabled:
            required[PAGERDUTY_ROUTING_KEY.key] = "notifications.pagerduty.enabled is true"
            if self.pagerduty.separate_database_service:
                required[PAGERDUTY_DATABASE_ROUTING_KEY.key] = "notifications.pagerduty.separateDatabaseService is true"
        return required

    def slack_roles(self) -> list[SlackChannelRole]:
        """Channels Alertmanager posts to: critical and warnings, and info when e-mail is off."""
        if not self.slack.enabled:
            return []
        return ["critical", "warnings"] if self.email.enabled else ["critical", "warnings", "info"]

    def slack_secrets(self) -> dict[str, str]:
        """Secrets Slack delivery needs, with the reason."""
        slack = self.slack
        if not slack.enabled:
            return {}
        if slack.delivery == "bot":
            why = ("notifications.slack.useProviderToken is true" if slack.use_provider_token else
                   "notifications.slack.delivery is bot (chat.postMessage with a token of scope chat:write)")
            return {slack.bot_token_secret.key: why}
        required: dict[str, str] = {}
        for role in self.slack_roles():
            key = slack.webhook_secret(role)
            why = (f"notifications.slack.channelWebhooks lists {role}" if key != SLACK_WEBHOOK_URL
                   else "notifications.slack.delivery is webhook")
            required.setdefault(key.key, why)
        return required
