"""The docs stay true to the code.

* every ``python -m components …`` command line in README.md and docs/*.md parses with the real
  argument parser (``components.cli.build_parser``);
* no Alertmanager URL (port 9093 or a host named alertmanager) uses ``/api/v1/`` anywhere in the
  repository's docs or code: Alertmanager removed that API in 0.27, only ``/api/v2`` exists;
* every ``runbook_url`` of every alert rendered for every stack, and the test alert's, points at
  docs/runbook.md and at a heading that exists there;
* a loopback URL of Prometheus, Alertmanager or Grafana in README.md or docs/*.md uses the default port and
  bind address of the settings (e.g. Grafana http://127.0.0.1:3030, never the API's 3001);
* every relative link of README.md and docs/*.md points at a file that exists, and at a heading of it;
* docs/design.md's "What runs" table is the container records' own.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from components.cli import UserError, build_parser
from components.config_source import settings_from_stack_file
from components.containers.component import secret_file_access
from components.containers.docs import what_runs_table
from components.containers.records import BY_NAME
from components.containers.settings import DockerSettings, PortSettings
from components.operator.alert_drill import RUNBOOK_ANCHOR
from components.render import rule_files
from tests.conftest import STACKS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RUNBOOK = ROOT / "docs" / "runbook.md"
DESIGN = ROOT / "docs" / "design.md"


def doc_files() -> list[Path]:
    return [path for path in (README, *sorted((ROOT / "docs").glob("*.md"))) if path.is_file()]


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    names = [name for name in listed.decode().split("\0") if name]
    return [ROOT / name for name in names if (ROOT / name).is_file()]


# ---------------------------------------------------------------- command lines

_COMMAND = re.compile(r"python -m components\b([^`\n]*)")
_PLACEHOLDER = re.compile(r"<[^<>\s]+>")


def command_lines() -> list[tuple[str, str]]:
    """``(where, arguments)`` of every command line written in the docs (placeholders filled in)."""
    found = []
    for path in doc_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in _COMMAND.finditer(line):
                # The arguments alone: no shell comment, no redirection.
                args = match.group(1).split(" #", 1)[0].split(" > ", 1)[0].strip().rstrip(".,;:)")
                if not args or "…" in args or "..." in args:
                    continue  # prose naming the entry point, not a command line
                found.append((f"{path.relative_to(ROOT)}:{number}", _PLACEHOLDER.sub("dev", args)))
    return found


def test_docs_command_lines_parse() -> None:
    problems = []
    for where, args in command_lines():
        argv = shlex.split(args)
        if "-h" in argv or "--help" in argv:
            continue
        try:
            build_parser().parse_args(argv)
        except UserError as error:
            problems.append(f"{where}: python -m components {args}: {error}")
    assert not problems, "\n".join(problems)


def test_the_command_line_finder_sees_commands() -> None:
    assert _COMMAND.search("run `python -m components verify --stack prod` now")
    lines = [args for _, args in command_lines()]
    commands = {"render", "dashboards", "config-reference", "alerts-reference", "verify", "test-alert", "containers"}
    assert all(args.split()[0] in commands or args.startswith("-") for args in lines), lines


# ---------------------------------------------------------------- Alertmanager API version

_AM_V1 = re.compile(r"(?:alertmanager|:9093)[^\s\"'`()<>]*?/api/" + r"v1(?:/|\b)", re.IGNORECASE)
_SCANNED = {".md", ".py", ".yaml", ".yml", ".tmpl", ".json", ".sh", ".toml", ".txt"}


def test_no_alertmanager_api_v1_anywhere() -> None:
    problems = []
    for path in tracked_files():
        if path.suffix not in _SCANNED or path == Path(__file__).resolve() or "dashboards/cache" in str(path):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _AM_V1.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:160]}")
    assert not problems, "Alertmanager has only /api/v2 since 0.27:\n" + "\n".join(problems)


# Built from parts so that this file itself holds no removed Alertmanager v1 URL.
_V1 = "/api/" + "v1"


@pytest.mark.parametrize("text", [
    f"curl http://localhost:9093{_V1}/status", f"http://alertmanager:9093{_V1}/alerts",
    f"ALERTMANAGER_URL{_V1}/alerts",
])
def test_the_api_v1_pattern_catches(text: str) -> None:
    assert _AM_V1.search(text)


@pytest.mark.parametrize("text", [
    "curl http://localhost:9090/api/v1/targets", "http://127.0.0.1:9090/api/v1/alertmanagers",
    "curl http://localhost:9093/api/v2/status",
])
def test_the_api_v1_pattern_spares(text: str) -> None:
    assert not _AM_V1.search(text)


# ---------------------------------------------------------------- runbook links


def heading_anchors(path: Path) -> set[str]:
    """GitHub's heading anchors of the Markdown file ``path``."""
    anchors = set()
    for line in path.read_text().splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-"))
    return anchors


