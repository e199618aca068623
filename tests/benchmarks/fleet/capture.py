"""Real scrapes for the replay, taken at run time from the pinned builds, run with the stack's own flags.

A typical host is built for the capture: a Docker engine of our own holding the stack's containers and the app's,
named as they are in production, each a busybox idling in a loop.  While it runs:

- node_exporter runs on this machine with the stack's collectors and filesystem exclusions (this machine's paths
  instead of ``/host``);
- cAdvisor runs with the stack's flags against that engine.

Both are scraped twice, ``capture_interval`` apart (two of cAdvisor's housekeeping intervals).  This machine is
shared, so what is not the typical host's is left out of both captures (``on_typical_host``): network devices but
loopback, the uplink, the engine's bridge and its containers' veths; filesystems but ``/``.  The captures stay in
the run's directory, never in the repository.
"""

from __future__ import annotations

import contextlib
import json
import os
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
from tests.benchmarks.fleet.exposition import Sample, keep_samples, parse
from tests.benchmarks.fleet.replay import Capture
from tests.e2e.harness import images
from tests.e2e.harness.engine import Engine
from tests.live.harness.ports import free_port
from tests.live.harness.processes import ManagedProcess

APP_CONTAINERS = ("internet-id-api-1", "internet-id-api-2", "internet-id-web-1", "internet-id-db-1",
                  "internet-id-redis-1")
"""The app's containers on a host that runs it (two API replicas), named as its compose project names them."""
IDLE_LOOP = "while :; do sleep 1; done"
FLAGS_REPLACED = ("--path.rootfs=", "--web.listen-address=", "--collector.textfile.directory=")
"""node_exporter flags of the stack that name its container's paths or address."""
MOUNTPOINTS = ("/",)
"""The typical host's filesystems."""
NETWORK_DEVICES = Path("/sys/class/net")


def node_exporter_command(settings: StackSettings, binary: str, *, listen: str, textfile_dir: Path) -> list[str]:
    """The stack's node_exporter command, on this machine: its own root, a loopback address, an empty
    textfile directory."""
    command = node_exporter.runtime(settings.node_exporter, settings.context).command
    kept = [flag for flag in command if not flag.startswith(FLAGS_REPLACED)]
    return [binary, *kept, f"--web.listen-address={listen}", f"--collector.textfile.directory={textfile_dir}"]


def _cadvisor_flags(settings: StackSettings) -> list[str]:
    return cadvisor.runtime(settings.cadvisor, settings.context, data_root=settings.docker.data_root).command


def cadvisor_command(settings: StackSettings, binary: str, *, port: int, docker_host: str) -> list[str]:
    """The stack's cAdvisor command, on loopback, watching ``docker_host``."""
    return [binary, *_cadvisor_flags(settings), "--listen_ip=127.0.0.1", f"--port={port}", f"--docker={docker_host}"]


def housekeeping_interval(settings: StackSettings) -> float:
    """How often cAdvisor refreshes (and re-stamps) its container series in the stack."""
    flag = next(f for f in _cadvisor_flags(settings) if f.startswith("--housekeeping_interval="))
    return seconds(flag.partition("=")[2])


def capture_interval(settings: StackSettings) -> float:
    """Two housekeeping intervals and a margin: cAdvisor spreads each container's housekeeping over one to two
    intervals (jitter), so every container is refreshed at least once between the scrapes."""
    return 2 * housekeeping_interval(settings) + 5


def typical_containers(settings: StackSettings) -> list[str]:
    """The containers of a host running the stack and the app."""
    return [settings.context.container_name(record.name) for record in RECORDS] + list(APP_CONTAINERS)


def on_typical_host(others: set[str]) -> Callable[[Sample], bool]:
    """Whether a sample describes the typical host: not one of the ``others`` network devices (node_exporter's
    ``device``, cAdvisor's ``interface``), not a filesystem but ``MOUNTPOINTS``."""
    def keep(sample: Sample) -> bool:
        labels = dict(sample.labels)
        if labels.get("device") in others or labels.get("interface") in others:
            return False
        return labels.get("mountpoint", MOUNTPOINTS[0]) in MOUNTPOINTS
    return keep


