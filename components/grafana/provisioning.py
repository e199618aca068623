"""Grafana's datasources and dashboard folders as data, and as Grafana's own provisioning files.

One table (``datasources``) serves both ways of putting content into Grafana
(``grafana.provisioning``): ``api`` declares it through the Grafana provider, ``files`` uploads
the provisioning files rendered here into the container, so Grafana loads them itself and
`pulumi up` never has to reach Grafana's API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from components.containers.records import BY_NAME, internal_url
from components.documents import GRAFANA_PROVISIONING_DIR
from components.grafana.layout import DASHBOARDS_DIR, WEB_PASSWORD_FILE
from components.hosts.reader import ALERTMANAGER_PATH

if TYPE_CHECKING:
    from components.grafana.settings import GrafanaFolder, GrafanaSettings

RELOAD_SECONDS = 30
"""How often Grafana re-reads the provisioned dashboard files."""

DATASOURCES_FILE = f"{GRAFANA_PROVISIONING_DIR}datasources/internet-id.yaml"
DASHBOARD_PROVIDERS_FILE = f"{GRAFANA_PROVISIONING_DIR}dashboards/internet-id.yaml"


@dataclass(frozen=True)
class Datasource:
    """A datasource with a fixed uid, so dashboards can point at it."""

    name: str
    uid: str
    type: str
    url: str
    is_default: bool
    json_data: dict[str, Any]
    basic_auth_user: str | None = None
    """Set: the server requires the stack's credentials (``webAuth``); the password is a secret kept apart."""


def datasources(grafana: GrafanaSettings, *, scrape_interval: str, web_auth_user: str | None,
                through_reader: bool = False) -> list[Datasource]:
    """The stack's datasources: Prometheus (the default, ``timeInterval`` = ``scrape_interval``) and Alertmanager;
    ``web_auth_user``: the user of the credential both require (``webAuth``), None when they require none;
    ``through_reader`` (multi-host stacks): both read through vmauth on Grafana's host, the deduplicated long-term
    view and the Alertmanager peers, its own host's first (the same uids: dashboards never notice)."""
    user = web_auth_user
    prometheus, alertmanager = internal_url(BY_NAME["prometheus"]), internal_url(BY_NAME["alertmanager"])
    if through_reader:
        prometheus = internal_url(BY_NAME["vmauth"])
        alertmanager = f"{prometheus}{ALERTMANAGER_PATH}"
    return [
        Datasource(grafana.datasource_name, grafana.datasource_uid, "prometheus", prometheus,
                   True,
                   {"timeInterval": scrape_interval, "httpMethod": "POST"}, user),
        Datasource("Alertmanager", grafana.alertmanager_datasource_uid, "alertmanager",
                   alertmanager, False,
                   {"implementation": "prometheus", "handleGrafanaManagedAlerts": False}, user),
    ]


def _credentials(source: Datasource) -> dict[str, Any]:
    if source.basic_auth_user is None:
        return {}
    return {"basicAuth": True, "basicAuthUser": source.basic_auth_user,
            "secureJsonData": {"basicAuthPassword": f"$__file{{{WEB_PASSWORD_FILE}}}"}}


def json_data_encoded(datasource: Datasource) -> str:
    return json.dumps(datasource.json_data, sort_keys=True)


def render_provisioning(sources: Sequence[Datasource], folders: Sequence[GrafanaFolder]) -> dict[str, str]:
    """Grafana's provisioning files of ``files`` mode: ``sources`` (``datasources``) and one dashboard provider
    per folder."""
    documents = [
        {
            "name": source.name,
            "uid": source.uid,
            "type": source.type,
            "access": "proxy",
            "url": source.url,
            "isDefault": source.is_default,
            "editable": False,
            "jsonData": source.json_data,
            **_credentials(source),
        }
        for source in sources
    ]
    providers = [
        {
            "name": folder.uid,
            "orgId": 1,
            "folder": folder.title,
            "folderUid": folder.uid,
            "type": "file",
            "disableDeletion": False,
            "allowUiUpdates": False,
            "updateIntervalSeconds": RELOAD_SECONDS,
            "options": {"path": f"{DASHBOARDS_DIR}/{folder.uid}"},
        }
        for folder in folders
    ]
    return {
        DATASOURCES_FILE: _yaml({"apiVersion": 1, "datasources": documents}),
        DASHBOARD_PROVIDERS_FILE: _yaml({"apiVersion": 1, "providers": providers}),
    }


def _yaml(document: dict[str, Any]) -> str:
    return "# Rendered by internet-id-monitoring; edit the stack's settings, not this file.\n" + yaml.safe_dump(
        document, sort_keys=False, default_flow_style=False
    )
