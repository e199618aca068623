"""The container table: images, flags, health, limits and files of each monitoring container."""

from __future__ import annotations

import pytest

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.containers.model import ContainerSpec
from components.containers.records import MULTI_HOST_RECORDS
from components.containers.specs import host_path_problems, mount_is_shared
from components.render import container_specs, render_documents
from components.settings import SettingsError, StackSettings
from components.versions import IMAGES

NS = "internet-id-monitoring"


def specs_of(settings: StackSettings) -> dict[str, ContainerSpec]:
    return {spec.name: spec for spec in container_specs(settings, render_documents(settings))}


@pytest.fixture
def dev() -> dict[str, ContainerSpec]:
    return specs_of(settings_from_stack_file("dev"))


def test_the_eight_containers_with_pinned_images(dev: dict[str, ContainerSpec]) -> None:
    multi_host = {record.name for record in MULTI_HOST_RECORDS}
    assert {name: spec.image for name, spec in dev.items()} == {k: v for k, v in IMAGES.items() if k not in multi_host}
    assert sorted(IMAGES) == sorted([*dev, *multi_host])  # the stores and their reader: multi-host stacks only
    for image in IMAGES.values():
        assert ":v" in image or ":10." in image, f"{image} is not pinned to a version"


def test_image_override_takes_a_digest() -> None:
    digest = "grafana/grafana@sha256:" + "a" * 64
    settings = settings_from_mapping("dev", {f"{NS}:images": {"grafana": digest}}, require_secrets=False)
    assert specs_of(settings)["grafana"].image == digest


def test_only_the_three_uis_publish_ports(dev: dict[str, ContainerSpec]) -> None:
    published = {name: spec.published_port for name, spec in dev.items() if spec.published_port}
    assert published == {"prometheus": 9090, "alertmanager": 9093, "grafana": 3030}


def test_every_container_has_a_memory_limit_and_overrides_apply() -> None:
    settings = settings_from_mapping("dev", {f"{NS}:docker": {"memoryMb": {"prometheus": 4096}}}, require_secrets=False)
    specs = specs_of(settings)
    assert {name: spec.memory_mb for name, spec in specs.items()} == {
        "prometheus": 4096, "alertmanager": 256, "grafana": 512, "postgres-exporter": 128, "redis-exporter": 128,
        "node-exporter": 128, "cadvisor": 512, "blackbox-exporter": 128,
    }


# The port each upstream image listens on by default (its docs / Dockerfile EXPOSE) and the path that
# answers 200 once it serves (its docs), written here independently of the container records.
# redis-exporter (9121) has no healthcheck (FROM scratch).
UPSTREAM_HEALTH = {
    "prometheus": "http://127.0.0.1:9090/-/healthy",
    "alertmanager": "http://127.0.0.1:9093/-/healthy",
    "grafana": "http://127.0.0.1:3000/api/health",
    "postgres-exporter": "http://127.0.0.1:9187/",
    "node-exporter": "http://host.docker.internal:9100/",  # in the host's network namespace: the bridge address
    "cadvisor": "http://127.0.0.1:8080/healthz",
    "blackbox-exporter": "http://127.0.0.1:9115/-/healthy",
}


def test_healthchecks_ask_each_image_on_its_port_and_health_path(dev: dict[str, ContainerSpec]) -> None:
    checked = {name for name, spec in dev.items() if spec.healthcheck is not None}
    assert checked == set(UPSTREAM_HEALTH)
    for name, url in UPSTREAM_HEALTH.items():
        healthcheck = dev[name].healthcheck
        assert healthcheck is not None, name
        assert healthcheck.test(dev[name].port) == ["CMD", "wget", "-q", "--spider", url], name
        assert f":{dev[name].port}/" in url, f"{name} listens on another port than it is probed on"


def test_redis_exporter_reports_the_hosts_memory(dev: dict[str, ContainerSpec]) -> None:
    """redis_total_system_memory_bytes, which the Redis dashboard's memory usage falls back to without maxmemory."""
    assert dev["redis-exporter"].env["REDIS_EXPORTER_INCL_SYSTEM_METRICS"] == "true"


