"""The scripts a newcomer runs first: what ``scripts/dev`` hands each command, and what ``scripts/test`` installs.

Each runs in a copy of the files it reads, with recording stand-ins for the programs it starts (``pulumi``, the
``.venv``'s ``python``, ``scripts/bootstrap``), so only the script's own decisions are under test; the real
commands behind them run in ``tests/e2e`` (``test_quick_start.py``, ``test_deploy_dev.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDER = """#!/bin/sh
# Records its arguments (one per line, then a blank line) and the environment it was given.
printf '%s\\n' "$(basename "$0")" "$@" "" >> "$RECORD"
printf '%s=%s\\n' PULUMI_BACKEND_URL "$PULUMI_BACKEND_URL" PULUMI_CONFIG_PASSPHRASE "$PULUMI_CONFIG_PASSPHRASE" \\
  VIRTUAL_ENV "$VIRTUAL_ENV" > "$RECORD.env"
"""
PULUMI = RECORDER + """[ "$1 $2" = "stack ls" ] && echo '[{"name": "dev"}]'
exit 0
"""
PYTHON = """#!/bin/sh
[ "$1" = -c ] && exec "$REAL_PYTHON" "$@"
""" + RECORDER


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The files scripts/dev reads, a .venv whose python records, and a pulumi on PATH that records."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "scripts/dev"):
        shutil.copy2(ROOT / name, root / name)
    tools = {root / ".venv" / "bin" / "python": PYTHON, tmp_path / "bin" / "pulumi": PULUMI}
    for path, text in tools.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    return root


def dev(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                                           list[list[str]], dict[str, str]]:
    """Run ``scripts/dev ARGS``; its result, the commands it started (argv each) and the environment they got."""
    record = project.parent / "record"
    record.unlink(missing_ok=True)
    environ = {"PATH": f"{project.parent / 'bin'}:/usr/bin:/bin", "HOME": str(project.parent / "home"),
               "RECORD": str(record), "REAL_PYTHON": sys.executable, **(env or {})}
    done = subprocess.run([str(project / "scripts" / "dev"), *args], cwd=project, env=environ, capture_output=True,
                          text=True, timeout=60, check=False)
    started = [block.splitlines() for block in record.read_text().split("\n\n") if block] if record.exists() else []
    given = dict(line.split("=", 1) for line in Path(f"{record}.env").read_text().splitlines()) \
        if Path(f"{record}.env").exists() else {}
    return done, started, given


def test_pulumi_config_and_up_get_the_local_settings_and_the_dev_stack(project: Path) -> None:
    done, started, env = dev(project, "pulumi", "config", "set", "--path", "internet-id-monitoring:x.y", "1")
    assert done.returncode == 0, done.stderr
    local = project / "local" / "Pulumi.dev.yaml"
    assert started[-1] == ["pulumi", "config", "set", "--path", "internet-id-monitoring:x.y", "1",
                           "--config-file", str(local), "--stack", "dev"]
    assert started[0] == ["pulumi", "stack", "ls", "--json"], "whether the stack must be created first"
    assert env == {"PULUMI_BACKEND_URL": f"file://{project.parent / 'home'}",
                   "PULUMI_CONFIG_PASSPHRASE": "internet-id-dev", "VIRTUAL_ENV": str(project / ".venv")}
    committed = (ROOT / "Pulumi.dev.yaml").read_text()
    assert (project / "Pulumi.dev.yaml").read_text() == committed
    assert local.read_text().endswith(committed) and "Made from Pulumi.dev.yaml (sha256 " in local.read_text()
    assert "your dev settings are local/Pulumi.dev.yaml" in done.stderr


def test_exported_backend_and_passphrase_are_kept(project: Path) -> None:
    _, _, env = dev(project, "pulumi", "up", env={"PULUMI_BACKEND_URL": "file:///srv/state",
                                                  "PULUMI_CONFIG_PASSPHRASE": "mine"})
    assert env["PULUMI_BACKEND_URL"] == "file:///srv/state" and env["PULUMI_CONFIG_PASSPHRASE"] == "mine"


def test_the_commands_get_the_settings_file_too(project: Path) -> None:
    _, started, _ = dev(project, "python", "-m", "components", "verify", "--stack", "dev")
    assert started == [["python", "-m", "components", "verify", "--stack", "dev", "--config-file",
                        str(project / "local" / "Pulumi.dev.yaml")]]
    _, started, _ = dev(project, "python", "-m", "components", "alerts-reference")
    assert started == [["python", "-m", "components", "alerts-reference"]], "a command without a stack: as is"


def test_stack_rm_keeps_the_committed_file(project: Path) -> None:
    _, started, _ = dev(project, "pulumi", "stack", "rm", "--yes")
    assert started == [["pulumi", "stack", "rm", "--yes", "--stack", "dev", "--preserve-config"]]
    _, started, _ = dev(project, "pulumi", "stack", "rm", "dev", "--preserve-config")
    assert started == [["pulumi", "stack", "rm", "dev", "--preserve-config"]]


@pytest.mark.parametrize("args", [
    ["pulumi", "up", "--stack", "prod"], ["pulumi", "config", "set", "-s", "staging", "k", "v"],
    ["pulumi", "stack", "rm", "prod"], ["python", "-m", "components", "verify", "--stack=prod"],
])
def test_another_stack_is_refused(project: Path, args: list[str]) -> None:
    done, started, _ = dev(project, *args)
    assert done.returncode == 2 and started == []
    assert done.stderr.startswith("dev: error: scripts/dev runs commands against the dev stack only (got stack ")


def test_a_stack_is_created_beside_a_copy_of_pulumi_yaml(project: Path) -> None:
    """pulumi stack init writes the passphrase's salt into the stack's config file: not the committed one."""
    (project.parent / "bin" / "pulumi").write_text(PULUMI.replace("exit 0", "pwd >> \"$RECORD.cwd\"\nexit 0")
                                                    .replace("echo '[{\"name\": \"dev\"}]'", "echo '[]'"))
    done, started, _ = dev(project, "pulumi", "config", "set", "k", "v")
    assert done.returncode == 0, done.stderr
    assert [argv[:4] for argv in started] == [["pulumi", "stack", "ls", "--json"], ["pulumi", "stack", "init", "dev"],
                                              ["pulumi", "config", "set", "k"]]
    directories = (project.parent / "record.cwd").read_text().split()
    assert directories[1] != str(project) and not Path(directories[1]).exists(), "a scratch directory, removed"


def stubbed_test_script(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """A copy of scripts/test whose bootstrap and toolchain record their arguments in ``RECORD`` and whose pytest
    records its own in ``PYTEST_RECORD`` (and fails when they start with ``FAILING``)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    for script in ("bootstrap", "toolchain"):
        stub = tmp_path / "scripts" / script
        stub.write_text(f'#!/bin/sh\necho {script} "$@" >> "$RECORD"\n')
        stub.chmod(0o755)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "activate").write_text("")
    for tool in ("ruff", "mypy"):
        (tmp_path / ".venv" / "bin" / tool).write_text("#!/bin/sh\nexit 0\n")
        (tmp_path / ".venv" / "bin" / tool).chmod(0o755)
    (tmp_path / ".venv" / "bin" / "pytest").write_text(
        '#!/bin/sh\necho "$*" >> "$PYTEST_RECORD"\n'
        'ignored=$(sed -n "s/^SigIgn:[[:space:]]*//p" /proc/$$/status)\n'
        '[ $((0x$ignored & 2)) -eq 0 ] || echo "$*" >> "$PYTEST_RECORD.sigint-ignored"\n'
        'case "$*" in "$FAILING"*) echo "output of $*"; exit 1;; esac\n')
    (tmp_path / ".venv" / "bin" / "pytest").chmod(0o755)
    record, runs = tmp_path / "record", tmp_path / "pytest-runs"
    env = {**os.environ, "RECORD": str(record), "PYTEST_RECORD": str(runs), "FAILING": "none",
           "PATH": f"{tmp_path / '.venv' / 'bin'}:/usr/bin:/bin"}
    return env, record, runs


