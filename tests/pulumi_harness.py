"""Run the Pulumi program under Pulumi's mocks and record what it declares.

Config is handed to the engine the way the CLI does (``set_all_config``), so the program's own
``settings_from_pulumi`` path is exercised, secrets included.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pulumi.runtime
from pulumi.runtime.mocks import MockMonitor

from components import program
from components.config_source import read_stack_file, settings_from_mapping
from components.grafana.community import cache_path
from components.settings import PROJECT

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Pulumi's wire markers: a secret value travels as {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# Computed outputs the program passes on as inputs; the mock returns them (camelCase wire names).
COMPUTED: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    # Image ids follow the image (a new tag is a new image), as Docker's do.
    "docker:index/remoteImage:RemoteImage": lambda a: {"imageId": f"sha256:{a.inputs.get('name', a.name)}"},
    # A reload job that ran to the end and confirmed the reload (attach + logs, as the provider reports it).
    "docker:index/container:Container": lambda a: (
        {"exitCode": 0, "containerLogs": f"{a.name}: loaded (after 1s)\n"} if a.inputs.get("attach") else {}
    ),
    "random:index/randomPassword:RandomPassword": lambda a: {
        "result": f"generated-{a.name}", "bcryptHash": f"$2a$10$mock-bcrypt-hash-of-{a.name}"},
    "pagerduty:index/serviceIntegration:ServiceIntegration": lambda a: {"integrationKey": f"key-{a.name}"},
    "sentry:index/sentryKey:SentryKey": lambda a: {
        "dsnPublic": f"https://public-{a.name}@o1.ingest.sentry.example/42",
        "dsnSecret": f"https://public-{a.name}:secret@o1.ingest.sentry.example/42",
    },
    "sentry:index/sentryTeam:SentryTeam": lambda a: {"internalId": "4242"},
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that remember every resource and call, and answer a PagerDuty user look-up."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        """(type, name) -> the state the mock answered: the inputs (secret markers kept) and what it computed."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        state = dict(args.inputs)
        computed = COMPUTED.get(args.typ)
        if computed:
            state.update(computed(args))
        self.states[(args.typ, args.name)] = state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.calls.append(args)
        if args.token == "pagerduty:index/getUser:getUser":
            email = str(args.args.get("email"))
            return {"id": f"found-{email}", "email": email, "name": email}, []
        return {}, []

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str) -> dict[str, Any]:
        """Inputs of the one resource of ``typ`` named ``name``."""
        matches = [r for r in self.of_type(typ) if r.name == name]
        assert len(matches) == 1, f"expected one {typ} {name!r}, got {[r.name for r in self.of_type(typ)]}"
        return dict(matches[0].inputs)

    def counts(self) -> Counter[str]:
        return Counter(r.typ for r in self.resources)


class RecordingMonitor(MockMonitor):
    """The mock engine, also remembering which outputs each resource asked to keep secret in state."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.secret_outputs: dict[tuple[str, str], set[str]] = {}
        """(type, name) -> ``additionalSecretOutputs`` (the SDK's own and the program's)."""
        self.ignore_changes: dict[tuple[str, str], list[str]] = {}
        """(type, name) -> ``ignoreChanges`` the program asked for."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        self.secret_outputs[(request.type, request.name)] = set(request.additionalSecretOutputs)
        self.ignore_changes[(request.type, request.name)] = list(request.ignoreChanges)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


@dataclass
class Deployment:
    """What one run of the program declared."""

    resources: list[pulumi.runtime.MockResourceArgs]
    outputs: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    """Stack output name -> (value, is_secret)."""
    states: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(type, name) -> the resource's state as the mock answered it (inputs and computed outputs)."""
    secret_outputs: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(type, name) -> the state keys the engine keeps secret besides secret inputs."""
    ignore_changes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(type, name) -> the properties the program told the engine to leave as they are."""

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def named(self, typ: str, name: str) -> pulumi.runtime.MockResourceArgs:
        matches = [r for r in self.of_type(typ) if r.name == name]
        assert len(matches) == 1, f"expected one {typ} named {name}, found {[r.name for r in self.of_type(typ)]}"
        return matches[0]

    def type_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource.typ] = counts.get(resource.typ, 0) + 1
        return counts


