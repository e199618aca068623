"""What every committed stack deploys is exactly what ``tests/golden`` holds (regenerate with
``python -m tests.golden`` when a change is meant for everyone)."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest

from components.config_source import PROJECT_DIR, stack_file
from tests.golden.documents import STACKS, golden, rendered


def regenerate_hint(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """How to resolve a difference: regenerate for a change meant for everyone; a stack file changed since the last
    commit may instead hold someone's own settings (dev's belong in ``local/Pulumi.dev.yaml``, see scripts/dev)."""
    path = stack_file(stack, project_dir).relative_to(project_dir)
    changed = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", str(path)], cwd=project_dir,
                             capture_output=True, check=False).returncode == 1
    local = (f"{path} differs from the last commit: if that change is your own setting, not one for everyone, put it "
             "in your local settings instead (dev: local/Pulumi.dev.yaml, which scripts/dev deploys) and restore the "
             f"file with `git checkout {path}`; only " if changed else "")
    return (f"{local}if the change to what stack {stack} deploys is meant (components/ or {path}), regenerate with "
            "`python -m tests.golden` and review the diff")


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_documents_match_the_golden_files(stack: str) -> None:
    expected, actual = golden(stack), rendered(stack)
    assert sorted(actual) == sorted(expected), f"files added or removed: {regenerate_hint(stack)}"
    changed = [path for path in expected if actual[path] != expected[path]]
    diff = "".join(
        line for path in changed[:3]
        for line in difflib.unified_diff(expected[path].splitlines(True), actual[path].splitlines(True),
                                         f"golden/{stack}/{path}", f"rendered/{stack}/{path}", n=1)
    )
    assert not changed, f"{len(changed)} file(s) differ; {regenerate_hint(stack)}:\n{diff[:4000]}"


def test_the_hint_never_sends_own_settings_into_the_golden_files(tmp_path: Path) -> None:
    """A stack file edited since the last commit is named first, with where own settings go instead."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    subprocess.run([*git, "add", "Pulumi.dev.yaml"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "dev"], cwd=tmp_path, check=True)
    assert regenerate_hint("dev", tmp_path) == ("if the change to what stack dev deploys is meant (components/ or "
                                                "Pulumi.dev.yaml), regenerate with `python -m tests.golden` and "
                                                "review the diff")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {internet-id-monitoring:docker: {dataRoot: /srv/docker}}\n")
    hint = regenerate_hint("dev", tmp_path)
    assert hint.startswith("Pulumi.dev.yaml differs from the last commit: if that change is your own setting, not one "
                           "for everyone, put it in your local settings instead (dev: local/Pulumi.dev.yaml")
    assert "restore the file with `git checkout Pulumi.dev.yaml`; only if the change" in hint
