"""docs/alerts.md is generated from the catalogue and must match it; every alert is in it, linked to its runbook."""

from __future__ import annotations

import re

from components.alerts_reference import alerts_reference
from components.rules.catalogue import BY_NAME, CATALOGUE
from tests.pulumi_harness import PROJECT_DIR
from tests.test_docs import runbook_anchors

REFERENCE = PROJECT_DIR / "docs" / "alerts.md"


def test_committed_reference_is_current() -> None:
    assert REFERENCE.read_text() == alerts_reference(), (
        "docs/alerts.md is stale: run `python -m components alerts-reference > docs/alerts.md`"
    )


def test_every_alert_has_one_row_whose_runbook_section_exists() -> None:
    rows = {line.split("|")[1].strip(): line for line in alerts_reference().splitlines()
            if line.startswith("| ") and not line.startswith("| alert ")}
    assert {alert.name for alert in CATALOGUE} <= set(rows)
    anchors = runbook_anchors()
    linked = {anchor for line in rows.values() for anchor in re.findall(r"\(runbook\.md#([\w-]+)\)", line)}
    assert linked and linked <= anchors, linked - anchors


def test_rows_say_the_default_threshold_the_way_the_alert_applies_it() -> None:
    text = alerts_reference()
    assert "| HighErrorRate | warning | > 5% | 5m | `components/rules/alerts/api.py` |" in text
    assert "| TLSCertificateExpiringSoon | warning | < 14 days | 0m |" in text
    assert "| HostFilesystemAlmostFull | critical | < 5% | 5m |" in text
    assert "| DatabaseFlapping | critical | > 4 changes in `rules.flapWindow` | 1m | derived from DatabaseDown" in text
    assert "| ErrorBudgetBurn (page) | critical | > 14.4 | 1h, 5m | 2m |" in text
    assert BY_NAME["Watchdog"].threshold is None and "| Watchdog | none | the condition itself | 0m |" in text
