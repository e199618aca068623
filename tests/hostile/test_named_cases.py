"""The inputs of issue 25, each by its id, through the render command (in process) on the maximal stack; the key
cases (misspelt namespaces, keys written twice, secret-marked ordinary keys) also under Pulumi's mocks; and a sample
of the generated cases through the real entry point, ``python -m components``, in a process of its own."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import cli, config_source
from components.context import PROJECT
from components.exit_codes import EXIT_USAGE
from tests.hostile.cases import (
    STACK,
    config_for,
    generated_cases,
    maximal,
    secrets_of,
    stack_file_text,
    with_value,
)
from tests.pulumi_harness import declared_types, run_program

ROOT = Path(__file__).resolve().parents[2]

NAMED: list[tuple[str, str, Any, str]] = [
    # 1: strings that must hold something
    ("1a", "environment", "", "must not be empty"),
    ("1b", "cluster", "", "must not be empty"),
    ("1c", "targets.postgres.host", "", "must not be empty"),
    ("1d", "targets.redisAddress", "", "must not be empty"),
    ("1e", "docker.containerPrefix", "", "must not be empty"),
    ("1f", "docker.networkName", "", "must not be empty"),
    ("1g", "targets.postgres.database", "", "must not be empty"),
    ("1h", "grafana.datasourceName", "", "must not be empty"),
    ("1i", "notifications.slack.username", "", "must not be empty"),
    ("1j", "targets.probes.0.service", "", "must not be empty"),
    ("1k", "incident.pagerduty.team", "", "must not be empty"),
    # 2: control characters; a trailing newline passed every re.match(…$)
    ("2a", "environment", "dev\n", "holds U+000A"),
    ("2b", "cluster", "prod\x1b[2J", "holds U+001B"),
    ("2c", "environment", "dev\u202eod", "holds U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("2d", "targets.postgres.host", "db\0x", "holds U+0000"),
    ("2e", "notifications.email.smarthost", "smtp.example.com:587\n", "holds U+000A"),
    ("2f", "notifications.email.username", "u\r\nX", "holds U+000D"),
    ("2g", "slos.0.name", "api-x\n", "holds U+000A"),
    ("2h2", "grafana.folders.0.uid", "extra\n", "holds U+000A"),
    ("2i", "grafana.adminUser", "ad\u202emin", "holds U+202E"),
    ("2j", "docker.appNetwork", "internet-id\u200b_default", "holds U+200B (ZERO WIDTH SPACE)"),
    ("2k", "notifications.pagerduty.client", "Internet\x7fID\x85", "holds U+007F"),
    ("2m", "docker.logMaxSize", "10m\n", "holds U+000A"),
    ("2n", "webAuth.user", "iidmon\n", "holds U+000A"),
    ("2o", "grafana.communityDashboards.0.sha256", "a" * 64 + "\n", "holds U+000A"),
    ("2p", "incident.pagerduty.users.0.email", "a@b.co\n", "holds U+000A"),
    # 3: values crossing into another language
    ("3a", "rules.apiContainers", "(?=api).*", "is not a regex Prometheus accepts (RE2: invalid perl operator"),
    ("3b", "rules.apiContainers", "a{1001}", "is not a regex Prometheus accepts (RE2: invalid repetition size"),
    ("3c", "rules.apiContainers", "(?P<n>a)(?P=n)", "is not a regex Prometheus accepts"),
    ("3d", "rules.apiContainers", "api++", "is not a regex Prometheus accepts (RE2: bad repetition operator"),
    ("3e", "targets.postgres.database", "internetid?host=localhost&port=6000&sslmode=disable&",
     "is not a PostgreSQL name"),
    ("3f", "targets.postgres.host", "evil.example:6432/x?sslmode=disable#", "is not a host name or IP address"),
    ("3g", "notifications.email.to", "ops@example.com\r\nBcc: spy@evil.example", "holds U+000D"),
    ("3g2", "notifications.email.to", "ops@example.com, Spy <spy@evil.example>", "is not an e-mail address"),
    ("3h", "notifications.email.from", "am@example.com\nReply-To: x@evil.example", "holds U+000A"),
    ("3i", "rules.runbookBaseUrl", "https://runbook.example/x><!channel>", "holds '>', which a URL writes "
                                                                         "percent-encoded"),
    ("3j", "rules.runbookBaseUrl", "https://evil.example/a|click here <!here", "holds '|'"),
    ("3k", "incident.sentry.environment", "prod\nNODE_OPTIONS=--require /tmp/x.js", "holds U+000A"),
    ("3l", "slos.0.service", 'api"\nseverity: info', "holds U+000A"),
    ("3m", "targets.probes.0.url", "http://api:3001/api/health\nhttp://evil", "holds U+000A"),
    ("3n", "slos.0.selector", 'route=~"(?!/health).*"', "is not a regex Prometheus accepts"),
    ("3p", "slos.0.selector", 'route="\\q"', "is no PromQL string (unknown escape sequence \\q)"),
    ("3q", "slos.0.selector", 'route=~"a{1001}"', "is not a regex Prometheus accepts"),
    # 4: numbers and durations within what the consumer accepts
    ("4a", "notifications.timing.critical.groupWait", "10s\n", "holds U+000A"),
    ("4b", "notifications.timing.critical.repeatInterval", "300y", "is not a duration"),
    ("4b2", "notifications.timing.critical.repeatInterval", "292y1ms", "is longer than Alertmanager accepts here "
                                                                       "(at most 292y)"),
    ("4c", "notifications.resolveTimeout", "0s", "is shorter than Alertmanager accepts here"),
    ("4d2", "prometheus.retentionTime", "0s", "is shorter than Prometheus accepts here (at least 2h)"),
    ("4e", "docker.memoryMb.prometheus", 10**15, "Input should be less than or equal to 1048576"),
    ("4f", "prometheus.retentionSize", "20 GB", "is not a size in Prometheus' units"),
    ("4j", "prometheus.retentionTime", "1000000y", "is not a duration"),
    ("4k", "notifications.timing.critical.groupWait", "30s1m", "units from the largest down, each once"),
    ("4l", "prometheus.scrapeInterval", "1m1m", "units from the largest down, each once"),
    ("4n", "rules.overrides.HighErrorRate.threshold", math.nan, "Input should be a finite number"),
    ("4o", "prometheus.scrapeLimits.sampleLimit", 10**30, "Input should be less than or equal to 2147483647"),
    ("4p", "rules.minRequestRate", math.inf, "Input should be a finite number"),
    ("4q", "prometheus.retentionSize", "8192PB", "is more than Prometheus can count"),
    ("4r", "prometheus.retentionSize", "50MB", "is less than 100MB"),
    # 7: every URL a credential is sent to is https (http on loopback only)
    ("7a", "grafana.rootUrl", "http://grafana.example.com", "carries a credential and must be https"),
    ("7b", "incident.sentry.baseUrl", "http://sentry.example.com/api/", "carries a credential and must be https"),
    ("7c", "prometheus.externalUrl", "http://prometheus.example.com", "carries a credential and must be https"),
    ("7d", "notifications.externalUrl", "http://alertmanager.example.com", "carries a credential and must be https"),
    ("7f", "notifications.heartbeatUrl", "https://hc-ping.example/x", "ping URL is a credential"),
    ("7s", "notifications.email.requireTls", False, "would send the SMTP password to smtp.example.com in clear"),
    ("7p", "targets.postgres.host", "db.example.com", "would send the exporter's password to db.example.com"),
    # 11: paths
    ("11a", "notifications.secretsDir", "/etc/alertmanager/.next", "'.next' is no plain directory name"),
    ("11b", "notifications.secretsDir", "/etc/alertmanager/../../tmp", "is not a normalized path"),
    ("11c", "docker.dataRoot", "/var/lib/docker/../../../etc", "is not a normalized path"),
    ("11d", "cadvisor.dockerSocket", "/var/run/../../etc/shadow", "is not a normalized path"),
    ("11e", "cadvisor.devices.0", "/dev/../etc/shadow", "is not a normalized path"),
    ("11f", "nodeExporter.textfileDirectory", "/", "'/' is the whole host"),
    ("11g", "docker.containerPrefix", "../x", "is not a Docker name prefix"),
    ("11h", "docker.containerPrefix", "a b/c", "is not a Docker name prefix"),
    ("11i", "notifications.secretsDir", "/alertmanager", "overlaps Alertmanager's data volume /alertmanager"),
]
"""(issue id, key, value, what the message says): the inputs of the issue's reproduction table."""

