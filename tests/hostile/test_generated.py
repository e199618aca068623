"""Every generated case through the render command, in process: exit 2, one line on stderr naming the key,
no traceback, nothing rendered.  The cases come from the settings schema (``cases.py``): a new setting gets them
without anyone writing a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components import cli, config_source
from components.context import PROJECT
from components.exit_codes import EXIT_USAGE
from tests.hostile.cases import STACK, Case, config_for, generated_cases, maximal, stack_file_text

CASES = generated_cases()


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("project")


@pytest.fixture
def project(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project directory the stack files of the cases are written to (config_source reads it at each call)."""
    monkeypatch.setattr(config_source, "PROJECT_DIR", project_dir)
    yield project_dir


def assert_refused(case: Case, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / f"Pulumi.{STACK}.yaml").write_text(stack_file_text(config_for(case)))
    out = project / "out"
    code = cli.main(["render", "--stack", STACK, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE, f"{case.id}: accepted ({captured.out.strip()})"
    lines = captured.err.splitlines()
    assert len(lines) == 1, f"{case.id}: {captured.err}"
    assert lines[0].startswith(f"error: stack '{STACK}': {PROJECT}:{case.leaf.key}: "), f"{case.id}: {lines[0]}"
    assert "Traceback" not in captured.err
    assert ":pw@" not in str(case.value) or "pw@" not in captured.err, f"{case.id}: the password is shown"
    assert not out.exists(), f"{case.id}: something was rendered"


def test_the_maximal_stack_renders(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The base of every case is valid: a refusal below is the hostile value's."""
    (project / f"Pulumi.{STACK}.yaml").write_text(stack_file_text(maximal()))
    assert cli.main(["render", "--stack", STACK, "--out", str(project / "base")]) == 0, capsys.readouterr().err
    assert (project / "base" / "prometheus" / "prometheus.yml").is_file()


@pytest.mark.parametrize("case", CASES["string"], ids=lambda case: case.id)
def test_every_string_setting_refuses_empty_and_invisible_characters(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)


@pytest.mark.parametrize("case", CASES["url"], ids=lambda case: case.id)
def test_every_url_setting_refuses_other_schemes_and_credentials_over_http(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)


@pytest.mark.parametrize("case", CASES["path"], ids=lambda case: case.id)
def test_every_path_setting_refuses_relative_and_climbing_paths(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)


@pytest.mark.parametrize("case", CASES["regex"], ids=lambda case: case.id)
def test_every_regex_setting_refuses_what_re2_refuses(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)


@pytest.mark.parametrize("case", CASES["duration"], ids=lambda case: case.id)
def test_every_duration_setting_refuses_what_its_consumer_refuses(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)


@pytest.mark.parametrize("case", CASES["number"], ids=lambda case: case.id)
def test_every_number_setting_refuses_out_of_range_and_non_finite_values(
    case: Case, project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert_refused(case, project, capsys)
