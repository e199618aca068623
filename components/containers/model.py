"""The shapes of the container records: what one running component is, and what Docker is asked to run.

``Container`` is the record (kube-prometheus' ``components/<x>.libsonnet`` parameter block): every
fact of one component (its pinned image, its scrape job and the selector of its series included) that the
container spec, the scrape config, the rules' selectors, the datasource URLs, TargetDown, ``versions.IMAGES``
and the "What runs" table of docs/design.md are derived from.  ``ContainerSpec`` is what the Pulumi shell
maps to a ``docker.Container``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from components.containers.http_sh import healthcheck_command

SECRETS_DIR = "/run/secrets"
"""Where credential files go in the containers that read them from a file."""
DOCKER_HOST_NAME = "host.docker.internal"
"""How containers name the Docker host (``host-gateway``), e.g. to reach node_exporter in its network namespace."""

Published = Literal["prometheus", "alertmanager", "grafana"]
"""The ``ports.*`` setting that publishes a container's port on ``docker.bindAddress``."""
Reach = Literal["https", "mutual-tls", "http", "local"]
"""How the Prometheus replicas of a multi-host stack scrape a container on another host: ``https`` with the stack's
credential, ``mutual-tls`` presenting their host's certificate (an exporter without basic auth), ``http`` without
either (only the hosts' firewall protects it), ``local`` each its own host's container, by name."""


@dataclass(frozen=True)
class Healthcheck:
    """A Docker healthcheck that runs inside the image (these images ship busybox ``wget``)."""

    path: str
    interval: str = "15s"
    timeout: str = "5s"
    retries: int = 4
    start_period: str = "30s"
    host: str = "127.0.0.1"
    """Where the process listens, seen from inside its container."""
    port: int | None = None
    """The port probed, when not the container's own (a plain listener beside an HTTPS one)."""
    tls: bool = False
    """The process serves HTTPS (multi-host stacks): probed without checking its certificate, whose name is the
    host's address, not ``host``."""

    def test(self, port: int, authorization_file: str = "") -> list[str]:
        """The probe; with ``authorization_file`` it sends the credentials read from that file by the shell through
        ``nc`` (``http_sh``; over HTTPS, ``ssl_client`` on ``nc``'s socket), so neither the command Docker stores
        (``docker inspect``) nor any process's command line holds them."""
        url = f"http://{self.host}:{self.port or port}{self.path}"
        if not authorization_file:
            return ["CMD", "wget", "-q", "--spider", url]
        seconds = max(1, int(self.timeout.removesuffix("s")) - 1)  # within Docker's own (records write "5s")
        return ["CMD-SHELL", healthcheck_command(self.host, self.port or port, self.path, authorization_file, seconds,
                                                 tls=self.tls)]


@dataclass(frozen=True)
class MountFix:
    """The value of a mount's setting that fits a Docker host without the mounted path, as a shell word."""

    value: str
    """A literal, or a shell expression that finds it on the Docker host (``"$(docker info -f …)"``)."""
    meaning: str
    """What the value is, in the message (``the Docker daemon's data root``)."""


TURN_OFF = MountFix("false", "false")
"""The fix of an optional mount (or of its propagation)."""


@dataclass(frozen=True)
class Mount:
    """A host path mounted read-only (exporters that read the host)."""

    source: str
    target: str
    setting: str = ""
    """The config key that decides this mount, for the message when the host lacks the path."""
    fix: MountFix | None = None
    """What to set ``setting`` to when the host lacks the path (default: ``false``, which drops the mount or its
    propagation)."""
    propagation: str | None = None
    """Bind propagation (``rslave``: mounts made on the host later show up, as node_exporter's docs ask)."""


@dataclass(frozen=True)
class ScrapeJob:
    """The Prometheus job that scrapes a container; its target is ``<container name>:<port>``."""

    name: str
    service: str
    """Value of the ``service`` label of the job's series (today's, so existing queries keep working)."""
    metrics_path: str = "/metrics"
    target_down: bool = True
    """TargetDown fires when the job's target stops answering (no other alert watches the scrape itself)."""
    self_scrape: bool = False
    """Prometheus scraping itself: the target is ``localhost``."""
    host: str | None = None
    """Target host when not the container's name (a container in the host's network namespace)."""
    web_auth: bool = False
    """The target answers only with the stack's credentials (``webAuth``): the job sends them."""
    reach: Reach = "https"
    """How it is scraped across hosts in a multi-host stack."""

    @property
    def selector(self) -> str:
        """The label matcher of the job's series, as every rule and dashboard writes it."""
        return f'job="{self.name}"'


@dataclass(frozen=True)
class LiveConfig:
    """Config files a running container re-reads when told to, so a change to them needs no new container.

    The files live in a volume of their own, mounted read-only at ``directory``.  A one-shot job
    (``reload.py``) installs each new version there after checking it with ``check``, then has the
    process load it: SIGHUP through the container's PID namespace, confirmed by the process'
    ``<reload_metric>_successful`` and ``_success_timestamp_seconds`` gauges, or, for a process that
    reloads through its API (Grafana), a POST to each of ``reload_urls`` with the admin credentials.
    """

    directory: str
    """Where the container reads its config (everything rendered below it is live)."""
    binary: str
    """The image's entrypoint, started once the first version is installed (when the spec sets none)."""
    check: tuple[str, ...] = ()
    """Command that validates the staged files (``{dir}`` is where they are staged); empty: no checker."""
    reload_metric: str = ""
    """Prefix of the process' reload gauges; set: reload by SIGHUP."""
    reload_urls: tuple[str, ...] = ()
    """Paths POSTed (with the ``auth`` credentials) to reload, when not by SIGHUP."""
    auth: tuple[str, str] | None = None
    """User and password file (one of the container's secret uploads, which the job gets too) for ``reload_urls``."""
    health_path: str = "/metrics"
    """Answers once the process serves (the first version is loaded)."""
    authorization_file: str = ""
    """Installed file holding the ``Authorization: Basic`` value the process requires (``webAuth``); the job's
    requests send it."""
    job_user: str | None = None
    """User the reload job runs as, when not the image's (the image has no directory for the volume, so Docker
    creates it owned by root)."""
    tls: bool = False
    """The process serves HTTPS (multi-host stacks): the job's requests go over it."""


