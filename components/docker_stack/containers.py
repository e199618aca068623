"""The eight monitoring containers as data: image, flags, files, ports, health, limits.

Pure: ``container_specs(settings)`` returns what each container needs; the Pulumi component
in ``component.py`` only maps these specs to Docker resources, and tests read them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from components.alertmanager.config import CONFIG_DIR as ALERTMANAGER_DIR
from components.alertmanager.config import secret_files
from components.grafana.provisioning import PROVISIONING_DIR, dashboard_folders, dashboard_path
from components.render import ALERTMANAGER_CONFIG, BLACKBOX_CONFIG, PROMETHEUS_CONFIG
from components.secrets import Secret

if TYPE_CHECKING:
    from components.settings import StackSettings

SECRETS_DIR = "/run/secrets"

# Development credentials of the Internet-ID app's own compose database (not a secret:
# they are the app's documented defaults).  Used only when a stack sets
# ``targets.postgres.useAppDevCredentials``.
APP_DEV_DATABASE_PASSWORD = "internetid"

DEFAULT_MEMORY_MB: dict[str, int] = {
    "prometheus": 2048,
    "alertmanager": 256,
    "grafana": 512,
    "postgres-exporter": 128,
    "redis-exporter": 128,
    "node-exporter": 128,
    "cadvisor": 512,
    "blackbox-exporter": 128,
}


@dataclass(frozen=True)
class Healthcheck:
    """A Docker healthcheck that runs inside the image (these images ship busybox ``wget``)."""

    url: str
    interval: str = "15s"
    timeout: str = "5s"
    retries: int = 4
    start_period: str = "30s"

    @property
    def test(self) -> list[str]:
        return ["CMD", "wget", "-q", "--spider", self.url]


@dataclass(frozen=True)
class Mount:
    """A host path mounted read-only (exporters that read the host)."""

    source: str
    target: str
    setting: str = ""
    """The config key that decides this mount, for the message when the host lacks the path."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything one container needs; ``uploads`` map container paths to rendered documents."""

    name: str
    image: str
    port: int
    memory_mb: int = 0
    """Set by ``container_specs`` from ``DEFAULT_MEMORY_MB`` and ``docker.memoryMb``."""
    command: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)
    """Container path -> key in ``render_documents`` output."""
    secret_uploads: dict[str, Secret] = field(default_factory=dict)
    """Container path -> the secret the file holds (uploaded as a Pulumi secret)."""
    volumes: dict[str, str] = field(default_factory=dict)
    """Volume name (without prefix) -> container path; data that must survive replacement."""
    mounts: list[Mount] = field(default_factory=list)
    published_port: int | None = None
    """Host port on ``docker.bindAddress``; only the three UIs publish one."""
    joins_app_network: bool = False
    healthcheck: Healthcheck | None = None
    unmonitored_reason: str = ""
    """Why a container has no Docker healthcheck, and what watches it instead."""
    privileged: bool = False
    capabilities: list[str] = field(default_factory=list)
    """Linux capabilities added to Docker's default set."""
    devices: list[str] = field(default_factory=list)


def container_specs(settings: StackSettings, documents: dict[str, str]) -> list[ContainerSpec]:
    """The monitoring containers of ``settings``' stack, wired to the rendered ``documents``."""
    memory = {**DEFAULT_MEMORY_MB, **settings.docker.memory_mb}
    specs = [
        _prometheus(settings, documents),
        _alertmanager(settings, documents),
        _grafana(settings, documents),
        _postgres_exporter(settings),
        ContainerSpec(
            name="redis-exporter",
            image=settings.image("redis-exporter"),
            port=9121,
            env={"REDIS_ADDR": settings.targets.redis_address},
            joins_app_network=True,
            unmonitored_reason=(
                "the image is built FROM scratch (no shell, no wget), so Docker cannot probe it; "
                'Prometheus watches it instead: TargetDown on up{job="redis"} and RedisDown on redis_up'
            ),
        ),
        ContainerSpec(
            name="node-exporter",
            image=settings.image("node-exporter"),
            port=9100,
            command=[
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/rootfs",
                "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)",
            ],
            mounts=[Mount("/proc", "/host/proc"), Mount("/sys", "/host/sys"), Mount("/", "/rootfs")],
            healthcheck=Healthcheck("http://127.0.0.1:9100/"),
        ),
        _cadvisor(settings),
        ContainerSpec(
            name="blackbox-exporter",
            image=settings.image("blackbox-exporter"),
            port=9115,
            command=["--config.file=/etc/blackbox_exporter/config.yml"],
            uploads={"/etc/blackbox_exporter/config.yml": BLACKBOX_CONFIG},
            joins_app_network=True,
            healthcheck=Healthcheck("http://127.0.0.1:9115/-/healthy"),
        ),
    ]
    return [replace(spec, memory_mb=memory[spec.name]) for spec in specs]


