"""Every dashboard exactly as uploaded: the custom one and the cached community ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    from components.context import StackContext
    from components.grafana.settings import GrafanaSettings
    from components.rules.settings import RuleSettings
    from components.slo.settings import Slo, SloAlerting


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


def custom_spec(grafana: GrafanaSettings, rules: RuleSettings, slos: Sequence[Slo],
                slo_alerting: SloAlerting) -> DashboardSpec:
    """The Internet-ID dashboard: its thresholds and rows follow the stack's rules and SLOs."""
    text = custom_dashboard.render_custom_dashboard(grafana.datasource_uid, rules, slos, slo_alerting)
    return DashboardSpec(custom_dashboard.UID, grafana.dashboards_folder, text, "custom")


def _community_spec(grafana: GrafanaSettings, dashboard: CommunityDashboard, raw: bytes) -> DashboardSpec:
    text = render_community(raw, dashboard, datasource_uid=grafana.datasource_uid,
                            datasource_name=grafana.datasource_name)
    return DashboardSpec(dashboard.uid, dashboard.folder, text, f"grafana.com/{dashboard.cache_name[:-5]}")


def community_specs(
    grafana: GrafanaSettings,
    context: StackContext,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    base_url: str = GRAFANA_COM,
    timeout: float = DEFAULT_TIMEOUT,
    warn: Callable[[str], None],
) -> list[DashboardSpec]:
    """The community dashboards of a deploy: from the cache, downloaded (and cached) if missing.

    A non-optional dashboard that is unavailable raises ``DashboardFetchError`` (a ``SettingsError``)
    with one line naming it and the fix; an optional one is skipped after ``warn(message)``.
    """
    specs = []
    unpinned = unpinned_dashboards(grafana, context)
    required = [line for dashboard, line in unpinned if not dashboard.optional]
    if required:
        raise DashboardFetchError(context.stack, required)
    for _, line in unpinned:
        warn(f"skipping optional {line}")
    for dashboard in grafana.community_dashboards:
        if any(dashboard is refused for refused, _ in unpinned):
            continue
        try:
            fetched = fetch_dashboard(dashboard, cache_dir, base_url=base_url, timeout=timeout)
            specs.append(_community_spec(grafana, dashboard, fetched.path.read_bytes()))
        except DashboardUnavailableError as error:
            if not dashboard.optional:
                raise DashboardFetchError(context.stack, [for_stack(error, context.stack)]) from None
            warn(f"skipping optional {for_stack(error, context.stack)}")
    return specs


def unpinned_dashboards(grafana: GrafanaSettings, context: StackContext) -> list[tuple[CommunityDashboard, str]]:
    """Each community dashboard a deploy refuses, with why and how to pin it: no ``sha256`` while the
    stack does not ``allowUnpinnedDashboards`` (trust on first use, with admin credentials)."""
    if grafana.allow_unpinned_dashboards:
        return []
    fetch = FETCH_COMMAND.replace("<stack>", context.stack)
    return [
        (dashboard, f"{dashboard.describe()}: not pinned (grafana.communityDashboards[{index}].sha256 is unset), so "
                    f"whatever is downloaded would be uploaded unchecked; run `{fetch}` where grafana.com is "
                    f"reachable, review the file, and set that sha256 to the value it prints")
        for index, dashboard in enumerate(grafana.community_dashboards)
        if dashboard.sha256 is None
    ]


def cached_community_specs(grafana: GrafanaSettings, context: StackContext, cache_dir: Path = DEFAULT_CACHE_DIR,
                           warn: Callable[[str], None] | None = None) -> list[DashboardSpec]:
    """The community dashboards a deploy would upload, as far as the cache has them, never touching the network.

    Selected as ``community_specs`` selects them: one a deploy refuses (not pinned where the stack requires it, a
    cached file that is no dashboard or has the wrong sha256) is left out, and so is one not cached yet; ``warn``
    gets one line naming them all.
    """
    specs = []
    refused = unpinned_dashboards(grafana, context)
    left_out = [f"{dashboard.gnet_id} (a deploy refuses it: not pinned)" for dashboard, _ in refused]
    for dashboard in grafana.community_dashboards:
        if any(dashboard is unpinned for unpinned, _ in refused):
            continue
        try:
            raw = read_cached(cache_dir, dashboard)
        except DashboardUnavailableError as error:
            left_out.append(f"{dashboard.gnet_id} (a deploy refuses it: {str(error).split(': ', 1)[-1]})")
            continue
        if raw is None:
            left_out.append(f"{dashboard.gnet_id} (not cached: `{FETCH_COMMAND.replace('<stack>', context.stack)}`)")
        else:
            specs.append(_community_spec(grafana, dashboard, raw))
    if left_out and warn is not None:
        warn(f"community dashboards not rendered: {'; '.join(left_out)}")
    return specs


def render_dashboards(specs: list[DashboardSpec]) -> dict[str, str]:
    """Dashboard JSON by file name (``<uid>.json``)."""
    return {spec.file_name: spec.config_json for spec in specs}


def for_stack(error: DashboardUnavailableError, stack: str) -> str:
    """The error's message with the fetch command written for ``stack``."""
    return str(error).replace("--stack <stack>", f"--stack {stack}")
