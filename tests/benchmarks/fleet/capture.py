"""Real scrapes for the replay, taken at run time from the pinned builds, run with the stack's own flags.

- node_exporter on this machine (its collectors and filesystem exclusions as the stack runs it; this machine's
  paths instead of ``/host``), so its series are this machine's: CPUs, filesystems, network devices.
- cAdvisor against a Docker engine of our own holding a typical host's containers: the stack's containers and the
  app's, named as they are named in production, each a busybox idling in a loop (CPU, memory, network and
  filesystem series as a container has them; values of idle containers).

Each exporter is scraped twice (``NODE_INTERVAL`` apart, or two of cAdvisor's housekeeping intervals); the
captures stay in the run's directory, never in the repository.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from components.containers import cadvisor, node_exporter
from components.containers.records import RECORDS
from components.durations import seconds
from components.settings import StackSettings
from tests.benchmarks.fleet.binaries import Binary
from tests.benchmarks.fleet.exposition import parse
from tests.benchmarks.fleet.replay import Capture
from tests.e2e.harness import images
from tests.e2e.harness.engine import Engine
from tests.live.harness.ports import free_port
from tests.live.harness.processes import ManagedProcess

NODE_INTERVAL = 15.0
"""Seconds between node_exporter's two scrapes (it reads everything anew at each)."""
APP_CONTAINERS = ("internet-id-api-1", "internet-id-api-2", "internet-id-web-1", "internet-id-db-1",
                  "internet-id-redis-1")
"""The app's containers on a host that runs it (two API replicas), named as its compose project names them."""
IDLE_LOOP = "while :; do sleep 1; done"
FLAGS_REPLACED = ("--path.rootfs=", "--web.listen-address=", "--collector.textfile.directory=")
"""node_exporter flags of the stack that name its container's paths or address."""


def node_exporter_command(settings: StackSettings, binary: str, *, listen: str, textfile_dir: Path) -> list[str]:
    """The stack's node_exporter command, on this machine: its own root, a loopback address, an empty
    textfile directory."""
    command = node_exporter.runtime(settings.node_exporter, settings.context).command
    kept = [flag for flag in command if not flag.startswith(FLAGS_REPLACED)]
    return [binary, *kept, f"--web.listen-address={listen}", f"--collector.textfile.directory={textfile_dir}"]


def cadvisor_command(settings: StackSettings, binary: str, *, port: int, docker_host: str) -> list[str]:
    """The stack's cAdvisor command, on loopback, watching ``docker_host``."""
    command = cadvisor.runtime(settings.cadvisor, settings.context, data_root=settings.docker.data_root).command
    return [binary, *command, "--listen_ip=127.0.0.1", f"--port={port}", f"--docker={docker_host}"]


def housekeeping_interval(settings: StackSettings) -> float:
    """How often cAdvisor refreshes (and re-stamps) its container series in the stack."""
    command = cadvisor.runtime(settings.cadvisor, settings.context, data_root=settings.docker.data_root).command
    flag = next(f for f in command if f.startswith("--housekeeping_interval="))
    return seconds(flag.partition("=")[2])


def typical_containers(settings: StackSettings) -> list[str]:
    """The containers of a host running the stack and the app."""
    return [settings.context.container_name(record.name) for record in RECORDS] + list(APP_CONTAINERS)


def scrape(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


def _two_scrapes(process: ManagedProcess, url: str, ready: Callable[[str], bool], what: str,
                 interval: float) -> tuple[str, str]:
    process.wait_until(lambda: ready(scrape(url)), what, timeout=90)
    first = scrape(url)
    time.sleep(interval)
    return first, scrape(url)


def cadvisor_interval(settings: StackSettings) -> float:
    """Two housekeeping intervals and a margin: cAdvisor spreads each container's housekeeping over one to two
    intervals (jitter), so every container is refreshed at least once between the scrapes."""
    return 2 * housekeeping_interval(settings) + 5


def capture_node_exporter(settings: StackSettings, binary: Binary, workdir: Path) -> Capture:
    textfiles = workdir / "textfile"
    textfiles.mkdir(parents=True, exist_ok=True)
    listen = f"127.0.0.1:{free_port()}"
    process = ManagedProcess("node_exporter", node_exporter_command(settings, binary.path, listen=listen,
                                                                    textfile_dir=textfiles),
                             workdir / "node_exporter.log").start()
    try:
        first, second = _two_scrapes(process, f"http://{listen}/metrics", lambda text: "node_cpu_seconds_total" in text,
                                     "serving node_cpu_seconds_total", NODE_INTERVAL)
    finally:
        process.stop()
    return Capture("node-exporter", first, second, NODE_INTERVAL, socket.gethostname())


@contextlib.contextmanager
def typical_docker_host(settings: StackSettings, workdir: Path, log: Callable[[str], None]) -> Iterator[Engine]:
    """A Docker engine of our own with the containers of ``typical_containers``, removed on exit."""
    with Engine(state_dir=workdir, link_default_socket=False, log=log) as engine:
        images.ensure(engine.docker_host, ["busybox"], log=log)
        image = images.reference("busybox")
        for name in typical_containers(settings):
            engine.docker("run", "--detach", "--name", name, "--hostname", name, "--label", engine.label,
                          "--network-alias", name, image, "sh", "-c", IDLE_LOOP)
        yield engine


def _sees_every_container(names: list[str]) -> Callable[[str], bool]:
    def ready(text: str) -> bool:
        seen = {dict(s.labels).get("name") for f in parse(text) if f.name == "container_cpu_usage_seconds_total"
                for s in f.samples}
        return set(names) <= seen
    return ready


def capture_cadvisor(settings: StackSettings, binary: Binary, workdir: Path, log: Callable[[str], None]) -> Capture:
    names = typical_containers(settings)
    with typical_docker_host(settings, workdir, log) as engine:
        port = free_port()
        process = ManagedProcess("cadvisor", cadvisor_command(settings, binary.path, port=port,
                                                              docker_host=engine.docker_host),
                                 workdir / "cadvisor.log").start()
        try:
            first, second = _two_scrapes(process, f"http://127.0.0.1:{port}/metrics", _sees_every_container(names),
                                         f"reporting the {len(names)} containers", cadvisor_interval(settings))
        finally:
            process.stop()
    return Capture("cadvisor", first, second, cadvisor_interval(settings), socket.gethostname(),
                   stamp_period=housekeeping_interval(settings))


def save(capture: Capture, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{capture.exporter}.json").write_text(json.dumps(asdict(capture)))


def load(directory: Path, exporter: str) -> Capture:
    return Capture(**json.loads((directory / f"{exporter}.json").read_text()))
