"""What cAdvisor needs of the Docker host, measured: run it with the product's access, then with one thing less.

The product's cAdvisor container (``components/containers/cadvisor.py``: its mounts, capabilities and flags,
read-only, ``no-new-privileges``, every other capability dropped) is started in an engine of ours next to a
target container that uses CPU, memory, its disk and its network under a memory limit; each variant takes one
thing away (a capability, a mount, root) or narrows one, and records which series of the ones the stack reads
(alerts, dashboards) cAdvisor still exposes for the target.  ``README.md`` ("What runs") and
``tests/e2e/images/cadvisor/README.md`` carry the table this prints.

    python -m tests.e2e.harness.cadvisor_access [VARIANT ...]   # against $DOCKER_HOST (an engine of ours)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from components.containers import cadvisor
from components.containers.model import Mount, Runtime
from components.containers.settings import CadvisorSettings
from tests.contexts import stack_context
from tests.e2e.harness import images
from tests.e2e.harness.engine import LABEL, EngineError, run_docker

TARGET = "iid-cadvisor-target"
PROBE = "iid-cadvisor-probe"
HOUSEKEEPING = "2s"
"""Instead of the product's 15s, so a variant is measured in seconds (what is read does not change)."""
SERIES: tuple[str, ...] = (
    "container_cpu_usage_seconds_total",
    "container_cpu_load_average_10s",
    "container_memory_working_set_bytes",
    "container_memory_max_usage_bytes",
    "container_spec_memory_limit_bytes",
    "container_network_receive_bytes_total",
    "container_network_transmit_bytes_total",
    "container_fs_usage_bytes",
    "container_fs_limit_bytes",
    "container_fs_reads_bytes_total",
    "container_fs_writes_bytes_total",
    "container_fs_reads_total",
    "container_fs_writes_total",
    "container_last_seen",
    "container_start_time_seconds",
    "container_oom_events_total",
)
"""Per-container series the stack reads (the catalogue's container rules, the Docker dashboard)."""
MACHINE_SERIES = ("machine_cpu_cores", "machine_memory_bytes")
ROOT_SERIES = ("container_network_receive_bytes_total", "container_cpu_usage_seconds_total")
"""Series of the root cgroup (``id="/"``: the whole host) the Docker dashboard reads."""
TARGET_SCRIPT = ("mkdir -p /home/private && dd if=/dev/zero of=/home/private/blob bs=1M count=8 2>/dev/null && "
                 "chown -R 65534:65534 /home/private && chmod 700 /home/private; i=0; while :; do i=$((i+1)); "
                 "dd if=/dev/zero of=/tmp/f bs=64k count=16 conv=fsync 2>/dev/null; cat /tmp/f > /dev/null; "
                 "wget -q -T 1 -O /dev/null http://192.0.2.1/ 2>/dev/null; "
                 "[ $((i % 8)) = 0 ] && (v=$(head -c 100000000 /dev/zero | tr '\\0' a)); sleep 0.5; done")
"""In the target's writable layer, 8 MiB in a directory only uid 65534 may read (what a non-root service's data
looks like to cAdvisor, root without ``DAC_OVERRIDE``); disk writes that reach the device (fsync), reads,
packets out (192.0.2.1 is TEST-NET-1: only a SYN leaves, into the engine's bridge), CPU, and every few seconds a
subshell that outgrows the 64 MiB limit and is OOM-killed (the container lives on)."""
VALUES = ("container_fs_usage_bytes", "container_oom_events_total")
"""Series whose value, not only presence, depends on what cAdvisor may read."""


@dataclass(frozen=True)
class Variant:
    name: str
    change: Callable[[Runtime], Runtime]
    user: str = ""
    note: str = ""


def _without(*targets: str, setting: str = "") -> Callable[[Runtime], Runtime]:
    """The runtime without the mounts at ``targets`` (or decided by ``setting``)."""
    return lambda r: replace(r, mounts=[m for m in r.mounts
                                        if m.target not in targets and not (setting and m.setting == setting)])


