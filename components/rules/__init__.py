"""The alert catalogue: rule groups rendered from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.rules.render import render_rules

if TYPE_CHECKING:
    from components.settings import StackSettings


def render_rule_files(settings: StackSettings) -> dict[str, str]:
    """Rule files by file name (``api.yml`` …), as uploaded to ``/etc/prometheus/rules``."""
    return render_rules(settings.rules, settings.stack, settings.targets.api.expected_replicas)
