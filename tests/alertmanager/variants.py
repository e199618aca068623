"""Stack settings the Alertmanager tests render: every committed stack, and each channel switched off."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.alertmanager.config import render_alertmanager_config, template_files
from components.alertmanager.settings import NotificationSettings
from components.config_source import settings_from_mapping, stack_file
from components.settings import PROJECT, StackSettings

STACKS = ("dev", "staging", "prod")
NOTIFICATIONS = f"{PROJECT}:notifications"


def stack_config(stack: str) -> dict[str, Any]:
    document = yaml.safe_load(stack_file(stack).read_text()) or {}
    config = document.get("config") or {}
    assert isinstance(config, dict)
    return config


def _merged(stack: str, notifications: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``notifications`` config of ``stack`` with ``notifications`` merged (one level deep per channel)."""
    current: dict[str, Any] = copy.deepcopy(stack_config(stack).get(NOTIFICATIONS) or {})
    for key, value in (notifications or {}).items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            current[key] = {**current[key], **value}
        else:
            current[key] = value
    return current


def notifications_of(stack: str, notifications: Mapping[str, Any] | None = None) -> NotificationSettings:
    """Only the ``notifications`` settings of ``stack``, with ``notifications`` merged as ``variant`` does."""
    return NotificationSettings.model_validate(_merged(stack, notifications))


def variant(stack: str, notifications: Mapping[str, Any] | None = None, **secrets: str) -> StackSettings:
    """Settings of ``stack`` with ``notifications`` merged (one level deep per channel) and plain secrets."""
    config = copy.deepcopy(stack_config(stack))
    config[NOTIFICATIONS] = _merged(stack, notifications)
    for key, value in secrets.items():
        config[f"{PROJECT}:{key}"] = {"secure": value}
    return settings_from_mapping(stack, config, require_secrets=False)


def variants() -> dict[str, StackSettings]:
    """Named settings covering every stack and every channel toggled off on a full stack."""
    named = {stack: variant(stack) for stack in STACKS}
    for channel in ("pagerduty", "slack", "email"):
        named[f"prod-without-{channel}"] = variant("prod", {channel: {"enabled": False}})
    named["prod-slack-only"] = variant("prod", {"pagerduty": {"enabled": False}, "email": {"enabled": False}})
    named["prod-email-only"] = variant("prod", {"pagerduty": {"enabled": False}, "slack": {"enabled": False}})
    named["prod-shared-pd"] = variant("prod", {"pagerduty": {"separateDatabaseService": False}})
    named["prod-email-no-auth"] = variant("prod", {"email": {"username": None, "requireTls": False}})
    named["prod-slack-webhook"] = variant("prod", {"slack": {"delivery": "webhook"}})
    named["prod-slack-webhook-per-channel"] = variant(
        "prod",
        {"slack": {"delivery": "webhook", "channelWebhooks": ["critical", "warnings", "info"]},
         "email": {"enabled": False}},
    )
    named["prod-slack-webhook-critical-only"] = variant(
        "prod", {"slack": {"delivery": "webhook", "channelWebhooks": ["critical"]}, "email": {"enabled": False}}
    )
    named["staging-slack-webhook"] = variant("staging", {"slack": {"delivery": "webhook"}})
    return named


def write_config(settings: StackSettings, directory: Path) -> Path:
    """alertmanager.yml and its templates as deployed (templates/ next to the config file)."""
    (directory / "templates").mkdir(parents=True, exist_ok=True)
    for name, text in template_files().items():
        (directory / "templates" / name).write_text(text)
    path = directory / "alertmanager.yml"
    path.write_text(render_alertmanager_config(settings.notifications, settings.context))
    return path
