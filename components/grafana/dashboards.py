"""Every dashboard exactly as uploaded: the custom one and the cached community ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from components.grafana import custom_dashboard
from components.grafana.community import (
    DEFAULT_CACHE_DIR,
    DEFAULT_TIMEOUT,
    FETCH_COMMAND,
    GRAFANA_COM,
    DashboardUnavailableError,
    fetch_dashboard,
    read_cached,
    render_community,
)
from components.grafana.settings import CommunityDashboard
from components.model import SettingsError

if TYPE_CHECKING:
    from components.settings import StackSettings


class DashboardFetchError(SettingsError):
    """Required community dashboards cannot be had; one line per dashboard, naming it and the fix.

    A ``SettingsError``, so whatever reports bad stack config reports this the same way.
    """

    def message(self) -> str:
        if len(self.problems) == 1:
            return f"stack {self.stack!r}: {self.problems[0]}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"stack {self.stack!r}: {len(self.problems)} community dashboards unavailable:\n{lines}"


@dataclass(frozen=True)
class DashboardSpec:
    """One dashboard to upload: its fixed uid, folder uid and final JSON text."""

    uid: str
    folder: str
    config_json: str
    source: str
    """``custom`` or ``grafana.com/<gnetId>-r<revision>``."""

    @property
    def file_name(self) -> str:
        return f"{self.uid}.json"


def custom_spec(settings: StackSettings) -> DashboardSpec:
    grafana = settings.grafana
    text = custom_dashboard.render_custom_dashboard(grafana.datasource_uid, settings.rules, settings.slos,
                                                    settings.slo_alerting)
    return DashboardSpec(custom_dashboard.UID, grafana.dashboards_folder, text, "custom")


def _community_spec(settings: StackSettings, dashboard: CommunityDashboard, raw: bytes) -> DashboardSpec:
    grafana = settings.grafana
    text = render_community(raw, dashboard, datasource_uid=grafana.datasource_uid,
                            datasource_name=grafana.datasource_name)
    return DashboardSpec(dashboard.uid, dashboard.folder, text, f"grafana.com/{dashboard.cache_name[:-5]}")


def dashboard_specs(
    settings: StackSettings,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    base_url: str = GRAFANA_COM,
    timeout: float = DEFAULT_TIMEOUT,
    warn: Callable[[str], None],
) -> list[DashboardSpec]:
    """Every dashboard for a deploy: community ones from the cache, downloaded (and cached) if missing.

    A non-optional dashboard that is unavailable raises ``DashboardFetchError`` (a ``SettingsError``)
    with one line naming it and the fix; an optional one is skipped after ``warn(message)``.
    """
    specs = [custom_spec(settings)]
    unpinned = unpinned_dashboards(settings)
    required = [line for dashboard, line in unpinned if not dashboard.optional]
    if required:
        raise DashboardFetchError(settings.stack, required)
    for _, line in unpinned:
        warn(f"skipping optional {line}")
    for dashboard in settings.grafana.community_dashboards:
        if any(dashboard is refused for refused, _ in unpinned):
            continue
        try:
            fetched = fetch_dashboard(dashboard, cache_dir, base_url=base_url, timeout=timeout)
            specs.append(_community_spec(settings, dashboard, fetched.path.read_bytes()))
        except DashboardUnavailableError as error:
            if not dashboard.optional:
                raise DashboardFetchError(settings.stack, [_for_stack(error, settings)]) from None
            warn(f"skipping optional {_for_stack(error, settings)}")
    return specs


def unpinned_dashboards(settings: StackSettings) -> list[tuple[CommunityDashboard, str]]:
    """Each community dashboard a deploy refuses, with why and how to pin it: no ``sha256`` while the
    stack does not ``allowUnpinnedDashboards`` (trust on first use, with admin credentials)."""
    grafana = settings.grafana
    if grafana.allow_unpinned_dashboards:
        return []
    fetch = FETCH_COMMAND.replace("<stack>", settings.stack)
    return [
        (dashboard, f"{dashboard.describe()}: not pinned (grafana.communityDashboards[{index}].sha256 is unset), so "
                    f"whatever is downloaded would be uploaded unchecked; run `{fetch}` where grafana.com is "
                    f"reachable, review the file, and set that sha256 to the value it prints")
        for index, dashboard in enumerate(grafana.community_dashboards)
        if dashboard.sha256 is None
    ]


def cached_specs(settings: StackSettings, cache_dir: Path = DEFAULT_CACHE_DIR) -> list[DashboardSpec]:
    """The custom dashboard and the community ones already cached, never touching the network.

    A cached file whose sha256 is wrong is left out (a deploy reports it).
    """
    specs = [custom_spec(settings)]
    for dashboard in settings.grafana.community_dashboards:
        try:
            raw = read_cached(cache_dir, dashboard)
        except DashboardUnavailableError:
            continue
        if raw is not None:
            specs.append(_community_spec(settings, dashboard, raw))
    return specs


def render_dashboards(specs: list[DashboardSpec]) -> dict[str, str]:
    """Dashboard JSON by file name (``<uid>.json``)."""
    return {spec.file_name: spec.config_json for spec in specs}


def _for_stack(error: DashboardUnavailableError, settings: StackSettings) -> str:
    return str(error).replace("--stack <stack>", f"--stack {settings.stack}")