def _cadvisor(settings: StackSettings) -> ContainerSpec:
    access = settings.cadvisor
    mounts = [
        Mount("/", "/rootfs"),
        Mount("/var/run", "/var/run"),
        Mount("/sys", "/sys"),
        Mount(settings.docker.data_root, "/var/lib/docker", setting="docker.dataRoot"),
    ]
    if access.disk_devices:
        mounts.append(Mount("/dev/disk", "/dev/disk", setting="cadvisor.diskDevices"))
    return ContainerSpec(
        name="cadvisor",
        image=settings.image("cadvisor"),
        port=8080,
        # Docker containers only, without one series per Docker label (cardinality).
        command=["--docker_only=true", "--store_container_labels=false", "--housekeeping_interval=15s"],
        mounts=mounts,
        privileged=access.privileged,
        capabilities=[] if access.privileged else list(access.capabilities),
        devices=list(access.devices),
        healthcheck=Healthcheck("http://127.0.0.1:8080/healthz"),
    )


def host_path_problems(specs: list[ContainerSpec], exists: Callable[[str], bool]) -> list[str]:
    """One line per configurable host path (mount or device) the Docker host lacks, starting with its key.

    Docker refuses to create a container whose bind mount or device is missing; this says which setting to
    change before anything is created.  Only meaningful where the Docker host is this machine.
    """
    problems = []
    for spec in specs:
        problems += [
            f"{mount.setting}: {spec.name} mounts {mount.source}, which does not exist on the Docker host; "
            f"change {mount.setting}"
            for mount in spec.mounts
            if mount.setting and not exists(mount.source)
        ]
        problems += [
            f"{spec.name}.devices: {device} does not exist on the Docker host; remove it from {spec.name}.devices"
            for device in spec.devices
            if not exists(device)
        ]
    return problems


def _published(settings: StackSettings, port: int) -> str:
    return f"http://{settings.docker.bind_address}:{port}"


def prometheus_url(settings: StackSettings) -> str:
    """Where people reach Prometheus (alert source links); the published port unless configured."""
    return (settings.prometheus.external_url or _published(settings, settings.ports.prometheus)).rstrip("/")


def alertmanager_url(settings: StackSettings) -> str:
    """Where people reach Alertmanager (the links notifications carry)."""
    return (settings.notifications.external_url or _published(settings, settings.ports.alertmanager)).rstrip("/")


def grafana_url(settings: StackSettings) -> str:
    """Where people, and the Grafana provider, reach Grafana."""
    return (settings.grafana.root_url or _published(settings, settings.ports.grafana)).rstrip("/")


def _prometheus(settings: StackSettings, documents: dict[str, str]) -> ContainerSpec:
    prom = settings.prometheus
    command = [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        f"--storage.tsdb.retention.time={prom.retention_time}",
        f"--web.external-url={prometheus_url(settings)}",
    ]
    if prom.retention_size:
        command.append(f"--storage.tsdb.retention.size={prom.retention_size}")
    rules = {f"/etc/{path}": path for path in documents if path.startswith("prometheus/rules/")}
    return ContainerSpec(
        name="prometheus",
        image=settings.image("prometheus"),
        port=9090,
        command=command,
        uploads={"/etc/prometheus/prometheus.yml": PROMETHEUS_CONFIG, **rules},
        volumes={"prometheus-data": "/prometheus"},
        published_port=settings.ports.prometheus,
        joins_app_network=True,
        healthcheck=Healthcheck("http://127.0.0.1:9090/-/healthy"),
    )


def _alertmanager(settings: StackSettings, documents: dict[str, str]) -> ContainerSpec:
    secrets_dir = settings.notifications.secrets_dir
    templates = {
        f"{ALERTMANAGER_DIR}/{path.removeprefix('alertmanager/')}": path
        for path in documents
        if path.startswith("alertmanager/templates/")
    }
    return ContainerSpec(
        name="alertmanager",
        image=settings.image("alertmanager"),
        port=9093,
        command=[
            f"--config.file={ALERTMANAGER_DIR}/alertmanager.yml",
            "--storage.path=/alertmanager",
            "--cluster.listen-address=",  # a single node: no gossip port
            f"--web.external-url={alertmanager_url(settings)}",
        ],
        uploads={f"{ALERTMANAGER_DIR}/alertmanager.yml": ALERTMANAGER_CONFIG, **templates},
        secret_uploads={f"{secrets_dir}/{name}": secret for name, secret in secret_files(settings).items()},
        volumes={"alertmanager-data": "/alertmanager"},
        published_port=settings.ports.alertmanager,
        healthcheck=Healthcheck("http://127.0.0.1:9093/-/healthy"),
    )


