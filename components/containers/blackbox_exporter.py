"""The blackbox exporter: probes the web app and the API's /api/health over HTTP(S)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import Container, Healthcheck, LiveConfig, Runtime, ScrapeJob
from components.documents import BLACKBOX_CONFIG

if TYPE_CHECKING:
    from components.context import StackContext


LIVE = LiveConfig(
    directory="/etc/blackbox_exporter",
    binary="/bin/blackbox_exporter",
    check=("blackbox_exporter", "--config.check", "--config.file={dir}/config.yml"),
    reload_metric="blackbox_exporter_config_last_reload",
)
"""Its config is applied by reload (``reload.py``)."""


def runtime(context: StackContext) -> Runtime:
    return Runtime(
        live_config=LIVE,
        command=["--config.file=/etc/blackbox_exporter/config.yml"],
        uploads={"/etc/blackbox_exporter/config.yml": BLACKBOX_CONFIG},
    )


RECORD = Container(
    name="blackbox-exporter",
    description="probes the web app and the API's /api/health over HTTP(S)",
    image="prom/blackbox-exporter:v0.24.0",
    port=9115,
    memory_mb=128,
    healthcheck=Healthcheck("/-/healthy"),
    app_network="probes the web app and the API by their names there",
    app_only=True,
    scrape=ScrapeJob("blackbox-exporter", "blackbox", reach="local"),
    user="",  # its image sets no USER: root
)
