"""Fake values for every secret a stack requires, so the program runs as with real ones."""

from __future__ import annotations

from components.config_source import settings_from_stack_file
from components.hosts.settings import PEM_KINDS
from components.secret_keys import CONFIG_SECRETS, HEARTBEAT_URL
from components.settings import PROJECT


def full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def required_test_secrets(stack: str) -> dict[str, str]:
    """``{full config key: distinctive fake value}`` for each secret ``stack`` requires."""
    settings = settings_from_stack_file(stack)
    return {full_key(key): fake_secret(key) for key in settings.required_secrets()}


def fake_secret(key: str, value: str | None = None) -> str:
    """A distinctive fake value for ``key`` (or ``value``), in the shape its checks accept: the heartbeat's an https
    URL, TLS material (``hostTlsCert-<host>`` too) the PEM block the settings look for."""
    value = value or f"TEST-SECRET-{key.replace(':', '-')}-9f3c"
    if key == HEARTBEAT_URL.key:
        return f"https://hc-ping.example.org/{value}"
    kind = PEM_KINDS.get(CONFIG_SECRETS[key].key) if key in CONFIG_SECRETS else None
    return f"-----BEGIN {kind}-----\n{value}\n-----END {kind}-----\n" if kind else value
