"""The Docker side of the stack: its networks, the data volumes and the containers.

Only maps container specs (``container_specs``) and the rendered documents to resources.  The config
of a live-config container (Prometheus, Alertmanager, the blackbox exporter) goes through a volume
and a reload job (``reload.py``), so a changed document never replaces it; other files go in as
the containers' uploads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_docker as docker

from components.containers.model import ContainerSpec, Healthcheck, LiveConfig, SecretFile
from components.containers.reload import SCRIPT_PATH, STAGED_DIR, reload_script, wait_for_config
from components.durations import go_duration, seconds

if TYPE_CHECKING:
    from components.containers.settings import DockerSettings
    from components.context import StackContext

TYPE = "internet-id:docker:MonitoringContainers"
NO_NEW_PRIVILEGES = ["no-new-privileges:true"]
"""No process gains privileges through setuid binaries or file capabilities (Docker's ``--security-opt``)."""
TMPFS = {"/tmp": "rw,noexec,nosuid,size=16m"}
"""Temp space of a container whose root filesystem is read-only."""


def healthy_within(health: Healthcheck) -> int:
    """Seconds `pulumi up` waits for a container to turn healthy: until Docker itself has judged it unhealthy (its
    start period, then ``retries`` failed checks, each up to an interval plus the check's timeout apart) and one
    check more.  Waiting longer cannot help; the provider would wait for "healthy" until this runs out anyway."""
    check = seconds(health.interval) + seconds(health.timeout)
    return math.ceil(seconds(health.start_period) + (health.retries + 1) * check)


def secret_file_access(user: str) -> tuple[str | None, str]:
    """Owner and mode of a credential file read by an image's ``USER``.

    Root reads its own 0400 file.  A named user (``nobody``) gets the file 0400: an upload with an owner is
    chowned by Docker to the container's user (``docker cp -a``).  Docker 20.10 resolves that user in the
    Docker host's passwd database, so a numeric ``USER`` such as Grafana's 472 fails there ("getent unable to
    find entry"): its file stays root's, 0444, readable inside its own container only.
    """
    name = user.split(":", maxsplit=1)[0]
    if name in ("", "0", "root"):
        return None, "0400"
    if not name.isdigit():
        return name, "0400"
    return None, "0444"


@dataclass(frozen=True)
class MonitoringContainersArgs:
    """What the Docker side needs: the stack's names, its Docker settings (app network, bind address, volume
    protection, log bounds), the specs, the documents they upload, and the secret values they hold."""

    context: StackContext
    docker: DockerSettings
    specs: Sequence[ContainerSpec]
    documents: Mapping[str, str]
    secrets: Mapping[str, pulumi.Input[str]]
    """Secret values by config key: the stack's config secrets and what its resources produce (a generated
    password, PagerDuty routing keys)."""
    frozen: bool = False
    """Leave every resource exactly as it is (a drained host of a multi-host stack, down while the rest deploys):
    neither updated nor replaced, and so never contacted."""


class MonitoringContainers(pulumi.ComponentResource):
    """The monitoring network, volumes and containers of one stack."""

    containers: dict[str, docker.Container]
    volumes: dict[str, docker.Volume]

    def __init__(self, name: str, args: MonitoringContainersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self.frozen = ["*"] if args.frozen else None
        """``ignore_changes`` of every child: all of them on a drained host."""
        child = pulumi.ResourceOptions(parent=self, ignore_changes=self.frozen)
        self.network = docker.Network(
            f"{name}-network",
            name=args.context.network_name,
            driver="bridge",
            labels=[docker.NetworkLabelArgs(label="com.internet-id.stack", value=args.context.stack)],
            opts=child,
        )
        self.own_networks = {
            spec.name: docker.Network(
                f"{name}-{spec.name}-network",
                name=f"{args.context.network_name}-{spec.name}",
                driver="bridge",
                # Nothing beyond it: neither reached from outside nor reaching out.  A container published on
                # its host's address (multi-host) needs the bridge's gateway: Docker forwards no port to an
                # internal network, and that host's firewall keeps others out (docs/multi-host.md).
                internal=not spec.publish,
                labels=[docker.NetworkLabelArgs(label="com.internet-id.stack", value=args.context.stack)],
                opts=child,
            )
            for spec in args.specs if spec.own_network and not spec.host_namespaces
        }
        """The network of each container that sits on one of its own (``ContainerSpec.own_network``)."""
        self.volumes = {}
        for volume in sorted({v for spec in args.specs for v in spec.volumes}):
            self.volumes[volume] = docker.Volume(
                f"{name}-{volume}",
                name=args.context.container_name(volume),
                opts=pulumi.ResourceOptions(parent=self, protect=args.docker.protect_volumes,
                                            ignore_changes=self.frozen),
            )
        self.reloads: dict[str, pulumi.Output[str]] = {}
        self.containers = {spec.name: self._container(name, args, spec) for spec in args.specs}
        self.register_outputs(
            {
                "network": self.network.name,
                "ownNetworks": {key: n.name for key, n in self.own_networks.items()},
                "containers": {key: c.name for key, c in self.containers.items()},
                "reloads": self.reloads,
            }
        )

    def _container(self, name: str, args: MonitoringContainersArgs, spec: ContainerSpec) -> docker.Container:
        image = docker.RemoteImage(
            f"{name}-{spec.name}-image",
            name=spec.image,
            keep_locally=True,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=self.frozen),
        )
        live = spec.live_config
        uploads, secret_uploads = dict(spec.uploads), dict(spec.secret_uploads)
        volumes = [
            docker.ContainerVolumeArgs(volume_name=self.volumes[volume].name, container_path=path)
            for volume, path in spec.volumes.items()
        ]
        if live is not None:
            # Live config: the files come through a volume of their own and a reload job, never as uploads.
            config = docker.Volume(f"{name}-{spec.name}-config",
                                   name=args.context.container_name(f"{spec.name}-config"),
                                   opts=pulumi.ResourceOptions(parent=self, ignore_changes=self.frozen))
            uploads = {path: key for path, key in uploads.items() if not _below(path, live.directory)}
            secret_uploads = {path: s for path, s in secret_uploads.items() if not _below(path, live.directory)}
            volumes.append(docker.ContainerVolumeArgs(volume_name=config.name, container_path=live.directory,
                                                      read_only=True))
        container = self._declare(name, args, spec, image=image, uploads=uploads, secret_uploads=secret_uploads,
                                  volumes=volumes)
        if live is not None:
            self.reloads[spec.name] = self._reload_job(name, args, spec, live=live, image=image, target=container,
                                                       config=config)
        return container

    def _uploads(self, args: MonitoringContainersArgs, files: Mapping[str, str],
                 secrets: Mapping[str, SecretFile], owner: str, prefix: str = "") -> list[docker.ContainerUploadArgs]:
        """``files`` and ``secrets`` as uploads; a credential file is readable by ``owner`` (the ``USER`` that reads
        it) only, where Docker allows (``secret_file_access``)."""
        uploads = [docker.ContainerUploadArgs(file=prefix + path, content=args.documents[key])
                   for path, key in files.items()]
        file_owner, mode = secret_file_access(owner)
        uploads += [
            docker.ContainerUploadArgs(file=prefix + path, content=pulumi.Output.secret(
                secret.literal if secret.literal is not None else args.secrets[secret.key]),
                owner=file_owner, permissions=mode)
            for path, secret in secrets.items()
        ]
        return uploads

    @staticmethod
    def _confined(args: MonitoringContainersArgs, spec: ContainerSpec) -> dict[str, Any]:
        """What every container (and reload job) gets: no privilege gain, only the capabilities it needs,
        a bounded log."""
        return {
            "security_opts": NO_NEW_PRIVILEGES,
            "capabilities": None if spec.privileged else docker.ContainerCapabilitiesArgs(
                drops=["ALL"], adds=list(spec.capabilities) or None),
            "log_driver": "json-file",
            "log_opts": {"max-size": args.docker.log_max_size, "max-file": str(args.docker.log_max_files)},
        }

    def _declare(self, name: str, args: MonitoringContainersArgs, spec: ContainerSpec, *, image: docker.RemoteImage,
                 uploads: Mapping[str, str], secret_uploads: Mapping[str, SecretFile],
                 volumes: list[docker.ContainerVolumeArgs]) -> docker.Container:
        networks = [docker.ContainerNetworksAdvancedArgs(name=self.network.name, aliases=[spec.name])]
        if spec.joins_app_network and args.docker.app_network:
            app = docker.ContainerNetworksAdvancedArgs(name=args.docker.app_network)
            # An exporter that only reads the app stays off the monitoring network; Prometheus reaches it by its
            # (unique) container name on the app network.
            networks = [app] if spec.app_only else [*networks, app]
        if spec.own_network:  # off the monitoring network: only what scrapes it shares its own
            networks = [docker.ContainerNetworksAdvancedArgs(name=self.own_networks[spec.name].name,
                                                             aliases=[spec.name])]
        if spec.scrapes_own_networks:
            networks += [docker.ContainerNetworksAdvancedArgs(name=network.name)
                         for _, network in sorted(self.own_networks.items())]
        if spec.host_namespaces:  # the host's network namespace has no Docker networks to join
            networks = []
        health = spec.healthcheck
        # A live-config container starts its process once the reload job installed a first version, so
        # the job, not `wait`, is what `pulumi up` waits for.
        wait = health is not None and spec.live_config is None
        entrypoint = wait_for_config(spec.live_config, spec.entrypoint) if spec.live_config else spec.entrypoint
        return docker.Container(
            f"{name}-{spec.name}",
            name=args.context.container_name(spec.name),
            image=image.image_id,
            command=spec.command or None,
            entrypoints=entrypoint or None,
            envs=[f"{key}={value}" for key, value in sorted(spec.env.items())] or None,
            uploads=self._uploads(args, uploads, secret_uploads, owner=spec.user) or None,
            networks_advanced=networks,
            ports=[
                *([docker.ContainerPortArgs(internal=spec.port, external=spec.published_port,
                                            ip=str(args.docker.bind_address))] if spec.published_port else []),
                *(docker.ContainerPortArgs(internal=internal, external=external, ip=address)
                  for address, external, internal in spec.publish),
            ]
            or None,
            volumes=volumes or None,
            mounts=[
                docker.ContainerMountArgs(
                    type="bind", source=m.source, target=m.target, read_only=True,
                    bind_options=docker.ContainerMountBindOptionsArgs(propagation=m.propagation)
                    if m.propagation else None)
                for m in spec.mounts
            ]
            or None,
            network_mode="host" if spec.host_namespaces else None,
            pid_mode="host" if spec.host_namespaces else None,
            hosts=[docker.ContainerHostArgs(host=name, ip=address) for name, address in sorted(spec.hosts.items())]
            or None,
            devices=[docker.ContainerDeviceArgs(host_path=d) for d in spec.devices] or None,
            privileged=spec.privileged or None,
            read_only=spec.read_only_root or None,
            tmpfs=TMPFS if spec.read_only_root else None,
            **self._confined(args, spec),
            memory=spec.memory_mb,
            # No swap on top of the limit (Docker's default would be as much again): a container at its
            # limit is OOM-killed and alerted on instead of slowing down; also what Docker reports back.
            memory_swap=spec.memory_mb,
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=health.test(spec.port, spec.health_authorization),
                interval=go_duration(health.interval),
                timeout=go_duration(health.timeout),
                retries=health.retries,
                start_period=go_duration(health.start_period),
            )
            if health
            else None,
            wait=wait,
            wait_timeout=healthy_within(health) if wait and health else None,
            labels=self._labels(args, spec.name),
            # Fixed names and host ports: the old container must go before its replacement can exist.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, ignore_changes=self.frozen),
        )

    def _reload_job(self, name: str, args: MonitoringContainersArgs, spec: ContainerSpec, *, live: LiveConfig,
                    image: docker.RemoteImage, target: docker.Container, config: docker.Volume) -> pulumi.Output[str]:
        """The one-shot job that installs the live files of ``spec`` and has its process load them."""
        files = {path.removeprefix(live.directory): key for path, key in spec.uploads.items()
                 if _below(path, live.directory)}
        secrets = {path.removeprefix(live.directory): s for path, s in spec.secret_uploads.items()
                   if _below(path, live.directory)}
        # A job that reloads through the process' API logs in with the container's own credential file.
        credentials = {path: s for path, s in spec.secret_uploads.items() if live.auth and path == live.auth[1]}
        job_user = live.job_user or spec.user
        script = docker.ContainerUploadArgs(file=SCRIPT_PATH, content=reload_script(spec.name, live, spec.port))
        namespace = target.id.apply(lambda container_id: f"container:{container_id}")
        job = docker.Container(
            f"{name}-{spec.name}-reload",
            name=args.context.container_name(f"{spec.name}-reload"),
            image=image.image_id,
            entrypoints=["/bin/sh", SCRIPT_PATH],
            user=live.job_user,
            envs=[f"TARGET_NAME={args.context.container_name(spec.name)}"],
            uploads=[script, *self._uploads(args, files, secrets, owner=job_user, prefix=STAGED_DIR),
                     *self._uploads(args, {}, credentials, owner=job_user)],
            **self._confined(args, replace(spec, privileged=False, capabilities=[])),
            volumes=[docker.ContainerVolumeArgs(volume_name=config.name, container_path=live.directory)],
            pid_mode=namespace,
            network_mode=namespace,
            memory=64,
            memory_swap=64,
            restart="no",
            must_run=False,
            attach=True,
            logs=True,
            labels=self._labels(args, f"{spec.name}-reload"),
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, ignore_changes=self.frozen),
        )
        return pulumi.Output.all(job.exit_code, job.container_logs).apply(
            lambda result: confirmed_reload(spec.name, result[0], result[1]))

    @staticmethod
    def _labels(args: MonitoringContainersArgs, component: str) -> list[docker.ContainerLabelArgs]:
        return [
            docker.ContainerLabelArgs(label="com.internet-id.stack", value=args.context.stack),
            docker.ContainerLabelArgs(label="com.internet-id.component", value=component),
        ]


class ReloadRefused(pulumi.RunError):
    """A new config version was not loaded: the checker or the running process refused it (the old one runs)."""


def confirmed_reload(component: str, exit_code: int | None, logs: str | None) -> str:
    """The job's last line when it confirmed the reload; otherwise ``ReloadRefused`` with what it said."""
    lines = [line.strip() for line in (logs or "").splitlines() if line.strip()]
    if exit_code == 0:
        return lines[-1] if lines else f"{component}: loaded"
    # The job's own verdicts ("<component>: refused by promtool …"), then what the checker said that failed.
    verdicts = [line.removeprefix(f"{component}: ") for line in lines if line.startswith(f"{component}: ")]
    details = [line for line in lines if not line.startswith(f"{component}: ") and "SUCCESS" not in line]
    said = "; ".join([*verdicts[:2], *details[-6:]]) or "no output"
    raise ReloadRefused(f"{component}: the new config was not loaded (reload job exit status {exit_code}): {said}")


def _below(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")
