"""Reading a stack file: every way it can be wrong ends in one line naming the file and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config_source import known_stacks, settings_from_stack_file
from components.settings import SettingsError


def problem(project: Path, stack: str) -> str:
    with pytest.raises(SettingsError) as caught:
        settings_from_stack_file(stack, project)
    message = caught.value.message()
    assert "\n" not in message
    return message


def test_a_stack_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_bytes(b"config:\n  internet-id-monitoring:environment: caf\xe9\n")
    assert "Pulumi.qa.yaml is not UTF-8 text" in problem(tmp_path, "qa")


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  internet-id-monitoring:ports: {grafana: 3030\n")
    assert "Pulumi.qa.yaml is not valid YAML at line 3, column 1" in problem(tmp_path, "qa")


def test_config_must_be_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  - internet-id-monitoring:environment\n")
    assert "'config' must be a mapping" in problem(tmp_path, "qa")


def test_stack_names_cannot_leave_the_project(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert "not a stack name" in problem(tmp_path, "../etc/passwd")


def test_known_stacks_are_files(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.odd.yaml").mkdir()
    assert known_stacks(tmp_path) == ["dev"]


def test_a_config_file_is_read_instead_of_the_stack_file(tmp_path: Path) -> None:
    """What ``pulumi --config-file`` deploys (scripts/dev: a developer's local/Pulumi.dev.yaml) is what the commands
    read with ``--config-file``; without it they read the committed stack file."""
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  internet-id-monitoring:environment: dev\n")
    local = tmp_path / "local" / "Pulumi.dev.yaml"
    local.parent.mkdir()
    local.write_text("config:\n  internet-id-monitoring:environment: dev\n"
                     "  internet-id-monitoring:ports:\n    grafana: 3031\n")
    assert settings_from_stack_file("dev", tmp_path).ports.grafana == 3030
    assert settings_from_stack_file("dev", tmp_path, config_file=local).ports.grafana == 3031
    with pytest.raises(SettingsError) as caught:
        settings_from_stack_file("dev", tmp_path, config_file=tmp_path / "missing.yaml")
    assert caught.value.message() == f"stack 'dev': --config-file {tmp_path}/missing.yaml: no such file"
