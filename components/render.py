"""The functional core's single entry: every document a stack deploys, by relative path.

``pulumi up`` uploads these documents into the containers; ``python -m components render``
writes them to a directory.  Both call ``render_documents``, so what you review is what runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from components.alertmanager.config import render_alertmanager_config, secret_files, template_files
from components.blackbox.config import render_blackbox_config
from components.documents import (
    ALERTMANAGER_CONFIG,
    ALERTMANAGER_TEMPLATES_DIR,
    BLACKBOX_CONFIG,
    GRAFANA_DASHBOARDS_DIR,
    PROMETHEUS_CONFIG,
    PROMETHEUS_RULES_DIR,
)
from components.grafana.dashboards import DashboardSpec, cached_specs, render_dashboards
from components.grafana.provisioning import render_provisioning
from components.prometheus.config import render_prometheus_config
from components.rules.render import render_rule_files
from components.secrets import REDACTED
from components.slo.render import render_slo_rules

if TYPE_CHECKING:
    from components.settings import StackSettings


def rule_files(settings: StackSettings) -> dict[str, str]:
    """Every rule file by name: the catalogue's areas (``api.yml`` …) and the SLOs' (``slo.yml``)."""
    return {**render_rule_files(settings), **render_slo_rules(settings)}


def render_documents(settings: StackSettings, dashboards: list[DashboardSpec] | None = None) -> dict[str, str]:
    """Every rendered document of the stack by path relative to the render directory.

    ``dashboards``: what a deploy fetched (``dashboard_specs``); by default the ones already cached.
    """
    specs = cached_specs(settings) if dashboards is None else dashboards
    documents = {
        PROMETHEUS_CONFIG: render_prometheus_config(settings),
        ALERTMANAGER_CONFIG: render_alertmanager_config(settings),
        BLACKBOX_CONFIG: render_blackbox_config(settings),
    }
    documents.update({f"{PROMETHEUS_RULES_DIR}{name}": text for name, text in rule_files(settings).items()})
    documents.update({f"{ALERTMANAGER_TEMPLATES_DIR}{name}": text for name, text in template_files(settings).items()})
    documents.update({f"{GRAFANA_DASHBOARDS_DIR}{name}": text for name, text in render_dashboards(specs).items()})
    if settings.grafana.provisioning == "files":
        documents.update(render_provisioning(settings))
    return documents


def redacted_secret_files(settings: StackSettings) -> dict[str, str]:
    """The credential files Alertmanager reads, with their contents redacted."""
    return {f"alertmanager/secrets/{name}": REDACTED + "\n" for name in secret_files(settings)}


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
