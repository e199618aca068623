"""Grafana: admin account, URLs and dashboards (config key ``grafana``)."""

from __future__ import annotations

from components.model import ConfigModel


class GrafanaSettings(ConfigModel):
    admin_user: str = "admin"
    root_url: str | None = None
    generate_admin_password: bool = False
