"""Every running component of the stack: one record each (``model.Container``), in the order of prometheus.yml's
scrape jobs.  Everything derived from the records (container specs, scrape jobs, selectors, pinned images)
walks this table; ``MULTI_HOST_RECORDS`` are the components only a stack spread over several hosts runs."""

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
    victoria_metrics,
    vmauth,
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
MULTI_HOST_RECORDS: tuple[Container, ...] = (victoria_metrics.RECORD, vmauth.RECORD)
"""The long-term view and its reader (``components/hosts``)."""
ALL_RECORDS: tuple[Container, ...] = RECORDS + MULTI_HOST_RECORDS
BY_NAME: dict[str, Container] = {record.name: record for record in ALL_RECORDS}


def internal_url(record: Container) -> str:
    """How other containers of the stack reach ``record`` (its alias on the monitoring network)."""
    return f"http://{record.name}:{record.port}"
