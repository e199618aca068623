"""The multi-host suite's world: several Docker hosts in network namespaces (``harness/fleet.py``).

Every test under tests/multihost is a ``multihost`` test and an ``e2e`` test: ``-m multihost`` selects
them alone, and the quick form ``-m "not live and not e2e"`` leaves them out with the rest of the
end-to-end suite (they need root and dockerd). Nothing here skips: a missing dockerd, openssl or image build fails
with a line that names what is missing and how to get it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.containers import alertmanager, prometheus, vmauth
from tests.e2e.harness import images
from tests.e2e.harness.project import ScratchProject, ToolchainMissingError
from tests.multihost.harness import apps
from tests.multihost.harness.fleet import Fleet, FleetError, Host
from tests.multihost.harness.stack import (
    ROLES,
    STACK,
    Api,
    Receivers,
    init_stack,
    private_toolchain,
    scratch_project,
    start_relays,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.multihost)
            item.add_marker(pytest.mark.e2e)


@dataclass
class World:
    """One fleet with the multi-host stack's world around it: images, the app, receivers, a scratch project."""

    fleet: Fleet
    project: ScratchProject
    receivers: Receivers
    stand_ins: dict[str, str]
    api: Api | None = None
    facts: dict[str, float] = field(default_factory=dict)
    """Numbers the scenarios measured, for the terminal summary."""
    marks: dict[str, float] = field(default_factory=dict)
    """Moments one scenario leaves to a later one (``time.time()``)."""

    def host(self, name: str) -> Host:
        return self.fleet.host(name)

    def prometheus(self, name: str) -> str:
        return f"https://{self.host(name).address}:{prometheus.RECORD.port}"

    def alertmanager(self, name: str) -> str:
        return f"https://{self.host(name).address}:{alertmanager.RECORD.port}"

    def reader(self) -> str:
        return f"https://{self.host('h1').address}:{vmauth.READ_PORT}"

    def relays(self) -> None:
        start_relays(self.fleet, self.stand_ins["python"], [self.host(n) for n in ("h1", "h2", "h3")],
                     f"iidmon-{STACK}-alertmanager")


WORLD: list[World] = []


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Three hosts (tests/multihost/harness/stack.py, ROLES), every image loaded, the app up, the receivers
    listening, the stack initialised with its secrets, nothing deployed."""
    try:
        fleet = Fleet(3).start()
    except FleetError as error:
        pytest.fail(f"the multi-host suite needs its Docker hosts: {error}", pytrace=False)
    receivers: Receivers | None = None
    try:
        product = [*images.PRODUCT_IMAGES, *images.MULTI_HOST_IMAGES]
        built = fleet.build_images([*product, *images.APP_IMAGES, "python"])
        stand_ins = {name: built[name] for name in product}
        apps.start(fleet, ROLES)
        receivers = Receivers(fleet.machine_address).start()
        root = tmp_path_factory.mktemp("multihost")
        toolchain = private_toolchain(root / "toolchain")
        project = scratch_project(root / "project", toolchain)
        data_root = root / "docker-data-root"  # cAdvisor's docker.dataRoot mount: an empty directory every host has
        data_root.mkdir()
        init_stack(project, fleet, stand_ins, data_root=data_root)
        world = World(fleet, project, receivers, {**stand_ins, "python": built["python"]})
        WORLD.append(world)
        yield world
    except (FleetError, images.ImageError, ToolchainMissingError) as error:
        pytest.fail(f"the multi-host stack's world could not be set up: {error}", pytrace=False)
    finally:
        if receivers is not None:
            receivers.stop()
        fleet.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for world in WORLD:
        if world.facts:
            terminalreporter.section("multi-host suite: measured")
            for what, value in world.facts.items():
                terminalreporter.write_line(f"{what}: {value:.1f}")
