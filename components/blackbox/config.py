"""blackbox.yml: the probe modules the scrape jobs name (``targets.probes[].module``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components import yamltext

if TYPE_CHECKING:
    from components.settings import StackSettings

_HTTP: dict[str, Any] = {
    "method": "GET",
    "valid_http_versions": ["HTTP/1.1", "HTTP/2.0"],
    "valid_status_codes": [200],
    "follow_redirects": True,
    "preferred_ip_protocol": "ip4",
}

# Every probe module a target may name (``targets.probes[].module``).
MODULES: dict[str, dict[str, Any]] = {
    "http_2xx": {"prober": "http", "timeout": "5s", "http": {**_HTTP, "fail_if_not_ssl": False}},
    "https_2xx": {
        "prober": "http",
        "timeout": "5s",
        "http": {**_HTTP, "fail_if_not_ssl": True, "tls_config": {"insecure_skip_verify": False}},
    },
}


def render_blackbox_config(settings: StackSettings) -> str:
    return yamltext.dump({"modules": MODULES}, header=f"Rendered by internet-id-monitoring for stack {settings.stack}.")
