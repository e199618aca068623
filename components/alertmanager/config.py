"""alertmanager.yml rendered from settings (no secret values: credentials are ``*_file`` paths)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from components import yamltext
from components.alertmanager.credentials import credential_files
from components.alertmanager.inhibitions import INHIBITIONS
from components.alertmanager.receivers import render_receivers
from components.alertmanager.routes import DEFAULT_RECEIVER, GROUP_BY, ROUTES
from components.secrets import Secret

if TYPE_CHECKING:
    from components.settings import StackSettings

TEMPLATES_GLOB = "templates/*.tmpl"
"""Relative to alertmanager.yml: Alertmanager resolves it against the config file's directory."""


def render_alertmanager_config(settings: StackSettings) -> str:
    return yamltext.dump(
        alertmanager_document(settings),
        header=f"Rendered by internet-id-monitoring for stack {settings.stack}. No secret values: see *_file.",
    )


def alertmanager_document(settings: StackSettings) -> dict[str, Any]:
    n = settings.notifications
    return {
        "global": {"resolve_timeout": n.resolve_timeout},
        "templates": [TEMPLATES_GLOB],
        "route": render_route_tree(settings),
        "inhibit_rules": [
            {"source_matchers": list(rule.source), "target_matchers": list(rule.target), "equal": list(rule.equal)}
            for rule in INHIBITIONS
        ],
        "receivers": render_receivers(settings),
    }


def render_route_tree(settings: StackSettings) -> dict[str, Any]:
    timings = settings.notifications.timing
    root = timings.default
    children = []
    for route in ROUTES:
        timing = getattr(timings, route.timing)
        child: dict[str, Any] = {
            "receiver": route.receiver,
            "matchers": list(route.matchers),
            "group_wait": timing.group_wait,
            "group_interval": timing.group_interval,
            "repeat_interval": timing.repeat_interval,
        }
        if route.continue_:
            child["continue"] = True
        children.append(child)
    return {
        "receiver": DEFAULT_RECEIVER,
        "group_by": list(GROUP_BY),
        "group_wait": root.group_wait,
        "group_interval": root.group_interval,
        "repeat_interval": root.repeat_interval,
        "routes": children,
    }


def template_files(settings: StackSettings) -> dict[str, str]:
    """Notification templates by file name, uploaded next to alertmanager.yml under templates/."""
    folder = resources.files("components.alertmanager") / "templates"
    return {item.name: item.read_text() for item in sorted(folder.iterdir(), key=lambda i: i.name)
            if item.name.endswith(".tmpl")}


def secret_files(settings: StackSettings) -> dict[str, Secret]:
    """Credential files by file name (under the secrets dir) and the secret each one holds.

    A secret not set in config (only possible in the render command, which never reads values)
    is returned as ``Secret(key, None)``; ``pulumi up`` refuses to run without required secrets.
    """
    return {name: settings.secret(secret.key) or Secret(secret.key, None)
            for name, secret in credential_files(settings.notifications).items()}
