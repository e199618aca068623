"""The blackbox exporter: probes the web app and the API's /api/health over HTTP(S)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.containers.model import Container, Healthcheck, Runtime, ScrapeJob
from components.documents import BLACKBOX_CONFIG
from components.prometheus import jobs

if TYPE_CHECKING:
    from components.settings import StackSettings


def runtime(settings: StackSettings, documents: Mapping[str, str]) -> Runtime:
    return Runtime(
        command=["--config.file=/etc/blackbox_exporter/config.yml"],
        uploads={"/etc/blackbox_exporter/config.yml": BLACKBOX_CONFIG},
    )


RECORD = Container(
    name="blackbox-exporter",
    description="probes the web app and the API's /api/health over HTTP(S)",
    port=9115,
    memory_mb=128,
    healthcheck=Healthcheck("/-/healthy"),
    app_network="probes the web app and the API by their names there",
    scrape=ScrapeJob(jobs.BLACKBOX_EXPORTER, "blackbox"),
    runtime=runtime,
)
