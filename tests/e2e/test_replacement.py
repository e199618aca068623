"""Why every container of the stack is deleted before its replacement: the collision, shown for real.

A tiny program (``tests/e2e/replacement``) declares one container the way the stack does (fixed
name, published host port).  A port change replaces it; without ``deleteBeforeReplace`` the
engine creates the replacement first and Docker refuses it, with it the change goes through.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import images
from tests.e2e.harness.engine import LABEL, Engine
from tests.e2e.harness.project import REPO, ScratchProject, pulumi_env

PROGRAM = Path(__file__).resolve().parent / "replacement"
STACK = "collide"


@pytest.fixture
def replacement(tmp_path: Path, engine: Engine) -> Iterator[ScratchProject]:
    images.ensure(engine.docker_host, ["busybox"])
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copyfile(PROGRAM / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    project = ScratchProject(root=tmp_path, env=pulumi_env(tmp_path / ".state", engine.docker_host))
    project.pulumi("stack", "init", STACK)
    for key, value in (("image", images.reference("busybox")), ("port", "29180"), ("label", LABEL),
                       ("labelValue", engine.id)):
        project.pulumi("config", "set", "--stack", STACK, key, value)
    yield project
    project.pulumi("destroy", "--yes", "--stack", STACK, check=False)


def test_a_fixed_name_and_port_collide_unless_the_old_container_goes_first(replacement: ScratchProject) -> None:
    replacement.pulumi("up", "--yes", "--stack", STACK)
    replacement.pulumi("config", "set", "--stack", STACK, "port", "29181")
    collided = replacement.pulumi("up", "--yes", "--stack", STACK, check=False)
    assert collided.returncode != 0, "the replacement was created while the old container still held its name"
    refusal = [line.strip() for line in collided.output.splitlines() if "already" in line]
    assert refusal, collided.output
    print(f"replacement created first, refused by Docker: {refusal[0]}")

    replacement.pulumi("config", "set", "--stack", STACK, "deleteBeforeReplace", "true")
    replaced = replacement.pulumi("up", "--yes", "--stack", STACK)
    assert "replaced" in replaced.output
