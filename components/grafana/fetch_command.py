"""``python -m components dashboards fetch --stack STACK``: fill the dashboard cache ahead of a deploy."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from components.grafana.community import DEFAULT_TIMEOUT, GRAFANA_COM, DashboardUnavailableError, fetch_dashboard
from components.grafana.dashboards import DashboardFetchError, for_stack

if TYPE_CHECKING:
    from components.context import StackContext
    from components.grafana.settings import GrafanaSettings


def fetch_all(
    grafana: GrafanaSettings,
    context: StackContext,
    cache_dir: Path,
    *,
    base_url: str = GRAFANA_COM,
    timeout: float = DEFAULT_TIMEOUT,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Download every community dashboard not yet cached; ``SettingsError`` lists the required ones that failed."""
    out = out or sys.stdout
    err = err or sys.stderr
    problems = []
    for dashboard in grafana.community_dashboards:
        try:
            fetched = fetch_dashboard(dashboard, cache_dir, base_url=base_url, timeout=timeout)
        except DashboardUnavailableError as error:
            if dashboard.optional:
                print(f"warning: skipping optional {for_stack(error, context.stack)}", file=err)
            else:
                problems.append(for_stack(error, context.stack))
            continue
        state = "downloaded" if fetched.downloaded else "cached"
        pin = "" if dashboard.sha256 else f" (unpinned: set sha256 {fetched.sha256} to pin it)"
        print(f"{state} {dashboard.gnet_id} r{dashboard.revision} -> {fetched.path} sha256 {fetched.sha256}{pin}",
              file=out)
    if problems:
        raise DashboardFetchError(context.stack, problems)
    return 0
