"""Pinned container images: the one place image versions live (kube-prometheus' versions.json).

Each stack may override an image with ``images.<name>`` (a tag or ``repo@sha256:…`` digest).
"""

from __future__ import annotations

IMAGES: dict[str, str] = {
    "prometheus": "prom/prometheus:v2.48.0",
    "alertmanager": "prom/alertmanager:v0.26.0",
    "grafana": "grafana/grafana:10.2.2",
    "postgres-exporter": "prometheuscommunity/postgres-exporter:v0.15.0",
    "redis-exporter": "oliver006/redis_exporter:v1.55.0",
    "node-exporter": "prom/node-exporter:v1.7.0",
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.47.2",
    "blackbox-exporter": "prom/blackbox-exporter:v0.24.0",
}

CURRENT_IMAGES: dict[str, str] = IMAGES | {
    "prometheus": "prom/prometheus:v3.16.0",
    "alertmanager": "prom/alertmanager:v0.35.0",
}
"""Newer releases the test suite also runs the stack's rules and configuration against (README, "What runs in
the tests"): a stack selects them with ``images.prometheus`` and ``images.alertmanager``."""
