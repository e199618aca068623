"""The ``grafana`` config block: defaults, validation, required secrets."""

from __future__ import annotations

from typing import Any

import pytest

from components.config_source import settings_from_stack_file
from components.grafana.settings import admin_password_problems
from components.settings import SettingsError, StackSettings, load_settings


def settings(grafana: dict[str, Any], stack: str = "dev") -> StackSettings:
    return load_settings(stack, {"grafana": grafana}, {}, require_secrets=False)


def test_defaults() -> None:
    grafana = settings({}).grafana
    assert grafana.datasource_uid == "prometheus"
    assert grafana.datasource_name == "Prometheus"
    assert [(f.uid, f.title) for f in grafana.folders] == [("infrastructure", "Infrastructure"),
                                                           ("internet-id", "Internet-ID")]
    assert [(d.gnet_id, d.revision, d.sha256, d.folder, d.optional) for d in grafana.community_dashboards] == [
        (1860, 37, None, "infrastructure", False),
        (9628, 7, None, "infrastructure", False),
        (11835, 1, None, "infrastructure", False),
        (179, 10, None, "infrastructure", False),
    ]
    assert [d.uid for d in grafana.community_dashboards] == [
        "community-1860", "community-9628", "community-11835", "community-179"]
    assert grafana.dashboards_folder == "internet-id"
    assert grafana.provider_retries > 0


def test_admin_password_secret_required_unless_generated(stack: str) -> None:
    committed = settings_from_stack_file(stack)
    if committed.grafana.generate_admin_password:
        assert "grafanaAdminPassword" not in committed.required_secrets()
    else:
        assert "grafanaAdminPassword" in committed.required_secrets()
    with pytest.raises(SettingsError, match=r"grafanaAdminPassword: required because grafana\.generateAdminPassword"):
        load_settings("prod", {"grafana": {"generateAdminPassword": False}}, {})
    assert settings({"generateAdminPassword": True}).required_secrets().get("grafanaAdminPassword") is None


@pytest.mark.parametrize(
    ("grafana", "message"),
    [
        ({"adminUser": "ad:min"}, "grafana.adminUser: 'ad:min' is not a login of letters, digits, '_', '.', '@', '+', "
                                  "'-' (no ':'"),
        ({"adminUser": ""}, "grafana.adminUser: must not be empty"),
        ({"rootUrl": "grafana.example.com"}, "grafana.rootUrl: 'grafana.example.com' is not an http"),
        ({"datasourceUid": "has space"}, "grafana.datasourceUid: 'has space' is not a Grafana uid"),
        ({"communityDashboards": [{"gnetId": 1860, "revision": 37, "sha256": "abc"}]},
         "grafana.communityDashboards.0.sha256: 'abc' is not a hex sha256"),
        ({"communityDashboards": [{"gnetId": 1860, "revision": 37, "folder": "nope"}]},
         "folder 'nope' is not one of the folders"),
        ({"communityDashboards": [{"gnetId": 1860, "revision": 37}, {"gnetId": 1860, "revision": 45}]},
         "1860 is listed twice"),
        ({"communityDashboards": [{"gnetId": 1860}]}, "grafana.communityDashboards.0.revision: required"),
        ({"dashboardsFolder": "x"}, "dashboardsFolder 'x' is not one of the folders"),
        ({"providerRetries": -1}, "grafana.providerRetries"),
        ({"colour": "blue"}, "grafana.colour: unknown setting"),
    ],
)
def test_invalid(grafana: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        settings(grafana)
    assert message in error.value.message()


def test_sha256_is_normalized_to_lower_case() -> None:
    digest = "AB" * 32
    grafana = settings({"communityDashboards": [{"gnetId": 1, "revision": 2, "sha256": digest}]}).grafana
    assert grafana.community_dashboards[0].sha256 == digest.lower()


def test_admin_password_problems() -> None:
    assert admin_password_problems("admin", "a-long-enough-passphrase") == []
    assert admin_password_problems("admin", "admin")
    assert admin_password_problems("grafana-operator", "grafana-operator")
    assert any("whitespace" in p for p in admin_password_problems("admin", "long-enough-password\n"))
    assert all("secret-value" not in p for p in admin_password_problems("admin", "secret-value"))
