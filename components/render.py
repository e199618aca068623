"""The functional core's composition root: from a stack's composed settings, every document it deploys (by
relative path), its container specs, its dashboards, and what a running stack should show.

This module and ``program.py`` are the only readers of the composed ``StackSettings``: each function here hands
every area its own settings model(s) and the stack context (``context.StackContext``), and passes by name what
one area needs of another.  ``pulumi up`` uploads the documents into the containers; ``python -m components
render`` writes them to a directory.  Both call ``render_documents``, so what you review is what runs.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import secrets
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from components.alertmanager.config import render_alertmanager_config, render_cluster_tls, template_files
from components.alertmanager.credentials import credential_files
from components.blackbox.config import render_blackbox_config
from components.containers import (
    alertmanager,
    blackbox_exporter,
    cadvisor,
    grafana,
    node_exporter,
    postgres_exporter,
    prometheus,
    redis_exporter,
    victoria_metrics,
    vmauth,
)
from components.containers.model import ContainerSpec, Runtime
from components.containers.specs import container_specs as specs_of
from components.containers.specs import host_specs
from components.containers.urls import PublicUrls, public_urls
from components.documents import (
    ALERTMANAGER_CLUSTER_TLS,
    ALERTMANAGER_CONFIG,
    ALERTMANAGER_TEMPLATES_DIR,
    BLACKBOX_CONFIG,
    GRAFANA_DASHBOARDS_DIR,
    PROMETHEUS_CONFIG,
    PROMETHEUS_RULES_DIR,
)
from components.grafana.community import DEFAULT_CACHE_DIR, DEFAULT_TIMEOUT, GRAFANA_COM
from components.grafana.dashboards import (
    DashboardSpec,
    cached_community_specs,
    community_specs,
    custom_spec,
    render_dashboards,
)
from components.grafana.fetch_command import fetch_all
from components.grafana.provisioning import Datasource, datasources, render_provisioning
from components.hosts.placement import APP_NETWORK_ON_HOST, PUBLISHED_ON_BIND_ADDRESS, containers_of
from components.operator.expected import Expected, expected_for
from components.operator.view import OperatorView
from components.prometheus.config import render_prometheus_config, render_replica_config
from components.rules.render import render_rules
from components.secret_keys import GRAFANA_ADMIN_PASSWORD, POSTGRES_EXPORTER_PASSWORD
from components.secrets import REDACTED, Secret
from components.slo.render import render_slo_rules

if TYPE_CHECKING:
    from components.hosts.settings import HostSettings
    from components.settings import StackSettings


def web_auth_user(settings: StackSettings) -> str | None:
    """The user of the credential Prometheus and Alertmanager require, None when they require none."""
    return settings.web_auth.user if settings.web_auth.enabled else None


def stack_urls(settings: StackSettings) -> PublicUrls:
    """Where people reach the three UIs (the containers' flags, the stack outputs, the operator commands)."""
    return public_urls(settings.docker.bind_address, settings.ports, prometheus=settings.prometheus.external_url,
                       alertmanager=settings.notifications.external_url, grafana=settings.grafana.root_url)


def prometheus_config(settings: StackSettings) -> str:
    return render_prometheus_config(settings.prometheus, settings.targets, settings.context,
                                    web_auth_user=web_auth_user(settings))


def replica_config(settings: StackSettings, replica: str) -> str:
    """prometheus.yml of the replica on host ``replica`` of a multi-host stack."""
    return render_replica_config(settings.prometheus, settings.targets, settings.context, replica=replica,
                                 web_auth_user=settings.web_auth.user)


def api_replicas(settings: StackSettings) -> int:
    """API replicas expected to answer: ``targets.api.expectedReplicas``, or one per app host."""
    app_hosts = settings.context.with_role("app")
    return len(app_hosts) if app_hosts else settings.targets.api.expected_replicas


def rule_files(settings: StackSettings) -> dict[str, str]:
    """Every rule file by name: the catalogue's areas (``api.yml`` …, ``hosts.yml`` with hosts) and the SLOs'
    (``slo.yml``)."""
    context = settings.context
    return {
        **render_rules(settings.rules, context, api_replicas=api_replicas(settings), slos=settings.slos),
        **render_slo_rules(settings.slos, settings.slo_alerting, context,
                           runbook_base_url=settings.rules.runbook_base_url),
    }


def stack_datasources(settings: StackSettings) -> list[Datasource]:
    """Grafana's datasources, for either way of provisioning them."""
    return datasources(settings.grafana, scrape_interval=settings.prometheus.scrape_interval,
                       web_auth_user=web_auth_user(settings), through_reader=settings.context.multi_host)


def custom_dashboard(settings: StackSettings) -> DashboardSpec:
    return custom_spec(settings.grafana, settings.rules, settings.slos, settings.slo_alerting)


def cached_dashboards(settings: StackSettings, cache_dir: Path = DEFAULT_CACHE_DIR,
                      warn: Callable[[str], None] | None = None) -> list[DashboardSpec]:
    """The custom dashboard and the community ones a deploy would upload that are already cached, never touching
    the network (``warn``: one line naming those left out)."""
    return [custom_dashboard(settings), *cached_community_specs(settings.grafana, settings.context, cache_dir,
                                                                warn)]


def deploy_dashboards(settings: StackSettings, *, cache_dir: Path, base_url: str, warn: Callable[[str], None],
                      timeout: float = DEFAULT_TIMEOUT) -> list[DashboardSpec]:
    """Every dashboard for a deploy: community ones downloaded (and cached) if missing; a required one that
    cannot be had raises ``DashboardFetchError``."""
    return [custom_dashboard(settings), *community_specs(settings.grafana, settings.context, cache_dir=cache_dir,
                                                         base_url=base_url, timeout=timeout, warn=warn)]


def fetch_dashboards(settings: StackSettings, cache_dir: Path, *, base_url: str = GRAFANA_COM,
                     timeout: float = DEFAULT_TIMEOUT) -> int:
    """``dashboards fetch``: download every community dashboard not yet cached."""
    return fetch_all(settings.grafana, settings.context, cache_dir, base_url=base_url, timeout=timeout)


def render_documents(settings: StackSettings, dashboards: list[DashboardSpec] | None = None) -> dict[str, str]:
    """Every rendered document of the stack by path relative to the render directory (a multi-host stack's below
    ``hosts/<host>/``).

    ``dashboards``: what a deploy fetched (``deploy_dashboards``); by default the ones already cached.
    """
    if settings.hosts:
        return {f"{HOSTS_DIR}{host.name}/{path}": text for host in settings.hosts
                for path, text in host_documents(settings, host, dashboards).items()}
    context = settings.context
    specs = cached_dashboards(settings) if dashboards is None else dashboards
    documents = {
        PROMETHEUS_CONFIG: prometheus_config(settings),
        ALERTMANAGER_CONFIG: render_alertmanager_config(settings.notifications, context),
        BLACKBOX_CONFIG: render_blackbox_config(context),
    }
    documents.update({f"{PROMETHEUS_RULES_DIR}{name}": text for name, text in rule_files(settings).items()})
    documents.update({f"{ALERTMANAGER_TEMPLATES_DIR}{name}": text for name, text in template_files().items()})
    documents.update({f"{GRAFANA_DASHBOARDS_DIR}{name}": text for name, text in render_dashboards(specs).items()})
    if settings.grafana.provisioning == "files":
        documents.update(render_provisioning(stack_datasources(settings), settings.grafana.folders))
    return documents


HOSTS_DIR = "hosts/"
"""Where the render command writes each host's documents of a multi-host stack."""


def host_documents(settings: StackSettings, host: HostSettings,
                   dashboards: list[DashboardSpec] | None = None) -> dict[str, str]:
    """The documents host ``host`` of a multi-host stack receives, by the same paths as a single host's."""
    context, placed = settings.context, containers_of(host)
    documents: dict[str, str] = {}
    if "prometheus" in placed:
        documents[PROMETHEUS_CONFIG] = replica_config(settings, host.name)
        documents.update({f"{PROMETHEUS_RULES_DIR}{name}": text for name, text in rule_files(settings).items()})
    if "blackbox-exporter" in placed:
        documents[BLACKBOX_CONFIG] = render_blackbox_config(context)
    if "alertmanager" in placed:
        documents[ALERTMANAGER_CONFIG] = render_alertmanager_config(settings.notifications, context)
        documents[ALERTMANAGER_CLUSTER_TLS] = render_cluster_tls(context)
        documents.update({f"{ALERTMANAGER_TEMPLATES_DIR}{name}": text for name, text in template_files().items()})
    if "grafana" in placed:
        specs = cached_dashboards(settings) if dashboards is None else dashboards
        documents.update({f"{GRAFANA_DASHBOARDS_DIR}{name}": text for name, text in render_dashboards(specs).items()})
        if settings.grafana.provisioning == "files":
            documents.update(render_provisioning(stack_datasources(settings), settings.grafana.folders))
    return documents


def host_runtimes(settings: StackSettings, host: HostSettings, documents: Mapping[str, str]) -> dict[str, Runtime]:
    """The runtime of each container placed on ``host`` of a multi-host stack, in placement order."""
    context, urls, address = settings.context, stack_urls(settings), host.address
    every = {
        "node-exporter": lambda: node_exporter.runtime(settings.node_exporter, context, host=host),
        "cadvisor": lambda: cadvisor.runtime(settings.cadvisor, context, data_root=settings.docker.data_root,
                                             host=host),
        "postgres-exporter": lambda: postgres_exporter.runtime(
            settings.postgres_exporter, context, database=settings.targets.postgres,
            password_set=settings.secret(POSTGRES_EXPORTER_PASSWORD.key) is not None, host=host),
        "redis-exporter": lambda: redis_exporter.runtime(settings.targets.redis_address, context, host=host),
        "prometheus": lambda: prometheus.runtime(
            settings.prometheus, context, external_url=f"https://{address}:{prometheus.RECORD.port}", web_auth=True,
            documents=documents, host=host),
        "blackbox-exporter": lambda: blackbox_exporter.runtime(context),
        "alertmanager": lambda: alertmanager.runtime(
            settings.notifications, context,
            external_url=settings.notifications.external_url or f"https://{address}:{alertmanager.RECORD.port}",
            web_auth=True, documents=documents, cluster=settings.alertmanager_cluster, host=host),
        "victoria-metrics": lambda: victoria_metrics.runtime(
            settings.store, context, host=host, scrape_interval=settings.prometheus.scrape_interval,
            user=settings.web_auth.user),
        "grafana": lambda: grafana.runtime(settings.grafana, context, root_url=urls.grafana, web_auth=True,
                                           documents=documents),
        "vmauth": lambda: vmauth.runtime(settings.store, context, host=host),
    }
    return {name: every[name]() for name in containers_of(host)}


def host_container_specs(settings: StackSettings, host: HostSettings,
                         documents: Mapping[str, str]) -> list[ContainerSpec]:
    """The containers of ``host`` of a multi-host stack, wired to its ``documents``."""
    return host_specs(host_runtimes(settings, host, documents), settings.docker, settings.ports, settings.images,
                      app_network=APP_NETWORK_ON_HOST, bind_published=PUBLISHED_ON_BIND_ADDRESS)


def container_runtimes(settings: StackSettings, documents: Mapping[str, str]) -> dict[str, Runtime]:
    """Each container's runtime, by container name, from exactly the settings it reads."""
    context, urls, web_auth = settings.context, stack_urls(settings), settings.web_auth.enabled
    runtimes = (
        (postgres_exporter.RECORD, postgres_exporter.runtime(
            settings.postgres_exporter, context, database=settings.targets.postgres,
            password_set=settings.secret(POSTGRES_EXPORTER_PASSWORD.key) is not None)),
        (redis_exporter.RECORD, redis_exporter.runtime(settings.targets.redis_address, context)),
        (node_exporter.RECORD, node_exporter.runtime(settings.node_exporter, context)),
        (cadvisor.RECORD, cadvisor.runtime(settings.cadvisor, context, data_root=settings.docker.data_root)),
        (prometheus.RECORD, prometheus.runtime(settings.prometheus, context, external_url=urls.prometheus,
                                               web_auth=web_auth, documents=documents)),
        (alertmanager.RECORD, alertmanager.runtime(settings.notifications, context, external_url=urls.alertmanager,
                                                   web_auth=web_auth, documents=documents)),
        (grafana.RECORD, grafana.runtime(settings.grafana, context, root_url=urls.grafana, web_auth=web_auth,
                                         documents=documents)),
        (blackbox_exporter.RECORD, blackbox_exporter.runtime(context)),
    )
    return {record.name: runtime for record, runtime in runtimes}


def container_specs(settings: StackSettings, documents: Mapping[str, str]) -> list[ContainerSpec]:
    """The monitoring containers of the stack, wired to the rendered ``documents``."""
    return specs_of(container_runtimes(settings, documents), settings.docker, settings.ports, settings.images)


def credential_secrets(settings: StackSettings) -> dict[str, Secret]:
    """Alertmanager's credential files by name and the secret each one holds.

    A secret not set in config (only possible in the render command, which never reads values) is returned as
    ``Secret(key, None)``; ``pulumi up`` refuses to run without required secrets.
    """
    return {name: settings.secret(secret.key) or Secret(secret.key, None)
            for name, secret in credential_files(settings.notifications).items()}


def redacted_secret_files(settings: StackSettings) -> dict[str, str]:
    """The credential files Alertmanager reads, with their contents redacted."""
    return {f"alertmanager/secrets/{name}": REDACTED + "\n" for name in credential_files(settings.notifications)}


def expected(settings: StackSettings) -> Expected:
    """What the running stack should show (``verify``), from the documents it deploys: on a multi-host stack a
    replica's (every replica scrapes the same jobs, the stores' among them)."""
    replicas = settings.context.with_role("monitoring")
    config = replica_config(settings, replicas[0].name) if replicas else prometheus_config(settings)
    return expected_for(config, rule_files(settings), settings.grafana)


def operator_view(settings: StackSettings) -> OperatorView:
    """What the operator commands (``verify``, ``test-alert``) need to know of the stack."""
    return OperatorView(context=settings.context, urls=stack_urls(settings),
                        grafana_admin_user=settings.grafana.admin_user,
                        grafana_password_generated=settings.grafana.generate_admin_password
                        and settings.secret(GRAFANA_ADMIN_PASSWORD.key) is None, web_auth=settings.web_auth,
                        timings=settings.notifications.timing, runbook_base_url=settings.rules.runbook_base_url)


MANIFEST = ".rendered-files"
"""Lists what the last render wrote, so the next one removes only its own stale files."""


class OutputError(Exception):
    """Something in ``--out`` is in the way (a symbolic link, a directory where a file goes); one line."""


def _open_directory(parent_fd: int, name: str, shown: str, *, create: bool) -> int | None:
    """The directory ``name`` below ``parent_fd``, never through a symbolic link (``OutputError``); None when it
    is missing and ``create`` is false."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=parent_fd)
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
    except FileNotFoundError:
        if create:
            raise
        return None
    except OSError as error:  # ELOOP (a link) or ENOTDIR (a file)
        kind = "a symbolic link" if os.path.islink(shown) else "not a directory"
        raise OutputError(f"{shown} is {kind}; render writes only real files inside --out: remove it") from error


def _directory_of(root_fd: int, out_dir: Path, relative: str, *, create: bool) -> tuple[int, str] | None:
    """(fd of the directory holding ``relative``, its file name), walking one real directory at a time."""
    *parts, name = relative.split("/")
    fd = os.dup(root_fd)
    for index, part in enumerate(parts):
        shown = str(out_dir.joinpath(*parts[:index + 1]))
        try:
            child = _open_directory(fd, part, shown, create=create)
        finally:
            os.close(fd)
        if child is None:
            return None
        fd = child
    return fd, name


def _is_plain_relative(relative: str) -> bool:
    """A manifest entry the render could have written: relative, normalized, no ``..``."""
    return (bool(relative) and not relative.startswith("/") and posixpath.normpath(relative) == relative
            and ".." not in relative.split("/") and relative != ".")


def _write_file(directory_fd: int, name: str, text: str, shown: str) -> None:
    """Write ``text`` beside ``name`` and rename it over: a symbolic link there is replaced, never followed, and no
    reader sees a partial file."""
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=directory_fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
    except BaseException as error:
        os.unlink(temporary, dir_fd=directory_fd)
        if isinstance(error, IsADirectoryError):
            raise OutputError(f"{shown} is a directory where render writes a file: remove it") from None
        raise


def _read_manifest(root_fd: int) -> list[str]:
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=root_fd)
    except OSError:
        return []  # none yet, or not a plain file (a link): nothing of it is trusted
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        return handle.read().split()


def _remove_stale(root_fd: int, out_dir: Path, stale: str) -> str | None:
    """Delete a file an earlier render wrote; the entry if it was left alone (not a plain file the render could
    have written: a directory, a link, a path outside)."""
    if not _is_plain_relative(stale):
        return stale
    try:
        found = _directory_of(root_fd, out_dir, stale, create=False)
    except OutputError:
        return stale
    if found is None:
        return None
    fd, name = found
    try:
        mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode):
            return stale
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)
    return None


def write_documents(documents: dict[str, str], out_dir: Path, warn: Callable[[str], None] | None = None
                    ) -> list[Path]:
    """Write documents below ``out_dir`` as real files, never through a symbolic link inside it.

    ``out_dir`` is taken as given (a link there is the user's choice); below it, a link or a file where a
    directory goes is an ``OutputError``, and a link where a file goes is replaced, its target untouched.  A file
    an earlier render wrote that is no longer rendered (a removed rule file would still match ``rules/*.yml``) is
    deleted; files this command did not write are never touched, and a manifest entry that is no plain file inside
    ``out_dir`` is left alone (``warn`` names them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    root_fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        left = [entry for entry in sorted(set(_read_manifest(root_fd)) - set(documents))
                if _remove_stale(root_fd, out_dir, entry) is not None]
        if left and warn is not None:
            warn(f"left alone (not a file an earlier render wrote inside --out): {', '.join(left[:5])}"
                 + (f" and {len(left) - 5} more" if len(left) > 5 else ""))
        written = []
        for relative, text in sorted(documents.items()):
            found = _directory_of(root_fd, out_dir, relative, create=True)
            assert found is not None
            fd, name = found
            try:
                _write_file(fd, name, text, str(out_dir / relative))
            finally:
                os.close(fd)
            written.append(out_dir / relative)
        manifest = "".join(f"{relative}\n" for relative in sorted(documents))
        _write_file(root_fd, MANIFEST, manifest, str(out_dir / MANIFEST))
    finally:
        os.close(root_fd)
    return written