def test_redis_exporter_has_no_healthcheck_and_says_what_watches_it(dev: dict[str, ContainerSpec]) -> None:
    unmonitored = {name for name, spec in dev.items() if spec.healthcheck is None}
    assert unmonitored == {"redis-exporter"}
    assert "FROM scratch" in dev["redis-exporter"].unmonitored_reason
    assert 'up{job="redis"}' in dev["redis-exporter"].unmonitored_reason


def test_config_files_go_in_as_uploads_of_rendered_documents(dev: dict[str, ContainerSpec]) -> None:
    documents = render_documents(settings_from_stack_file("dev"))
    assert dev["prometheus"].uploads["/etc/prometheus/prometheus.yml"] == "prometheus/prometheus.yml"
    assert dev["alertmanager"].uploads["/etc/alertmanager/alertmanager.yml"] == "alertmanager/alertmanager.yml"
    assert dev["blackbox-exporter"].uploads["/etc/blackbox_exporter/config.yml"] == "blackbox/blackbox.yml"
    rules = {key for key in documents if key.startswith("prometheus/rules/")}
    assert rules <= set(dev["prometheus"].uploads.values())
    for spec in dev.values():
        assert set(spec.uploads.values()) <= set(documents), spec.name


def test_flags_the_pinned_versions_accept(dev: dict[str, ContainerSpec]) -> None:
    prometheus = dev["prometheus"].command
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus
    assert "--storage.tsdb.retention.time=30d" in prometheus
    assert not any("enable-lifecycle" in flag for flag in prometheus), "reload endpoint must stay closed"
    assert "--cluster.listen-address=" in dev["alertmanager"].command
    assert not any(m.target == "/cgroup" for m in dev["cadvisor"].mounts)


def test_cadvisor_gets_only_what_it_reads(dev: dict[str, ContainerSpec]) -> None:
    """Not privileged, no device, one capability, the Docker socket alone instead of the host's /var/run, and of the
    host's files only /proc, the cgroups and the data root (not its whole root filesystem)."""
    cadvisor = dev["cadvisor"]
    assert (cadvisor.privileged, cadvisor.devices, cadvisor.capabilities) == (False, [], ["DAC_READ_SEARCH"])
    assert {(m.source, m.target) for m in cadvisor.mounts} == {
        ("/proc", "/rootfs/proc"), ("/var/run/docker.sock", "/var/run/docker.sock"),
        ("/sys/fs/cgroup", "/sys/fs/cgroup"), ("/var/lib/docker", "/rootfs/var/lib/docker"), ("/dev/disk", "/dev/disk")}


def test_root_filesystems_are_read_only_unless_a_file_is_uploaded_into_them(dev: dict[str, ContainerSpec]) -> None:
    """Docker cannot copy into a read-only root filesystem: the two containers given a credential file directly
    keep a writable one (dev's Grafana, provisioned from files, also gets the web credential its datasources
    send); the others read their config from a volume."""
    writable = {name: spec.rootfs_uploads() for name, spec in dev.items() if not spec.read_only_root}
    assert writable == {"postgres-exporter": ["/run/secrets/postgres-exporter-password"],
                        "grafana": ["/run/secrets/grafana-admin-password", "/run/secrets/monitoring-web-password"]}
    users = {name: spec.user for name, spec in dev.items()}
    assert users == {"prometheus": "nobody", "alertmanager": "nobody", "grafana": "472",
                     "postgres-exporter": "nobody", "redis-exporter": "59000:59000", "node-exporter": "nobody",
                     "cadvisor": "", "blackbox-exporter": ""}


