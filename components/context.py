"""What every area may know of the stack besides its own settings: who the stack is and how its Docker objects
are named.

The composition roots (``render.py``, ``program.py``) build it once from the composed settings; every area entry
takes it next to its own settings model(s), and nothing else of the composed settings.  It is deliberately small:
a fact of one area belongs in that area's settings, and a value one area needs of another is passed by name where
it is needed, so a signature says what the function depends on.  Facts every area will need later (the Docker
hosts of a stack spread over several machines) join here as one more field with a default, so no signature
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.hosts.settings import HostSettings, Role

PROJECT = "internet-id-monitoring"
"""The Pulumi project, and the namespace of its config keys."""


@dataclass(frozen=True)
class StackContext:
    """The identity of one stack."""

    stack: str
    """The Pulumi stack (``dev``, ``staging``, ``prod``)."""
    environment: str
    """Value of the ``environment`` label on every series and alert."""
    cluster: str
    """Value of the ``cluster`` external label; alerts are grouped by it."""
    container_prefix: str
    """Prefix of every container and volume name (``iidmon-<stack>``)."""
    network_name: str
    """Name of the monitoring network."""
    hosts: tuple[HostSettings, ...] = ()
    """The Docker hosts of a stack spread over several machines (``hosts``); empty: one Docker host."""

    @property
    def multi_host(self) -> bool:
        return bool(self.hosts)

    def with_role(self, role: Role) -> tuple[HostSettings, ...]:
        """The hosts holding ``role``, in the order of ``hosts``."""
        return tuple(host for host in self.hosts if role in host.roles)

    def container_name(self, name: str) -> str:
        """The Docker name of the stack's container ``name`` (unique on the Docker host)."""
        return f"{self.container_prefix}-{name}"

    @property
    def rendered_by(self) -> str:
        """How every rendered file's header starts."""
        return f"Rendered by {PROJECT} for stack {self.stack}"
