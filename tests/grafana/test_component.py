"""GrafanaResources under Pulumi's mocks: what it declares, with which provider and dependencies."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest
from google.protobuf import json_format  # type: ignore[import-untyped]
from pulumi.runtime.mocks import MockMonitor

from components.grafana.component import TYPE, GrafanaResources, GrafanaResourcesArgs
from components.render import deploy_dashboards, stack_datasources
from components.settings import PROJECT, SettingsError, StackSettings, load_settings
from tests.pulumi_harness import SECRET_SIG, SIG_KEY, RecordingMocks, unwrap

DASHBOARD = "grafana:oss/dashboard:Dashboard"
DATASOURCE = "grafana:oss/dataSource:DataSource"
FOLDER = "grafana:oss/folder:Folder"
PROVIDER = "pulumi:providers:grafana"
CONTAINER = "docker:index/container:Container"
URL = "http://127.0.0.1:3030"


@dataclass
class Registration:
    typ: str
    name: str
    parent: str
    provider: str
    dependencies: list[str]
    wire: dict[str, Any]
    """The inputs as sent to the engine, secret markers included."""

    @property
    def inputs(self) -> dict[str, Any]:
        value: dict[str, Any] = unwrap(self.wire)
        return value


@dataclass
class Recorder(MockMonitor):
    registrations: list[Registration] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(RecordingMocks())

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        wire = json_format.MessageToDict(request.object) if request.object else {}
        self.registrations.append(Registration(request.type, request.name, request.parent, request.provider,
                                               list(request.dependencies), wire))
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def urn(self, registration: Registration) -> str:
        urn: str = self.make_urn(registration.parent, registration.typ, registration.name)
        return urn

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.typ == typ]


WEB_PASSWORD = "plain-web-password-for-the-datasources"


def stack_settings(**grafana: Any) -> StackSettings:
    return load_settings("dev", {"grafana": {"generateAdminPassword": True, "allowUnpinnedDashboards": True, **grafana},
                                 "prometheus": {"scrapeInterval": "10s", "scrapeTimeout": "5s"}},
                         {}, require_secrets=False)


def deploy(settings: StackSettings, cache_dir: Path, base_url: str,
           warn: Callable[[str], None] | None = None, password: str = "a-long-test-password") -> Recorder:
    recorder = Recorder()
    pulumi.runtime.set_mocks(RecordingMocks(), project=PROJECT, stack="dev", preview=False, monitor=recorder)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        container = pulumi.CustomResource(CONTAINER, "grafana", {"image": "grafana/grafana:10.2.2"})
        auth = pulumi.Output.secret(f"admin:{password}")
        dashboards = deploy_dashboards(settings, cache_dir=cache_dir, base_url=base_url, timeout=1,
                                       warn=warn or (lambda message: None))
        grafana = settings.grafana
        component = GrafanaResources("grafana", GrafanaResourcesArgs(
            url=URL, auth=auth, container=container, datasources=stack_datasources(settings), folders=grafana.folders,
            dashboards=dashboards, retries=grafana.provider_retries, retry_wait=grafana.provider_retry_wait,
            web_password=WEB_PASSWORD))
        return pulumi.Output.all(*[d.urn for d in component.dashboards.values()])

    program()
    return recorder


def grafana_resources(recorder: Recorder) -> list[Registration]:
    return [r for r in recorder.registrations if r.typ.startswith("grafana:")]


def test_datasources(seeded_cache: Path, offline_url: str) -> None:
    recorder = deploy(stack_settings(), seeded_cache, offline_url)
    by_uid = {r.inputs["uid"]: r.inputs for r in recorder.of_type(DATASOURCE)}
    prometheus = by_uid["prometheus"]
    assert prometheus["type"] == "prometheus"
    assert prometheus["name"] == "Prometheus"
    assert prometheus["isDefault"] is True
    assert prometheus["url"] == "http://prometheus:9090"
    assert json.loads(prometheus["jsonDataEncoded"])["timeInterval"] == "10s"
    alertmanager = by_uid["alertmanager"]
    assert alertmanager["type"] == "alertmanager"
    assert alertmanager["url"] == "http://alertmanager:9093"
    assert alertmanager["isDefault"] is False
    assert json.loads(alertmanager["jsonDataEncoded"])["implementation"] == "prometheus"


def test_datasources_log_in_to_prometheus_and_alertmanager_with_a_secret(seeded_cache: Path,
                                                                         offline_url: str) -> None:
    recorder = deploy(stack_settings(), seeded_cache, offline_url)
    sources = recorder.of_type(DATASOURCE)
    assert len(sources) == 2
    for source in sources:
        assert source.inputs["basicAuthEnabled"] is True and source.inputs["basicAuthUsername"] == "iidmon"
        secure = source.wire["secureJsonDataEncoded"]
        assert isinstance(secure, dict) and secure[SIG_KEY] == SECRET_SIG
        assert json.loads(secure["value"]) == {"basicAuthPassword": WEB_PASSWORD}
    assert WEB_PASSWORD not in json.dumps([{k: v for k, v in r.wire.items() if k != "secureJsonDataEncoded"}
                                           for r in recorder.registrations])


def test_folders_and_dashboards(seeded_cache: Path, offline_url: str) -> None:
    recorder = deploy(stack_settings(), seeded_cache, offline_url)
    folders = {r.inputs["uid"]: r.inputs["title"] for r in recorder.of_type(FOLDER)}
    assert folders == {"infrastructure": "Infrastructure", "internet-id": "Internet-ID"}
    dashboards = {}
    for registration in recorder.of_type(DASHBOARD):
        config = json.loads(registration.inputs["configJson"])
        dashboards[config["uid"]] = registration.inputs["folder"]
        assert "${" not in registration.inputs["configJson"]
        assert "__inputs" not in config and "id" not in config and "version" not in config
    assert dashboards == {
        "internet-id-overview": "internet-id",
        "community-1860": "infrastructure",
        "community-9628": "infrastructure",
        "community-11835": "infrastructure",
        "community-179": "infrastructure",
    }


def test_provider_and_dependencies(seeded_cache: Path, offline_url: str) -> None:
    recorder = deploy(stack_settings(providerRetries=7, providerRetryWait=3), seeded_cache, offline_url)
    [component] = recorder.of_type(TYPE)
    [provider] = recorder.of_type(PROVIDER)
    [container] = recorder.of_type(CONTAINER)
    component_urn = recorder.urn(component)
    container_urn = recorder.urn(container)
    provider_urn = recorder.urn(provider)
    assert component_urn.endswith(f"${TYPE}::grafana")
    assert provider.parent == component_urn
    assert provider.inputs["url"] == URL
    # Provider inputs travel as strings (provider config).
    assert str(provider.inputs["retries"]) == "7" and str(provider.inputs["retryWait"]) == "3"
    assert str(provider.inputs["storeDashboardSha256"]).lower() == "true"
    assert container_urn in provider.dependencies
    resources = grafana_resources(recorder)
    assert len(resources) == 2 + 2 + 5
    for resource in resources:
        assert resource.parent == component_urn, resource.name
        assert resource.provider.startswith(provider_urn + "::"), (resource.name, resource.provider)
        assert container_urn in resource.dependencies, resource.name
    folder_urns = {r.inputs["uid"]: recorder.urn(r) for r in recorder.of_type(FOLDER)}
    for dashboard in recorder.of_type(DASHBOARD):
        assert folder_urns[dashboard.inputs["folder"]] in dashboard.dependencies


def test_auth_stays_secret(seeded_cache: Path, offline_url: str) -> None:
    recorder = deploy(stack_settings(), seeded_cache, offline_url)
    [provider] = recorder.of_type(PROVIDER)
    auth = provider.wire["auth"]
    assert isinstance(auth, dict) and auth[SIG_KEY] == SECRET_SIG
    assert auth["value"] == "admin:a-long-test-password"
    plain = json.dumps([r.wire for r in recorder.registrations if r is not provider])
    assert "a-long-test-password" not in plain


def test_optional_download_failure_warns_and_skips(seeded_cache: Path, offline_url: str) -> None:
    warnings: list[str] = []
    settings = stack_settings(communityDashboards=[
        {"gnetId": 1860, "revision": 37},
        {"gnetId": 4242, "revision": 1, "optional": True, "title": "Extra"},
    ])
    recorder = deploy(settings, seeded_cache, offline_url, warn=warnings.append)
    uids = {json.loads(r.inputs["configJson"])["uid"] for r in recorder.of_type(DASHBOARD)}
    assert uids == {"internet-id-overview", "community-1860"}
    assert len(warnings) == 1
    assert warnings[0].startswith("skipping optional community dashboard 4242 revision 1 ('Extra'): download")


def test_required_download_failure_stops_the_deploy(seeded_cache: Path, offline_url: str) -> None:
    settings = stack_settings(communityDashboards=[{"gnetId": 4242, "revision": 1, "title": "Extra"}])
    with pytest.raises(SettingsError) as error:
        deploy(settings, seeded_cache, offline_url)
    message = error.value.message()
    assert "\n" not in message
    assert message.startswith("stack 'dev': community dashboard 4242 revision 1 ('Extra'): download failed")
    assert "python -m components dashboards fetch --stack dev" in message


@pytest.mark.parametrize("password", ["admin", "short", "Admin"])
def test_weak_admin_password_is_refused(seeded_cache: Path, offline_url: str, password: str) -> None:
    """Pulumi re-raises the AdminAuthError as a ValueError naming the provider's ``auth`` input."""
    try:
        deploy(stack_settings(), seeded_cache, offline_url, password=password)
    except ValueError as error:
        message = str(error)
    else:
        pytest.fail("a weak admin password was accepted")
    assert "grafana-provider" in message and "grafanaAdminPassword" in message
    assert f"admin:{password}" not in message
