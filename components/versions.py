"""The pinned image of every container, by container name: what a stack runs unless ``images.<name>`` overrides it.

Each record (``components/containers/<name>.py``) owns its pin; this table collects them for whoever needs them
all (the settings' checks, the "What runs" table of docs/design.md, the test tooling), without loading any renderer.
"""

from __future__ import annotations

from components.containers.records import RECORDS

IMAGES: dict[str, str] = {record.name: record.image for record in RECORDS}

CURRENT_IMAGES: dict[str, str] = IMAGES | {
    "prometheus": "prom/prometheus:v3.16.0",
    "alertmanager": "prom/alertmanager:v0.35.0",
}
"""Newer releases the test suite also runs the stack's rules and configuration against (docs/testing.md, "What runs
in the tests"): a stack selects them with ``images.prometheus`` and ``images.alertmanager``."""
