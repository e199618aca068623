"""The Internet-ID app as the monitoring stack expects it, on the same Docker engine.

One bridge network ``internet-id_default`` (the app's compose project network, which the product
joins by name) with the app's four services, named as compose names them
(``internet-id-<service>-<n>``) and reachable by service name (network alias):

- ``api`` (3001): the live suite's API stand-in (``tests/live/harness/api_standin.py``: the API's
  real metric names) serving ``/api/metrics`` and ``/api/health``; steer it with ``api(...)``,
  ``api_down()``/``api_up()`` (port closed/reopened, DNS unchanged) or ``stop_service("api")``
  (container stopped: it leaves Docker's DNS);
- ``web`` (3000): a static page;
- ``db`` (5432): PostgreSQL 15, database, user and password ``internetid`` (the app's documented
  development credentials, which the dev stack's ``useAppDevCredentials`` uses);
- ``redis`` (6379): Redis 7.

Everything carries ``LABEL`` (``com.internet-id.e2e``), so ``Engine.stop()`` removes it too.

    python -m tests.e2e.harness.app up            # against $DOCKER_HOST (see engine.py)
    python -m tests.e2e.harness.app api down      # any control of the API stand-in
    python -m tests.e2e.harness.app down
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.e2e.harness import images
from tests.e2e.harness.engine import LABEL, EngineError, run_docker

NETWORK = "internet-id_default"
PROJECT = "internet-id"
DEV_CREDENTIALS = "internetid"
"""Database, user and password of the app's development database (its documented defaults)."""
SERVICE_LABEL = f"{LABEL}.app-service"
API_CONTROL = ("python3", "/app/app_standin.py", "control")


class AppError(RuntimeError):
    """The app could not be brought up or steered; the message names the service and the cause."""


@dataclass(frozen=True)
class Service:
    """One compose service of the app."""

    name: str
    image: str
    """Key of ``images.STANDINS``."""
    port: int
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    ready: tuple[str, ...] = ()
    """Run in the container until it exits 0: the service answers."""


SERVICES: tuple[Service, ...] = (
    Service("db", "postgres", 5432,
            env={"POSTGRES_USER": DEV_CREDENTIALS, "POSTGRES_PASSWORD": DEV_CREDENTIALS,
                 "POSTGRES_DB": DEV_CREDENTIALS},
            ready=("pg_isready", "-q", "-h", "127.0.0.1", "-U", DEV_CREDENTIALS, "-d", DEV_CREDENTIALS)),
    Service("redis", "redis", 6379, ready=("redis-cli", "-h", "127.0.0.1", "ping")),
    Service("api", "app", 3001, command=("api",),
            ready=("wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3001/api/metrics")),
    Service("web", "app", 3000, command=("web",), ready=("wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/")),
)
BY_NAME = {service.name: service for service in SERVICES}


def _say(line: str) -> None:
    print(f"app: {line}", file=sys.stderr, flush=True)


