"""What a live-config container that requires the stack's credentials (``webAuth``) is given.

Prometheus and Alertmanager: ``--web.config.file`` in their config volume (so it goes through the reload
job like every other config file; both re-read it on every request, no reload needed), the
``Authorization`` value their healthcheck and reload job send, and for Prometheus the password its own
client configs read (``alerting``, the self-scrape and Alertmanager jobs).  Every one a secret upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from components.containers.model import LiveConfig, SecretFile
from components.secret_keys import WEB_AUTH_AUTHORIZATION, WEB_AUTH_CONFIG, WEB_AUTH_PASSWORD
from components.webauth.files import AUTHORIZATION_FILE, PASSWORD_FILE, WEB_CONFIG_FILE


@dataclass(frozen=True)
class WebAuthFiles:
    """The flag, uploads, reload config and healthcheck file of one container (all empty when auth is off)."""

    live: LiveConfig
    command: list[str] = field(default_factory=list)
    secret_uploads: dict[str, SecretFile] = field(default_factory=dict)
    health_authorization: str = ""


def web_auth_files(enabled: bool, live: LiveConfig, *, client_password: bool = False) -> WebAuthFiles:
    """``enabled``: ``webAuth.enabled``; ``client_password``: the process itself calls servers of the stack
    (Prometheus: Alertmanager, itself)."""
    if not enabled:
        return WebAuthFiles(live)
    directory = live.directory.rstrip("/")
    authorization = f"{directory}/{AUTHORIZATION_FILE}"
    uploads = {
        f"{directory}/{WEB_CONFIG_FILE}": SecretFile(WEB_AUTH_CONFIG.key),
        authorization: SecretFile(WEB_AUTH_AUTHORIZATION.key),
    }
    if client_password:
        uploads[f"{directory}/{PASSWORD_FILE}"] = SecretFile(WEB_AUTH_PASSWORD.key)
    return WebAuthFiles(
        live=replace(live, authorization_file=authorization),
        command=[f"--web.config.file={directory}/{WEB_CONFIG_FILE}"],
        secret_uploads=uploads,
        health_authorization=authorization,
    )
