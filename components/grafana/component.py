"""Grafana's content as Pulumi resources: datasources, folders and dashboards.

Everything goes through one explicit ``pulumiverse_grafana.Provider`` whose URL is known at
preview and whose auth is a secret, and every resource waits for the Grafana container.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumiverse_grafana as grafana

from components.grafana.dashboards import DashboardSpec
from components.grafana.provisioning import Datasource, json_data_encoded
from components.grafana.settings import GrafanaFolder, admin_password_problems

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


@dataclass(frozen=True)
class GrafanaResourcesArgs:
    """What the Grafana content needs: where Grafana is, how to log in, and what to put there."""

    url: str
    """Known at preview, so the provider is configured during preview too."""
    auth: pulumi.Input[str]
    """``user:password`` (a secret)."""
    container: pulumi.Resource
    """The Grafana container every resource waits for."""
    datasources: Sequence[Datasource]
    folders: Sequence[GrafanaFolder]
    dashboards: Sequence[DashboardSpec]
    retries: int
    retry_wait: int
    web_password: pulumi.Input[str] | None = None
    """Password of the datasources that name a ``basic_auth_user`` (Prometheus and Alertmanager; a secret)."""


class GrafanaResources(pulumi.ComponentResource):
    """The datasources, the folders and every dashboard of a stack, through one explicit Grafana provider.

    ``dashboards`` come from ``render.deploy_dashboards``, which the program calls before it declares any
    resource: a required community dashboard that cannot be had stops the deploy before anything
    is created.
    """

    provider: grafana.Provider
    datasource: grafana.oss.DataSource
    alertmanager_datasource: grafana.oss.DataSource
    folders: dict[str, grafana.oss.Folder]
    dashboards: dict[str, grafana.oss.Dashboard]

    def __init__(self, name: str, args: GrafanaResourcesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self.provider = grafana.Provider(
            f"{name}-provider",
            url=args.url,
            auth=pulumi.Output.secret(cast(Any, args.auth)).apply(_checked_auth),
            retries=args.retries,
            retry_wait=args.retry_wait,
            store_dashboard_sha256=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.container]),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[args.container])
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
                **self._credentials(source, args.web_password),
                opts=child,
            )
            for source in args.datasources
        ]
        self.datasource, self.alertmanager_datasource = sources
        self.folders = {
            folder.uid: grafana.oss.Folder(f"{name}-folder-{folder.uid}", uid=folder.uid, title=folder.title,
                                           opts=child)
            for folder in args.folders
        }
        self.dashboards = {spec.uid: self._dashboard(name, spec, child) for spec in args.dashboards}
        self.register_outputs({
            "datasourceUid": self.datasource.uid,
            "folderUids": list(self.folders),
            "dashboardUids": sorted(self.dashboards),
        })

    @staticmethod
    def _credentials(source: Datasource, password: pulumi.Input[str] | None) -> dict[str, Any]:
        """Basic auth of a datasource whose server requires the stack's credentials; the password only as a
        secret in ``secureJsonData``."""
        if source.basic_auth_user is None:
            return {}
        if password is None:
            raise ValueError(f"datasource {source.name}: basic auth needs the password")
        secure = pulumi.Output.secret(cast(Any, password)).apply(
            lambda value: json.dumps({"basicAuthPassword": value}))
        return {"basic_auth_enabled": True, "basic_auth_username": source.basic_auth_user,
                "secure_json_data_encoded": secure}

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
