"""The render core: one function for the program and the command, and safe re-renders."""

from __future__ import annotations

import json
from pathlib import Path

from components.config_source import settings_from_stack_file
from components.render import render_documents, write_documents
from tests.tools import python_output

RENDER_ALL = """
import json
import sys
from components.config_source import settings_from_stack_file
from components.render import render_documents
json.dump(render_documents(settings_from_stack_file({stack!r})), sys.stdout, sort_keys=True)
"""


def test_rendering_is_the_same_across_processes(stack: str) -> None:
    """Every document of the stack, rendered by two interpreters with different hash seeds, byte for byte."""
    code = RENDER_ALL.format(stack=stack)
    first, second = (python_output(code, hash_seed=seed) for seed in (1, 2))
    documents = json.loads(first)
    assert "prometheus/prometheus.yml" in documents and len(documents) > 5
    assert first == second


def test_prometheus_yml_carries_each_stacks_environment_and_cluster_labels() -> None:
    dev, prod = (render_documents(settings_from_stack_file(s)) for s in ("dev", "prod"))
    assert "environment: dev" in dev["prometheus/prometheus.yml"]
    assert "environment: production" in prod["prometheus/prometheus.yml"]
    assert "cluster: internet-id-production" in prod["prometheus/prometheus.yml"]


def test_rerender_removes_only_its_own_stale_files(tmp_path: Path) -> None:
    write_documents({"prometheus/rules/old.yml": "a", "prometheus/prometheus.yml": "b"}, tmp_path)
    (tmp_path / "prometheus/rules/mine.yml").write_text("kept")
    write_documents({"prometheus/prometheus.yml": "c"}, tmp_path)
    assert not (tmp_path / "prometheus/rules/old.yml").exists()
    assert (tmp_path / "prometheus/rules/mine.yml").read_text() == "kept"
    assert (tmp_path / "prometheus/prometheus.yml").read_text() == "c"


def test_rerender_never_deletes_outside_the_output_directory(tmp_path: Path) -> None:
    """A tampered manifest (absolute, ``../`` or through a symlinked directory) deletes nothing outside --out."""
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    victims = [outside / name for name in ("absolute.txt", "dotdot.txt", "linked.txt")]
    for victim in victims:
        victim.write_text("not the render's")
    write_documents({"prometheus/prometheus.yml": "b", "prometheus/rules/old.yml": "a"}, out)
    (out / "escape").symlink_to(outside)
    (out / ".rendered-files").write_text(
        f"prometheus/rules/old.yml\n{victims[0]}\n../outside/dotdot.txt\nescape/linked.txt\n"
    )
    write_documents({"prometheus/prometheus.yml": "c"}, out)
    assert not (out / "prometheus/rules/old.yml").exists()
    assert [victim.read_text() for victim in victims] == ["not the render's"] * 3
