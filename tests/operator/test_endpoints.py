"""Default URLs of the operator commands are the ones the stack tells people about."""

from __future__ import annotations

from components.config_source import settings_from_mapping
from components.operator.endpoints import default_endpoints

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
