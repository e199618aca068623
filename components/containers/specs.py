"""The container specs of a stack: each record with its runtime, and what the Docker host must have for them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING

from components.containers.model import TURN_OFF, Container, ContainerSpec, Runtime
from components.containers.records import BY_NAME, RECORDS
from components.context import PROJECT

if TYPE_CHECKING:
    from components.containers.settings import DockerSettings, PortSettings


def container_specs(runtimes: Mapping[str, Runtime], docker: DockerSettings, ports: PortSettings,
                    images: Mapping[str, str], records: Sequence[Container] = RECORDS) -> list[ContainerSpec]:
    """Every record with its runtime (``runtimes``, by container name), in the records' order.

    ``images``: the stack's overrides of the pinned images (``images.*``); ``docker.memoryMb`` overrides the
    records' memory limits, ``ports`` gives the published ones their host ports; ``records``: a host's of a
    multi-host stack (default: the single-host stack's).
    """
    missing = [record.name for record in records if record.name not in runtimes]
    if missing:
        raise ValueError(f"no runtime for {missing}: each record in containers/records.py needs one")
    specs = []
    for record in records:
        runtime = runtimes[record.name]
        specs.append(ContainerSpec(
            **{f.name: getattr(runtime, f.name) for f in fields(Runtime)},
            name=record.name,
            image=images.get(record.name, record.image),
            port=record.port,
            memory_mb=docker.memory_mb.get(record.name, record.memory_mb),
            published_port=getattr(ports, record.published) if record.published else None,
            joins_app_network=bool(record.app_network),
            app_only=record.app_only,
            own_network=bool(record.own_network),
            scrapes_own_networks=record.scrapes_own_networks,
            healthcheck=runtime.health_override or record.healthcheck,
            unmonitored_reason=record.unmonitored_reason,
            user=record.user,
        ))
    return specs


def host_specs(runtimes: Mapping[str, Runtime], docker: DockerSettings, ports: PortSettings,
               images: Mapping[str, str], *, app_network: frozenset[str],
               bind_published: frozenset[str]) -> list[ContainerSpec]:
    """The containers of one host of a multi-host stack (``runtimes``: those placed there, in placement order):
    only ``app_network`` join the app's network there, only ``bind_published`` keep their ``docker.bindAddress``
    port (the others publish on the host's address, ``Runtime.publish``)."""
    specs = container_specs(runtimes, docker, ports, images, [BY_NAME[name] for name in runtimes])
    return [replace(spec, joins_app_network=spec.joins_app_network and spec.name in app_network,
                    published_port=spec.published_port if spec.name in bind_published else None)
            for spec in specs]


CONFIG_SET = "pulumi config set --path"
"""The command a host-path message tells the user to run (``scripts/deploy-dev`` names its own wrapper)."""


def host_path_problems(specs: list[ContainerSpec], exists: Callable[[str], bool],
                       propagates: Callable[[str], bool] = lambda path: True,
                       config_set: str = CONFIG_SET) -> list[str]:
    """One line per configurable host path (mount or device) the Docker host lacks, starting with its key and
    ending with the command that fixes it.

    Docker refuses to create a container whose bind mount or device is missing, or a ``rslave`` mount of a
    path whose mount is not shared (``propagates``); this says which setting to change, to what, before anything
    is created.  Only meaningful where the Docker host is this machine.
    """
    problems = []
    for spec in specs:
        for mount in spec.mounts:
            if not mount.setting:
                continue
            fix = mount.fix or TURN_OFF
            command = f"{config_set} {PROJECT}:{mount.setting} {fix.value}"
            if not exists(mount.source):
                problems.append(f"{mount.setting}: {spec.name} mounts {mount.source}, which does not exist on the "
                                f"Docker host; set it to {fix.meaning}: {command}")
            elif mount.propagation and not propagates(mount.source):
                problems.append(f"{mount.setting}: {spec.name} mounts {mount.source} with {mount.propagation} "
                                f"propagation, but its mount on the Docker host is not shared; set it to "
                                f"{fix.meaning}: {command} (or make the mount shared: mount --make-rshared "
                                f"{mount.source})")
        problems += [
            f"{spec.name}.devices: {device} does not exist on the Docker host; remove it from {spec.name}.devices "
            "in the stack file"
            for device in spec.devices
            if not exists(device)
        ]
    return problems


def mount_is_shared(path: str, mountinfo: str) -> bool:
    """Whether the mount of ``path`` propagates (``shared:`` or ``master:`` in ``/proc/self/mountinfo``)."""
    best: tuple[int, bool] = (-1, False)
    for line in mountinfo.splitlines():
        fields = line.split(" - ", 1)[0].split()
        if len(fields) < 6:
            continue
        point = fields[4]
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > best[0]:
            best = (len(point), any(tag.startswith(("shared:", "master:")) for tag in fields[6:]))
    return best[1]
