"""README.md's quick start, next steps and teardown, command by command, as a new user meets them.

A clean clone of the repository, a shell with nothing set but what a user has (a home of its own, the Pulumi CLI
and a Docker engine: the built toolchain and our engine, no PULUMI_BACKEND_URL, no passphrase), and the commands
as the README writes them (parsed from it, so this test breaks when the README changes), each in a terminal of
its own: pulumi's questions answered "yes", the test alert's hold ended with Ctrl-C as the README says.  Where a
command stops with the fix to run (host paths this machine lacks), the test runs what the message says.

Stand-ins, named where a result depends on them: the engine cannot pull, so the stand-in images are tagged with
the official names the dev stack asks for; grafana.com is out of reach, so the dashboard cache holds our fixture
dashboards; the stand-in of postgres-exporter (Debian's 0.11) has no postmaster collector, so the user's settings
file turns it off (``postgresExporter.collectors: []``); ``/var/run/docker.sock`` may lead to another test's engine on
this shared machine, so ``cadvisor.dockerSocket`` names ours; Grafana and cAdvisor are stand-ins.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_source import settings_from_stack_file
from components.grafana.community import cache_path
from components.versions import IMAGES
from tests.conftest import DASHBOARD_FIXTURES
from tests.e2e.harness.app import App
from tests.e2e.harness.engine import Engine
from tests.e2e.harness.project import REPO
from tests.e2e.harness.stack import NS, http_json, wait_for
from tests.e2e.harness.terminal import TerminalResult, run_in_terminal

README = REPO / "README.md"
NEXT_STEPS = ("Next steps", "Teardown")
"""The subsections of "Quick start" whose commands the test runs after the deploy."""
CONFIRM = "Do you want to perform this"
"""pulumi up's and pulumi destroy's question (``… this update?``, ``… this destroy?``)."""
ALERTMANAGER = "http://127.0.0.1:9093"
PROMETHEUS = "http://127.0.0.1:9090"
STAND_IN_SETTINGS = f"  {NS}:postgresExporter:\n    collectors: []\n"
"""What the stand-in of postgres-exporter needs (see the module docstring), as a user writes it in their file."""


def quick_start_commands(text: str) -> dict[str, list[str]]:
    """The command lines of the code blocks of README's "Quick start", by (sub)section: its own, "Next steps",
    "Teardown"."""
    found: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = "Quick start" if line == "## Quick start" else None
        elif line.startswith("### ") and section is not None:
            section = line[4:].strip()
        elif section is not None and line.startswith("    ") and line.strip():
            found.setdefault(section, []).append(line.strip())
    return found


def test_the_readme_parser_reads_the_quick_start() -> None:
    text = ("## Quick start\n\nDeploy:\n\n    scripts/deploy-dev\n\ntext `x`\n\n### Next steps\n\n    scripts/dev a\n"
            "    scripts/dev b\n\n### Teardown\n\n    scripts/dev c\n\n## What runs\n\n    not a step\n")
    assert quick_start_commands(text) == {"Quick start": ["scripts/deploy-dev"],
                                          "Next steps": ["scripts/dev a", "scripts/dev b"],
                                          "Teardown": ["scripts/dev c"]}


@dataclass
class NewUser:
    """A clean clone and a user's shell: HOME of its own (so the backend scripts/dev uses is theirs), PATH with
    the Pulumi CLI and docker, DOCKER_HOST at our engine, and nothing of Pulumi's backend or passphrase."""

    clone: Path
    env: dict[str, str]

    @property
    def settings(self) -> Path:
        """Their dev settings, which scripts/dev makes from the committed file."""
        return self.clone / "local" / "Pulumi.dev.yaml"

    def terminal(self, command: str, **options: Any) -> TerminalResult:
        return run_in_terminal(command, cwd=self.clone, env=self.env, **options)

    def shell(self, command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", command], cwd=self.clone, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=900, check=False)

    def outputs(self) -> dict[str, Any]:
        done = self.shell("scripts/dev pulumi stack output --json --show-secrets")
        assert done.returncode == 0, done.stderr
        outputs: dict[str, Any] = json.loads(done.stdout)
        return outputs


def stack_containers(engine: Engine) -> dict[str, str]:
    """Name -> id of the dev stack's running containers (the reload jobs, which exit, left out)."""
    listed = engine.docker("ps", "--filter", "label=com.internet-id.stack=dev", "--format", "{{.Names}} {{.ID}}")
    return dict(line.split() for line in listed.stdout.splitlines() if not line.split()[0].endswith("-reload"))


@pytest.fixture(scope="module")
def new_user(tmp_path_factory: pytest.TempPathFactory, toolchain: dict[str, str], engine: Engine, app: App,
             stand_in_images: dict[str, str]) -> Iterator[NewUser]:
    for container, stand_in in stand_in_images.items():  # a single-host stack's (no multi-host-only image)
        engine.docker("tag", stand_in, IMAGES[container])
    root = tmp_path_factory.mktemp("newcomer")
    clone = root / "internet-id-monitoring"
    subprocess.run(["git", "clone", "-q", f"file://{REPO}", str(clone)], check=True, timeout=300)
    home = root / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": toolchain["PATH"],
        "PULUMI_HOME": toolchain["PULUMI_HOME"],  # the built plugins: a user's CLI downloads the official ones
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "DOCKER_HOST": engine.docker_host,
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip"),  # the packages come from PyPI, as a user's do
    }
    # grafana.com is out of reach: the dashboards deploy-dev would fetch are our fixtures (git-ignored cache).
    fixtures = itertools.cycle(sorted(DASHBOARD_FIXTURES.glob("*.json")))
    for dashboard in settings_from_stack_file("dev", clone).grafana.community_dashboards:
        target = cache_path(clone / "dashboards" / "cache", dashboard)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(next(fixtures), target)
    user = NewUser(clone, env)
    yield user
    user.shell("scripts/dev pulumi destroy --yes; scripts/dev pulumi stack rm --preserve-config --yes")


