"""The "What runs" table of docs/design.md, derived from the container records (a test keeps the page in step)."""

from __future__ import annotations

from components.containers.records import RECORDS
from components.containers.settings import DockerSettings, PortSettings


def what_runs_table() -> str:
    """Markdown: each container, its default image, where it is reachable, its networks, its healthcheck."""
    ports, bind = PortSettings(), DockerSettings().bind_address
    rows = [
        "| container | what it does | pinned image | reachable at | networks | "
        "Docker healthcheck |",
        "|---|---|---|---|---|---|",
    ]
    for record in sorted(RECORDS, key=lambda r: r.published is None):  # the three UIs first
        reachable = f"<http://{bind}:{getattr(ports, record.published)}>" if record.published else "the stack only"
        networks = "monitoring"
        if record.app_network:
            networks = f"{'app only' if record.app_only else 'monitoring, app'} ({record.app_network})"
        if record.own_network:
            networks = f"its own, internal ({record.own_network})"
        if record.scrapes_own_networks:
            networks += "; each container's own network, to scrape it"
        health = f"`{record.healthcheck.path}`" if record.healthcheck else "none, see below"
        rows.append(f"| {record.name} | {record.description} | `{record.image}` | {reachable} | {networks} "
                    f"| {health} |")
    return "\n".join(rows) + "\n"