GRAFANA_PASSWORD_FILE = f"{SECRETS_DIR}/grafana-admin-password"

# The data volume keeps the first admin password; resetting it from the secret file on every
# start makes a changed ``grafanaAdminPassword`` take effect (the container is replaced when
# the uploaded file changes).  A failed reset (first start: no user yet) must not stop Grafana.
_GRAFANA_START = (
    "grafana cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini "
    f"admin reset-admin-password --password-from-stdin < {GRAFANA_PASSWORD_FILE} >/dev/null 2>&1 || true; "
    "exec /run.sh"
)


def _grafana_files(settings: StackSettings, documents: dict[str, str]) -> dict[str, str]:
    """Container path -> document of ``grafana.provisioning: files``: provisioning files and dashboards."""
    if settings.grafana.provisioning != "files":
        return {}
    uploads = {
        f"{PROVISIONING_DIR}/{path.removeprefix('grafana/provisioning/')}": path
        for path in documents
        if path.startswith("grafana/provisioning/")
    }
    folders = dashboard_folders(settings)
    for path in documents:
        if path.startswith("grafana/dashboards/"):
            uid = path.removeprefix("grafana/dashboards/").removesuffix(".json")
            uploads[dashboard_path(folders[uid], uid)] = path
    return uploads


def _grafana(settings: StackSettings, documents: dict[str, str]) -> ContainerSpec:
    grafana = settings.grafana
    root_url = f"{grafana_url(settings)}/"
    password = settings.secret("grafanaAdminPassword")
    return ContainerSpec(
        name="grafana",
        image=settings.image("grafana"),
        port=3000,
        entrypoint=["/bin/sh", "-c", _GRAFANA_START],
        env={
            "GF_SECURITY_ADMIN_USER": grafana.admin_user,
            "GF_SECURITY_ADMIN_PASSWORD__FILE": GRAFANA_PASSWORD_FILE,
            "GF_SERVER_ROOT_URL": root_url,
            "GF_USERS_ALLOW_SIGN_UP": "false",
            "GF_AUTH_ANONYMOUS_ENABLED": "false",
            "GF_AUTH_DISABLE_LOGIN_FORM": "false",
            # Grafana 10 refuses legacy and unified alerting together; Prometheus alerts here.
            "GF_ALERTING_ENABLED": "false",
            "GF_UNIFIED_ALERTING_ENABLED": "true",
            "GF_ANALYTICS_REPORTING_ENABLED": "false",
            "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
            "GF_SECURITY_DISABLE_GRAVATAR": "true",
            "GF_SECURITY_COOKIE_SECURE": str(root_url.startswith("https://")).lower(),
        },
        uploads=_grafana_files(settings, documents),
        secret_uploads={GRAFANA_PASSWORD_FILE: password} if password else {},
        volumes={"grafana-data": "/var/lib/grafana"},
        published_port=settings.ports.grafana,
        healthcheck=Healthcheck("http://127.0.0.1:3000/api/health", start_period="60s"),
    )


POSTGRES_PASSWORD_FILE = f"{SECRETS_DIR}/postgres-exporter-password"


def _postgres_exporter(settings: StackSettings) -> ContainerSpec:
    db = settings.targets.postgres
    password = settings.secret("postgresExporterPassword")
    if password is None and db.use_app_dev_credentials:
        password = Secret("postgresExporterPassword", APP_DEV_DATABASE_PASSWORD)
    return ContainerSpec(
        name="postgres-exporter",
        image=settings.image("postgres-exporter"),
        port=9187,
        env={
            "DATA_SOURCE_URI": f"{db.host}:{db.port}/{db.database}?sslmode={db.sslmode}",
            "DATA_SOURCE_USER": db.user,
            "DATA_SOURCE_PASS_FILE": POSTGRES_PASSWORD_FILE,
        },
        secret_uploads={POSTGRES_PASSWORD_FILE: password} if password else {},
        joins_app_network=True,
        healthcheck=Healthcheck("http://127.0.0.1:9187/"),
    )
