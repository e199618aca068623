"""The catalogue's layout: one module per area matching its rule file and promtool tests, tiers declared with their
alerts, and one kind of placeholder (``[[name]]``) in every template, each one known."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.containers.records import RECORDS
from components.rules.catalogue import AREAS, CATALOGUE, PAIRS
from components.rules.model import Alert, Tier, area
from components.rules.recording import RECORDINGS
from components.rules.render import fill, settings_values
from components.rules.settings import RuleSettings
from components.rules.vocabulary import TOKENS

ROOT = Path(__file__).resolve().parents[2]
ALERT_MODULES = ROOT / "components" / "rules" / "alerts"
PROMTOOL = Path(__file__).resolve().parent / "promtool"
TOKEN = re.compile(r"\[\[(\w+)\]\]")


def templates() -> list[tuple[str, str]]:
    """(what, text) of every template: each alert's expr, summary and description, each recording rule."""
    found = [(f"{alert.name}.{part}", getattr(alert, part)) for alert in CATALOGUE
             for part in ("expr", "summary", "description")]
    found += [(f"{recording.token}.{part}", getattr(recording, part)) for recording in RECORDINGS
              for part in ("name", "expr")]
    return found


def test_one_module_per_area_each_with_its_promtool_tests() -> None:
    modules = sorted(path.stem for path in ALERT_MODULES.glob("*.py") if path.stem != "__init__")
    assert sorted(area.name for area in AREAS) == modules
    assert {area.name for area in AREAS} <= {path.name.removesuffix(".test.yml") for path in PROMTOOL.glob("*.yml")}


def test_every_tier_is_inhibited_and_every_alert_has_one_area() -> None:
    tiers = {tier.names for area in AREAS for tier in area.tiers}
    assert tiers == set(PAIRS) and len(PAIRS) == len(tiers) == 9
    assert all(alert.area for alert in CATALOGUE)
    assert len({alert.name for alert in CATALOGUE}) == len(CATALOGUE)


def test_a_tier_is_a_warning_and_a_critical_of_one_identity() -> None:
    def alert(name: str, severity: str, identity: tuple[str, ...] = ("job",)) -> Alert:
        return Alert(name, severity, "api", "vector(1) > [[threshold]]", "5m", "s", "d", threshold=1,  # type: ignore[arg-type]
                     identity=identity)

    Tier(alert("High", "warning"), alert("Critical", "critical"))
    with pytest.raises(ValueError, match="a warning and a critical"):
        Tier(alert("Critical", "critical"), alert("High", "warning"))
    with pytest.raises(ValueError, match="same non-empty identity"):
        Tier(alert("High", "warning"), alert("Critical", "critical", ("job", "instance")))


def test_a_warning_below_two_criticals_is_listed_once() -> None:
    """HostFilesystemFillingUp is the warning of almost full and of filling up fast: one rule, two tier rules."""
    [host] = [a for a in AREAS if a.name == "host"]
    names = [alert.name for alert in host.alerts]
    assert names.count("HostFilesystemFillingUp") == 1
    assert {tier.names for tier in host.tiers} >= {("HostFilesystemFillingUp", "HostFilesystemAlmostFull"),
                                                   ("HostFilesystemFillingUp", "HostFilesystemFillingUpFast")}

    def alert(name: str, severity: str, threshold: float) -> Alert:
        return Alert(name, severity, "api", "vector(1) > [[threshold]]", "5m", "s", "d",  # type: ignore[arg-type]
                     threshold=threshold, identity=("job",))

    with pytest.raises(ValueError, match="High: declared twice in area x with different fields"):
        area("x", Tier(alert("High", "warning", 1), alert("Critical", "critical", 2)),
             Tier(alert("High", "warning", 3), alert("Worse", "critical", 4)))


def test_templates_hold_only_known_tokens_and_no_python_format_fields() -> None:
    known = set(settings_values(RuleSettings(), next(a for a in CATALOGUE if a.threshold is not None)))
    for what, text in templates():
        assert set(TOKEN.findall(text)) <= known, what
        # A PromQL selector opens with '{', a Prometheus template with '{{ ' or '{{-': no Python field '{name}'.
        assert not re.search(r"(?<!\{)\{[A-Za-z_]+\}(?!\})", text), what


def test_every_word_of_the_vocabulary_is_used() -> None:
    """Besides each record's selector (there for whichever exporter's alerts need it), no token goes unused."""
    used = {token for _, text in templates() for token in TOKEN.findall(text)}
    used |= {token for value in TOKENS.values() for token in TOKEN.findall(value)}
    records = {record.name.replace("-", "_") for record in RECORDS}
    assert set(TOKENS) - records <= used, set(TOKENS) - records - used


def test_fill_follows_nested_tokens_and_names_an_unknown_one() -> None:
    assert fill("rate(x{[[a]]}[[[w]]])", {"a": "[[b]], c=\"d\"", "b": 'job="j"', "w": "5m"}) == (
        'rate(x{job="j", c="d"}[5m])')
    with pytest.raises(KeyError, match=r"unknown token \[\[nope\]\]"):
        fill("up{[[nope]]}", {})
