"""The schema the generated cases walk: every setting has a type that says what it is, and the maximal stack holds
every leaf (so no setting escapes the generated cases)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import yaml

from components.config_source import read_stack_file, settings_from_mapping
from tests.hostile.cases import MAXIMAL, STACK, base_for, generated_cases, get, maximal, schema_leaves

COMPONENTS = Path(__file__).resolve().parents[2] / "components"


def test_no_setting_is_a_bare_string() -> None:
    """A new string setting must say what it is (a ``Kind`` in its ``Annotated`` metadata: ``LabelValue``,
    ``HttpUrl``, ``HostPath``, ``text(250)`` …), so the characters, emptiness and grammar rules apply to it."""
    bare = [leaf.key for leaf in schema_leaves() if leaf.base is str and leaf.kind is None]
    assert bare == [], f"settings typed as a bare str (give each a kind from components/model.py): {bare}"


def test_every_number_setting_is_bounded() -> None:
    """An integer without a maximum takes 10**30, which promtool and Docker cannot hold."""
    unbounded = [leaf.key for leaf in schema_leaves() if leaf.base is int and not {"le", "lt"} & set(leaf.bounds)]
    assert unbounded == []


def test_the_maximal_stack_holds_every_leaf_and_is_valid() -> None:
    missing = []
    for leaf in schema_leaves():
        if leaf.base in (None, bool):
            continue
        try:
            get(base_for(leaf), leaf.path)
        except (KeyError, IndexError):
            missing.append(leaf.key)
    assert missing == [], f"not in {MAXIMAL.name}: {missing}"
    settings = settings_from_mapping(STACK, read_stack_file(STACK, MAXIMAL), require_secrets=False)
    assert settings.notifications.email.enabled and settings.incident.sentry.enabled
    for alternative in ({leaf.key for leaf in schema_leaves()} & {"notifications.heartbeatOptOut", "hosts.0.name"}):
        leaf = next(leaf for leaf in schema_leaves() if leaf.key == alternative)
        settings_from_mapping(STACK, base_for(leaf), require_secrets=False)


def test_every_hostile_value_survives_the_stack_file() -> None:
    """What a case writes is what the settings read: YAML escapes every control character and reads it back."""
    for cases in generated_cases().values():
        for case in cases:
            text = yaml.safe_dump({"value": case.value}, allow_unicode=False)
            read = yaml.safe_load(text)["value"]
            assert read == case.value or (math.isnan(read) and math.isnan(case.value)), case.id


def test_no_pattern_in_the_product_ends_in_a_dollar() -> None:
    """``re.match(r"…$")`` lets a final newline through; checks match whole (``re.fullmatch``)."""
    found = []
    for path in COMPONENTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("compile", "match", "search"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and re.search(
                        r"(?<!\\)\$\)?$", first.value):
                    found.append(f"{path.relative_to(COMPONENTS.parent)}:{node.lineno}")
    assert found == []


def test_the_maximal_stack_file_is_the_yaml_the_tests_read() -> None:
    assert maximal() == yaml.safe_load(MAXIMAL.read_text())["config"]
