"""The pinned image of every container, by container name: what a stack runs unless ``images.<name>`` overrides it.

Each record (``components/containers/<name>.py``) owns its pin; this table collects them for whoever needs them
all (the settings' checks, the "What runs" table of docs/design.md, the test tooling), without loading any renderer.
"""

from __future__ import annotations

from components.containers.records import ALL_RECORDS

IMAGES: dict[str, str] = {record.name: record.image for record in ALL_RECORDS}
