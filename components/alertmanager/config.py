"""alertmanager.yml rendered from settings (no secret values: credentials are ``*_file`` paths)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from components import yamltext
from components.alertmanager.inhibitions import HOST_LOSS, INHIBITIONS
from components.alertmanager.receivers import render_receivers
from components.alertmanager.routes import DEFAULT_RECEIVER, GROUP_BY, ROUTES
from components.hosts.tls import CA_FILE, client_tls, server_tls
from components.webauth.files import WEB_DIR

if TYPE_CHECKING:
    from components.alertmanager.settings import NotificationSettings
    from components.context import StackContext

TEMPLATES_GLOB = "templates/*.tmpl"
"""Relative to alertmanager.yml: Alertmanager resolves it against the config file's directory."""


def render_alertmanager_config(notifications: NotificationSettings, context: StackContext) -> str:
    """alertmanager.yml; the same on every peer of a multi-host stack (``context.hosts``), with its host-loss
    inhibitions."""
    return yamltext.dump(
        alertmanager_document(notifications, multi_host=context.multi_host),
        header=f"{context.rendered_by}. No secret values: see *_file.",
    )


def alertmanager_document(notifications: NotificationSettings, *, multi_host: bool = False) -> dict[str, Any]:
    return {
        "global": {"resolve_timeout": notifications.resolve_timeout},
        "templates": [TEMPLATES_GLOB],
        "route": render_route_tree(notifications),
        "inhibit_rules": [
            {"source_matchers": list(rule.source), "target_matchers": list(rule.target), "equal": list(rule.equal)}
            for rule in INHIBITIONS + (HOST_LOSS if multi_host else ())
        ],
        "receivers": render_receivers(notifications),
    }


def render_route_tree(notifications: NotificationSettings) -> dict[str, Any]:
    timings = notifications.timing
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


def template_files() -> dict[str, str]:
    """Notification templates by file name, uploaded next to alertmanager.yml under templates/."""
    folder = resources.files("components.alertmanager") / "templates"
    return {item.name: item.read_text() for item in sorted(folder.iterdir(), key=lambda i: i.name)
            if item.name.endswith(".tmpl")}


def render_cluster_tls(context: StackContext) -> str:
    """``--cluster.tls-config`` of a multi-host stack's peers: gossip over mutual TLS with the host's pair, which
    the web config's ``tls`` directory holds (paths relative to this file, beside alertmanager.yml)."""
    web = f"{WEB_DIR}/"
    return yamltext.dump({
        "tls_server_config": {**server_tls(WEB_DIR), "client_auth_type": "RequireAndVerifyClientCert",
                              "client_ca_file": web + CA_FILE},
        "tls_client_config": client_tls(WEB_DIR, identify=True),
    }, header=f"{context.rendered_by}: the peers' gossip over mutual TLS (file paths only).")
