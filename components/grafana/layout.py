"""Where Grafana's provisioned files go in its container, and which folder holds which dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.grafana import custom_dashboard

if TYPE_CHECKING:
    from components.settings import StackSettings

PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards"
"""Where ``files`` mode puts dashboard JSON, one folder per Grafana folder uid."""


def dashboard_folders(settings: StackSettings) -> dict[str, str]:
    """Folder uid of every dashboard the stack can deploy, by dashboard uid."""
    grafana = settings.grafana
    folders = {custom_dashboard.UID: grafana.dashboards_folder}
    folders.update({dashboard.uid: dashboard.folder for dashboard in grafana.community_dashboards})
    return folders


def dashboard_path(folder: str, uid: str) -> str:
    """Where ``files`` mode uploads a dashboard in the Grafana container."""
    return f"{DASHBOARDS_DIR}/{folder}/{uid}.json"
