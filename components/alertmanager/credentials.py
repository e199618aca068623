"""The credential files Alertmanager reads (under ``notifications.secretsDir``) and the secret each one holds.

alertmanager.yml names them (``*_file``) and the container receives them as secret uploads: both ask here, so a
file the config points at is always a file the container has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.secret_keys import (
    HEARTBEAT_URL,
    PAGERDUTY_DATABASE_ROUTING_KEY,
    PAGERDUTY_ROUTING_KEY,
    SMTP_PASSWORD,
    SecretKey,
)

if TYPE_CHECKING:
    from components.alertmanager.settings import NotificationSettings


def file_of(secret: SecretKey) -> str:
    """The name of the credential file holding ``secret`` in Alertmanager's secrets directory."""
    if secret.alertmanager_file is None:
        raise ValueError(f"{secret.key} is no secret Alertmanager reads")
    return secret.alertmanager_file


def credential_path(notifications: NotificationSettings, secret: SecretKey) -> str:
    """Where Alertmanager reads ``secret`` (what alertmanager.yml's ``*_file`` fields name)."""
    return f"{notifications.secrets_dir.rstrip('/')}/{file_of(secret)}"


def credential_files(notifications: NotificationSettings) -> dict[str, SecretKey]:
    """Credential file name -> the secret it holds, for the integrations ``notifications`` switches on, in a
    stable order."""
    n = notifications
    secrets: list[SecretKey] = []
    if n.slack.enabled and n.slack.delivery == "bot":
        secrets.append(n.slack.bot_token_secret)
    elif n.slack.enabled:
        secrets += [n.slack.webhook_secret(role) for role in n.slack_roles()]
    if n.pagerduty.enabled:
        secrets.append(PAGERDUTY_ROUTING_KEY)
        if n.pagerduty.separate_database_service:
            secrets.append(PAGERDUTY_DATABASE_ROUTING_KEY)
    if n.email.enabled and n.email.username:
        secrets.append(SMTP_PASSWORD)
    if n.heartbeat:
        secrets.append(HEARTBEAT_URL)
    return {file_of(secret): secret for secret in secrets}
