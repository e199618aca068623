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
Slack (``notifications.slack.delivery``): ``bot`` posts to ``chat.postMessage`` with the bot token
from ``slack-bot-token`` as a Bearer credential, naming the channel in each message; ``webhook``
posts to the incoming webhook of each channel (``slack-webhook-url-<channel>``, or the shared
``slack-webhook-url`` for a channel without one of its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.alertmanager import routes
from components.alertmanager.credentials import credential_path
from components.secret_keys import (
    HEARTBEAT_URL,
    PAGERDUTY_DATABASE_ROUTING_KEY,
    PAGERDUTY_ROUTING_KEY,
    SMTP_PASSWORD,
    SecretKey,
)

if TYPE_CHECKING:
    from components.alertmanager.settings import NotificationSettings, SlackChannelRole


def _t(name: str) -> str:
    return f'{{{{ template "{name}" . }}}}'


def slack_config(notifications: NotificationSettings, role: SlackChannelRole) -> dict[str, Any]:
    slack = notifications.slack
    endpoint: dict[str, Any]
    if slack.delivery == "bot":
        endpoint = {
            "api_url": slack.api_url,
            "http_config": {
                "authorization": {"type": "Bearer",
                                  "credentials_file": credential_path(notifications, slack.bot_token_secret)}
            },
        }
    else:
        endpoint = {"api_url_file": credential_path(notifications, slack.webhook_secret(role))}
    return {
        **endpoint,
        "channel": f"#{getattr(slack.channels, role)}",
        "username": slack.username,
        "send_resolved": True,
        "title": _t("iid.slack.title"),
        "title_link": _t("iid.alertmanager_url"),
        "text": _t("iid.slack.text"),
        "color": _t("iid.slack.color"),
        "fallback": _t("iid.slack.title_text"),
    }


def pagerduty_config(notifications: NotificationSettings, routing_key: SecretKey) -> dict[str, Any]:
    pd = notifications.pagerduty
    return {
        "routing_key_file": credential_path(notifications, routing_key),
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


def email_config(notifications: NotificationSettings) -> dict[str, Any]:
    email = notifications.email
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
        config["auth_password_file"] = credential_path(notifications, SMTP_PASSWORD)
    return config


def _human(notifications: NotificationSettings, slack_channel: SlackChannelRole, *,
           email_first: bool = False) -> dict[str, Any]:
    """Integrations of a human-facing receiver: its own channel first, the other as a fallback."""
    n = notifications
    slack = {"slack_configs": [slack_config(n, slack_channel)]} if n.slack.enabled else None
    email = {"email_configs": [email_config(n)]} if n.email.enabled else None
    first, second = (email, slack) if email_first else (slack, email)
    return first or second or {}


def render_receivers(notifications: NotificationSettings) -> list[dict[str, Any]]:
    n = notifications
    by_name: dict[str, dict[str, Any]] = {
        routes.PAGERDUTY_CRITICAL: {},
        routes.PAGERDUTY_DATABASE: {},
        routes.SLACK_CRITICAL: _human(n, "critical"),
        routes.SLACK_WARNINGS: _human(n, "warnings"),
        routes.EMAIL_INFO: _human(n, "info", email_first=True),
        routes.WATCHDOG: {},
        routes.DEFAULT_RECEIVER: _human(n, "warnings"),
    }
    if n.pagerduty.enabled:
        separate = n.pagerduty.separate_database_service
        database_key = PAGERDUTY_DATABASE_ROUTING_KEY if separate else PAGERDUTY_ROUTING_KEY
        main = pagerduty_config(n, PAGERDUTY_ROUTING_KEY)
        by_name[routes.PAGERDUTY_CRITICAL] = {"pagerduty_configs": [main]}
        by_name[routes.PAGERDUTY_DATABASE] = {"pagerduty_configs": [pagerduty_config(n, database_key)]}
    if n.heartbeat:  # the ping URL is a credential: read from its file (Alertmanager 0.26+)
        by_name[routes.WATCHDOG] = {
            "webhook_configs": [{"url_file": credential_path(n, HEARTBEAT_URL), "send_resolved": False,
                                 "max_alerts": 1}]
        }
    assert set(by_name) == set(routes.RECEIVERS)
    return [{"name": name, **by_name[name]} for name in routes.RECEIVERS]
