"""A stack context for tests that render one area from its own settings model, without a stack file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from components.context import PROJECT, StackContext
from components.hosts.settings import HostSettings

EXAMPLE = Path(__file__).resolve().parent / "multihost" / "stack.yaml"
"""The committed example multi-host stack."""


def stack_context(stack: str = "test") -> StackContext:
    """The context a stack named ``stack`` gets with the default names (``load_settings`` fills them in alike)."""
    return StackContext(stack=stack, environment=stack, cluster=f"internet-id-{stack}",
                        container_prefix=f"iidmon-{stack}", network_name=f"internet-id-monitoring-{stack}")


def multi_host_context(stack: str = "test") -> StackContext:
    """The context of the example multi-host stack (tests/multihost/stack.yaml): three hosts, two Prometheus replicas,
    three Alertmanager peers, two stores."""
    document = yaml.safe_load(EXAMPLE.read_text())
    hosts = document["config"][f"{PROJECT}:hosts"]
    return replace(stack_context(stack), hosts=tuple(HostSettings.model_validate(host) for host in hosts))