def test_the_quick_test_form_installs_no_end_to_end_packages_and_builds_only_what_it_runs(tmp_path: Path) -> None:
    env, record, _ = stubbed_test_script(tmp_path)
    quick = ["bootstrap --test", "toolchain prometheus alertmanager blackbox-exporter"]
    everything = ["bootstrap --e2e", "toolchain"]
    for args, steps in ((["-m", "not live and not e2e"], quick), ([], everything), (["-m", "e2e"], everything)):
        record.unlink(missing_ok=True)
        done = subprocess.run([str(tmp_path / "scripts" / "test"), *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert record.read_text().splitlines() == steps, (args, json.dumps(record.read_text()))


def test_the_whole_suite_runs_the_two_docker_suites_beside_the_rest_and_fails_with_any(tmp_path: Path) -> None:
    env, _, runs = stubbed_test_script(tmp_path)
    script = str(tmp_path / "scripts" / "test")
    rest, e2e, multihost = ("-m not e2e and not benchmark", "-m e2e and not multihost and not benchmark",
                            "-m multihost and not benchmark")
    for failing, code in (("none", 0), ("-m multihost", 1), ("-m e2e", 1), ("-m not e2e", 1)):
        runs.unlink(missing_ok=True)
        done = subprocess.run([script], env={**env, "FAILING": failing}, capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == code, (failing, done.stdout, done.stderr)
        assert sorted(runs.read_text().splitlines()) == sorted([rest, e2e, multihost])
        ignoring = Path(f"{runs}.sigint-ignored")
        assert not ignoring.exists(), f"started with SIGINT ignored: {ignoring.read_text()}"
        shown = done.stdout
        e2e_header = shown.index("the end-to-end suite (pytest -m 'e2e and not multihost and not benchmark'), run "
                                 "beside the rest")
        multihost_header = shown.index("the multi-host suite (pytest -m 'multihost and not benchmark'), run beside "
                                       "the rest")
        assert e2e_header < multihost_header
        if failing != "none":  # the failing suite's output is shown: the rest's first, each other after its header
            where = shown.index(f"output of {failing}")
            after = {"-m not e2e": (-1, e2e_header), "-m e2e": (e2e_header, multihost_header),
                     "-m multihost": (multihost_header, len(shown))}[failing]
            assert after[0] < where < after[1], (failing, shown)