def test_alertmanager_writes_its_notification_log_and_silences_every_minute(dev: dict[str, ContainerSpec]) -> None:
    """Alertmanager's own default is 15m: an OOM kill (SIGKILL, no shutdown write) would lose up to 15 minutes of
    notification log (the next start pages again for incidents already paged) and of silences (they un-mute).
    tests/live/test_live_faults.py kills a real Alertmanager mid-incident to show both hold."""
    assert "--data.maintenance-interval=1m" in dev["alertmanager"].command
    assert "--storage.path=/alertmanager" in dev["alertmanager"].command
    assert dev["alertmanager"].volumes == {"alertmanager-data": "/alertmanager"}


def test_prometheus_restores_the_for_progress_of_every_alert_of_a_minute_or_more(
    dev: dict[str, ContainerSpec],
) -> None:
    """Prometheus' own default (10m) restores nothing shorter: ServiceDown (2m) firing before a restart would
    pend 2 more minutes, HighErrorRate (5m) 5, longer than Alertmanager keeps it (4 resends, 4m): resolved, then
    paged again.  tests/live/test_live_faults.py restarts a real Prometheus mid-incident."""
    assert "--rules.alert.for-grace-period=1m" in dev["prometheus"].command


def test_grafana_is_locked_down(dev: dict[str, ContainerSpec]) -> None:
    env = dev["grafana"].env
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert (env["GF_ALERTING_ENABLED"], env["GF_UNIFIED_ALERTING_ENABLED"]) == ("false", "true")
    assert "GF_INSTALL_PLUGINS" not in env
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env, "the password goes in as a file, never in the environment"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] in dev["grafana"].entrypoint[-1]
    assert env["GF_SERVER_ROOT_URL"] == "http://127.0.0.1:3030/"


@pytest.mark.parametrize(("stack", "grafana", "secure"), [
    ("dev", {}, "false"),  # http://127.0.0.1:3030 on a developer's machine
    ("dev", {"rootUrl": "https://grafana.internet-id.example"}, "true"),
    ("staging", {}, "true"),  # browsers send Secure cookies to http://127.0.0.1 (ssh -L) too
    ("prod", {"rootUrl": "http://127.0.0.1:3030"}, "true"),  # plain http only on loopback (a credential URL)
])
def test_grafanas_session_cookie_is_secure_strict_and_snapshots_stay_inside(
    stack: str, grafana: dict[str, str], secure: str,
) -> None:
    config = settings_from_stack_file(stack).model_dump(by_alias=True, include={"grafana"})
    settings = settings_from_mapping(stack, {f"{NS}:grafana": {**config["grafana"], **grafana},
                                             f"{NS}:environment": stack}, require_secrets=False)
    env = specs_of(settings)["grafana"].env
    assert env["GF_SECURITY_COOKIE_SECURE"] == secure
    assert env["GF_SECURITY_COOKIE_SAMESITE"] == "strict"
    assert env["GF_SNAPSHOTS_EXTERNAL_ENABLED"] == "false"


def test_exporters_reach_the_app_network_and_credentials_are_files(dev: dict[str, ContainerSpec]) -> None:
    joined = {name for name, spec in dev.items() if spec.joins_app_network}
    assert joined == {"prometheus", "postgres-exporter", "redis-exporter", "blackbox-exporter"}
    assert {name for name, spec in dev.items() if spec.app_only} == {
        "postgres-exporter", "redis-exporter", "blackbox-exporter"}
    exporter = dev["postgres-exporter"]
    assert exporter.env["DATA_SOURCE_URI"] == "db:5432/internetid?sslmode=disable"
    assert exporter.env["DATA_SOURCE_PASS_FILE"] in exporter.secret_uploads
    assert not any("password" in value.lower() for value in exporter.env.values() if "/" not in value)


def test_data_lives_in_named_volumes(dev: dict[str, ContainerSpec]) -> None:
    volumes = {name: spec.volumes for name, spec in dev.items() if spec.volumes}
    assert volumes == {
        "prometheus": {"prometheus-data": "/prometheus"},
        "alertmanager": {"alertmanager-data": "/alertmanager"},
        "grafana": {"grafana-data": "/var/lib/grafana"},
    }