def _whole_host(r: Runtime) -> Runtime:
    """The access cAdvisor had before it was measured: the host's ``/`` at ``/rootfs``, all of ``/sys``, and the
    data root at ``/var/lib/docker`` (as cAdvisor's docs mount them), instead of ``/proc``, the cgroups and the
    data root under ``/rootfs``."""
    data_root = next(m for m in r.mounts if m.setting == "docker.dataRoot")
    kept = [m for m in r.mounts if m.target not in {"/rootfs/proc", "/sys/fs/cgroup", data_root.target}]
    return replace(r, mounts=[Mount("/", "/rootfs"), Mount("/sys", "/sys"),
                              Mount(data_root.source, "/var/lib/docker", setting=data_root.setting), *kept])


VARIANTS: tuple[Variant, ...] = (
    Variant("the product's access", lambda r: r),
    Variant("without DAC_READ_SEARCH", lambda r: replace(r, capabilities=[])),
    Variant("without the data root", _without(setting="docker.dataRoot")),
    Variant("without /proc", _without("/rootfs/proc")),
    Variant("without /sys/fs/cgroup", _without("/sys/fs/cgroup")),
    Variant("without the Docker socket", _without("/var/run/docker.sock")),
    Variant("as nobody (uid 65534)", lambda r: replace(r, capabilities=[]), user="65534:65534",
            note="Docker gives a non-root user no effective capability"),
    Variant("with /dev/kmsg and SYSLOG", lambda r: replace(r, capabilities=[*r.capabilities, "SYSLOG"],
                                                           devices=["/dev/kmsg"])),
    Variant("the whole host: / at /rootfs, /sys, the data root at /var/lib/docker", _whole_host),
)


def product_runtime(docker_socket: str, data_root: str) -> Runtime:
    """The product's cAdvisor runtime for a stack on this engine (its socket and data root; /dev/disk where the
    host has it)."""
    access = CadvisorSettings(docker_socket=docker_socket, disk_devices=Path("/dev/disk").is_dir())
    return cadvisor.runtime(access, stack_context("dev"), data_root=data_root)


def docker_run_args(runtime: Runtime, *, image: str, label: str, user: str) -> list[str]:
    """``docker run`` arguments for ``runtime`` as the Pulumi shell creates the container (confined)."""
    args = ["run", "-d", "--name", PROBE, "--label", label, "--read-only", "--tmpfs", "/tmp:size=16m",
            "--memory", f"{cadvisor.RECORD.memory_mb}m", "--security-opt", "no-new-privileges:true"]
    if runtime.privileged:
        args.append("--privileged")
    else:
        args += ["--cap-drop", "ALL", *(a for c in runtime.capabilities for a in ("--cap-add", c))]
    for mount in runtime.mounts:
        args += ["--mount", f"type=bind,source={mount.source},target={mount.target},readonly"]
    args += [a for d in runtime.devices for a in ("--device", d)]
    if user:
        args += ["--user", user]
    command = [c.replace("--housekeeping_interval=15s", f"--housekeeping_interval={HOUSEKEEPING}")
               for c in runtime.command]
    return [*args, image, *command]


def values(exposition: str, target_name: str) -> dict[str, float]:
    """The largest value of each of ``VALUES`` for the target."""
    found: dict[str, float] = {}
    for name in VALUES:
        pattern = rf'^{name}\{{[^}}]*name="{re.escape(target_name)}"[^}}]*\}} (\S+)'
        samples = re.findall(pattern, exposition, re.MULTILINE)
        if samples:
            found[name] = max(float(v) for v in samples)
    return found


def present(exposition: str, target_name: str) -> dict[str, int]:
    """Series count per name of ``SERIES`` (the target's) and ``MACHINE_SERIES``."""
    counts: dict[str, int] = {}
    for name in SERIES:
        counts[name] = len(re.findall(rf'^{name}\{{[^}}]*name="{re.escape(target_name)}"', exposition, re.MULTILINE))
    for name in MACHINE_SERIES:
        counts[name] = len(re.findall(rf"^{name}(\{{| )", exposition, re.MULTILINE))
    for name in ROOT_SERIES:
        counts[f'{name}{{id="/"}}'] = len(re.findall(rf'^{name}\{{[^}}]*id="/"', exposition, re.MULTILINE))
    return counts


@dataclass
class Measurement:
    variant: str
    counts: dict[str, int]
    started: bool
    log_tail: str
    values: dict[str, float] = field(default_factory=dict)


