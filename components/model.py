"""Base class for every settings model: camelCase config keys, unknown keys rejected.

Stack config is written by hand in ``Pulumi.<stack>.yaml``; a typo must be an error that
names the key, never a silently ignored value.  The docstring under each field documents it in
the generated configuration reference (``docs/configuration.md``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    """A frozen settings block read from stack config (keys in camelCase)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )
