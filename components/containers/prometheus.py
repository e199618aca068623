"""Prometheus: scrapes every target, evaluates the rules, sends alerts to Alertmanager."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from components.containers.model import (
    DOCKER_HOST_NAME,
    Container,
    Documents,
    Healthcheck,
    LiveConfig,
    Runtime,
    ScrapeJob,
)
from components.containers.web_auth import web_auth_files
from components.documents import PROMETHEUS_CONFIG, PROMETHEUS_RULES_DIR
from components.hosts.tls import BUSYBOX_TLS_CLIENTS

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings
    from components.prometheus.settings import PrometheusSettings


HEALTH = Healthcheck("/-/healthy")
LIVE = LiveConfig(
    directory="/etc/prometheus",
    binary="/bin/prometheus",
    check=("promtool", "check", "config", "{dir}/prometheus.yml"),
    reload_metric="prometheus_config_last_reload",
)
"""Its config is applied by reload (``reload.py``)."""


def rule_flags(prometheus: PrometheusSettings) -> list[str]:
    """How alerts survive a restart: every ``for`` of at least ``forGracePeriod`` keeps its progress."""
    return [f"--rules.alert.for-grace-period={prometheus.for_grace_period}"]


def runtime(prometheus: PrometheusSettings, context: StackContext, *, external_url: str, web_auth: bool,
            documents: Documents, host: HostSettings | None = None) -> Runtime:
    """``external_url``: where people reach Prometheus; ``web_auth``: it requires the stack's credential (and
    sends it to Alertmanager and to itself); ``host``: the replica's host in a multi-host stack (HTTPS on its
    address, where the other replica, people and Grafana's host reach it)."""
    command = [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        f"--storage.tsdb.retention.time={prometheus.retention_time}",
        f"--web.external-url={external_url}",
        *rule_flags(prometheus),
    ]
    if prometheus.retention_size:
        command.append(f"--storage.tsdb.retention.size={prometheus.retention_size}")
    rules = {f"/etc/{path}": path for path in documents if path.startswith(PROMETHEUS_RULES_DIR)}
    auth = web_auth_files(web_auth, LIVE, client_password=True, tls_host=host.name if host else None)
    command += auth.command
    return Runtime(
        publish=((host.address, RECORD.port, RECORD.port),) if host else (),
        health_override=replace(HEALTH, tls=True) if host else None,
        env=dict(BUSYBOX_TLS_CLIENTS) if host else {},
        live_config=auth.live,
        secret_uploads=auth.secret_uploads,
        health_authorization=auth.health_authorization,
        # node_exporter sits in the host's network namespace: reached through the host's Docker bridge address.
        hosts={DOCKER_HOST_NAME: "host-gateway"},
        command=command,
        uploads={"/etc/prometheus/prometheus.yml": PROMETHEUS_CONFIG, **rules},
        volumes={"prometheus-data": "/prometheus"},
    )


RECORD = Container(
    name="prometheus",
    description="scrapes every target, evaluates the rules, sends alerts to Alertmanager",
    image="prom/prometheus:v2.48.0",
    port=9090,
    memory_mb=2048,
    healthcheck=HEALTH,
    app_network="scrapes the API replicas by their name there",
    scrapes_own_networks=True,
    published="prometheus",
    scrape=ScrapeJob("prometheus", "prometheus", self_scrape=True, web_auth=True),
)
