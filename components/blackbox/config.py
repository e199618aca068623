"""blackbox.yml: the probe modules of ``modules.py``, rendered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components import yamltext
from components.blackbox.modules import MODULES

if TYPE_CHECKING:
    from components.settings import StackSettings


def render_blackbox_config(settings: StackSettings) -> str:
    return yamltext.dump({"modules": MODULES}, header=f"Rendered by internet-id-monitoring for stack {settings.stack}.")
