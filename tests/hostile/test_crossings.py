"""Where a value leaves Python for another language, it goes through one function of that language: PromQL strings,
the PostgreSQL URL, the API's environment file, and the Docker endpoint the secrets cross."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from components import promql
from components.config_source import settings_from_mapping, settings_from_stack_file
from components.containers import postgres_exporter
from components.containers.settings import DockerSettings, PostgresExporterSettings
from components.incident.sentry_settings import sentry_env_lines
from components.model import docker_endpoint_problem
from components.program import docker_environment_problems
from components.prometheus.settings import PostgresTarget
from components.rules.render import render_rules
from tests import pulumi_harness
from tests.contexts import stack_context
from tests.pulumi_harness import declared_types, run_program, stack_config

NS = "internet-id-monitoring"


@pytest.mark.parametrize(("value", "quoted"), [
    ('a"b', '"a\\"b"'), ("a\\d+", '"a\\\\d+"'), ("plain", '"plain"'),
])
def test_a_value_enters_promql_as_a_string_literal(value: str, quoted: str) -> None:
    assert promql.quote(value) == quoted
    [matcher] = promql.parse_matchers(f"name={quoted}")
    assert matcher.value == value


def test_a_value_with_a_line_break_never_enters_promql() -> None:
    with pytest.raises(ValueError, match="U\\+000A"):
        promql.quote("api\n} or vector(1)")


def test_an_slo_selector_is_kept_in_one_canonical_form() -> None:
    settings = settings_from_mapping("dev", {f"{NS}:slos": [
        {"name": "a", "kind": "availability", "objective": 99.9, "selector": 'job = "api" ,route!~"/x\\\\d"'}]},
        require_secrets=False)
    assert settings.slos[0].selector == 'job="api", route!~"/x\\\\d"'


def test_api_containers_with_a_backslash_reach_the_rules_quoted() -> None:
    settings = settings_from_stack_file("dev")
    rules = settings.rules.model_copy(update={"api_containers": 'api-\\d+|"x"'})
    document = yaml.safe_load(render_rules(rules, settings.context)["api.yml"])
    expressions = [rule["expr"] for group in document["groups"] for rule in group["rules"]]
    assert any('name=~"api-\\\\d+|\\"x\\""' in expr for expr in expressions)


@pytest.mark.parametrize(("target", "uri"), [
    ({}, "db:5432/internetid?sslmode=disable"),
    ({"database": "internet$id"}, "db:5432/internet%24id?sslmode=disable"),
    ({"host": "::1"}, "[::1]:5432/internetid?sslmode=disable"),
    ({"host": "10.0.0.7", "sslmode": "verify-full"}, "10.0.0.7:5432/internetid?sslmode=verify-full"),
])
def test_the_postgresql_url_is_built_from_validated_parts(target: dict[str, str], uri: str) -> None:
    runtime = postgres_exporter.runtime(PostgresExporterSettings(), stack_context("dev"),
                                        database=PostgresTarget.model_validate(target), password_set=True)
    assert runtime.env["DATA_SOURCE_URI"] == uri
    assert runtime.env["DATA_SOURCE_USER"] == "internetid"


def test_a_database_elsewhere_needs_tls_for_the_exporters_password() -> None:
    for host in ("db.example.com", "10.0.0.7"):
        with pytest.raises(ValueError, match="would send the exporter's password"):
            PostgresTarget(host=host)
        PostgresTarget(host=host, sslmode="require")
    PostgresTarget(host="127.0.0.1")  # loopback: never leaves the host


def test_the_env_file_refuses_a_value_that_would_start_another_variable() -> None:
    dsn = "https://key@o1.ingest.sentry.example/42\nNODE_OPTIONS=--require /tmp/x.js"
    with pytest.raises(ValueError) as caught:
        sentry_env_lines(dsn, "production", 0.1)
    assert "SENTRY_DSN" in str(caught.value) and "key@" not in str(caught.value)
    assert sentry_env_lines("https://key@o1.ingest.sentry.example/42", "production", 0.1).count("\n") == 3


@pytest.mark.parametrize(("endpoint", "tls", "refused"), [
    ("tcp://10.0.0.5:2375", False, True),
    ("tcp://10.0.0.5:2376", True, False),
    ("tcp://127.0.0.1:2375", False, False),
    ("ssh://ops@monitoring.example.com", False, False),
    ("ssh://ops@monitoring.example.com:2222", False, False),
    ("unix:///var/run/docker.sock", False, False),
    ("unix://var/run/docker.sock", False, True),
    ("http://10.0.0.5:2375", True, True),
])
def test_a_docker_endpoint_every_secret_crosses_is_encrypted_or_local(endpoint: str, tls: bool, refused: bool) -> None:
    """The one check for every Docker endpoint a stack names (``docker.host`` today, per-host endpoints later)."""
    assert (docker_endpoint_problem(endpoint, tls=tls) is not None) == refused


def test_docker_host_from_the_environment_is_checked_like_the_setting() -> None:
    docker = DockerSettings()
    assert docker_environment_problems(docker, {"DOCKER_HOST": "tcp://10.0.0.5:2375"})[0].startswith(
        "DOCKER_HOST (environment): 'tcp://10.0.0.5:2375' is plain TCP")
    assert docker_environment_problems(docker, {"DOCKER_HOST": "tcp://10.0.0.5:2376",
                                                "DOCKER_CERT_PATH": "/home/ops/.docker"}) == []
    assert docker_environment_problems(DockerSettings(host="ssh://ops@h.example.com"),
                                       {"DOCKER_HOST": "tcp://10.0.0.5:2375"}) == []


def test_the_program_stops_before_any_resource_for_plain_tcp_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi_harness, "MOCK_DOCKER_CERT_PATH", "")
    registered = declared_types(monkeypatch)
    with pytest.raises(pulumi.RunError, match=r"DOCKER_HOST \(environment\): 'tcp://10.0.0.5:2375' is plain TCP"):
        run_program("dev", stack_config("dev"), docker_host="tcp://10.0.0.5:2375")
    assert registered == []
