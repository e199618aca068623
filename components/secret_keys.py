"""Every secret the stack handles, by key: what it is and what reads it.

The one place a secret key is written.  Settings validate config against ``CONFIG_SECRETS``, the areas ask
for a value by its entry here (``PAGERDUTY_ROUTING_KEY.key``), and the configuration reference lists them
from this table.  Config secrets are set with ``pulumi config set --secret <key>``; a key without a
namespace belongs to the project.  Generated secrets never come from config: the Pulumi program creates them
(``program.py``) and hands them to the containers next to the config ones, under the same kind of key.
"""

from __future__ import annotations

import re
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
    per_host: bool = False
    """One value per host of a multi-host stack, under ``<key>-<host name>`` (``hostTlsCert-app-1``)."""

    def of_host(self, host: str) -> str:
        """The config key of host ``host``'s value of a per-host secret."""
        if not self.per_host:
            raise ValueError(f"{self.key} is one value for the whole stack")
        return f"{self.key}-{host}"


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

DOCKER_TLS_CA = SecretKey(
    "dockerTlsCa", "CA certificate (PEM) the Docker daemons of a multi-host stack's tcp:// hosts present",
    "the docker provider of every tcp:// host (hosts[].docker)")
DOCKER_TLS_CERT = SecretKey(
    "dockerTlsCert", "client certificate (PEM) `pulumi up` presents to the Docker daemons of the tcp:// hosts",
    "the docker provider of every tcp:// host (hosts[].docker)")
DOCKER_TLS_KEY = SecretKey(
    "dockerTlsKey", "key (PEM) of dockerTlsCert", "the docker provider of every tcp:// host (hosts[].docker)")
HOST_TLS_CA = SecretKey(
    "hostTlsCa", "CA certificate (PEM) of the hosts' own certificates (hostTlsCert-<host>)",
    "every monitoring daemon of a multi-host stack that calls another host (scrapes, alerts, gossip, remote write)")
HOST_TLS_CERT = SecretKey(
    "hostTlsCert",
    "a host's certificate (PEM; serverAuth and clientAuth, subject alternative name = its address)",
    "the daemons of that host that serve or call over the network: Prometheus, Alertmanager (web and gossip), "
    "VictoriaMetrics, vmauth, node-exporter, postgres-exporter, redis-exporter", per_host=True)
HOST_TLS_KEY = SecretKey(
    "hostTlsKey", "key (PEM) of hostTlsCert-<host>", "the same daemons as hostTlsCert-<host>", per_host=True)
VMAUTH_CONFIG = SecretKey(
    "vmauthConfig", "vmauth's configuration: the stack's credential and the backends it reads (multi-host)",
    "vmauth on Grafana's host (`-auth.config`)", generated=True)

REGISTRY: tuple[SecretKey, ...] = (
    GRAFANA_ADMIN_PASSWORD, SMTP_PASSWORD, SLACK_WEBHOOK_URL, SLACK_WEBHOOK_URL_CRITICAL, SLACK_WEBHOOK_URL_WARNINGS,
    SLACK_WEBHOOK_URL_INFO, POSTGRES_EXPORTER_PASSWORD, PAGERDUTY_ROUTING_KEY, PAGERDUTY_DATABASE_ROUTING_KEY,
    PAGERDUTY_TOKEN, ALERTMANAGER_SLACK_TOKEN, SLACK_PROVIDER_TOKEN, HEARTBEAT_URL, SENTRY_TOKEN,
    WEB_AUTH_PASSWORD, WEB_AUTH_CONFIG, WEB_AUTH_AUTHORIZATION,
    DOCKER_TLS_CA, DOCKER_TLS_CERT, DOCKER_TLS_KEY, HOST_TLS_CA, HOST_TLS_CERT, HOST_TLS_KEY, VMAUTH_CONFIG,
)

_HOST_SUFFIX = re.compile(r"(?P<key>[A-Za-z]+)-(?P<host>[a-z0-9][a-z0-9-]{0,31})")


class ConfigSecrets(dict[str, SecretKey]):
    """The secret config keys by key; a per-host key is in it only with a host name (``hostTlsCert-app-1``, any host:
    whether it exists is the settings' check)."""

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> SecretKey:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: str, default: SecretKey | None = None) -> SecretKey | None:  # type: ignore[override]
        if dict.__contains__(self, key):
            exact: SecretKey = dict.__getitem__(self, key)
            return default if exact.per_host else exact  # a per-host key only with its host
        match = _HOST_SUFFIX.fullmatch(key) if isinstance(key, str) else None
        entry = dict.get(self, match["key"]) if match else None
        return entry if entry is not None and entry.per_host else default


CONFIG_SECRETS = ConfigSecrets({secret.key: secret for secret in REGISTRY if not secret.generated})
"""The secret config keys a stack may set, by key (per-host ones as ``<key>-<host>``)."""


def per_host_base(key: str) -> str | None:
    """The per-host secret ``key`` names without a valid host (``hostTlsKey``, ``hostTlsKey-App_1``): still a
    secret, never to be advised into plain text."""
    for secret in REGISTRY:
        if secret.per_host and (key == secret.key or key.startswith(f"{secret.key}-")):
            return secret.key
    return None