def deploy(user: NewUser, command: str) -> TerminalResult:
    return user.terminal(command, answers=[(CONFIRM, "yes\r")], timeout=1800)


def run_the_fixes(user: NewUser, result: TerminalResult) -> list[str]:
    """What deploy-dev said to run for each host path this machine lacks, run as written."""
    commands = re.findall(r"^  - \S+: .*?: (scripts/dev pulumi config set --path \S+ .+?)(?: \(or make .*\))?$",
                          result.text, re.MULTILINE)
    for command in commands:
        done = user.shell(command)
        assert done.returncode == 0, (command, done.stderr)
    return commands


def first_deploy(user: NewUser, engine: Engine, command: str) -> None:
    """This machine lacks host paths the dev stack mounts: each is named with its command, which the user runs."""
    first = deploy(user, command)
    assert first.returncode == 1, first.text[-3000:]
    assert "deploy-dev: error: the dev stack cannot deploy on this machine yet; fix each, then run" in first.text
    assert "Traceback" not in first.text
    assert run_the_fixes(user, first), first.text[-3000:]
    config = yaml.safe_load(user.settings.read_text())["config"]
    if not os.path.exists("/var/lib/docker"):  # the command named finds our engine's data root
        assert config[f"{NS}:docker"]["dataRoot"] == str(engine.data_root), config
    user.settings.write_text(user.settings.read_text().replace("config:\n", "config:\n" + STAND_IN_SETTINGS, 1))
    # On this shared machine /var/run/docker.sock may lead to another test's engine: cAdvisor watches ours.
    socket = engine.docker_host.removeprefix("unix://")
    assert user.shell(f"scripts/dev pulumi config set --path {NS}:cadvisor.dockerSocket {socket}").returncode == 0


def second_deploy(user: NewUser, command: str) -> None:
    """It deploys after asking, and ends with the backend and the passphrase it used."""
    second = deploy(user, command)
    assert second.returncode == 0, second.text[-6000:]
    assert "Do you want to perform this update? yes" in second.text
    assert "deploy-dev: Grafana: http://127.0.0.1:3030 as admin" in second.text
    last = second.text.strip().splitlines()[-1]
    assert last == (f"deploy-dev: the dev stack: PULUMI_BACKEND_URL=file://{user.env['HOME']} PULUMI_CONFIG_PASSPHRASE="
                    "internet-id-dev (dev's documented passphrase; scripts/dev sets both)"), last
    assert (Path(user.env["HOME"]) / ".pulumi" / "stacks" / "internet-id-monitoring" / "dev.json").is_file()
    assert "Traceback" not in second.text


def outside_the_wrapper(user: NewUser) -> None:
    """Without scripts/dev, the commands name the variable really missing (the real CLI's messages)."""
    bare = user.shell(".venv/bin/python -m components verify --stack dev --timeout 2")
    assert "no Pulumi backend is set here (pulumi asks for PULUMI_ACCESS_TOKEN" in bare.stderr, bare.stderr
    assert "set PULUMI_BACKEND_URL to the backend stack dev lives in" in bare.stderr
    assert "PULUMI_CONFIG_PASSPHRASE to" not in bare.stderr
    no_passphrase = user.shell(".venv/bin/python -m components verify --stack dev --timeout 2",
                               env={"PULUMI_BACKEND_URL": f"file://{user.env['HOME']}"})
    assert "set PULUMI_CONFIG_PASSPHRASE to the passphrase stack dev was deployed with" in no_passphrase.stderr, \
        no_passphrase.stderr


def grafana_password(user: NewUser, engine: Engine, command: str) -> None:
    shown = user.terminal(command, timeout=120)
    assert shown.returncode == 0
    password = shown.text.strip().splitlines()[-1]
    assert len(password) == 24
    assert http_json("http://127.0.0.1:3030/api/search", auth=("admin", password))


