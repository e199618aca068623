"""``python -m components containers``: which containers of a stack are not running healthy, and why.

A container that exits, restarts or fails its healthcheck is named with its state, its exit code or healthcheck
output, its last log lines and the ``docker logs`` command; ``--watch`` keeps looking (``scripts/deploy-dev``
runs it while ``pulumi up`` waits, so a crash loop is named long before the provider gives up waiting).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

STACK_LABEL = "com.internet-id.stack"
COMPONENT_LABEL = "com.internet-id.component"
"""The labels ``pulumi up`` puts on every container (``containers/component.py``)."""
JOB_SUFFIX = "-reload"
"""Components ending so are one-shot reload jobs: they exit by design, and ``pulumi up`` reports their failures."""
LOG_LINES = 10
"""Log lines shown of a container in trouble."""
DOCKER_TIMEOUT = 30.0
WATCH_INTERVAL = 3.0

Docker = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class ContainerState:
    """What ``docker inspect`` says of one container."""

    name: str
    status: str
    """``running``, ``restarting``, ``exited``, ``created``, ``dead``."""
    exit_code: int
    restarts: int
    health: str | None
    """``starting``, ``healthy``, ``unhealthy``; ``None`` without a healthcheck."""
    health_output: str
    """What the last healthcheck printed."""


def container_state(document: Mapping[str, Any]) -> ContainerState:
    """The parts of one ``docker inspect`` document the judgement needs."""
    state = document.get("State") or {}
    health = state.get("Health") or None
    checks = (health or {}).get("Log") or []
    return ContainerState(
        name=str(document.get("Name", "?")).lstrip("/"),
        status=str(state.get("Status", "?")),
        exit_code=int(state.get("ExitCode") or 0),
        restarts=int(document.get("RestartCount") or 0),
        health=str(health["Status"]) if health else None,
        health_output=" ".join(str(checks[-1].get("Output", "")).split()) if checks else "",
    )


def trouble(state: ContainerState) -> str | None:
    """Why ``state`` needs attention, or ``None`` while it runs (healthy, or still starting)."""
    if state.status == "restarting" or state.restarts:
        times = "once" if state.restarts == 1 else f"{state.restarts} times"
        code = "" if state.status == "running" else f"last exit code {state.exit_code}, "  # running: no exit code
        return f"keeps restarting ({code}restarted {times})"
    if state.status in ("exited", "dead"):
        return f"has {state.status} (exit code {state.exit_code})"
    if state.status == "created":
        return "was created but never started"
    if state.health == "unhealthy":
        said = f": {state.health_output}" if state.health_output else ""
        return f"is unhealthy (its healthcheck fails{said})"
    return None


def _collapsed(lines: list[str]) -> list[str]:
    """Runs of the same line as one (a crash loop logs the same error on every start)."""
    runs: list[tuple[str, int]] = []
    for line in lines:
        if runs and runs[-1][0] == line:
            runs[-1] = (line, runs[-1][1] + 1)
        else:
            runs.append((line, 1))
    return [line if count == 1 else f"{line} ({count} times)" for line, count in runs]


def report(state: ContainerState, why: str, logs: str) -> str:
    """The lines about one container in trouble: what is wrong, its last log lines, the command for all of them."""
    lines = _collapsed([line for line in logs.splitlines() if line.strip()][-LOG_LINES:])
    shown = [f"{state.name} {why}; its last log lines:", *(f"    {line}" for line in lines)] if lines else [
        f"{state.name} {why}; it logged nothing"]
    return "\n".join([*shown, f"  (all of them: docker logs {state.name})"])


def run_docker(args: Sequence[str], host: str | None = None) -> subprocess.CompletedProcess[str]:
    """``docker ARGS`` against ``host`` (else ``$DOCKER_HOST``); never raises for a failing command."""
    env = {**os.environ, **({"DOCKER_HOST": host} if host else {})}
    try:
        return subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=DOCKER_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(["docker", *args], 1, "", f"docker {args[0]}: {error}")


class DockerError(Exception):
    """The docker CLI could not list or inspect the stack's containers; the message is one line."""


def stack_states(stack: str, docker: Docker) -> list[ContainerState]:
    """Every container of ``stack`` but the reload jobs, as Docker sees it now."""
    listed = docker(["ps", "-aq", "--filter", f"label={STACK_LABEL}={stack}"])
    if listed.returncode != 0:
        raise DockerError(f"docker ps failed: {' '.join(listed.stderr.split())[:300]}")
    ids = listed.stdout.split()
    if not ids:
        return []
    inspected = docker(["inspect", *ids])
    if inspected.returncode != 0:  # a container removed meanwhile (pulumi up replaces them): try the next round
        return []
    documents = json.loads(inspected.stdout or "[]")
    return [container_state(d) for d in documents
            if not str(((d.get("Config") or {}).get("Labels") or {}).get(COMPONENT_LABEL, "")).endswith(JOB_SUFFIX)]


def troubles(stack: str, docker: Docker) -> list[str]:
    """A report per container of ``stack`` in trouble now."""
    found = []
    for state in stack_states(stack, docker):
        why = trouble(state)
        if why is not None:
            logs = docker(["logs", "--tail", str(LOG_LINES), state.name])
            found.append(report(state, why, logs.stdout + logs.stderr))
    return found


def check(stack: str, docker: Docker, out: TextIO) -> int:
    """Print a report per container in trouble; 1 if there is one, else 0 with one line saying all is well."""
    found = troubles(stack, docker)
    for text in found:
        print(text, file=out)
    if not found:
        count = len(stack_states(stack, docker))
        print(f"stack {stack}: {count} container(s), none exited, restarting or unhealthy", file=out)
    return 1 if found else 0


def watch(stack: str, docker: Docker, out: TextIO, *, interval: float = WATCH_INTERVAL,
          sleep: Callable[[float], None] = time.sleep, rounds: int | None = None) -> None:
    """Look every ``interval`` seconds until stopped; report each container the first time it is in trouble (again
    once it recovered and fell back).  A docker error is reported once and looked at again next round."""
    reported: set[str] = set()
    last_error = ""
    done = 0
    while rounds is None or done < rounds:
        done += 1
        try:
            states = stack_states(stack, docker)
        except DockerError as error:
            if str(error) != last_error:
                print(f"watching the containers: {error}", file=out, flush=True)
            last_error = str(error)
            sleep(interval)
            continue
        for state in states:
            why = trouble(state)
            if why is None:
                reported.discard(state.name)
            elif state.name not in reported:
                reported.add(state.name)
                logs = docker(["logs", "--tail", str(LOG_LINES), state.name])
                print(report(state, why, logs.stdout + logs.stderr), file=out, flush=True)
        sleep(interval)


def main(stack: str, host: str | None, *, keep_watching: bool, out: TextIO | None = None) -> int:
    """The command: a check, or a watch until interrupted (exit 0)."""
    out = out or sys.stdout

    def docker(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return run_docker(args, host)

    if keep_watching:
        with contextlib.suppress(KeyboardInterrupt):
            watch(stack, docker, out)
        return 0
    try:
        return check(stack, docker, out)
    except DockerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
