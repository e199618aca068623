"""Settings validation: every bad key is named at once, with what was expected."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.secrets import REDACTED, Secret
from components.settings import SettingsError, StackSettings

NS = "internet-id-monitoring"


def problems(config: dict[str, object], stack: str = "dev") -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(stack, config)
    return caught.value.problems


def test_committed_stacks_load(stack: str) -> None:
    settings = settings_from_stack_file(stack)
    assert settings.stack == stack
    assert settings.ports.grafana not in (3000, 3001)


def test_dev_needs_no_secret() -> None:
    assert settings_from_stack_file("dev", require_secrets=True).secrets == {}


def test_prod_requires_its_secrets_when_deploying() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_stack_file("prod", require_secrets=True)
    message = caught.value.message()
    assert f"{NS}:grafanaAdminPassword: required" in message
    assert f"{NS}:postgresExporterPassword: required" in message
    assert "pulumi config set --secret" in message


def test_every_bad_key_is_reported_at_once() -> None:
    found = problems(
        {
            f"{NS}:ports": {"grafana": 3001, "bogus": 1},
            f"{NS}:images": {"grafana": "grafana/grafana", "nginx": "nginx:1"},
            f"{NS}:prometheus": {"scrapeInterval": "often"},
        }
    )
    assert len(found) == 5, found
    text = "\n".join(found)
    assert f"{NS}:ports.grafana: port 3001 is taken by the Internet-ID API" in text
    assert f"{NS}:ports.bogus: unknown setting" in text
    assert "'grafana/grafana' has no tag or digest" in text
    assert f"{NS}:images.nginx: unknown container 'nginx'" in text
    assert f"{NS}:prometheus.scrapeInterval: 'often' is not a duration" in text


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({f"{NS}:ports": {"grafana": 3000}}, "taken by the Internet-ID web app"),
        ({f"{NS}:ports": {"prometheus": 9093}}, "host ports must differ"),
        ({f"{NS}:prometheus": {"scrapeTimeout": "20s"}}, "scrapeTimeout 20s exceeds scrapeInterval 15s"),
        ({f"{NS}:targets": {"api": {"discovery": "static"}}}, "staticTargets is empty"),
        ({f"{NS}:targets": {"probes": [{"url": "api:3001", "service": "api"}]}}, "is not an http(s) URL"),
        ({f"{NS}:docker": {"bindAddress": "localhost"}}, f"{NS}:docker.bindAddress"),
        ({f"{NS}:docker": {"memoryMb": {"prometheus": 8}}}, f"{NS}:docker.memoryMb.prometheus: Input should be greater "
                                                            "than or equal to 16"),
        ({f"{NS}:slackWebhookUrl": "https://hooks.example/x"}, "is a secret; set it with `pulumi config set --secret"),
        ({f"{NS}:stack": "prod"}, "the stack name comes from `pulumi stack`"),
        ({"pagerduty:token": "plain"}, "pagerduty:token: is a secret"),
        ({f"{NS}:targets": {"scrapeOverrides": {"postgress": ["db:9187"]}}}, "unknown job(s) ['postgress']"),
        ({f"{NS}:targets": {"scrapeOverrides": {"postgres": []}}}, "no targets for ['postgres']"),
        (
            {f"{NS}:docker": {"host": "ssh://ops@monitoring"}},
            "grafana.rootUrl: required when docker.host is another machine",
        ),
        ({f"{NS}:notifications": {"externalUrl": "alertmanager.example.com"}}, f"{NS}:notifications.externalUrl"),
        ({f"{NS}:notifications": {"secretsDir": "secrets"}}, "'secrets' is not an absolute path"),
        (
            {f"{NS}:targets": {"scrapeOverrides": {"internet-id-web": ["web:3000"]}}},
            "set targets.webUrl or targets.probes",
        ),
        (
            {f"{NS}:targets": {"probes": [{"url": "http://x/", "service": "web", "module": "tcp"}]}},
            "unknown blackbox module",
        ),
        ({f"{NS}:prometheus": {"scrapeInterval": "0s"}}, "'0s' is shorter than Prometheus accepts here (at least 1s)"),
        ({f"{NS}:prometheus": {"evaluationInterval": "0m"}}, "'0m' is shorter than Prometheus accepts here"),
    ],
)
def test_bad_value_names_the_key_and_the_fix(config: dict[str, object], expected: str) -> None:
    assert any(expected in p for p in problems(config)), problems(config)


def test_unknown_secret_key_is_rejected() -> None:
    assert any("not a secret setting" in p for p in problems({f"{NS}:grafanaPassword": {"secure": "v1:abc"}}))


def test_secrets_never_print_their_value() -> None:
    secret = Secret("smtpPassword", "hunter2")
    settings = settings_from_mapping("dev", {f"{NS}:smtpPassword": {"secure": "hunter2"}}, require_secrets=False)
    for text in (str(secret), repr(secret), repr(settings), str(settings.model_dump())):
        assert "hunter2" not in text
    assert REDACTED in repr(secret)


def test_single_problem_is_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_stack_file("qa")
    assert "\n" not in caught.value.message()
    assert "no stack file Pulumi.qa.yaml; known stacks: dev, prod, staging" in caught.value.message()


def _url_setting(key: str, url: str) -> dict[str, object]:
    """Config setting the URL setting ``key`` (dotted, ``targets.probes.0.url`` for a list item) to ``url``."""
    *path, leaf = key.split(".")
    node: dict[str, object] = {leaf: url}
    if path[-1:] == ["0"]:  # a probe: the list item needs its other required field
        path = path[:-1]
        node = {"probes": [{**node, "service": "api"}]}
        path = path[:-1]
    for part in reversed(path[1:]):
        node = {part: node}
    return {f"{NS}:{path[0]}": node}


URL_SETTINGS = (
    "prometheus.externalUrl", "targets.webUrl", "targets.publicUrl", "targets.probes.0.url", "grafana.rootUrl",
    "notifications.externalUrl", "notifications.slack.apiUrl",
    "notifications.pagerduty.url", "rules.runbookBaseUrl", "incident.sentry.baseUrl",
)
"""Every setting that holds an http(s) URL."""


@pytest.mark.parametrize("key", URL_SETTINGS)
@pytest.mark.parametrize(("url", "problem"), [
    ("example.com/api/", "'example.com/api/' is not an http(s) URL"),
    ("https://${HOST}/api/", "'https://${HOST}/api/' holds '{', which a URL writes percent-encoded"),
    ("https://docs.example/{{ range query \"up\" }}{{ .Labels }}{{ end }}",
     "'https://docs.example/{{ range query \"up\" }}{{ .Labels }}{{ end }}' holds '{', which a URL writes "
     "percent-encoded"),
])
def test_every_url_setting_is_checked_the_same_way(key: str, url: str, problem: str) -> None:
    found = problems(_url_setting(key, url))
    assert any(p.startswith(f"{NS}:{key}: {problem}") for p in found), found


def _url_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted config keys of every setting of ``model`` whose name ends in ``Url`` (list items as ``.0.``)."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        if key.lower().endswith("url"):
            keys.add(key)
        annotation, suffix = field.annotation, "."
        if typing.get_origin(annotation) is list:
            annotation, suffix = typing.get_args(annotation)[0], ".0."
        for part in typing.get_args(annotation) or (annotation,):  # ``X | None``: each member
            if isinstance(part, type) and issubclass(part, BaseModel):
                keys |= _url_keys(part, key + suffix)
    return keys


def test_the_url_settings_above_are_every_url_setting() -> None:
    assert _url_keys(StackSettings) == set(URL_SETTINGS)


def test_a_grafana_loading_its_own_files_needs_no_url_for_a_remote_docker_host() -> None:
    remote = {f"{NS}:docker": {"host": "ssh://ops@monitoring"}}
    assert not any("rootUrl" in p for p in problems({**remote, f"{NS}:grafana": {"provisioning": "files"}}))
    assert not any("rootUrl" in p for p in problems({f"{NS}:docker": {"host": "unix:///run/user/1000/docker.sock"}}))


def _flap_window_problem(rules: dict[str, object]) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("prod", {"internet-id-monitoring:rules": rules}, require_secrets=False)
    [problem] = caught.value.problems
    return problem


def test_a_flap_window_too_short_to_see_a_flap_is_refused() -> None:
    """ServiceFlapping needs more than 4 changes in rules.flapWindow: 1m of 15s scrapes sees at most 4."""
    assert _flap_window_problem({"flapWindow": "1m"}) == (
        "internet-id-monitoring:rules.flapWindow: 1m holds 4 scrapes of 15s, too few to see the 5 state changes a "
        "flapping alert needs: make it at least 1m30s")
    assert _flap_window_problem({"flapWindow": "2m", "overrides": {
        name: {"threshold": 8} for name in ("ServiceFlapping", "DatabaseFlapping")}}) == (
        "internet-id-monitoring:rules.flapWindow: 2m holds 8 scrapes of 15s, too few to see the 9 state changes a "
        "flapping alert needs: make it at least 2m30s")


def test_grafana_published_beyond_loopback_over_http_with_secure_cookies_is_refused() -> None:
    """Browsers drop a Secure cookie over plain http (loopback aside): the login page would loop."""
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("prod", {"internet-id-monitoring:docker": {"bindAddress": "10.0.0.5"}},
                              require_secrets=False)
    assert caught.value.problems == [
        "internet-id-monitoring:grafana.rootUrl: Grafana is published on http://10.0.0.5 and its session cookie is "
        "Secure, which browsers send over https only (or to loopback), so login would fail; set grafana.rootUrl to "
        "the https URL of a proxy in front of it, or grafana.secureCookies: false"]
    settings_from_mapping("prod", {"internet-id-monitoring:docker": {"bindAddress": "10.0.0.5"},
                                   "internet-id-monitoring:grafana": {"rootUrl": "https://grafana.example.org/"},
                                   **HTTPS_UIS}, require_secrets=False)


HTTPS_UIS = {"internet-id-monitoring:prometheus": {"externalUrl": "https://prometheus.example.org"},
             "internet-id-monitoring:notifications": {"externalUrl": "https://alertmanager.example.org"}}
"""The https URLs of a TLS proxy: what publishing the UIs beyond loopback requires."""


def test_uis_published_beyond_loopback_need_https_urls() -> None:
    """Issue 25, 7g: the default URLs would be http://10.0.0.5:…, where verify and test-alert would send the web
    credential and people Grafana's password in clear."""
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("dev", {"internet-id-monitoring:docker": {"bindAddress": "10.0.0.5"},
                                      "internet-id-monitoring:grafana": {"secureCookies": False}},
                              require_secrets=False)
    assert caught.value.problems == [
        "internet-id-monitoring:prometheus.externalUrl: required because docker.bindAddress 10.0.0.5 publishes the "
        "UIs beyond loopback, where their plain http would carry the credentials in clear; set "
        "prometheus.externalUrl, notifications.externalUrl, grafana.rootUrl to the https URLs of a TLS proxy in "
        "front of them"]
