"""The render core: one function for the program and the command, and safe re-renders."""

from __future__ import annotations

from pathlib import Path

from components.config_source import settings_from_stack_file
from components.render import render_documents, write_documents


def test_rendering_is_deterministic(stack: str) -> None:
    settings = settings_from_stack_file(stack)
    assert render_documents(settings) == render_documents(settings)


def test_stacks_differ_only_where_their_config_does() -> None:
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
