"""Stack config from ``Pulumi.<stack>.yaml``, for the commands that run without the Pulumi CLI.

Produces the same two mappings as the engine path in ``program.py`` for
``settings.load_settings``: plain values of the project's namespace, and secrets by key.
Ciphertext is never decrypted here, only noted as set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from components.secret_keys import CONFIG_SECRETS
from components.secrets import Secret
from components.settings import PROJECT, SettingsError, StackSettings, load_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""What Pulumi accepts as a stack name (and so what can name a stack file)."""


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml") if p.is_file())


def settings_from_stack_file(
    stack: str, project_dir: Path = PROJECT_DIR, *, require_secrets: bool = False, config_file: Path | None = None
) -> StackSettings:
    """Settings of ``stack`` as committed in its stack file (secrets present but not decrypted), or as written in
    ``config_file`` (what ``pulumi --config-file`` reads instead, e.g. a developer's own dev settings)."""
    stacks = ", ".join(known_stacks(project_dir)) or "none"
    if not STACK_NAME.match(stack):
        raise SettingsError(stack, [f"not a stack name (letters, digits, '.', '_', '-'); known stacks: {stacks}"])
    if config_file is not None and not config_file.is_file():
        raise SettingsError(stack, [f"--config-file {config_file}: no such file"])
    path = config_file or stack_file(stack, project_dir)
    if not path.is_file():
        raise SettingsError(stack, [f"no stack file {path.name}; known stacks: {stacks}"])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise SettingsError(stack, [f"{path.name} is not UTF-8 text; save it as UTF-8"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SettingsError(stack, [f"{path.name} is not valid YAML{where}: {problem}"]) from None
    config = document.get("config") or {} if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise SettingsError(stack, [f"{path.name}: 'config' must be a mapping of keys to values"])
    return settings_from_mapping(stack, config, require_secrets=require_secrets)


def settings_from_mapping(stack: str, config: dict[str, Any], *, require_secrets: bool = True) -> StackSettings:
    """Split a ``{"namespace:key": value}`` mapping (stack-file form) and load it."""
    values: dict[str, Any] = {}
    secrets: dict[str, Secret] = {}
    for full_key, value in config.items():
        namespace, _, key = str(full_key).partition(":")
        short = key if namespace == PROJECT else full_key
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets[short] = Secret(short, value["secure"])
        elif namespace == PROJECT:
            values[key] = value
        elif short in CONFIG_SECRETS:
            values[short] = value  # a provider token in plain text: load_settings reports it
    return load_settings(stack, values, secrets, require_secrets=require_secrets)


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
