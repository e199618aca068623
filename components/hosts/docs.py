"""The "What runs where" table of docs/multi-host.md, derived from the role table (a test keeps the page in step)."""

from __future__ import annotations

from components.containers.records import BY_NAME
from components.hosts.placement import EVERY_HOST, ROLE_CONTAINERS

APP = "the API replica and the web app run here: scraped and probed at the host's address"


def placement_table() -> str:
    """Markdown: each role and the containers it adds, with what each does."""
    rows = ["| role | containers | what they do |", "|---|---|---|"]
    entries = [("every host", EVERY_HOST), *ROLE_CONTAINERS.items()]
    for role, names in entries:
        containers = ", ".join(names) or "(none of ours)"
        what = "; ".join(BY_NAME[name].description for name in names) or APP
        rows.append(f"| {role} | {containers} | {what} |")
    return "\n".join(rows) + "\n"