def uplink() -> str:
    """The interface of this machine's default route."""
    for line in Path("/proc/net/route").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == "00000000":
            return fields[0]
    return ""


def other_network_devices(bridge: str) -> set[str]:
    """This machine's network devices that a host holding only our engine would not have."""
    devices = set(os.listdir(NETWORK_DEVICES))
    ours = {"lo", uplink(), bridge}
    ours |= {d for d in devices if (NETWORK_DEVICES / d / "master").resolve().name == bridge}
    return devices - ours


def scrape(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


@contextlib.contextmanager
def typical_docker_host(settings: StackSettings, workdir: Path, log: Callable[[str], None]) -> Iterator[Engine]:
    """A Docker engine of our own with the containers of ``typical_containers``, removed on exit."""
    with Engine(state_dir=workdir, link_default_socket=False, log=log) as engine:
        images.ensure(engine.docker_host, ["busybox"], log=log)
        image = images.reference("busybox")
        for name in typical_containers(settings):
            engine.docker("run", "--detach", "--name", name, "--hostname", name, "--label", engine.label, image,
                          "sh", "-c", IDLE_LOOP)
        yield engine


def _sees_every_container(names: list[str]) -> Callable[[str], bool]:
    def ready(text: str) -> bool:
        seen = {dict(s.labels).get("name") for f in parse(text) if f.name == "container_cpu_usage_seconds_total"
                for s in f.samples}
        return set(names) <= seen
    return ready


def capture_typical_host(settings: StackSettings, binaries: dict[str, Binary], workdir: Path,
                         log: Callable[[str], None]) -> list[Capture]:
    """node_exporter's and cAdvisor's captures of one typical host."""
    names = typical_containers(settings)
    textfiles = workdir / "textfile"
    textfiles.mkdir(parents=True, exist_ok=True)
    node_listen, advisor_port = f"127.0.0.1:{free_port()}", free_port()
    interval = capture_interval(settings)
    with typical_docker_host(settings, workdir, log) as engine:
        assert engine.state is not None
        others = other_network_devices(engine.state.bridge)
        exporters = {
            "node-exporter": (ManagedProcess("node_exporter", node_exporter_command(
                settings, binaries["node_exporter"].path, listen=node_listen, textfile_dir=textfiles),
                workdir / "node_exporter.log"), f"http://{node_listen}/metrics"),
            "cadvisor": (ManagedProcess("cadvisor", cadvisor_command(
                settings, binaries["cadvisor"].path, port=advisor_port, docker_host=engine.docker_host),
                workdir / "cadvisor.log"), f"http://127.0.0.1:{advisor_port}/metrics"),
        }
        try:
            for process, _ in exporters.values():
                process.start()
            node, node_url = exporters["node-exporter"]
            node.wait_until(lambda: "node_cpu_seconds_total" in scrape(node_url), "serving node_cpu_seconds_total")
            advisor, advisor_url = exporters["cadvisor"]
            advisor.wait_until(lambda: _sees_every_container(names)(scrape(advisor_url)),
                               f"reporting the {len(names)} containers", timeout=90)
            first = {exporter: scrape(url) for exporter, (_, url) in exporters.items()}
            time.sleep(interval)
            second = {exporter: scrape(url) for exporter, (_, url) in exporters.items()}
        finally:
            for process, _ in exporters.values():
                process.stop()
    keep = on_typical_host(others)
    return [Capture(exporter, keep_samples(first[exporter], keep), keep_samples(second[exporter], keep), interval,
                    socket.gethostname(), stamp_period=housekeeping_interval(settings))
            for exporter in exporters]


def save(capture: Capture, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{capture.exporter}.json").write_text(json.dumps(asdict(capture)))


def load(directory: Path, exporter: str) -> Capture:
    return Capture(**json.loads((directory / f"{exporter}.json").read_text()))
