"""alertmanager.yml rendered from settings (no secret values: credentials are ``*_file`` paths)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components import yamltext
from components.secrets import Secret

if TYPE_CHECKING:
    from components.settings import StackSettings

CONFIG_DIR = "/etc/alertmanager"


def render_alertmanager_config(settings: StackSettings) -> str:
    document = {"route": {"receiver": "default"}, "receivers": [{"name": "default"}]}
    return yamltext.dump(document)


def template_files(settings: StackSettings) -> dict[str, str]:
    """Notification templates by file name, uploaded next to alertmanager.yml under templates/."""
    return {}


def secret_files(settings: StackSettings) -> dict[str, Secret]:
    """Credential files by file name (under the secrets dir) and the secret each one holds."""
    return {}
