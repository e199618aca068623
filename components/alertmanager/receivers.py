"""Receivers: the same seven names in every stack; what each holds depends on the channels on.

A channel that is switched off never breaks routing and never silently swallows alerts that
another enabled channel could carry:

- ``pagerduty-critical`` / ``pagerduty-database``: PagerDuty, or nothing (criticals still reach
  ``slack-critical``, so paging off means "no page", not "no notice").
- ``slack-critical`` / ``slack-warnings``: Slack, else e-mail, else nothing.
- ``email-info``: e-mail, else Slack ``#<channels.info>``, else nothing.
- ``default`` (alerts with no known severity): like ``slack-warnings`` (a rule without a valid
  severity is a bug somebody must see).
- ``watchdog``: the heartbeat webhook, or nothing.

"Nothing" is a receiver without integrations: the alert is shown in Alertmanager's UI and API
(and Grafana) only.  That is the dev stack, where every channel is off.

Credentials are never inlined: each integration reads a file under ``notifications.secretsDir``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.alertmanager import routes

if TYPE_CHECKING:
    from components.settings import StackSettings

SLACK_WEBHOOK_FILE = "slack-webhook-url"
PAGERDUTY_ROUTING_KEY_FILE = "pagerduty-routing-key"
PAGERDUTY_DATABASE_ROUTING_KEY_FILE = "pagerduty-database-routing-key"
SMTP_PASSWORD_FILE = "smtp-password"

SECRET_KEY_OF_FILE = {
    SLACK_WEBHOOK_FILE: "slackWebhookUrl",
    PAGERDUTY_ROUTING_KEY_FILE: "pagerdutyRoutingKey",
    PAGERDUTY_DATABASE_ROUTING_KEY_FILE: "pagerdutyDatabaseRoutingKey",
    SMTP_PASSWORD_FILE: "smtpPassword",
}
"""Credential file name -> the secret config key whose value it holds."""


def _t(name: str) -> str:
    return f'{{{{ template "{name}" . }}}}'


def secret_path(settings: StackSettings, file_name: str) -> str:
    return f"{settings.notifications.secrets_dir.rstrip('/')}/{file_name}"


def used_secret_files(settings: StackSettings) -> list[str]:
    """Credential files the rendered config points at, in a stable order."""
    n = settings.notifications
    files = []
    if n.slack.enabled:
        files.append(SLACK_WEBHOOK_FILE)
    if n.pagerduty.enabled:
        files.append(PAGERDUTY_ROUTING_KEY_FILE)
        if n.pagerduty.separate_database_service:
            files.append(PAGERDUTY_DATABASE_ROUTING_KEY_FILE)
    if n.email.enabled and n.email.username:
        files.append(SMTP_PASSWORD_FILE)
    return files


def slack_config(settings: StackSettings, channel: str) -> dict[str, Any]:
    return {
        "api_url_file": secret_path(settings, SLACK_WEBHOOK_FILE),
        "channel": f"#{channel}",
        "username": settings.notifications.slack.username,
        "send_resolved": True,
        "title": _t("iid.slack.title"),
        "title_link": _t("iid.alertmanager_url"),
        "text": _t("iid.slack.text"),
        "color": _t("iid.slack.color"),
        "fallback": _t("iid.title"),
    }


def pagerduty_config(settings: StackSettings, key_file: str) -> dict[str, Any]:
    pd = settings.notifications.pagerduty
    return {
        "routing_key_file": secret_path(settings, key_file),
        "url": pd.url,
        "send_resolved": True,
        "severity": _t("iid.pagerduty.severity"),
        "description": _t("iid.pagerduty.description"),
        "client": pd.client,
        "client_url": _t("iid.alertmanager_url"),
        "class": "{{ .CommonLabels.alertname }}",
        "component": "{{ .CommonLabels.service }}",
        "group": "{{ .CommonLabels.cluster }}",
        "links": [
            {"href": _t("iid.runbook_href"), "text": "Runbook"},
            {"href": _t("iid.alertmanager_url"), "text": "Alertmanager"},
        ],
        "details": {
            "firing": "{{ .Alerts.Firing | len }}",
            "resolved": "{{ .Alerts.Resolved | len }}",
            "summary": _t("iid.summary"),
            "description": _t("iid.description"),
            "runbook_url": _t("iid.runbook_url"),
            "labels": _t("iid.labels"),
        },
    }


def email_config(settings: StackSettings) -> dict[str, Any]:
    email = settings.notifications.email
    config: dict[str, Any] = {
        "to": email.to,
        "from": email.sender,
        "smarthost": email.smarthost,
        "require_tls": email.require_tls,
        "send_resolved": email.send_resolved,
        "headers": {"Subject": _t("iid.email.subject")},
        "html": _t("iid.email.html"),
        "text": _t("iid.email.text"),
    }
    if email.hello:
        config["hello"] = email.hello
    if email.username:
        config["auth_username"] = email.username
        config["auth_password_file"] = secret_path(settings, SMTP_PASSWORD_FILE)
    return config


def _human(settings: StackSettings, slack_channel: str, *, email_first: bool = False) -> dict[str, Any]:
    """Integrations of a human-facing receiver: its own channel first, the other as a fallback."""
    n = settings.notifications
    slack = {"slack_configs": [slack_config(settings, slack_channel)]} if n.slack.enabled else None
    email = {"email_configs": [email_config(settings)]} if n.email.enabled else None
    first, second = (email, slack) if email_first else (slack, email)
    return first or second or {}


def render_receivers(settings: StackSettings) -> list[dict[str, Any]]:
    n = settings.notifications
    channels = n.slack.channels
    by_name: dict[str, dict[str, Any]] = {
        routes.PAGERDUTY_CRITICAL: {},
        routes.PAGERDUTY_DATABASE: {},
        routes.SLACK_CRITICAL: _human(settings, channels.critical),
        routes.SLACK_WARNINGS: _human(settings, channels.warnings),
        routes.EMAIL_INFO: _human(settings, channels.info, email_first=True),
        routes.WATCHDOG: {},
        routes.DEFAULT_RECEIVER: _human(settings, channels.warnings),
    }
    if n.pagerduty.enabled:
        database_key = (
            PAGERDUTY_DATABASE_ROUTING_KEY_FILE if n.pagerduty.separate_database_service else PAGERDUTY_ROUTING_KEY_FILE
        )
        main = pagerduty_config(settings, PAGERDUTY_ROUTING_KEY_FILE)
        by_name[routes.PAGERDUTY_CRITICAL] = {"pagerduty_configs": [main]}
        by_name[routes.PAGERDUTY_DATABASE] = {"pagerduty_configs": [pagerduty_config(settings, database_key)]}
    if n.heartbeat_url:
        by_name[routes.WATCHDOG] = {
            "webhook_configs": [{"url": n.heartbeat_url, "send_resolved": False, "max_alerts": 1}]
        }
    assert set(by_name) == set(routes.RECEIVERS)
    return [{"name": name, **by_name[name]} for name in routes.RECEIVERS]
