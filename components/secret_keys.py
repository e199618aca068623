"""Every secret the stack handles, by key: what it is and what reads it.

The one place a secret key is written.  Settings validate config against ``CONFIG_SECRETS``, the areas ask
for a value by its entry here (``PAGERDUTY_ROUTING_KEY.key``), and the configuration reference lists them
from this table.  Config secrets are set with ``pulumi config set --secret <key>``; a key without a
namespace belongs to the project.  Generated secrets never come from config: the Pulumi program creates them
(``program.py``) and hands them to the containers next to the config ones, under the same kind of key.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SecretKey:
    """One secret: its key, what it is, and what reads it."""

    key: str
    description: str
    used_by: str
    """The file, receiver, container or provider that reads the value."""
    alertmanager_file: str | None = None
    """The credential file Alertmanager reads it from (under ``notifications.secretsDir``), if it does."""
    generated: bool = False
    """Created by the program (``random.RandomPassword``), never set in config."""


SLACK_BOT_TOKEN_FILE = "slack-bot-token"
"""Alertmanager's bot token file: ``alertmanagerSlackToken``, or ``slack:token`` with ``useProviderToken``."""

GRAFANA_ADMIN_PASSWORD = SecretKey(
    "grafanaAdminPassword", "Grafana admin password",
    "the Grafana container (its admin password file) and the Grafana provider's login")
SMTP_PASSWORD = SecretKey(
    "smtpPassword", "SMTP password for e-mail notifications",
    "Alertmanager's e-mail integrations (`auth_password_file`)", alertmanager_file="smtp-password")
SLACK_WEBHOOK_URL = SecretKey(
    "slackWebhookUrl",
    "Slack incoming-webhook URL Alertmanager posts through (notifications.slack.delivery webhook) for every channel "
    "without a webhook of its own",
    "Alertmanager's Slack integrations (`api_url_file`)", alertmanager_file="slack-webhook-url")
SLACK_WEBHOOK_URL_CRITICAL = SecretKey(
    "slackWebhookUrlCritical", "incoming-webhook URL of the critical channel (notifications.slack.channelWebhooks)",
    "Alertmanager's Slack integration of the critical channel", alertmanager_file="slack-webhook-url-critical")
SLACK_WEBHOOK_URL_WARNINGS = SecretKey(
    "slackWebhookUrlWarnings", "incoming-webhook URL of the warnings channel (notifications.slack.channelWebhooks)",
    "Alertmanager's Slack integration of the warnings channel", alertmanager_file="slack-webhook-url-warnings")
SLACK_WEBHOOK_URL_INFO = SecretKey(
    "slackWebhookUrlInfo", "incoming-webhook URL of the info channel (notifications.slack.channelWebhooks)",
    "Alertmanager's Slack integration of the info channel", alertmanager_file="slack-webhook-url-info")
POSTGRES_EXPORTER_PASSWORD = SecretKey(
    "postgresExporterPassword", "password of the database user postgres-exporter logs in as",
    "the postgres-exporter container (`DATA_SOURCE_PASS_FILE`)")
PAGERDUTY_ROUTING_KEY = SecretKey(
    "pagerdutyRoutingKey", "Events API v2 routing key of an externally managed production service",
    "Alertmanager's PagerDuty integrations (`routing_key_file`); replaced by the key of the production service "
    "when incident.pagerduty creates it", alertmanager_file="pagerduty-routing-key")
PAGERDUTY_DATABASE_ROUTING_KEY = SecretKey(
    "pagerdutyDatabaseRoutingKey", "Events API v2 routing key of an externally managed database service",
    "Alertmanager's pagerduty-database receiver (`routing_key_file`); replaced by the key of the database service "
    "when incident.pagerduty creates it", alertmanager_file="pagerduty-database-routing-key")
PAGERDUTY_TOKEN = SecretKey(
    "pagerduty:token", "PagerDuty API token of the pagerduty provider", "the pagerduty provider (incident.pagerduty)")
ALERTMANAGER_SLACK_TOKEN = SecretKey(
    "alertmanagerSlackToken",
    "Slack bot token Alertmanager posts with (notifications.slack.delivery bot): scope chat:write only",
    "Alertmanager's Slack integrations (`credentials_file`)", alertmanager_file=SLACK_BOT_TOKEN_FILE)
SLACK_PROVIDER_TOKEN = SecretKey(
    "slack:token",
    "Slack bot token of the slack provider (manages channels); Alertmanager posts with it only when "
    "notifications.slack.useProviderToken is true",
    "the slack provider (incident.slack); Alertmanager's Slack integrations with useProviderToken",
    alertmanager_file=SLACK_BOT_TOKEN_FILE)
HEARTBEAT_URL = SecretKey(
    "heartbeatUrl",
    "ping URL of the dead-man's switch (e.g. a healthchecks.io check expecting a ping every 5 minutes): whoever "
    "holds it can keep the check green, so it is a credential",
    "Alertmanager's watchdog receiver (`url_file`)", alertmanager_file="heartbeat-url")
SENTRY_TOKEN = SecretKey(
    "sentry:token", "Sentry auth token of the sentry provider", "the sentry provider (incident.sentry)")

WEB_AUTH_PASSWORD = SecretKey(
    "webAuthPassword", "password of the stack's credential for Prometheus and Alertmanager (webAuth)",
    "Prometheus' own client configs, Grafana's datasources, the operator commands (stack output webAuthPassword)",
    generated=True)
WEB_AUTH_CONFIG = SecretKey(
    "webAuthConfig", "Prometheus' and Alertmanager's web config: the user and the password's bcrypt hash",
    "Prometheus and Alertmanager (`--web.config.file`)", generated=True)
WEB_AUTH_AUTHORIZATION = SecretKey(
    "webAuthAuthorization", "the pre-encoded `Authorization: Basic` value of the credential",
    "the healthchecks and reload jobs of Prometheus and Alertmanager (read from a file by `sh -c`)", generated=True)

REGISTRY: tuple[SecretKey, ...] = (
    GRAFANA_ADMIN_PASSWORD, SMTP_PASSWORD, SLACK_WEBHOOK_URL, SLACK_WEBHOOK_URL_CRITICAL, SLACK_WEBHOOK_URL_WARNINGS,
    SLACK_WEBHOOK_URL_INFO, POSTGRES_EXPORTER_PASSWORD, PAGERDUTY_ROUTING_KEY, PAGERDUTY_DATABASE_ROUTING_KEY,
    PAGERDUTY_TOKEN, ALERTMANAGER_SLACK_TOKEN, SLACK_PROVIDER_TOKEN, HEARTBEAT_URL, SENTRY_TOKEN,
    WEB_AUTH_PASSWORD, WEB_AUTH_CONFIG, WEB_AUTH_AUTHORIZATION,
)
CONFIG_SECRETS: dict[str, SecretKey] = {secret.key: secret for secret in REGISTRY if not secret.generated}
"""The secret config keys a stack may set, by key."""
