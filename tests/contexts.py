"""A stack context for tests that render one area from its own settings model, without a stack file."""

from __future__ import annotations

from components.context import StackContext


def stack_context(stack: str = "test") -> StackContext:
    """The context a stack named ``stack`` gets with the default names (``load_settings`` fills them in alike)."""
    return StackContext(stack=stack, environment=stack, cluster=f"internet-id-{stack}",
                        container_prefix=f"iidmon-{stack}", network_name=f"internet-id-monitoring-{stack}")