class App:
    """The app's network and containers on the engine at ``docker_host``."""

    def __init__(self, docker_host: str, *, api_replicas: int = 1, api_memory_mb: int = 256,
                 label_value: str = "app", log: Callable[[str], None] = _say) -> None:
        self.docker_host = docker_host
        self.api_replicas = api_replicas
        self.api_memory_mb = api_memory_mb
        """The API containers get a memory limit so cAdvisor's ``container_spec_memory_limit_bytes`` is set."""
        self.label = f"{LABEL}={label_value}"
        self.log = log

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> App:
        return self.up()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.down()

    def up(self, timeout: float = 90) -> App:
        """Build what is missing, create the network and the containers, wait until every service answers."""
        started = time.monotonic()
        images.ensure(self.docker_host, images.APP_IMAGES)
        try:
            if self._docker("network", "ls", "-q", "--filter", f"name=^{NETWORK}$").stdout.strip():
                raise AppError(f"a network {NETWORK} exists already on this engine: run `python -m "
                               "tests.e2e.harness.app down` (or stop the engine) first")
            self._docker("network", "create", "--driver", "bridge", "--label", self.label,
                         "--label", "com.docker.compose.network=default", "--label",
                         f"com.docker.compose.project={PROJECT}", NETWORK)
            for service in SERVICES:
                for container in self.containers(service.name):
                    self._run(service, container)
            for service in SERVICES:
                for container in self.containers(service.name):
                    self._wait_ready(service, container, started + timeout)
        except BaseException:
            with contextlib.suppress(AppError):
                self.down()
            raise
        self.log(f"up in {time.monotonic() - started:.1f}s on {NETWORK}: "
                 + ", ".join(f"{s.name}:{s.port}" for s in SERVICES))
        return self

    def down(self) -> None:
        """Remove the app's containers (with their anonymous volumes) and its network."""
        found = self._docker("ps", "-aq", "--filter", f"label={self.label}").stdout.split()
        if found:
            self._docker("rm", "-f", "-v", *found, timeout=120)
        networks = self._docker("network", "ls", "-q", "--filter", f"label={self.label}").stdout.split()
        if networks:
            self._docker("network", "rm", *networks)
        if found or networks:
            self.log(f"down: removed {len(found)} containers and {len(networks)} network")

    # -- names -------------------------------------------------------------------------------
    def containers(self, service: str) -> list[str]:
        """Container names of ``service`` (``internet-id-api-1``, ...), as compose v2 names them."""
        count = self.api_replicas if service == "api" else 1
        _service(service)
        return [f"{PROJECT}-{service}-{n}" for n in range(1, count + 1)]

    def container(self, service: str) -> str:
        return self.containers(service)[0]

    # -- steering ----------------------------------------------------------------------------
    def api(self, control: str, *args: Any, replica: int = 1) -> dict[str, Any]:
        """Call one control of the API stand-in (``down``, ``up``, ``hang``, ``answer``, ``reset``,
        ``set_error_ratio``, ``set_latency``, ``set_cache_hit_ratio``, ``set_service_health``)."""
        container = self.containers("api")[replica - 1]
        result = self._docker("exec", container, *API_CONTROL, control, *(json.dumps(a) for a in args),
                              check=False)
        if result.returncode != 0:
            raise AppError(f"api control {control}{list(args)} on {container}: "
                           f"{(result.stderr or result.stdout).strip()}")
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    def api_down(self, replica: int = 1) -> None:
        """Close port 3001 (scrapes and probes get ``connection refused``; DNS still answers)."""
        self.api("down", replica=replica)

    def api_up(self, replica: int = 1) -> None:
        self.api("up", replica=replica)

    def stop_service(self, service: str) -> None:
        """Stop the service's containers: they leave Docker's DNS (``docker stop``)."""
        self._docker("stop", *self.containers(service), timeout=60)

    def start_service(self, service: str, timeout: float = 60) -> None:
        self._docker("start", *self.containers(service), timeout=60)
        deadline = time.monotonic() + timeout
        for container in self.containers(service):
            self._wait_ready(_service(service), container, deadline)

    def exec(self, service: str, *argv: str, check: bool = True) -> str:
        """Run ``argv`` in the service's (first) container; its standard output."""
        return self._docker("exec", self.container(service), *argv, check=check).stdout

    # -- internals ---------------------------------------------------------------------------
    def _run(self, service: Service, container: str) -> None:
        args = ["run", "--detach", "--name", container, "--hostname", container,
                "--network", NETWORK, "--network-alias", service.name,
                "--label", self.label, "--label", f"{SERVICE_LABEL}={service.name}",
                "--label", f"com.docker.compose.project={PROJECT}", "--label",
                f"com.docker.compose.service={service.name}"]
        for key, value in sorted(service.env.items()):
            args += ["--env", f"{key}={value}"]
        if service.name == "api" and self.api_memory_mb:
            args += ["--memory", f"{self.api_memory_mb}m"]
        self._docker(*args, images.reference(service.image), *service.command)

    def _wait_ready(self, service: Service, container: str, deadline: float) -> None:
        while True:
            state = self._docker("inspect", "--format", "{{.State.Status}}", container, check=False).stdout.strip()
            if state in ("exited", "dead"):
                logs = self._docker("logs", "--tail", "20", container, check=False)
                raise AppError(f"{container} exited at start: {' '.join((logs.stderr + logs.stdout).split())[-500:]}")
            if self._docker("exec", container, *service.ready, check=False).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise AppError(f"{container} ({service.name}) did not answer on :{service.port} in time "
                               f"(`docker logs {container}`)")
            time.sleep(0.3)

    def _docker(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        try:
            return run_docker(self.docker_host, args, check=check, timeout=timeout)
        except EngineError as error:
            raise AppError(str(error)) from None


def _service(name: str) -> Service:
    try:
        return BY_NAME[name]
    except KeyError:
        raise AppError(f"no app service {name!r}; known: {', '.join(BY_NAME)}") from None


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness.app",
                                     description="The Internet-ID app stand-in on the engine at $DOCKER_HOST.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build what is missing, start the app, wait until it answers")
    up.add_argument("--api-replicas", type=int, default=1)
    commands.add_parser("down", help="remove the app's containers and network")
    api = commands.add_parser("api", help="steer the API stand-in: down, up, hang, answer, reset, set_error_ratio R, "
                                          "set_latency S, set_cache_hit_ratio R, set_service_health NAME true|false")
    api.add_argument("control")
    api.add_argument("args", nargs="*", help="JSON values (true, 0.5, \"database\")")
    api.add_argument("--replica", type=int, default=1)
    for name in ("stop", "start"):
        command = commands.add_parser(name, help=f"{name} a service's containers (docker {name})")
        command.add_argument("service", choices=list(BY_NAME))
    args = parser.parse_args(argv)
    host = os.environ.get("DOCKER_HOST")
    if not host:
        print("app: error: DOCKER_HOST is not set: eval \"$(python -m tests.e2e.harness.engine env)\"",
              file=sys.stderr)
        return 1
    app = App(host, api_replicas=getattr(args, "api_replicas", 1))
    try:
        if args.command == "up":
            app.up()
        elif args.command == "down":
            app.down()
        elif args.command == "api":
            values = [_json_or_text(a) for a in args.args]
            print(json.dumps(app.api(args.control, *values, replica=args.replica)))
        elif args.command == "stop":
            app.stop_service(args.service)
        else:
            app.start_service(args.service)
    except (AppError, EngineError, images.ImageError) as error:
        print(f"app: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
