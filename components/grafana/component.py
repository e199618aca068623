"""Grafana's content as Pulumi resources: datasources, folders and dashboards.

Everything goes through one explicit ``pulumiverse_grafana.Provider`` whose URL is known at
preview and whose auth is a secret, and every resource waits for the Grafana container.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumiverse_grafana as grafana

from components.grafana.dashboards import DashboardSpec
from components.grafana.settings import admin_password_problems
from components.settings import StackSettings

TYPE = "internet-id:grafana:GrafanaResources"
PROMETHEUS_URL = "http://prometheus:9090"
ALERTMANAGER_URL = "http://alertmanager:9093"


class AdminAuthError(ValueError):
    """The admin ``user:password`` is unusable; the message never contains the password."""


def _checked_auth(auth: str) -> str:
    user, sep, password = auth.partition(":")
    problems = ["admin auth must be 'user:password'"] if not sep or not user else []
    problems += admin_password_problems(user, password)
    if problems:
        raise AdminAuthError("; ".join(problems))
    return auth


class GrafanaResources(pulumi.ComponentResource):
    """The Prometheus and Alertmanager datasources, the folders and every dashboard of a stack.

    ``dashboards`` come from ``dashboard_specs``, which the program calls before it declares any
    resource: a required community dashboard that cannot be had stops the deploy before anything
    is created.
    """

    provider: grafana.Provider
    datasource: grafana.oss.DataSource
    alertmanager_datasource: grafana.oss.DataSource
    folders: dict[str, grafana.oss.Folder]
    dashboards: dict[str, grafana.oss.Dashboard]

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        grafana_url: str,
        auth: pulumi.Output[str],
        container: pulumi.Resource,
        *,
        dashboards: list[DashboardSpec],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        config = settings.grafana
        specs = dashboards

        self.provider = grafana.Provider(
            f"{name}-provider",
            url=grafana_url,
            auth=pulumi.Output.secret(cast(Any, auth)).apply(_checked_auth),
            retries=config.provider_retries,
            retry_wait=config.provider_retry_wait,
            store_dashboard_sha256=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[container]),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[container])

        self.datasource = grafana.oss.DataSource(
            f"{name}-prometheus",
            name=config.datasource_name,
            uid=config.datasource_uid,
            type="prometheus",
            url=PROMETHEUS_URL,
            access_mode="proxy",
            is_default=True,
            json_data_encoded=json.dumps(
                {"timeInterval": settings.prometheus.scrape_interval, "httpMethod": "POST"}, sort_keys=True
            ),
            opts=child,
        )
        self.alertmanager_datasource = grafana.oss.DataSource(
            f"{name}-alertmanager",
            name="Alertmanager",
            uid=config.alertmanager_datasource_uid,
            type="alertmanager",
            url=ALERTMANAGER_URL,
            access_mode="proxy",
            is_default=False,
            json_data_encoded=json.dumps({"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
                                         sort_keys=True),
            opts=child,
        )
        self.folders = {
            folder.uid: grafana.oss.Folder(f"{name}-folder-{folder.uid}", uid=folder.uid, title=folder.title,
                                           opts=child)
            for folder in config.folders
        }
        self.dashboards = {spec.uid: self._dashboard(name, spec, child) for spec in specs}
        self.register_outputs({
            "datasourceUid": self.datasource.uid,
            "folderUids": list(self.folders),
            "dashboardUids": sorted(self.dashboards),
        })

    def _dashboard(self, name: str, spec: DashboardSpec, child: pulumi.ResourceOptions) -> grafana.oss.Dashboard:
        folder = self.folders[spec.folder]
        opts = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[folder, self.datasource])
        )
        return grafana.oss.Dashboard(
            f"{name}-dashboard-{spec.uid}",
            config_json=spec.config_json,
            folder=folder.uid,
            overwrite=True,
            message=f"managed by Pulumi ({spec.source})",
            opts=opts,
        )
