"""blackbox.yml: the probe modules of ``modules.py``, rendered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components import yamltext
from components.blackbox.modules import MODULES

if TYPE_CHECKING:
    from components.context import StackContext


def render_blackbox_config(context: StackContext) -> str:
    return yamltext.dump({"modules": MODULES}, header=f"{context.rendered_by}.")
