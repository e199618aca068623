"""docs/configuration.md is generated from the settings models and must match them."""

from __future__ import annotations

from components.config_reference import config_reference
from tests.pulumi_harness import PROJECT_DIR

REFERENCE = PROJECT_DIR / "docs" / "configuration.md"


def test_committed_reference_is_current() -> None:
    assert REFERENCE.read_text() == config_reference(), (
        "docs/configuration.md is stale: run `python -m components config-reference > docs/configuration.md`"
    )


def test_every_setting_is_documented() -> None:
    rows = [line for line in config_reference().splitlines() if line.startswith("| `")]
    undocumented = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    assert len(rows) > 100
    assert undocumented == [], f"settings without a docstring: {undocumented}"


def test_reference_names_every_secret_and_top_level_key() -> None:
    text = config_reference()
    for key in ("## `docker`", "## `rules`", "## `notifications`", "## `grafana`", "## `incident`", "`sentry:token`"):
        assert key in text


def test_the_keys_of_list_items_are_documented() -> None:
    text = config_reference()
    assert "| `slos[].latencyThreshold` | `null` | Latency SLOs: seconds a good request takes at most;" in text
    assert "| `sloAlerting.page[].for` | `\"0s\"` |" in text
    assert "| `targets.probes[].url` | required | URL probed. |" in text
