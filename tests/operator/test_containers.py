"""``containers``: a container that exits, restarts or fails its healthcheck is named with why and its last logs."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Sequence
from typing import Any

import pytest

from components.operator.containers import DockerError, check, container_state, trouble, watch


def inspected(name: str, status: str = "running", *, health: str | None = "healthy", exit_code: int = 0,
              restarts: int = 0, check_output: str = "", component: str = "") -> dict[str, Any]:
    """A ``docker inspect`` document of Docker 20.10, cut to what the command reads."""
    state: dict[str, Any] = {"Status": status, "ExitCode": exit_code}
    if health:
        state["Health"] = {"Status": health, "Log": [{"ExitCode": 1, "Output": check_output}] if check_output else []}
    return {"Name": f"/{name}", "State": state, "RestartCount": restarts,
            "Config": {"Labels": {"com.internet-id.stack": "dev",
                                  "com.internet-id.component": component or name.removeprefix("iidmon-dev-")}}}


class FakeDocker:
    """Answers ``docker ps``, ``inspect`` and ``logs`` from a list of documents (changed between rounds)."""

    def __init__(self, documents: list[dict[str, Any]], logs: str = "") -> None:
        self.documents = documents
        self.logs = logs
        self.calls: list[list[str]] = []
        self.ps_error = ""

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        if args[0] == "ps":
            if self.ps_error:
                return subprocess.CompletedProcess(args, 1, "", self.ps_error)
            return subprocess.CompletedProcess(args, 0, "\n".join(d["Name"] for d in self.documents), "")
        if args[0] == "inspect":
            return subprocess.CompletedProcess(args, 0, json.dumps(self.documents), "")
        return subprocess.CompletedProcess(args, 0, self.logs, "")


@pytest.mark.parametrize(("document", "why"), [
    (inspected("x", "restarting", health="starting", exit_code=1, restarts=3),
     "keeps restarting (last exit code 1, restarted 3 times)"),
    (inspected("x", "running", health="starting", restarts=1), "keeps restarting (restarted once)"),
    (inspected("x", "exited", health=None, exit_code=137), "has exited (exit code 137)"),
    (inspected("x", health="unhealthy", check_output="wget: can't connect to remote host (127.0.0.1): Connection "
                                                     "refused\n"),
     "is unhealthy (its healthcheck fails: wget: can't connect to remote host (127.0.0.1): Connection refused)"),
    (inspected("x", "created", health=None), "was created but never started"),
])
def test_trouble_says_what_is_wrong(document: dict[str, Any], why: str) -> None:
    assert trouble(container_state(document)) == why


@pytest.mark.parametrize("document", [
    inspected("x"), inspected("x", health="starting"), inspected("x", health=None),
])
def test_a_running_or_starting_container_is_no_trouble(document: dict[str, Any]) -> None:
    assert trouble(container_state(document)) is None


def test_check_names_the_container_its_last_log_lines_and_the_command() -> None:
    logs = "".join(f"line {n}\n" for n in range(1, 16))
    docker = FakeDocker([inspected("iidmon-dev-postgres-exporter", "restarting", health="starting", exit_code=1,
                                   restarts=4), inspected("iidmon-dev-grafana")], logs=logs)
    out = io.StringIO()
    assert check("dev", docker, out) == 1
    assert out.getvalue() == (
        "iidmon-dev-postgres-exporter keeps restarting (last exit code 1, restarted 4 times); its last log lines:\n"
        + "".join(f"    line {n}\n" for n in range(6, 16))
        + "  (all of them: docker logs iidmon-dev-postgres-exporter)\n")
    assert ["ps", "-aq", "--filter", "label=com.internet-id.stack=dev"] in docker.calls
    assert ["logs", "--tail", "10", "iidmon-dev-postgres-exporter"] in docker.calls


def test_a_crash_loops_repeated_line_is_shown_once() -> None:
    docker = FakeDocker([inspected("iidmon-dev-postgres-exporter", "restarting", health="starting", exit_code=1,
                                   restarts=9)],
                        logs="starting\n" + "error: unknown long flag '--collector.postmaster'\n" * 9)
    out = io.StringIO()
    check("dev", docker, out)
    assert out.getvalue().splitlines()[1:3] == [
        "    starting", "    error: unknown long flag '--collector.postmaster' (9 times)"]


def test_reload_jobs_exit_by_design_and_are_left_out() -> None:
    docker = FakeDocker([inspected("iidmon-dev-prometheus-reload", "exited", health=None,
                                   component="prometheus-reload"), inspected("iidmon-dev-prometheus")])
    out = io.StringIO()
    assert check("dev", docker, out) == 0
    assert out.getvalue() == "stack dev: 1 container(s), none exited, restarting or unhealthy\n"


def test_watch_reports_each_container_once_as_it_falls_into_trouble() -> None:
    healthy = inspected("iidmon-dev-cadvisor", health="starting")
    docker = FakeDocker([healthy], logs="F0101 cannot open /dev/kmsg\n")
    rounds = [
        [healthy],
        [inspected("iidmon-dev-cadvisor", "restarting", health="starting", exit_code=255, restarts=1)],
        [inspected("iidmon-dev-cadvisor", "restarting", health="starting", exit_code=255, restarts=2)],
    ]

    def next_round(seconds: float) -> None:
        docker.documents = rounds.pop(0) if rounds else docker.documents

    out = io.StringIO()
    watch("dev", docker, out, sleep=next_round, rounds=4)
    assert out.getvalue() == (
        "iidmon-dev-cadvisor keeps restarting (last exit code 255, restarted once); its last log lines:\n"
        "    F0101 cannot open /dev/kmsg\n"
        "  (all of them: docker logs iidmon-dev-cadvisor)\n")


def test_watch_survives_a_docker_error_and_says_it_once() -> None:
    docker = FakeDocker([])
    docker.ps_error = "Cannot connect to the Docker daemon"
    out = io.StringIO()
    watch("dev", docker, out, sleep=lambda seconds: None, rounds=3)
    assert out.getvalue() == "watching the containers: docker ps failed: Cannot connect to the Docker daemon\n"
    with pytest.raises(DockerError):
        check("dev", docker, io.StringIO())
