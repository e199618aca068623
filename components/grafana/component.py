"""Grafana's content as Pulumi resources: datasources, folders and dashboards.

Everything goes through one explicit ``pulumiverse_grafana.Provider`` whose URL is known at
preview and whose auth is a secret, and every resource waits for the Grafana container.
"""

from __future__ import annotations

from typing import Any, cast

import pulumi
import pulumiverse_grafana as grafana

from components.grafana.dashboards import DashboardSpec
from components.grafana.provisioning import datasources, json_data_encoded
from components.grafana.settings import admin_password_problems
from components.settings import StackSettings

TYPE = "internet-id:grafana:GrafanaResources"


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

        sources = [
            grafana.oss.DataSource(
                f"{name}-{source.type}",
                name=source.name,
                uid=source.uid,
                type=source.type,
                url=source.url,
                access_mode="proxy",
                is_default=source.is_default,
                json_data_encoded=json_data_encoded(source),
                opts=child,
            )
            for source in datasources(settings)
        ]
        self.datasource, self.alertmanager_datasource = sources
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
