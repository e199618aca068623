"""Grafana's provisioning files (``grafana.provisioning: files``) and the datasource table both modes share."""

from __future__ import annotations

import yaml

from components.config_source import settings_from_mapping
from components.grafana.provisioning import (
    DASHBOARD_PROVIDERS_FILE,
    DATASOURCES_FILE,
    datasources,
    render_provisioning,
)
from components.grafana.settings import GrafanaSettings
from components.render import render_documents

NS = "internet-id-monitoring"


def files_mode(**grafana: object) -> dict[str, str]:
    settings = GrafanaSettings.model_validate({"provisioning": "files", **grafana})
    sources = datasources(settings, scrape_interval="30s", web_auth_user=None)
    return render_provisioning(sources, settings.folders)


def test_datasources_have_fixed_uids_and_the_scrape_interval() -> None:
    sources = yaml.safe_load(files_mode(datasourceUid="prom-main")[DATASOURCES_FILE])["datasources"]
    prometheus, alertmanager = sources
    assert (prometheus["uid"], prometheus["name"], prometheus["type"]) == ("prom-main", "Prometheus", "prometheus")
    assert prometheus["isDefault"] is True and prometheus["editable"] is False
    assert prometheus["jsonData"] == {"timeInterval": "30s", "httpMethod": "POST"}
    assert (alertmanager["uid"], alertmanager["url"], alertmanager["isDefault"]) == (
        "alertmanager", "http://alertmanager:9093", False)


def test_one_dashboard_provider_per_folder() -> None:
    folders = [{"uid": "ops", "title": "Operations"}, {"uid": "internet-id", "title": "Internet-ID"}]
    providers = yaml.safe_load(files_mode(folders=folders, communityDashboards=[])[DASHBOARD_PROVIDERS_FILE])
    assert [(p["folderUid"], p["folder"], p["options"]["path"], p["type"]) for p in providers["providers"]] == [
        ("ops", "Operations", "/etc/grafana/live/dashboards/ops", "file"),
        ("internet-id", "Internet-ID", "/etc/grafana/live/dashboards/internet-id", "file"),
    ]
    assert {p["updateIntervalSeconds"] for p in providers["providers"]} == {30}


def test_api_mode_renders_no_provisioning_file() -> None:
    settings = settings_from_mapping("dev", {}, require_secrets=False)
    assert not [path for path in render_documents(settings) if path.startswith("grafana/provisioning/")]
