"""Every running component of the stack: one record each (``model.Container``), in the order of prometheus.yml's
scrape jobs.  Everything derived from the records (container specs, scrape jobs, selectors, pinned images)
walks this table."""

from __future__ import annotations

from components.containers import (
    alertmanager,
    blackbox_exporter,
    cadvisor,
    grafana,
    node_exporter,
    postgres_exporter,
    prometheus,
    redis_exporter,
)
from components.containers.model import Container

RECORDS: tuple[Container, ...] = (
    postgres_exporter.RECORD,
    redis_exporter.RECORD,
    node_exporter.RECORD,
    cadvisor.RECORD,
    prometheus.RECORD,
    alertmanager.RECORD,
    grafana.RECORD,
    blackbox_exporter.RECORD,
)
BY_NAME: dict[str, Container] = {record.name: record for record in RECORDS}


def internal_url(record: Container) -> str:
    """How other containers of the stack reach ``record`` (its alias on the monitoring network)."""
    return f"http://{record.name}:{record.port}"
