"""Alert thresholds and ``for`` durations, overridable per stack (config key ``rules``)."""

from __future__ import annotations

from components.model import ConfigModel


class RuleSettings(ConfigModel):
    """Per-stack overrides of the alert catalogue's thresholds."""