def unwrap(value: Any) -> Any:
    """The value with Pulumi's secret markers removed (what the resource really receives)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def without_secrets(value: Any) -> Any:
    """The value with every secret-marked part replaced by ``[secret]`` (what state shows in plain)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def stack_config(stack: str) -> dict[str, Any]:
    """The committed ``config`` mapping of ``Pulumi.<stack>.yaml``, its community dashboards pinned to the
    cached files (``program.DASHBOARD_CACHE``) the way an operator pins them after ``dashboards fetch``:
    stacks other than dev refuse unpinned ones, and prod and staging leave the pinning to the operator."""
    return pinned_dashboards(stack, dict(read_stack_file(stack, PROJECT_DIR / f"Pulumi.{stack}.yaml")))


def pinned_dashboards(stack: str, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its community dashboards pinned to the cached files (``stack_config``)."""
    grafana = settings_from_mapping(stack, config, require_secrets=False).grafana
    if not grafana.allow_unpinned_dashboards:
        config[f"{PROJECT}:grafana"] = {**config.get(f"{PROJECT}:grafana", {}), "communityDashboards": [
            {**d.model_dump(by_alias=True, exclude_none=True),
             "sha256": hashlib.sha256(cache_path(program.DASHBOARD_CACHE, d).read_bytes()).hexdigest()}
            for d in grafana.community_dashboards]}
    return config


def declared_types(monkeypatch: Any) -> list[str]:
    """Types the next ``run_program`` registers, as a list filled while it runs.

    Only that run's: a run that failed earlier may still finish registering resources on its own mocks
    while the next test runs.
    """
    declared: list[str] = []
    runs: list[RecordingMocks] = []
    original_init, original_new = RecordingMocks.__init__, RecordingMocks.new_resource

    def init(self: RecordingMocks) -> None:
        original_init(self)
        runs.append(self)

    def new_resource(self: RecordingMocks, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if runs and self is runs[-1]:
            declared.append(args.typ)
        return original_new(self, args)

    monkeypatch.setattr(RecordingMocks, "__init__", init)
    monkeypatch.setattr(RecordingMocks, "new_resource", new_resource)
    return declared


MOCK_DOCKER_HOST = "tcp://docker.mocked.invalid:2376"
"""Under mocks no Docker host exists: the program must not check this machine's paths for it."""
MOCK_DOCKER_CERT_PATH = "/nonexistent/docker-client-certificates"
"""A tcp:// Docker host is TLS or refused: the mocked one has (unread) client certificates."""


def run_program(
    stack: str, config: Mapping[str, Any], secrets: Mapping[str, str] | None = None,
    *, docker_host: str = MOCK_DOCKER_HOST,
) -> Deployment:
    """Run ``components.program`` for ``stack`` with ``config`` plus ``secrets`` (full keys)."""
    with mock.patch.dict(os.environ, {"DOCKER_HOST": docker_host, "DOCKER_CERT_PATH": MOCK_DOCKER_CERT_PATH}):
        return _run_program(stack, config, secrets)


def _run_program(stack: str, config: Mapping[str, Any], secrets: Mapping[str, str] | None) -> Deployment:
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    secrets = dict(secrets or {})
    plain = {key: value for key, value in config.items() if not (isinstance(value, dict) and "secure" in value)}
    engine_config = {key: _wire(value) for key, value in {**plain, **secrets}.items()}
    pulumi.runtime.set_all_config(engine_config, list(secrets))
    collected: dict[str, tuple[Any, bool]] = {}

    async def gather(outputs: Mapping[str, Any]) -> None:
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            collected[name] = (await output.future(), await output.is_secret())

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        outputs = program.main()
        return asyncio.ensure_future(gather(outputs))

    run()
    return Deployment(resources=list(mocks.resources), outputs=collected, states=dict(mocks.states),
                      secret_outputs=dict(monitor.secret_outputs), ignore_changes=dict(monitor.ignore_changes))


def _wire(value: Any) -> str:
    """Config values reach the program as strings; objects as JSON (what ``get_object`` parses)."""
    return value if isinstance(value, str) else json.dumps(value)


def plain_text(deployment: Deployment) -> str:
    """Everything the deployment would keep in plain state: every resource's inputs and the outputs the mocks
    computed, less what is marked secret (secret inputs, ``additionalSecretOutputs``), and the plain stack
    outputs."""
    inputs = [without_secrets(dict(r.inputs)) for r in deployment.resources]
    states = [
        without_secrets({key: value for key, value in state.items()
                         if key not in deployment.secret_outputs.get(resource, set())})
        for resource, state in deployment.states.items()
    ]
    outputs = {k: v for k, (v, secret) in deployment.outputs.items() if not secret}
    return json.dumps({"inputs": inputs, "states": states, "outputs": outputs}, default=str)