def runbook_anchors() -> set[str]:
    """GitHub's heading anchors of docs/runbook.md."""
    return heading_anchors(RUNBOOK)


def test_every_rendered_runbook_url_resolves() -> None:
    anchors = runbook_anchors()
    problems = []
    for stack in STACKS:
        for name, text in rule_files(settings_from_stack_file(stack)).items():
            for group in yaml.safe_load(text)["groups"]:
                for rule in group["rules"]:
                    if "alert" not in rule:
                        continue  # a recording rule
                    url = rule["annotations"]["runbook_url"]
                    page, _, anchor = url.partition("#")
                    if not page.endswith("docs/runbook.md") or anchor not in anchors:
                        problems.append(f"{stack} {name} {rule['alert']}: {url}")
    assert not problems, "runbook links without a section in docs/runbook.md:\n" + "\n".join(problems)


def test_the_test_alert_runbook_section_exists() -> None:
    assert RUNBOOK_ANCHOR in runbook_anchors(), (
        f"docs/runbook.md needs a section '## Test alerts' (anchor #{RUNBOOK_ANCHOR}): "
        "`python -m components test-alert` links every test alert to it")


# ---------------------------------------------------------------- README URLs and ports

_LOCAL_URL = re.compile(r"https?://(127\.0\.0\.1|localhost|0\.0\.0\.0)(?::(\d+))?")
_COMPONENT = re.compile(r"prometheus|alertmanager|grafana", re.IGNORECASE)


def test_doc_urls_use_the_default_ports() -> None:
    ports = PortSettings()
    expected = {"prometheus": ports.prometheus, "alertmanager": ports.alertmanager, "grafana": ports.grafana}
    bind = str(DockerSettings().bind_address)
    problems = []
    for path in doc_files():
        text = path.read_text()
        for match in _LOCAL_URL.finditer(text):
            before = text[max(0, match.start() - 80):match.start()]
            names = _COMPONENT.findall(before)
            if not names:
                continue
            component = names[-1].lower()
            port = int(match.group(2) or 80)
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
            if port != expected[component]:
                problems.append(f"{where}: {match.group(0)} for {component}, default port {expected[component]}")
            elif match.group(1) != bind:
                problems.append(f"{where}: {match.group(0)} for {component}, default address {bind}")
    assert not problems, "\n".join(problems)


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(path: Path) -> list[tuple[str, str]]:
    """``(target, anchor)`` of every link of ``path`` to a file of the repository or a heading of itself."""
    links = []
    for target in _LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        file, _, anchor = target.partition("#")
        links.append((file, anchor))
    return links


def test_every_relative_link_of_the_docs_resolves() -> None:
    problems = []
    for path in doc_files():
        for file, anchor in relative_links(path):
            target = (path.parent / file).resolve() if file else path
            if not target.exists():
                problems.append(f"{path.relative_to(ROOT)}: {file} does not exist")
            elif anchor and target.suffix == ".md" and anchor not in heading_anchors(target):
                problems.append(f"{path.relative_to(ROOT)}: {file}#{anchor} names no heading")
    assert not problems, "\n".join(problems)
    assert ("docs/security.md", "") in relative_links(README) and ("design.md", "what-runs") in relative_links(
        ROOT / "docs" / "security.md")


def test_the_what_runs_table_is_the_container_records() -> None:
    table = what_runs_table()
    assert table in DESIGN.read_text(), f"docs/design.md's 'What runs' table is stale; it must read:\n{table}"


def test_the_security_models_credential_files_are_owned_as_deployed() -> None:
    """docs/security.md's table of credential files says the owner and mode each container's files get."""
    rows = re.findall(r"^\| (alertmanager|prometheus|postgres-exporter|grafana) \| [^|]+ \| (\w+), (0\d{3}) \|$",
                      (ROOT / "docs" / "security.md").read_text(), re.MULTILINE)
    assert {name for name, _, _ in rows} == {"alertmanager", "prometheus", "postgres-exporter", "grafana"}
    for name, owner, mode in rows:
        record = BY_NAME[name]
        spec_owner, spec_mode = secret_file_access(record.user)
        assert (spec_owner or "root", spec_mode) == (owner, mode), name
