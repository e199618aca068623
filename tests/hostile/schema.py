"""The leaves of the settings schema, walked from ``StackSettings`` (through ``Optional``, ``Annotated``, lists,
dicts and nested models): each with its config path and what the product's metadata says it is."""

from __future__ import annotations

import types
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from components.durations import DurationKind
from components.model import Kind, kind_of
from components.settings import StackSettings

INTERNAL_FIELDS = frozenset({"stack", "secrets"})
"""Fields of ``StackSettings`` that are not config keys."""
ELEMENT = "0"
"""The path segment of a list's element (its first)."""


@dataclass(frozen=True)
class Leaf:
    """A setting holding a value, not a block of settings."""

    path: tuple[str, ...]
    """Config keys from the namespace down (camelCase), ``0`` for a list element, the key of a dict entry."""
    base: type | None
    """``str``, ``int``, ``float``, ``bool``, a ``Literal``'s marker (``None``), ``IPv4Address``."""
    kind: Kind | None
    bounds: dict[str, float]
    """``ge``/``gt``/``le``/``lt`` of a number."""

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def duration(self) -> DurationKind | None:
        return self.kind if isinstance(self.kind, DurationKind) else None


def leaves(model: type[BaseModel] = StackSettings, prefix: tuple[str, ...] = (),
           dict_keys: dict[tuple[str, ...], str] | None = None) -> list[Leaf]:
    """Every leaf below ``model``; a dict's entry is named by ``dict_keys[path of the dict]`` (default ``key``)."""
    found: list[Leaf] = []
    for name, info in model.model_fields.items():
        if not prefix and name in INTERNAL_FIELDS:
            continue
        found += _walk(info.annotation, [*info.metadata], (*prefix, info.alias or name), dict_keys or {})
    return found


def _walk(annotation: Any, metadata: list[Any], path: tuple[str, ...], dict_keys: dict[tuple[str, ...], str]
          ) -> list[Leaf]:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _walk(inner, [*metadata, *extra], path, dict_keys)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        assert len(options) == 1, f"{'.'.join(path)}: a union of {options} is no setting type the walker knows"
        return _walk(options[0], metadata, path, dict_keys)
    if origin is list:
        return _walk(get_args(annotation)[0], [], (*path, ELEMENT), dict_keys)
    if origin is dict:
        key_type, value_type = get_args(annotation)
        assert key_type is str or get_origin(key_type) is Annotated, f"{'.'.join(path)}: dict keys must be str"
        return _walk(value_type, [], (*path, dict_keys.get(path, "key")), dict_keys)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return leaves(annotation, path, dict_keys)
    if origin is Literal:
        return [Leaf(path, None, None, {})]
    assert annotation in (str, int, float, bool, IPv4Address), f"{'.'.join(path)}: {annotation} is no known leaf"
    return [Leaf(path, annotation, kind_of(metadata), _bounds(metadata))]


def _bounds(metadata: list[Any]) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for item in metadata:
        items = item.metadata if isinstance(item, FieldInfo) else [item]
        for bound in items:
            for name in ("ge", "gt", "le", "lt"):
                if isinstance(bound, getattr(annotated_types, name.capitalize())):
                    bounds[name] = getattr(bound, name)
    return bounds
