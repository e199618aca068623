"""The render core: one function for the program and the command, and safe re-renders."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from components import cli
from components.config_source import settings_from_stack_file
from components.exit_codes import EXIT_USAGE
from components.render import MANIFEST, render_documents, write_documents
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


# ------------------------------------------------------- what render writes: only real files inside --out

def render_cli(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["render", "--stack", "dev", "--out", str(out)])
    return code, capsys.readouterr().err


@pytest.fixture
def rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A first render of dev into ``out``, and a directory outside it holding a victim file."""
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("not the render's\n")
    assert render_cli(out, capsys)[0] == 0
    return out, outside


def test_a_link_where_a_file_goes_is_replaced_and_its_target_untouched(
    rendered: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    out, outside = rendered
    config = out / "prometheus" / "prometheus.yml"
    config.unlink()
    config.symlink_to(outside / "victim")
    (out / MANIFEST).unlink()
    (out / MANIFEST).symlink_to(outside / "victim")
    code, err = render_cli(out, capsys)
    assert code == 0, err
    assert (outside / "victim").read_text() == "not the render's\n"
    assert not config.is_symlink() and "scrape_configs" in config.read_text()
    assert not (out / MANIFEST).is_symlink() and "prometheus/prometheus.yml" in (out / MANIFEST).read_text()


def test_a_link_where_a_directory_goes_stops_the_render_and_nothing_is_written_through_it(
    rendered: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    out, outside = rendered
    shutil.rmtree(out / "alertmanager")
    (out / "alertmanager").symlink_to(outside)
    code, err = render_cli(out, capsys)
    assert code == EXIT_USAGE
    assert err.splitlines()[-1] == (f"error: {out / 'alertmanager'} is a symbolic link; render writes only real "
                                    "files inside --out: remove it")
    assert "Traceback" not in err
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]


@pytest.mark.parametrize("entry", ["prometheus", ".", "../outside/victim", "ENTRY_ABSOLUTE", "fifo",
                                   "link-to-outside/victim", "prometheus/../../outside/victim"])
def test_a_manifest_entry_that_is_no_file_of_the_render_is_left_alone_and_later_renders_work(
    rendered: tuple[Path, Path], capsys: pytest.CaptureFixture[str], entry: str,
) -> None:
    out, outside = rendered
    os.mkfifo(out / "fifo")
    (out / "link-to-outside").symlink_to(outside)
    entry = entry.replace("ENTRY_ABSOLUTE", str(outside / "victim"))
    (out / MANIFEST).write_text((out / MANIFEST).read_text() + entry + "\n")
    for _ in range(2):  # the entry stays in no manifest: the render after is clean
        code, err = render_cli(out, capsys)
        assert code == 0, err
    assert (outside / "victim").read_text() == "not the render's\n"
    assert (out / "prometheus" / "prometheus.yml").is_file() and stat.S_ISFIFO((out / "fifo").lstat().st_mode)
