"""The Docker side of the stack: one network, the data volumes and the containers.

Only maps container specs (``container_specs``) and the rendered documents to resources.  Config
files go in through the containers' uploads, so a changed document replaces its container (the
data volumes keep TSDB, silences and Grafana state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address

import pulumi
import pulumi_docker as docker

from components.containers.model import ContainerSpec
from components.durations import go_duration

TYPE = "internet-id:docker:MonitoringContainers"
WAIT_TIMEOUT_SECONDS = 300
"""How long `pulumi up` waits for a container to turn healthy (first pulls and Grafana's migrations take longer
than the provider's 60 s default)."""


@dataclass(frozen=True)
class MonitoringContainersArgs:
    """What the Docker side needs: the specs, the documents they upload, and the secret values they hold."""

    stack: str
    prefix: str
    """Of every container and volume name."""
    network_name: str
    app_network: str | None
    bind_address: IPv4Address
    protect_volumes: bool
    specs: Sequence[ContainerSpec]
    documents: Mapping[str, str]
    secrets: Mapping[str, pulumi.Input[str]]
    """Secret values by config key: the stack's config secrets and what its resources produce (a generated
    password, PagerDuty routing keys)."""


class MonitoringContainers(pulumi.ComponentResource):
    """The monitoring network, volumes and containers of one stack."""

    containers: dict[str, docker.Container]
    volumes: dict[str, docker.Volume]

    def __init__(self, name: str, args: MonitoringContainersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = docker.Network(
            f"{name}-network",
            name=args.network_name,
            driver="bridge",
            labels=[docker.NetworkLabelArgs(label="com.internet-id.stack", value=args.stack)],
            opts=child,
        )
        self.volumes = {}
        for volume in sorted({v for spec in args.specs for v in spec.volumes}):
            self.volumes[volume] = docker.Volume(
                f"{name}-{volume}",
                name=f"{args.prefix}-{volume}",
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect_volumes),
            )
        self.containers = {spec.name: self._container(name, args, spec) for spec in args.specs}
        self.register_outputs(
            {
                "network": self.network.name,
                "containers": {key: c.name for key, c in self.containers.items()},
            }
        )

    def _container(self, name: str, args: MonitoringContainersArgs, spec: ContainerSpec) -> docker.Container:
        image = docker.RemoteImage(
            f"{name}-{spec.name}-image",
            name=spec.image,
            keep_locally=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        uploads = [
            docker.ContainerUploadArgs(file=path, content=args.documents[key]) for path, key in spec.uploads.items()
        ]
        uploads += [
            docker.ContainerUploadArgs(file=path, content=pulumi.Output.secret(
                secret.literal if secret.literal is not None else args.secrets[secret.key]))
            for path, secret in spec.secret_uploads.items()
        ]
        networks = [docker.ContainerNetworksAdvancedArgs(name=self.network.name, aliases=[spec.name])]
        if spec.joins_app_network and args.app_network:
            networks.append(docker.ContainerNetworksAdvancedArgs(name=args.app_network))
        health = spec.healthcheck
        return docker.Container(
            f"{name}-{spec.name}",
            name=f"{args.prefix}-{spec.name}",
            image=image.image_id,
            command=spec.command or None,
            entrypoints=spec.entrypoint or None,
            envs=[f"{key}={value}" for key, value in sorted(spec.env.items())] or None,
            uploads=uploads or None,
            networks_advanced=networks,
            ports=[
                docker.ContainerPortArgs(internal=spec.port, external=spec.published_port, ip=str(args.bind_address))
            ]
            if spec.published_port
            else None,
            volumes=[
                docker.ContainerVolumeArgs(volume_name=self.volumes[volume].name, container_path=path)
                for volume, path in spec.volumes.items()
            ]
            or None,
            mounts=[
                docker.ContainerMountArgs(type="bind", source=m.source, target=m.target, read_only=True)
                for m in spec.mounts
            ]
            or None,
            devices=[docker.ContainerDeviceArgs(host_path=d) for d in spec.devices] or None,
            privileged=spec.privileged or None,
            capabilities=docker.ContainerCapabilitiesArgs(adds=spec.capabilities) if spec.capabilities else None,
            memory=spec.memory_mb,
            # No swap on top of the limit (Docker's default would be as much again): a container at its
            # limit is OOM-killed and alerted on instead of slowing down; also what Docker reports back.
            memory_swap=spec.memory_mb,
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=health.test(spec.port),
                interval=go_duration(health.interval),
                timeout=go_duration(health.timeout),
                retries=health.retries,
                start_period=go_duration(health.start_period),
            )
            if health
            else None,
            wait=health is not None,
            wait_timeout=WAIT_TIMEOUT_SECONDS if health else None,
            labels=[
                docker.ContainerLabelArgs(label="com.internet-id.stack", value=args.stack),
                docker.ContainerLabelArgs(label="com.internet-id.component", value=spec.name),
            ],
            # Fixed names and host ports: the old container must go before its replacement can exist.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
