"""Default URLs of the operator commands are the ones the stack tells people about."""

from __future__ import annotations

from ipaddress import IPv4Address

from components.alertmanager.settings import RouteTimings
from components.config_source import settings_from_mapping
from components.containers.settings import PortSettings
from components.containers.urls import public_urls
from components.operator.alert_drill import AlertDrill
from components.operator.endpoints import Endpoints, WebCredentials, default_endpoints
from components.render import operator_view
from tests.contexts import stack_context

NS = "internet-id-monitoring"


def test_configured_public_urls_win_over_the_published_ports() -> None:
    urls = public_urls(IPv4Address("127.0.0.1"), PortSettings(), prometheus="https://prometheus.ops.example.com/",
                       alertmanager="https://alertmanager.ops.example.com", grafana="https://grafana.ops.example.com/")
    endpoints = default_endpoints(urls, "admin")
    assert endpoints.prometheus == "https://prometheus.ops.example.com"
    assert endpoints.alertmanager == "https://alertmanager.ops.example.com"
    assert endpoints.grafana == "https://grafana.ops.example.com"


def test_the_public_urls_are_the_three_settings() -> None:
    settings = settings_from_mapping(
        "prod",
        {
            f"{NS}:prometheus": {"externalUrl": "https://prometheus.ops.example.com/"},
            f"{NS}:notifications": {"externalUrl": "https://alertmanager.ops.example.com"},
            f"{NS}:grafana": {"rootUrl": "https://grafana.ops.example.com/"},
        },
        require_secrets=False,
    )
    urls = operator_view(settings).urls
    assert (urls.prometheus, urls.alertmanager, urls.grafana) == (
        "https://prometheus.ops.example.com", "https://alertmanager.ops.example.com", "https://grafana.ops.example.com")


def test_the_web_password_never_shows_in_a_repr() -> None:
    """A traceback that prints locals, or a debug print, must not carry the credential."""
    password = "never-printed-0123"
    settings = settings_from_mapping("dev", {}, require_secrets=False)
    for value in (WebCredentials((settings.web_auth.user, password)),
                  Endpoints("http://p", "http://a", "http://g", "admin", web_auth=("iidmon", password)),
                  AlertDrill(stack_context(), RouteTimings(), "https://r.example", "http://a", "warning",
                             auth=("iidmon", password))):
        assert password not in repr(value), type(value).__name__