def measure(host: str, variant: Variant, runtime: Runtime, *, image: str, label: str,
            wait: float = 12.0) -> Measurement:
    run_docker(host, ["rm", "-f", PROBE], check=False)
    started = run_docker(host, docker_run_args(variant.change(runtime), image=image, label=label, user=variant.user),
                         check=False)
    if started.returncode != 0:
        return Measurement(variant.name, {}, False, started.stderr.strip().splitlines()[-1:][0] if started.stderr
                           else "docker run failed")
    try:
        deadline = time.monotonic() + wait
        text = ""
        while time.monotonic() < deadline:
            time.sleep(2)
            got = run_docker(host, ["exec", PROBE, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/metrics"],
                             check=False)
            if got.returncode == 0:
                text = got.stdout
        logs = run_docker(host, ["logs", "--tail", "400", PROBE], check=False)
        running = run_docker(host, ["inspect", "-f", "{{.State.Running}}", PROBE], check=False).stdout.strip()
        errors = [line for line in (logs.stdout + logs.stderr).splitlines() if re.match(r"^[EF]\d{4}", line)
                  or (re.match(r"^W\d{4}", line) and re.search("denied|fail", line, re.IGNORECASE))]
        return Measurement(variant.name, present(text, TARGET), running == "true" and bool(text),
                           "\n".join(errors[-6:]), values(text, TARGET))
    finally:
        run_docker(host, ["rm", "-f", PROBE], check=False)


def table(measurements: Sequence[Measurement]) -> str:
    """Markdown: one row per variant, what vanished against the first (the product's access)."""
    base = measurements[0].counts
    lines = ["| variant | what cAdvisor no longer reports (for a container) |", "|---|---|"]
    absent = [name for name, count in base.items() if not count]
    if absent:
        lines.append(f"| ({measurements[0].variant}: never reported here) | {', '.join(f'`{n}`' for n in absent)} |")
    for m in measurements:
        if not m.started:
            lines.append(f"| {m.variant} | does not start or serve: {m.log_tail} |")
            continue
        lost = [name for name, count in base.items() if count and not m.counts.get(name)]
        gained = [name for name, count in m.counts.items() if count and not base.get(name)]
        every = [name for name in SERIES if base.get(name)]
        if every and set(every) <= set(lost):  # the target is not found at all
            lost = ["every series of every container", *(n for n in lost if n not in SERIES)]
        text = ", ".join(n if n.startswith("every") else f"`{n}`" for n in lost) or "nothing"
        if gained:
            text += "; adds " + ", ".join(f"`{n}`" for n in gained)
        shown = [f"`{n}` {m.values[n]:g}" for n in VALUES if n in m.values and n not in lost]
        if shown:
            text += " (" + ", ".join(shown) + ")"
        lines.append(f"| {m.variant} | {text} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness.cadvisor_access", description=__doc__)
    parser.add_argument("variants", nargs="*", help="names (prefixes) of the variants; default all")
    parser.add_argument("--socket", help="the engine's socket as the host sees it (default: from DOCKER_HOST)")
    parser.add_argument("--data-root", required=True, help="the engine's data root (docker info DockerRootDir)")
    args = parser.parse_args(argv)
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        print("cadvisor_access: error: DOCKER_HOST must be unix://… of an engine of ours", file=sys.stderr)
        return 1
    try:
        images.ensure(host, ["cadvisor", "busybox"])
        image = images.reference("cadvisor")
        label = f"{LABEL}=cadvisor-access"
        run_docker(host, ["rm", "-f", TARGET], check=False)
        run_docker(host, ["run", "-d", "--name", TARGET, "--label", label, "--memory", "64m",
                          images.reference("busybox"), "sh", "-c", TARGET_SCRIPT])
        runtime = product_runtime(args.socket or host.removeprefix("unix://"), args.data_root)
        chosen = [v for v in VARIANTS if not args.variants or any(v.name.startswith(p) for p in args.variants)]
        results = []
        for variant in chosen:
            result = measure(host, variant, runtime, image=image, label=label)
            print(f"{variant.name}: {result.counts} {result.log_tail}", file=sys.stderr, flush=True)
            results.append(result)
        print(table(results))
    except (EngineError, images.ImageError) as error:
        print(f"cadvisor_access: error: {error}", file=sys.stderr)
        return 1
    finally:
        run_docker(host, ["rm", "-f", TARGET, PROBE], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