@dataclass(frozen=True)
class SecretFile:
    """A credential file: the secret config key it holds, or a literal that is no secret (a documented default)."""

    key: str
    literal: str | None = None


Documents = Mapping[str, str]
"""The rendered documents by path (``render.render_documents``), which a runtime names in its uploads."""


@dataclass(frozen=True)
class Runtime:
    """How a container runs: what the ``runtime`` function of its record's module computes from the record's own
    settings and the stack context (every runtime takes that context, the one place facts shared by all
    containers, such as their Docker hosts, can be added)."""

    command: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)
    """Container path -> key in ``render_documents`` output."""
    secret_uploads: dict[str, SecretFile] = field(default_factory=dict)
    """Container path -> the credential the file holds (always uploaded as a Pulumi secret)."""
    volumes: dict[str, str] = field(default_factory=dict)
    """Volume name (without prefix) -> container path; data that must survive replacement."""
    mounts: list[Mount] = field(default_factory=list)
    privileged: bool = False
    capabilities: list[str] = field(default_factory=list)
    """The only Linux capabilities it keeps: every container drops all others (Docker's default set included)."""
    devices: list[str] = field(default_factory=list)
    host_namespaces: bool = False
    """Runs in the Docker host's network and PID namespaces (sees the host's interfaces and processes)."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Extra ``/etc/hosts`` entries: name -> address (``host-gateway``: the Docker host, as containers reach it)."""
    live_config: LiveConfig | None = None
    """Config changes are applied by a reload, not a new container (see ``LiveConfig``)."""
    health_authorization: str = ""
    """File with the ``Authorization: Basic`` value the healthcheck sends (the process requires credentials)."""
    health_override: Healthcheck | None = None
    """Replaces the record's healthcheck (a multi-host stack's HTTPS, or another address)."""
    publish: tuple[tuple[str, int, int], ...] = ()
    """``(address, host port, container port)`` published on a host's address in a multi-host stack (its
    Prometheus, Alertmanager, stores and exporters, reached by the other hosts)."""


@dataclass(frozen=True)
class Container:
    """One running component of the stack."""

    name: str
    """Container name suffix (``<prefix>-<name>``), network alias, key of ``images.*`` and ``docker.memoryMb``."""
    description: str
    """What it is, one line (the "What runs" table of docs/design.md)."""
    image: str
    """The pinned image (``repo:tag``); ``images.<name>`` overrides it per stack.  ``versions.IMAGES`` lists them."""
    port: int
    """Port it listens on inside the container."""
    memory_mb: int
    """Default memory limit (``docker.memoryMb`` overrides it)."""
    healthcheck: Healthcheck | None
    unmonitored_reason: str = ""
    """Why there is no Docker healthcheck, and what watches the container instead."""
    app_network: str = ""
    """Why it joins the application's network; empty: monitoring network only."""
    app_only: bool = False
    """Only on the application's network (an exporter that only reads the app): nothing in the app's network can
    use it to reach the monitoring network (e.g. the blackbox exporter's ``/probe?target=``).  Prometheus, on
    both, scrapes it there."""
    own_network: str = ""
    """Why it sits on a network of its own instead of the monitoring network: only what scrapes it
    (``scrapes_own_networks``) joins that one.  For an API that asks for no credential (cAdvisor's reads the host)."""
    scrapes_own_networks: bool = False
    """Joins every ``own_network`` of its stack (or host), to scrape what sits there (Prometheus)."""
    published: Published | None = None
    scrape: ScrapeJob | None = None
    user: str = "nobody"
    """The image's ``USER`` as it writes it (``nobody`` for the prom/* images, empty for root): who reads its
    credential files."""

    @property
    def selector(self) -> str:
        """The label matcher of the series its scrape job collects (``job="postgres"``)."""
        if self.scrape is None:
            raise ValueError(f"{self.name} is not scraped")
        return self.scrape.selector


@dataclass(frozen=True)
class ContainerSpec(Runtime):
    """Everything Docker is asked to run for one container of one stack: its record and its ``Runtime``."""

    name: str = ""
    image: str = ""
    port: int = 0
    memory_mb: int = 0
    published_port: int | None = None
    """Host port on ``docker.bindAddress``; only the three UIs publish one."""
    joins_app_network: bool = False
    app_only: bool = False
    """Leaves the monitoring network out, when the stack has an app network to put it on."""
    own_network: bool = False
    """On a network of its own, shared only with the specs that ``scrapes_own_networks`` (``Container.own_network``)."""
    scrapes_own_networks: bool = False
    healthcheck: Healthcheck | None = None
    unmonitored_reason: str = ""
    user: str = ""
    """The image's ``USER`` (``Container.user``)."""

    def rootfs_uploads(self) -> list[str]:
        """Files uploaded into the container's own filesystem (not through a live-config volume)."""
        live = self.live_config
        return [path for path in (*self.uploads, *self.secret_uploads)
                if live is None or not path.startswith(live.directory.rstrip("/") + "/")]

    @property
    def read_only_root(self) -> bool:
        """Its root filesystem is read-only (data in volumes, temp in a tmpfs), unless files are uploaded
        into it: Docker cannot copy into a read-only root filesystem."""
        return not self.rootfs_uploads()
