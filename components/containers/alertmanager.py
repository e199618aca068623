"""Alertmanager: routes alerts by severity to PagerDuty, Slack and e-mail, with inhibitions."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from components.alertmanager.credentials import credential_files
from components.containers.model import Container, Documents, Healthcheck, LiveConfig, Runtime, ScrapeJob, SecretFile
from components.containers.web_auth import web_auth_files
from components.documents import ALERTMANAGER_CLUSTER_TLS, ALERTMANAGER_CONFIG, ALERTMANAGER_TEMPLATES_DIR
from components.hosts.tls import BUSYBOX_TLS_CLIENTS

if TYPE_CHECKING:
    from components.alertmanager.settings import NotificationSettings
    from components.context import StackContext
    from components.hosts.settings import AlertmanagerClusterSettings, HostSettings

CONFIG_DIR = "/etc/alertmanager"
"""Where Alertmanager reads alertmanager.yml and its templates (its config volume)."""
HEALTH = Healthcheck("/-/healthy")
GOSSIP_PORT = 9094
"""The cluster's gossip (multi-host stacks), TCP only: TLS carries no UDP."""
CLUSTER_TLS_FILE = "cluster-tls.yml"
"""The cluster's TLS settings (``--cluster.tls-config``), beside alertmanager.yml."""
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


def cluster_flags(cluster: AlertmanagerClusterSettings | None, context: StackContext,
                  host: HostSettings | None) -> list[str]:
    """A single node: no gossip port.  A peer of a multi-host stack: gossip over mutual TLS (TCP only) on its host's
    address, which it advertises (an IP: a container would advertise its own), to every other peer."""
    if cluster is None or host is None:
        return ["--cluster.listen-address="]
    peers = [f"--cluster.peer={peer.address}:{GOSSIP_PORT}" for peer in context.with_role("alertmanager")
             if peer.name != host.name]
    return [
        f"--cluster.listen-address=0.0.0.0:{GOSSIP_PORT}",
        f"--cluster.advertise-address={host.address}:{GOSSIP_PORT}",
        *peers,
        f"--cluster.tls-config={CONFIG_DIR}/{CLUSTER_TLS_FILE}",
        f"--cluster.peer-timeout={cluster.peer_timeout}",
        f"--cluster.settle-timeout={cluster.settle_timeout}",
        f"--cluster.reconnect-timeout={cluster.reconnect_timeout}",
    ]


def runtime(notifications: NotificationSettings, context: StackContext, *, external_url: str, web_auth: bool,
            documents: Documents, cluster: AlertmanagerClusterSettings | None = None,
            host: HostSettings | None = None) -> Runtime:
    """``external_url``: where people reach Alertmanager; ``web_auth``: it requires the stack's credential;
    ``cluster`` and ``host``: a peer of a multi-host stack's cluster on that host (HTTPS on its address)."""
    templates = {
        f"{CONFIG_DIR}/{path.removeprefix('alertmanager/')}": path
        for path in documents
        if path.startswith(ALERTMANAGER_TEMPLATES_DIR)
    }
    auth = web_auth_files(web_auth, LIVE, tls_host=host.name if host else None)
    cluster_tls = {f"{CONFIG_DIR}/{CLUSTER_TLS_FILE}": ALERTMANAGER_CLUSTER_TLS} if host else {}
    return Runtime(
        live_config=auth.live,
        health_authorization=auth.health_authorization,
        command=[
            f"--config.file={CONFIG_DIR}/alertmanager.yml",
            "--storage.path=/alertmanager",
            *cluster_flags(cluster, context, host),
            f"--web.external-url={external_url}",
            *auth.command,
            *state_flags(notifications),
        ],
        uploads={f"{CONFIG_DIR}/alertmanager.yml": ALERTMANAGER_CONFIG, **templates, **cluster_tls},
        publish=((host.address, RECORD.port, RECORD.port), (host.address, GOSSIP_PORT, GOSSIP_PORT)) if host else (),
        health_override=replace(HEALTH, tls=True) if host else None,
        env=dict(BUSYBOX_TLS_CLIENTS) if host else {},
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
    healthcheck=HEALTH,
    published="alertmanager",
    scrape=ScrapeJob("alertmanager", "alertmanager", web_auth=True),
)
