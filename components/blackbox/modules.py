"""The blackbox exporter's probe modules as a table: what ``targets.probes[].module`` may name.

Field names are those of blackbox_exporter 0.23/0.24 (``valid_status_codes``,
``fail_if_body_matches_regexp``); ``tests/blackbox`` probes a local server with the real exporter.
"""

from __future__ import annotations

from typing import Any

_HTTP: dict[str, Any] = {
    "method": "GET",
    "valid_http_versions": ["HTTP/1.1", "HTTP/2.0"],
    "valid_status_codes": [200],
    "follow_redirects": True,
    "preferred_ip_protocol": "ip4",
}

BLOCKCHAIN_UNHEALTHY = r'"blockchain":\s*\{\s*"status":\s*"unhealthy"'
"""Matches the /api/health body while the API reports its blockchain RPC unhealthy (Express' compact
``res.json``: ``"blockchain":{"status":"unhealthy","error":…}``; whitespace tolerated)."""

HTTP_2XX = "http_2xx"
"""Any page: 200 after redirects."""
HTTPS_2XX = "https_2xx"
"""A page that must be served over TLS (its certificate's expiry is then measured)."""
API_HEALTH_BLOCKCHAIN = "api_health_blockchain"
"""The API's /api/health judged only for its blockchain check (BlockchainRPCDown)."""

# Every probe module a target may name (``targets.probes[].module``).
MODULES: dict[str, dict[str, Any]] = {
    HTTP_2XX: {"prober": "http", "timeout": "5s", "http": {**_HTTP, "fail_if_not_ssl": False}},
    HTTPS_2XX: {
        "prober": "http",
        "timeout": "5s",
        "http": {**_HTTP, "fail_if_not_ssl": True, "tls_config": {"insecure_skip_verify": False}},
    },
    # The body of /api/health judged for the blockchain check only: 200 (ok) and 503 (degraded, by
    # whatever dependency) are both answers; the probe fails, with probe_failed_due_to_regex 1, only
    # when the body reports the blockchain RPC unhealthy.  BlockchainRPCDown fires on exactly that.
    API_HEALTH_BLOCKCHAIN: {
        "prober": "http",
        "timeout": "5s",
        "http": {
            **_HTTP,
            "valid_status_codes": [200, 503],
            "fail_if_not_ssl": False,
            "fail_if_body_matches_regexp": [BLOCKCHAIN_UNHEALTHY],
        },
    },
}
