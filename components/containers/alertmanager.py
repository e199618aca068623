"""Alertmanager: routes alerts by severity to PagerDuty, Slack and e-mail, with inhibitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.alertmanager.credentials import credential_files
from components.containers.model import Container, Documents, Healthcheck, LiveConfig, Runtime, ScrapeJob, SecretFile
from components.containers.web_auth import web_auth_files
from components.documents import ALERTMANAGER_CONFIG, ALERTMANAGER_TEMPLATES_DIR

if TYPE_CHECKING:
    from components.alertmanager.settings import NotificationSettings
    from components.context import StackContext

CONFIG_DIR = "/etc/alertmanager"
"""Where Alertmanager reads alertmanager.yml and its templates (its config volume)."""
VOLUMES = {"alertmanager-data": "/alertmanager"}
"""Its data volume: the notification log and silences, kept across replacements."""

LIVE = LiveConfig(
    directory=CONFIG_DIR,
    binary="/bin/alertmanager",
    check=("amtool", "check-config", "{dir}/alertmanager.yml"),
    reload_metric="alertmanager_config_last_reload",
)
"""Its config is applied by reload (``reload.py``)."""


def state_flags(notifications: NotificationSettings) -> list[str]:
    """How often the notification log and silences reach the data volume, so a crash repeats no page."""
    return [f"--data.maintenance-interval={notifications.state_snapshot_interval}"]


def runtime(notifications: NotificationSettings, context: StackContext, *, external_url: str, web_auth: bool,
            documents: Documents) -> Runtime:
    """``external_url``: where people reach Alertmanager; ``web_auth``: it requires the stack's credential."""
    templates = {
        f"{CONFIG_DIR}/{path.removeprefix('alertmanager/')}": path
        for path in documents
        if path.startswith(ALERTMANAGER_TEMPLATES_DIR)
    }
    auth = web_auth_files(web_auth, LIVE)
    return Runtime(
        live_config=auth.live,
        health_authorization=auth.health_authorization,
        command=[
            f"--config.file={CONFIG_DIR}/alertmanager.yml",
            "--storage.path=/alertmanager",
            "--cluster.listen-address=",  # a single node: no gossip port
            f"--web.external-url={external_url}",
            *auth.command,
            *state_flags(notifications),
        ],
        uploads={f"{CONFIG_DIR}/alertmanager.yml": ALERTMANAGER_CONFIG, **templates},
        secret_uploads={
            **{f"{notifications.secrets_dir}/{name}": SecretFile(secret.key)
               for name, secret in credential_files(notifications).items()},
            **auth.secret_uploads,
        },
        volumes=dict(VOLUMES),
    )


RECORD = Container(
    name="alertmanager",
    description="routes alerts by severity to PagerDuty, Slack and e-mail, with inhibitions",
    image="prom/alertmanager:v0.26.0",
    port=9093,
    memory_mb=256,
    healthcheck=Healthcheck("/-/healthy"),
    published="alertmanager",
    scrape=ScrapeJob("alertmanager", "alertmanager", web_auth=True),
)
