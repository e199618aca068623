"""Where Grafana's provisioned files go in its container, and which folder holds which dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.grafana.settings import GrafanaSettings

CUSTOM_DASHBOARD_UID = "internet-id-overview"
"""The custom Internet-ID dashboard's fixed uid (``custom_dashboard.py`` builds it)."""
LIVE_DIR = "/etc/grafana/live"
"""``files`` mode: Grafana's provisioning and dashboards, installed by its reload job (``containers/reload.py``)."""
PROVISIONING_DIR = f"{LIVE_DIR}/provisioning"
DASHBOARDS_DIR = f"{LIVE_DIR}/dashboards"
"""Where ``files`` mode puts dashboard JSON, one folder per Grafana folder uid."""
PROVISIONING_RELOAD = ("/api/admin/provisioning/dashboards/reload", "/api/admin/provisioning/datasources/reload")
"""Grafana's API that re-reads the provisioning files (dashboards are also polled every 30 s)."""


def dashboard_folders(grafana: GrafanaSettings) -> dict[str, str]:
    """Folder uid of every dashboard the stack can deploy, by dashboard uid."""
    folders = {CUSTOM_DASHBOARD_UID: grafana.dashboards_folder}
    folders.update({dashboard.uid: dashboard.folder for dashboard in grafana.community_dashboards})
    return folders


def dashboard_path(folder: str, uid: str) -> str:
    """Where ``files`` mode uploads a dashboard in the Grafana container."""
    return f"{DASHBOARDS_DIR}/{folder}/{uid}.json"
WEB_PASSWORD_FILE = "/run/secrets/monitoring-web-password"
"""In the Grafana container (``files`` mode): the password of Prometheus and Alertmanager, which the provisioned
datasources read with Grafana's ``$__file{}`` expansion, so no rendered file holds it."""
