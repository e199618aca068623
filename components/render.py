"""The functional core's composition root: from a stack's composed settings, every document it deploys (by
relative path), its container specs, its dashboards, and what a running stack should show.

This module and ``program.py`` are the only readers of the composed ``StackSettings``: each function here hands
every area its own settings model(s) and the stack context (``context.StackContext``), and passes by name what
one area needs of another.  ``pulumi up`` uploads the documents into the containers; ``python -m components
render`` writes them to a directory.  Both call ``render_documents``, so what you review is what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from components.alertmanager.config import render_alertmanager_config, template_files
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
)
from components.containers.model import ContainerSpec, Runtime
from components.containers.specs import container_specs as specs_of
from components.containers.urls import PublicUrls, public_urls
from components.documents import (
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
from components.operator.expected import Expected, expected_for
from components.operator.view import OperatorView
from components.prometheus.config import render_prometheus_config
from components.rules.render import render_rules
from components.secret_keys import GRAFANA_ADMIN_PASSWORD, POSTGRES_EXPORTER_PASSWORD
from components.secrets import REDACTED, Secret
from components.slo.render import render_slo_rules

if TYPE_CHECKING:
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


def rule_files(settings: StackSettings) -> dict[str, str]:
    """Every rule file by name: the catalogue's areas (``api.yml`` …) and the SLOs' (``slo.yml``)."""
    context = settings.context
    return {
        **render_rules(settings.rules, context, api_replicas=settings.targets.api.expected_replicas),
        **render_slo_rules(settings.slos, settings.slo_alerting, context,
                           runbook_base_url=settings.rules.runbook_base_url),
    }


def stack_datasources(settings: StackSettings) -> list[Datasource]:
    """Grafana's datasources, for either way of provisioning them."""
    return datasources(settings.grafana, scrape_interval=settings.prometheus.scrape_interval,
                       web_auth_user=web_auth_user(settings))


def custom_dashboard(settings: StackSettings) -> DashboardSpec:
    return custom_spec(settings.grafana, settings.rules, settings.slos, settings.slo_alerting)


def cached_dashboards(settings: StackSettings, cache_dir: Path = DEFAULT_CACHE_DIR) -> list[DashboardSpec]:
    """The custom dashboard and the community ones already cached, never touching the network."""
    return [custom_dashboard(settings), *cached_community_specs(settings.grafana, cache_dir)]


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
    """Every rendered document of the stack by path relative to the render directory.

    ``dashboards``: what a deploy fetched (``deploy_dashboards``); by default the ones already cached.
    """
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
    """What the running stack should show (``verify``), from the documents it deploys."""
    return expected_for(prometheus_config(settings), rule_files(settings), settings.grafana)


def operator_view(settings: StackSettings) -> OperatorView:
    """What the operator commands (``verify``, ``test-alert``) need to know of the stack."""
    return OperatorView(context=settings.context, urls=stack_urls(settings),
                        grafana_admin_user=settings.grafana.admin_user,
                        grafana_password_generated=settings.grafana.generate_admin_password
                        and settings.secret(GRAFANA_ADMIN_PASSWORD.key) is None, web_auth=settings.web_auth,
                        timings=settings.notifications.timing, runbook_base_url=settings.rules.runbook_base_url)


MANIFEST = ".rendered-files"
"""Lists what the last render wrote, so the next one removes only its own stale files."""


def inside(out_dir: Path, relative: str) -> Path | None:
    """``out_dir / relative`` when it names a file below ``out_dir``, else None.

    The manifest is a file anyone with write access to the output can edit: an absolute entry,
    a ``../`` one, or one through a symlinked directory must never make a render delete a file
    elsewhere.
    """
    if Path(relative).is_absolute():
        return None
    path = out_dir / relative
    root = out_dir.resolve()
    parent = path.parent.resolve()
    if parent != root and root not in parent.parents:
        return None
    return parent / path.name


def write_documents(documents: dict[str, str], out_dir: Path) -> list[Path]:
    """Write documents below ``out_dir``.

    A file an earlier render wrote that is no longer rendered (a removed rule file would still
    match ``rules/*.yml``) is deleted; files this command did not write are never touched.
    """
    manifest = out_dir / MANIFEST
    previous = set(manifest.read_text().split()) if manifest.is_file() else set()
    for stale in sorted(previous - set(documents)):
        path = inside(out_dir, stale)
        if path is not None:
            path.unlink(missing_ok=True)
    written = []
    for relative, text in sorted(documents.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    manifest.write_text("".join(f"{relative}\n" for relative in sorted(documents)))
    return written
