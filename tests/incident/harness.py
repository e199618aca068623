"""Mocks for the incident components: record every resource and data-source call.

The mock returns the inputs as state plus the provider-computed outputs the components pass on
(camelCase wire names): ``integrationKey`` of integrations, ``dsnPublic``/``dsnSecret`` of the
Sentry key, ``internalId`` of the Sentry team.  IDs are ``<logical name>-id``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pulumi
import pulumi.runtime

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.secrets import Secret
from components.settings import PROJECT, StackSettings

TOKENS = {"pagerduty:token": "pd-token", "slack:token": "slack-token", "sentry:token": "sentry-token"}

COMPUTED: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "pagerduty:index/serviceIntegration:ServiceIntegration": lambda a: {"integrationKey": f"key-{a.name}"},
    "sentry:index/sentryKey:SentryKey": lambda a: {
        "dsnPublic": f"https://public-{a.name}@o1.ingest.sentry.example/42",
        "dsnSecret": f"https://public-{a.name}:secret@o1.ingest.sentry.example/42",
    },
    "sentry:index/sentryTeam:SentryTeam": lambda a: {"internalId": "4242"},
}


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        state = dict(args.inputs)
        computed = COMPUTED.get(args.typ)
        if computed:
            state.update(computed(args))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.calls.append(args)
        if args.token == "pagerduty:index/getUser:getUser":
            email = str(args.args.get("email"))
            return {"id": f"found-{email}", "email": email, "name": email}, []
        return {}, []

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str) -> dict[str, Any]:
        matches = [r for r in self.of_type(typ) if r.name == name]
        assert len(matches) == 1, f"expected one {typ} {name!r}, got {[r.name for r in self.of_type(typ)]}"
        return dict(matches[0].inputs)

    def counts(self) -> Counter[str]:
        return Counter(r.typ for r in self.resources)


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
