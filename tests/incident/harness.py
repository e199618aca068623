"""Mocks for the incident components: record every resource and data-source call.

The mocks are the project's ``RecordingMocks``: inputs as state plus the provider-computed
outputs the components pass on (``integrationKey``, ``dsnPublic``/``dsnSecret``, ``internalId``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pulumi
import pulumi.runtime

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.secrets import Secret
from components.settings import PROJECT, StackSettings
from tests.pulumi_harness import RecordingMocks as Mocks

__all__ = ["Mocks", "settings_for", "stack_settings", "use_mocks", "value_and_secret", "when_registered"]

TOKENS = {"pagerduty:token": "pd-token", "slack:token": "slack-token", "sentry:token": "sentry-token"}


def use_mocks(stack: str) -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    return mocks


def with_tokens(settings: StackSettings, keys: tuple[str, ...] = tuple(TOKENS)) -> StackSettings:
    secrets = {**settings.secrets, **{key: Secret(key, TOKENS[key]) for key in keys}}
    return settings.model_copy(update={"secrets": secrets})


def settings_for(stack: str, incident: dict[str, Any], **extra: Any) -> StackSettings:
    """Settings of ``stack`` with only ``incident`` (and ``extra`` project keys) set, tokens included."""
    config: dict[str, Any] = {f"{PROJECT}:incident": incident}
    if stack == "prod":
        config[f"{PROJECT}:environment"] = "production"
    config.update({f"{PROJECT}:{key}": value for key, value in extra.items()})
    return with_tokens(settings_from_mapping(stack, config, require_secrets=False))


def stack_settings(stack: str) -> StackSettings:
    """Settings as committed in ``Pulumi.<stack>.yaml``, with fake provider tokens."""
    return with_tokens(settings_from_stack_file(stack))


def descendants(resource: pulumi.Resource) -> list[pulumi.Resource]:
    found: list[pulumi.Resource] = []
    for child in resource._childResources:
        found.append(child)
        found.extend(descendants(child))
    return found


def when_registered(root: pulumi.Resource, check: Callable[[], Awaitable[None]]) -> pulumi.Output[None]:
    """An Output that runs ``check`` once ``root`` and every resource below it are registered."""

    async def run() -> None:
        await root.urn.future()
        for resource in descendants(root):
            await resource.urn.future()
        await check()

    return pulumi.Output.from_input(asyncio.ensure_future(run()))


async def value_and_secret(output: pulumi.Output[Any]) -> tuple[Any, bool]:
    return await output.future(), await output.is_secret()