KEY_OF = {"7s": "notifications.email", "7p": "targets.postgres"}
"""Cases decided by a check of the block: the key the message names (the block's field it blames)."""
BLAMED = {"7s": "notifications.email.requireTls", "7p": "targets.postgres.sslmode"}


def named_config(case_id: str, key: str, value: Any) -> dict[str, Any]:
    config = maximal()
    if case_id == "7s":
        config = with_value(config, ("notifications", "email", "requireTls"), value)
    elif case_id == "4n":
        config = with_value(config, ("rules", "overrides"), {"HighErrorRate": {"threshold": value}})
    else:
        config = with_value(config, tuple(key.split(".")), value)
    return config


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("named")


@pytest.fixture
def project(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(config_source, "PROJECT_DIR", project_dir)
    yield project_dir


def render(project: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], bool]:
    (project / f"Pulumi.{STACK}.yaml").write_text(text)
    out = project / "out"
    shutil.rmtree(out, ignore_errors=True)
    code = cli.main(["render", "--stack", STACK, "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.splitlines(), out.exists()


@pytest.mark.parametrize(("case_id", "key", "value", "says"), NAMED, ids=[case[0] for case in NAMED])
def test_each_input_of_the_issue_is_refused_naming_its_key(
    project: Path, capsys: pytest.CaptureFixture[str], *, case_id: str, key: str, value: Any, says: str,
) -> None:
    code, lines, rendered = render(project, stack_file_text(named_config(case_id, key, value)), capsys)
    assert code == EXIT_USAGE and not rendered
    assert len(lines) == 1, lines
    blamed = BLAMED.get(case_id, key)
    assert lines[0].startswith(f"error: stack '{STACK}': {PROJECT}:{blamed}: "), lines[0]
    assert says in lines[0], lines[0]
    assert "pw@" not in lines[0]


def test_7e_a_docker_endpoint_over_tcp_without_tls_material_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = with_value(with_value(maximal(), ("docker", "tlsCertPath"), None), ("docker", "host"),
                        "tcp://10.0.0.5:2375")
    code, lines, _ = render(project, stack_file_text(config), capsys)
    assert code == EXIT_USAGE and len(lines) == 1
    assert lines[0].startswith(f"error: stack '{STACK}': {PROJECT}:docker.host: 'tcp://10.0.0.5:2375' is plain TCP")
    loopback = with_value(config, ("docker", "host"), "tcp://127.0.0.1:2375")
    assert render(project, stack_file_text(loopback), capsys)[0] == 0


MISSPELT = [
    ("5a", "internet-id-monitorng:webAuth", "unknown namespace 'internet-id-monitorng' (did you mean "
                                            "'internet-id-monitoring'?); nothing reads this key, so webAuth keeps its "
                                            "default"),
    ("5c", "internetid-monitoring:prometheus", "(did you mean 'internet-id-monitoring'?)"),
    ("5e", "Internet-ID-Monitoring:rules", "namespaces are case-sensitive: did you mean 'internet-id-monitoring'?"),
    ("5f", "pagerdutty:token", "(did you mean 'pagerduty'?)"),
    ("5g", "aws:region", "nothing in this stack reads namespace 'aws'; remove the key"),
    ("5h", "docker:host", "not read (this stack configures its providers from its own settings); set "
                          "internet-id-monitoring:docker.host instead"),
    ("5i", "sentry:baseUrl", "set internet-id-monitoring:incident.sentry.baseUrl instead"),
]


@pytest.mark.parametrize(("case_id", "key", "says"), MISSPELT, ids=[case[0] for case in MISSPELT])
def test_a_key_nothing_reads_is_refused_with_the_closest_namespace(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *, case_id: str, key: str,
    says: str,
) -> None:
    config = {**maximal(), key: {"enabled": False} if "webAuth" in key else "x"}
    code, lines, rendered = render(project, stack_file_text(config), capsys)
    assert code == EXIT_USAGE and not rendered and len(lines) == 1
    assert lines[0].startswith(f"error: stack '{STACK}': {key}: ") and says in lines[0], lines[0]
    registered = declared_types(monkeypatch)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(STACK, config, secrets_for_maximal())
    assert str(caught.value) == lines[0].removeprefix("error: ")
    assert registered == []


def secrets_for_maximal() -> dict[str, str]:
    return secrets_of(maximal())


@pytest.mark.parametrize(("case_id", "text", "says"), [
    ("5b", "config:\n  internet-id-monitoring:docker:\n    bindAddress: 0.0.0.0\n"
           "  internet-id-monitoring:docker:\n    bindAddress: 127.0.0.1\n",
     "line 4: 'internet-id-monitoring:docker' is written twice (first at line 2); keep one (pulumi refuses this "
     "file too)"),
    ("5d", "config:\n  internet-id-monitoring:targets:\n    postgres:\n      host: db\n      host: evil.example\n",
     "line 5: 'host' is written twice (first at line 4); keep one (pulumi refuses this file too)"),
])
def test_a_key_written_twice_is_refused_as_pulumi_refuses_it(
    project: Path, capsys: pytest.CaptureFixture[str], case_id: str, text: str, says: str,
) -> None:
    code, lines, rendered = render(project, text, capsys)
    assert code == EXIT_USAGE and not rendered and len(lines) == 1
    assert lines[0] == f"error: stack '{STACK}': Pulumi.{STACK}.yaml {says}"


@pytest.mark.parametrize(("case_id", "key", "nested", "shown"), [
    ("6a", "environment", (), "internet-id-monitoring:environment: holds an encrypted value, but it is not a secret "
                              "setting (it ends up in labels, Slack and rendered files in plain text); set it in "
                              "plain text: `pulumi config rm 'internet-id-monitoring:environment'`, then `pulumi "
                              "config set 'internet-id-monitoring:environment' <value>`"),
    ("6b", "grafana", (), "internet-id-monitoring:grafana: holds an encrypted value, but it is not a secret setting "
                          "(it ends up in labels, Slack and rendered files in plain text); set it in plain text: "
                          "`pulumi config rm 'internet-id-monitoring:grafana'`, then `pulumi config set "
                          "'internet-id-monitoring:grafana' <value>`"),
    ("6c", "grafana", ("adminUser",), "internet-id-monitoring:grafana.adminUser: holds an encrypted value, but it is "
                                      "not a secret setting (it ends up in labels, Slack and rendered files in plain "
                                      "text); set it in plain text: `pulumi config rm --path "
                                      "'internet-id-monitoring:grafana.adminUser'`, then `pulumi config set --path "
                                      "'internet-id-monitoring:grafana.adminUser' <value>`"),
])
def test_an_ordinary_setting_set_as_a_secret_is_refused_with_the_right_advice(
    project: Path, capsys: pytest.CaptureFixture[str], *, case_id: str, key: str, nested: tuple[str, ...], shown: str,
) -> None:
    secure = {"secure": "v1:ciphertext"}
    config = with_value(maximal(), (key, *nested), secure)
    code, lines, rendered = render(project, stack_file_text(config), capsys)
    assert code == EXIT_USAGE and not rendered and len(lines) == 1
    assert lines[0] == f"error: stack '{STACK}': {shown}"


def test_6_the_program_never_reads_an_ordinary_setting_set_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine marks ``environment`` secret: the program refuses it before any resource, and the decrypted
    value reaches nothing (today it would land in four Slack topics in plain state)."""
    registered = declared_types(monkeypatch)
    config = with_value(maximal(), ("environment",), None)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(STACK, config, {**secrets_for_maximal(), f"{PROJECT}:environment": "decrypted-environment"})
    assert str(caught.value).startswith(f"stack '{STACK}': {PROJECT}:environment: holds an encrypted value")
    assert "decrypted-environment" not in str(caught.value)
    assert registered == []


@pytest.fixture(scope="module")
def entry_point_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the product (the package and nothing else): ``python -m components`` there reads stack files
    there, as it reads the project's own."""
    copy = tmp_path_factory.mktemp("entry-point")
    shutil.copytree(ROOT / "components", copy / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def sample() -> list[Any]:
    """One case per family, and the first of each URL, path and duration variety."""
    cases = generated_cases()
    chosen = [cases[family][0] for family in sorted(cases)]
    chosen += [case for case in cases["url"] if case.label in ("user and password", "http beyond loopback")][:2]
    chosen += [case for case in cases["string"] if case.label in ("RLO (bidi override)", "NUL")][:2]
    return chosen


@pytest.mark.parametrize("case", sample(), ids=lambda case: case.id)
def test_the_real_entry_point_prints_one_line_and_no_traceback(entry_point_copy: Path, case: Any) -> None:
    (entry_point_copy / f"Pulumi.{STACK}.yaml").write_text(stack_file_text(config_for(case)))
    out = entry_point_copy / "out"
    done = subprocess.run([sys.executable, "-m", "components", "render", "--stack", STACK, "--out", str(out)],
                          cwd=entry_point_copy, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == EXIT_USAGE, done.stdout
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: stack '{STACK}': {PROJECT}:{case.leaf.key}: ")
    assert not out.exists()
