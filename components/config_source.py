"""Stack config from ``Pulumi.<stack>.yaml``, for the commands that run without the Pulumi CLI.

Produces the same two mappings as the engine path in ``program.py`` for
``settings.load_settings``: plain values of the project's namespace, and secrets by key.
Ciphertext is never decrypted here, only noted as set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from components import config_keys
from components.secrets import Secret
from components.settings import PROJECT, SettingsError, StackSettings, load_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Where the stack files are (read at each call, so a test may point it elsewhere)."""


def stack_file(stack: str, project_dir: Path | None = None) -> Path:
    return (project_dir or PROJECT_DIR) / f"Pulumi.{stack}.yaml"


STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*", re.ASCII)
"""What Pulumi accepts as a stack name (and so what can name a stack file); matched whole."""


def known_stacks(project_dir: Path | None = None) -> list[str]:
    directory = project_dir or PROJECT_DIR
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml") if p.is_file())


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class _StrictLoader(_SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping as the Pulumi CLI's loader (Go's yaml.v3)
    does; PyYAML would keep the last value silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise DuplicateKeyError(key, line, seen[key])
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyError(Exception):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"line {line}: {key!r} is written twice (first at line {first}); keep one (pulumi "
                         "refuses this file too)")


def read_stack_file(stack: str, path: Path) -> dict[str, Any]:
    """The ``config`` mapping of a stack file; ``SettingsError`` (one line) when it is no valid stack file."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader) or {}
    except UnicodeDecodeError:
        raise SettingsError(stack, [f"{path.name} is not UTF-8 text; save it as UTF-8"]) from None
    except DuplicateKeyError as error:
        raise SettingsError(stack, [f"{path.name} {error}"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SettingsError(stack, [f"{path.name} is not valid YAML{where}: {problem}"]) from None
    config = document.get("config") or {} if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise SettingsError(stack, [f"{path.name}: 'config' must be a mapping of keys to values"])
    return config


def settings_from_stack_file(
    stack: str, project_dir: Path | None = None, *, require_secrets: bool = False, config_file: Path | None = None
) -> StackSettings:
    """Settings of ``stack`` as committed in its stack file (secrets present but not decrypted), or as written in
    ``config_file`` (what ``pulumi --config-file`` reads instead, e.g. a developer's own dev settings)."""
    stacks = ", ".join(known_stacks(project_dir)) or "none"
    if not STACK_NAME.fullmatch(stack):
        raise SettingsError(stack, [f"not a stack name (letters, digits, '.', '_', '-'); known stacks: {stacks}"])
    if config_file is not None and not config_file.is_file():
        raise SettingsError(stack, [f"--config-file {config_file}: no such file"])
    path = config_file or stack_file(stack, project_dir)
    if not path.is_file():
        raise SettingsError(stack, [f"no stack file {path.name}; known stacks: {stacks}"])
    return settings_from_mapping(stack, read_stack_file(stack, path), require_secrets=require_secrets)


def settings_from_mapping(stack: str, config: dict[str, Any], *, require_secrets: bool = True) -> StackSettings:
    """Sort a ``{"namespace:key": value}`` mapping (stack-file form) by the key policy and load it."""
    keys = {str(key): config_keys.is_secure(value) for key, value in config.items()}
    nested = {str(key): config_keys.secure_paths(value) for key, value in config.items()
              if not config_keys.is_secure(value)}
    plan = config_keys.plan_keys(keys, secret_paths=nested)
    values = {key.partition(":")[2]: config[key] for key in plan.plain}
    secrets = {_short(key): Secret(_short(key), config[key]["secure"]) for key in plan.secret}
    return load_settings(stack, values, secrets, require_secrets=require_secrets, key_problems=plan.problems)


def _short(key: str) -> str:
    """A secret's key as ``CONFIG_SECRETS`` names it: without the project's namespace."""
    return key.removeprefix(f"{PROJECT}:")


def decode_engine_value(raw: str | None) -> Any:
    """Engine config values are strings; objects and lists arrive as JSON, scalars as text.

    Scalars stay text so ``"123"`` remains a string where one is expected; the settings models
    convert ``"true"``/``"5"`` where they expect a bool or a number.
    """
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, dict | list) else raw
