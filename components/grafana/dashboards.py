"""Every dashboard exactly as uploaded: the custom one and the cached community ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.settings import StackSettings


def render_dashboards(settings: StackSettings) -> dict[str, str]:
    """Dashboard JSON by file name (``<uid>.json``)."""
    return {}