def verify(user: NewUser, engine: Engine, command: str) -> None:
    verified = user.terminal(command, timeout=600)
    assert verified.returncode == 0, verified.text[-4000:]
    assert "13 of 13 checks passed" in verified.text
    for check in ("grafana datasource", "grafana dashboards"):  # logged in with the generated password
        assert re.search(rf"^{check} +pass ", verified.text, re.MULTILINE), verified.text[-3000:]


def config_set(user: NewUser, engine: Engine, command: str) -> None:
    assert user.terminal(command, timeout=120).returncode == 0
    assert "HighErrorRate" in user.settings.read_text()


def reload_in_place(user: NewUser, engine: Engine, command: str) -> None:
    """The threshold change: no running container replaced, the new rule active when pulumi up returns."""
    before = stack_containers(engine)
    changed = deploy(user, command)
    assert changed.returncode == 0, changed.text[-4000:]
    assert stack_containers(engine) == before
    outputs = user.outputs()
    rules = http_json(f"{PROMETHEUS}/api/v1/rules", auth=(outputs["webAuthUser"], outputs["webAuthPassword"]))
    queries = [r["query"] for g in rules["data"]["groups"] for r in g["rules"] if r.get("name") == "HighErrorRate"]
    assert queries and all("> 0.02" in q for q in queries), queries


def send_test_alert(user: NewUser, engine: Engine, command: str) -> None:
    drill = user.terminal(command, interrupt_when="Ctrl-C resolves it now", timeout=300)
    assert drill.returncode == 130, drill.text[-3000:]
    assert ("nothing is delivered: pagerduty-critical, slack-critical have no integration in stack dev (no "
            f"PagerDuty, Slack or e-mail configured); the alert shows in Alertmanager ({ALERTMANAGER}) only"
            ) in drill.text
    assert "interrupted: resolving the test alert" in drill.text


def destroy(user: NewUser, engine: Engine, command: str) -> None:
    destroyed = user.terminal(command, answers=[(CONFIRM, "yes\r")], timeout=900)
    assert destroyed.returncode == 0, destroyed.text[-4000:]
    assert stack_containers(engine) == {}


def remove_stack(user: NewUser, engine: Engine, command: str) -> None:
    assert "--preserve-config" in command
    removed = user.terminal(command, answers=[("by typing", "dev\r")], timeout=300)
    assert removed.returncode == 0, removed.text[-3000:]
    assert "Stack 'dev' has been removed!" in removed.text


STEPS: tuple[tuple[str, Callable[[NewUser, Engine, str], None]], ...] = (
    ("scripts/dev pulumi stack output grafanaAdminPassword --show-secrets", grafana_password),
    ("scripts/dev python -m components verify --stack dev", verify),
    ("scripts/dev pulumi config set --path", config_set),
    ("scripts/dev pulumi up", reload_in_place),
    ("scripts/dev python -m components test-alert --stack dev", send_test_alert),
    ("scripts/dev pulumi destroy", destroy),
    ("scripts/dev pulumi stack rm", remove_stack),
)
"""How each README step is checked, by the start of its command line; every one must be in the README, in
this order (an everyday change, then its pulumi up)."""


def test_the_quick_start_as_written(new_user: NewUser, engine: Engine) -> None:
    user = new_user
    steps = quick_start_commands(README.read_text())
    assert steps["Quick start"] == ["scripts/deploy-dev"], "the quick start's own block is the deploy command"
    later = [command for section in NEXT_STEPS for command in steps[section]]
    checks = [next((check for start, check in STEPS if command.startswith(start)), None) for command in later]
    assert None not in checks, f"README steps this test does not know: {later}"
    assert checks == [check for _, check in STEPS], f"the README's next steps changed: {later}"

    first_deploy(user, engine, steps["Quick start"][0])
    second_deploy(user, steps["Quick start"][0])
    outside_the_wrapper(user)
    for command, check in zip(later, checks, strict=True):
        assert check is not None
        check(user, engine, command)

    # Nothing the user did shows in the repository, and the stack is gone from their backend.
    assert user.shell("git status --porcelain").stdout == ""
    assert (user.clone / "Pulumi.dev.yaml").read_text() == (REPO / "Pulumi.dev.yaml").read_text()
    stacks = user.shell("scripts/dev pulumi stack ls --json")
    assert stacks.returncode == 0 and json.loads(stacks.stdout) == [], stacks.stdout
    wait_for("no container of the dev stack left", lambda: not engine.docker(
        "ps", "-aq", "--filter", "label=com.internet-id.stack=dev").stdout.strip(), timeout=30)


def test_the_tests_still_pass_on_that_clone(new_user: NewUser) -> None:
    """After the quick start (and with the user's settings still in local/), the tests that read the stack files
    pass on the clone: the committed stacks are what they test (the quick form's stack-file readers)."""
    assert (new_user.clone / "local" / "Pulumi.dev.yaml").is_file()
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_golden.py", "tests/test_settings.py", "tests/test_config_source.py", "tests/test_docs.py",
         "tests/grafana/test_settings.py", "tests/incident/test_settings.py", "tests/operator/test_expected.py"],
        cwd=new_user.clone, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
