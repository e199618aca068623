"""Fake values for every secret a stack requires, so the program runs as with real ones."""

from __future__ import annotations

from components.config_source import settings_from_stack_file
from components.secret_keys import HEARTBEAT_URL
from components.settings import PROJECT


def full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def required_test_secrets(stack: str) -> dict[str, str]:
    """``{full config key: distinctive fake value}`` for each secret ``stack`` requires."""
    settings = settings_from_stack_file(stack)
    return {full_key(key): fake_secret(key) for key in settings.required_secrets()}


def fake_secret(key: str) -> str:
    """A distinctive fake value for ``key``, in the shape its checks accept (the heartbeat's is an https URL)."""
    value = f"TEST-SECRET-{key.replace(':', '-')}-9f3c"
    return f"https://hc-ping.example.org/{value}" if key == HEARTBEAT_URL.key else value
