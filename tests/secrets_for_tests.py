"""Fake values for every secret a stack requires, so the program runs as with real ones."""

from __future__ import annotations

from components.config_source import settings_from_stack_file
from components.settings import PROJECT


def full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def required_test_secrets(stack: str) -> dict[str, str]:
    """``{full config key: distinctive fake value}`` for each secret ``stack`` requires."""
    settings = settings_from_stack_file(stack)
    return {full_key(key): f"TEST-SECRET-{key.replace(':', '-')}-9f3c" for key in settings.required_secrets()}
