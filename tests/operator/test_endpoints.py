"""Default URLs of the operator commands are the ones the stack tells people about."""

from __future__ import annotations

from components.config_source import settings_from_mapping
from components.operator.alert_drill import AlertDrill
from components.operator.endpoints import Endpoints, WebCredentials, default_endpoints

NS = "internet-id-monitoring"


def test_configured_public_urls_win_over_the_published_ports() -> None:
    settings = settings_from_mapping(
        "prod",
        {
            f"{NS}:prometheus": {"externalUrl": "https://prometheus.ops.example.com/"},
            f"{NS}:notifications": {"externalUrl": "https://alertmanager.ops.example.com"},
            f"{NS}:grafana": {"rootUrl": "https://grafana.ops.example.com/"},
        },
        require_secrets=False,
    )
    endpoints = default_endpoints(settings)
    assert endpoints.prometheus == "https://prometheus.ops.example.com"
    assert endpoints.alertmanager == "https://alertmanager.ops.example.com"
    assert endpoints.grafana == "https://grafana.ops.example.com"


def test_the_web_password_never_shows_in_a_repr() -> None:
    """A traceback that prints locals, or a debug print, must not carry the credential."""
    password = "never-printed-0123"
    settings = settings_from_mapping("dev", {}, require_secrets=False)
    for value in (WebCredentials((settings.web_auth.user, password)),
                  Endpoints("http://p", "http://a", "http://g", "admin", web_auth=("iidmon", password)),
                  AlertDrill(settings, "http://a", "warning", auth=("iidmon", password))):
        assert password not in repr(value), type(value).__name__