def test_exporters_are_scraped_by_unique_container_name() -> None:
    settings = settings_from_stack_file("prod")
    config = render_documents(settings)["prometheus/prometheus.yml"]
    for spec in specs_of(settings).values():
        if spec.name not in ("prometheus", "node-exporter"):
            assert f"iidmon-prod-{spec.name}:{spec.port}" in config, spec.name
    assert "- alertmanager:9093" not in config
    assert "- host.docker.internal:9100" in config, "node_exporter is reached through the Docker host"


def test_notification_links_use_the_external_url() -> None:
    url = "https://alertmanager.ops.example.com"
    settings = settings_from_mapping("prod", {f"{NS}:notifications": {"externalUrl": url}}, require_secrets=False)
    assert f"--web.external-url={url}" in specs_of(settings)["alertmanager"].command


def test_cadvisor_host_access_follows_its_settings() -> None:
    settings = settings_from_mapping("dev", {
        f"{NS}:docker": {"dataRoot": "/srv/docker/"},
        f"{NS}:cadvisor": {"capabilities": ["DAC_READ_SEARCH", "SYSLOG"], "devices": ["/dev/kmsg"],
                           "diskDevices": False, "dockerSocket": "/run/user/1000/docker.sock"},
    }, require_secrets=False)
    widened = specs_of(settings)["cadvisor"]
    assert not widened.privileged and widened.capabilities == ["DAC_READ_SEARCH", "SYSLOG"]
    assert widened.devices == ["/dev/kmsg"]
    mounts = {m.source: m.target for m in widened.mounts}
    assert mounts["/srv/docker"] == "/rootfs/srv/docker"  # where cAdvisor looks up the data root docker info names
    assert mounts["/run/user/1000/docker.sock"] == "/var/run/docker.sock"
    assert "/dev/disk" not in mounts
    privileged = settings_from_mapping("dev", {f"{NS}:cadvisor": {"privileged": True}}, require_secrets=False)
    assert specs_of(privileged)["cadvisor"].privileged


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({f"{NS}:docker": {"dataRoot": "docker"}}, f"{NS}:docker.dataRoot: 'docker' is not an absolute path"),
        ({f"{NS}:cadvisor": {"devices": ["kmsg"]}}, f"{NS}:cadvisor.devices.0: 'kmsg' is not an absolute path"),
        ({f"{NS}:cadvisor": {"capabilities": ["CAP_SYS_ADMIN"]}}, "is not a capability named as Docker does"),
    ],
)
def test_bad_host_access_settings_name_the_key(config: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("dev", config, require_secrets=False)
    assert any(expected in line for line in caught.value.problems), caught.value.problems


def test_missing_host_paths_name_the_setting_the_value_and_the_command(dev: dict[str, ContainerSpec]) -> None:
    present = {"/", "/var/run", "/sys", "/proc", "/var/lib/docker"}
    problems = host_path_problems(list(dev.values()), lambda path: path in present)
    assert sorted(problems) == [
        "cadvisor.diskDevices: cadvisor mounts /dev/disk, which does not exist on the Docker host; set it to false: "
        "pulumi config set --path internet-id-monitoring:cadvisor.diskDevices false",
        "cadvisor.dockerSocket: cadvisor mounts /var/run/docker.sock, which does not exist on the Docker host; set it "
        "to the socket of the Docker daemon the docker command talks to: pulumi config set --path "
        "internet-id-monitoring:cadvisor.dockerSocket \"$(docker context inspect -f '{{.Endpoints.docker.Host}}' | "
        "sed 's|^unix://||')\"",
        "nodeExporter.systemd: node-exporter mounts /var/run/dbus/system_bus_socket, which does not exist on the "
        "Docker host; set it to false: pulumi config set --path internet-id-monitoring:nodeExporter.systemd false",
    ]
    assert host_path_problems(list(dev.values()), lambda path: True) == []


def test_a_missing_data_root_names_the_command_that_finds_it(dev: dict[str, ContainerSpec]) -> None:
    """The value is the Docker host's own answer, so the command is right wherever it runs (deploy-dev names its
    wrapper, which writes the developer's own settings file)."""
    problems = host_path_problems(list(dev.values()), lambda path: path != "/var/lib/docker",
                                  config_set="scripts/dev pulumi config set --path")
    assert problems == [
        "docker.dataRoot: cadvisor mounts /var/lib/docker, which does not exist on the Docker host; set it to the "
        "Docker daemon's data root: scripts/dev pulumi config set --path internet-id-monitoring:docker.dataRoot "
        "\"$(docker info -f '{{.DockerRootDir}}')\""]


def test_node_exporter_sees_the_host_and_is_reached_through_it(dev: dict[str, ContainerSpec]) -> None:
    node = dev["node-exporter"]
    assert node.host_namespaces and not node.joins_app_network and node.published_port is None
    assert node.hosts == {"host.docker.internal": "host-gateway"} == dev["prometheus"].hosts
    assert {(m.source, m.target, m.propagation) for m in node.mounts} == {
        ("/", "/host", "rslave"), ("/var/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket", None)}
    assert "--web.listen-address=host.docker.internal:9100" in node.command
    for collector in ("processes", "interrupts", "tcpstat", "systemd"):
        assert f"--collector.{collector}" in node.command, collector
    assert "--collector.textfile.directory=/host/var/lib/node_exporter/textfile_collector" in node.command


def test_collectors_the_dashboards_read_follow_their_settings(dev: dict[str, ContainerSpec]) -> None:
    assert dev["postgres-exporter"].command == ["--collector.postmaster"]
    assert "--enable_load_reader=true" in dev["cadvisor"].command
    settings = settings_from_mapping("dev", {f"{NS}:nodeExporter": {"systemd": False},
                                             f"{NS}:postgresExporter": {"collectors": []},
                                             f"{NS}:cadvisor": {"loadReader": False}}, require_secrets=False)
    narrowed = specs_of(settings)
    assert "--collector.systemd" not in narrowed["node-exporter"].command
    assert [m.source for m in narrowed["node-exporter"].mounts] == ["/"]
    assert narrowed["postgres-exporter"].command == []
    assert not any("load_reader" in flag for flag in narrowed["cadvisor"].command)


SYSTEMD_HOST = """22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw
40 22 0:35 / /var/lib/docker rw master:7 - xfs /dev/sdb1 rw
"""
PRIVATE_ROOT = """6 1 254:0 / / rw,relatime - ext4 /dev/vda rw
7 6 0:5 / /proc rw - proc proc rw
"""


def test_mount_propagation_is_read_from_mountinfo() -> None:
    assert mount_is_shared("/", SYSTEMD_HOST) and mount_is_shared("/var/lib/docker/volumes", SYSTEMD_HOST)
    assert not mount_is_shared("/", PRIVATE_ROOT) and not mount_is_shared("/srv", PRIVATE_ROOT)


def test_a_private_host_root_names_the_setting_of_node_exporters_rslave_mount(dev: dict[str, ContainerSpec]) -> None:
    problems = host_path_problems(list(dev.values()), lambda path: True,
                                  lambda path: mount_is_shared(path, PRIVATE_ROOT))
    assert problems == ["nodeExporter.followHostMounts: node-exporter mounts / with rslave propagation, but its mount "
                        "on the Docker host is not shared; set it to false: pulumi config set --path "
                        "internet-id-monitoring:nodeExporter.followHostMounts false (or make the mount shared: "
                        "mount --make-rshared /)"]
    settings = settings_from_mapping("dev", {f"{NS}:nodeExporter": {"followHostMounts": False}}, require_secrets=False)
    node = specs_of(settings)["node-exporter"]
    assert [(m.target, m.propagation) for m in node.mounts if m.source == "/"] == [("/host", None)]
    assert host_path_problems(list(specs_of(settings).values()), lambda path: True, lambda path: False) == []
