"""The basic authentication of Prometheus and Alertmanager: the web config, the clients that log in, the bind rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_stack_file
from components.containers import prometheus
from components.containers.reload import reload_script
from components.grafana.provisioning import datasources, render_provisioning
from components.grafana.settings import GrafanaSettings
from components.model import SettingsError
from components.prometheus.config import render_prometheus_config
from components.prometheus.settings import PrometheusSettings, TargetSettings
from components.render import container_specs, prometheus_config
from components.settings import load_settings
from components.webauth.config import authorization, render_web_config
from tests.contexts import stack_context
from tests.tools import run_tool

HASH = "$2b$10$Ux6cZ1n8E4Jqv1r3hQzH0.1bWmTt4cB6qk6tLr7xJp0b3lqzF2u1W"
"""A bcrypt hash in the shape Go's bcrypt reads (what ``random.RandomPassword.bcrypt_hash`` gives)."""


def test_the_web_config_names_one_user_by_bcrypt_hash(tmp_path: Path) -> None:
    text = render_web_config("iidmon", HASH)
    assert yaml.safe_load(text) == {"basic_auth_users": {"iidmon": HASH}}
    (tmp_path / "web.yml").write_text(text)
    checked = run_tool("promtool", "check", "web-config", tmp_path / "web.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_password_is_never_taken_for_a_hash() -> None:
    with pytest.raises(ValueError, match="bcrypt"):
        render_web_config("iidmon", "generated-password")


def test_the_authorization_value_is_basic_auth_of_user_and_password() -> None:
    assert authorization("iidmon", "s3cret") == "aWlkbW9uOnMzY3JldA=="


def test_auth_is_on_in_every_committed_stack(stack: str) -> None:
    specs = {spec.name: spec for spec in container_specs(settings_from_stack_file(stack), {})}
    assert "--web.config.file=/etc/prometheus/web/web.yml" in specs["prometheus"].command
    assert "--web.config.file=/etc/alertmanager/web/web.yml" in specs["alertmanager"].command


def _basic_auth(config: dict[str, Any]) -> dict[str, Any]:
    jobs = {job["job_name"]: job.get("basic_auth") for job in config["scrape_configs"]}
    return {"alerting": config["alerting"]["alertmanagers"][0].get("basic_auth"),
            **{name: auth for name, auth in jobs.items() if auth}}


def test_prometheus_logs_in_to_alertmanager_and_itself_with_the_password_file() -> None:
    config = yaml.safe_load(render_prometheus_config(PrometheusSettings(), TargetSettings(), stack_context(),
                                                     web_auth_user="iidmon"))
    credential = {"username": "iidmon", "password_file": "web/password"}
    assert _basic_auth(config) == {"alerting": credential, "prometheus": credential, "alertmanager": credential}


def test_without_auth_prometheus_sends_no_credentials() -> None:
    config = yaml.safe_load(render_prometheus_config(PrometheusSettings(), TargetSettings(), stack_context(),
                                                     web_auth_user=None))
    assert _basic_auth(config) == {"alerting": None}
    runtime = prometheus.runtime(PrometheusSettings(), stack_context(), external_url="http://127.0.0.1:9090",
                                 web_auth=False, documents={})
    assert not any(arg.startswith("--web.config.file") for arg in runtime.command)
    assert runtime.secret_uploads == {}


def test_the_rendered_config_with_credentials_passes_promtool(tmp_path: Path) -> None:
    (tmp_path / "prometheus.yml").write_text(prometheus_config(settings_from_stack_file("prod")))
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "password").write_text("a-password")
    checked = run_tool("promtool", "check", "config", tmp_path / "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_healthchecks_and_reload_jobs_read_the_credentials_from_a_file() -> None:
    """``docker inspect`` shows the healthcheck's command: it names the file, never the value."""
    specs = {spec.name: spec for spec in container_specs(settings_from_stack_file("prod"), {})}
    for name, directory in (("prometheus", "/etc/prometheus"), ("alertmanager", "/etc/alertmanager")):
        spec = specs[name]
        assert spec.healthcheck is not None
        kind, command = spec.healthcheck.test(spec.port, spec.health_authorization)
        assert kind == "CMD-SHELL" and f'"$(cat {directory}/web/authorization)"' in command
        assert f"nc 127.0.0.1 {spec.port}" in command and "/-/healthy" in command and "wget" not in command
        assert spec.live_config is not None
        script = reload_script(name, spec.live_config, spec.port)
        assert 'authorization=${AUTHORIZATION_FILE:-"$live/web/authorization"}' in script
        assert 'http_body GET "$1" "$(cat "$authorization")"' in script and "--header" not in script
    assert specs["grafana"].healthcheck is not None
    assert specs["grafana"].healthcheck.test(3000) == ["CMD", "wget", "-q", "--spider",
                                                       "http://127.0.0.1:3000/api/health"]


def test_provisioned_datasources_read_the_password_from_the_container() -> None:
    grafana = GrafanaSettings(provisioning="files")
    files = render_provisioning(datasources(grafana, scrape_interval="15s", web_auth_user="iidmon"), grafana.folders)
    sources = yaml.safe_load(files["grafana/provisioning/datasources/internet-id.yaml"])["datasources"]
    for source in sources:
        assert (source["basicAuth"], source["basicAuthUser"]) == (True, "iidmon")
        assert source["secureJsonData"] == {"basicAuthPassword": "$__file{/run/secrets/monitoring-web-password}"}


PLAIN_HTTP_GRAFANA = {"grafana": {"secureCookies": False, "rootUrl": "https://grafana.example.org"},
                      "prometheus": {"externalUrl": "https://prometheus.example.org"},
                      "notifications": {"externalUrl": "https://alertmanager.example.org"}}
"""Published beyond loopback: the https URLs of a proxy in front (the credentials never cross in clear).  The name
is historic: Grafana's cookie is not Secure here."""


def test_a_published_bind_address_needs_auth() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings("dev", {"docker": {"bindAddress": "0.0.0.0"}, "webAuth": {"enabled": False},
                             **PLAIN_HTTP_GRAFANA}, {},
                      require_secrets=False)
    assert refused.value.problems == [
        "internet-id-monitoring:docker.bindAddress: 0.0.0.0 is not a loopback address, which needs "
        "webAuth.enabled (Prometheus and Alertmanager would answer anyone reaching it); turn it on or bind "
        "127.0.0.1 behind a proxy"]
    published = load_settings("dev", {"docker": {"bindAddress": "0.0.0.0"}, **PLAIN_HTTP_GRAFANA}, {},
                              require_secrets=False)
    assert published.docker.bind_address.is_unspecified
    assert not load_settings("dev", {"webAuth": {"enabled": False}}, {}, require_secrets=False).web_auth.enabled
