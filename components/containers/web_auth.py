"""What a live-config container that requires the stack's credentials (``webAuth``) is given.

Prometheus and Alertmanager: ``--web.config.file`` in their config volume (so it goes through the reload
job like every other config file; both re-read it on every request, no reload needed), the
``Authorization`` value their healthcheck and reload job send, and for Prometheus the password its own
client configs read (``alerting``, the self-scrape and Alertmanager jobs).  Every one a secret upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from components.containers.model import LiveConfig, SecretFile
from components.hosts.tls import host_tls_files
from components.secret_keys import WEB_AUTH_AUTHORIZATION, WEB_AUTH_CONFIG, WEB_AUTH_PASSWORD
from components.webauth.files import AUTHORIZATION_FILE, PASSWORD_FILE, WEB_CONFIG_FILE, WEB_DIR


@dataclass(frozen=True)
class WebAuthFiles:
    """The flag, uploads, reload config and healthcheck file of one container (all empty when auth is off)."""

    live: LiveConfig
    command: list[str] = field(default_factory=list)
    secret_uploads: dict[str, SecretFile] = field(default_factory=dict)
    health_authorization: str = ""


def web_auth_files(enabled: bool, live: LiveConfig, *, client_password: bool = False,
                   tls_host: str | None = None) -> WebAuthFiles:
    """``enabled``: ``webAuth.enabled``; ``client_password``: the process itself calls servers of the stack
    (Prometheus: Alertmanager, itself); ``tls_host``: it serves HTTPS with that host's pair and calls the other
    hosts over it (multi-host stacks: the web config names the files, ``webauth.config``)."""
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
    if tls_host is not None:
        uploads.update(host_tls_files(f"{directory}/{WEB_DIR}", tls_host))
    return WebAuthFiles(
        live=replace(live, authorization_file=authorization, tls=tls_host is not None),
        command=[f"--web.config.file={directory}/{WEB_CONFIG_FILE}"],
        secret_uploads=uploads,
        health_authorization=authorization,
    )


def exporter_web_files(directory: str, host: str) -> WebAuthFiles:
    """An exporter of a multi-host stack that speaks exporter-toolkit (node, postgres): HTTPS with its host's pair
    and the stack's credential from ``<directory>/web/web.yml`` (the same web config as Prometheus'), and the
    ``Authorization`` value its healthcheck sends."""
    base = directory.rstrip("/")
    authorization = f"{base}/{AUTHORIZATION_FILE}"
    return WebAuthFiles(
        live=LiveConfig(directory=base, binary=""),
        command=[f"--web.config.file={base}/{WEB_CONFIG_FILE}"],
        secret_uploads={f"{base}/{WEB_CONFIG_FILE}": SecretFile(WEB_AUTH_CONFIG.key),
                        authorization: SecretFile(WEB_AUTH_AUTHORIZATION.key),
                        **host_tls_files(f"{base}/{WEB_DIR}", host)},
        health_authorization=authorization,
    )
