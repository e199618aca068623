"""The generated cases: for every leaf of the settings schema, the hostile values of its family, each set into the
maximal stack (``maximal.yaml``), as data the test modules walk."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.config_source import settings_from_mapping
from components.context import PROJECT
from components.durations import DurationKind, nanoseconds
from tests.hostile.schema import Leaf, leaves
from tests.secrets_for_tests import fake_secret

MAXIMAL = Path(__file__).resolve().parent / "maximal.yaml"
STACK = "hostile"

DICT_KEYS: dict[tuple[str, ...], str] = {
    ("images",): "prometheus",
    ("docker", "memoryMb"): "prometheus",
    ("rules", "overrides"): "HighErrorRate",
    ("targets", "scrapeOverrides"): "node-exporter",
    ("rules", "appContainers"): "web",
}
"""The entry of each map of the schema that the maximal stack holds."""

ALTERNATIVES: dict[str, dict[str, Any]] = {
    "notifications.heartbeatOptOut": {"notifications.heartbeatOptOut": "Watchdog is watched by the central stack"},
}
"""Leaves that exclude another one: their cases start from the maximal stack with these keys set (None: removed)."""

MULTI_HOST_KEYS = ("hosts", "alertmanagerCluster", "store")
"""Top-level settings only a multi-host stack reads: their cases start from ``multi_host_base``."""
MULTI_HOST: dict[str, Any] = {
    "hosts": [
        {"name": "app-1", "docker": "tcp://10.0.1.11:2376", "address": "10.0.1.11",
         "roles": ["app", "monitoring", "alertmanager", "store", "grafana"], "sshOpts": ["-i", "/home/ops/.ssh/x"]},
        {"name": "app-2", "docker": "tcp://10.0.1.12:2376", "address": "10.0.1.12",
         "roles": ["app", "monitoring", "alertmanager", "store"]},
        {"name": "db-1", "docker": "ssh://ops@10.0.1.13", "address": "10.0.1.13",
         "roles": ["postgres", "redis", "alertmanager"]},
    ],
    "alertmanagerCluster": {"peerTimeout": "1500ms", "settleTimeout": "2s", "reconnectTimeout": "5m"},
    "store": {"retention": "400d"},
}
"""The maximal stack spread over three hosts (its docker.host and tlsCertPath left out: each host has its own; no
static API targets: the app hosts are)."""

CONTROL_CHARACTERS: dict[str, str] = {
    "NUL": "\0", "TAB": "\t", "CR": "\r", "ESC": "\x1b", "DEL": "\x7f", "NEL (C1)": "\x85",
    "RLO (bidi override)": "\u202e", "LRI (bidi isolate)": "\u2066", "ZWSP": "\u200b", "BOM": "\ufeff",
    "LINE SEPARATOR": "\u2028",
}
"""One of each class of character no setting may hold (inserted inside a valid value), plus a trailing newline."""

URL_VALUES: dict[str, str] = {
    "upper-case scheme": "HTTP://example.com/",
    "user and password": "https://user:pw@example.com/",
    "javascript": "javascript:alert(1)",
    "ftp": "ftp://example.com/",
    "scheme-relative": "//example.com/",
    "no host": "https:///x",
    "slack markup": "https://example.com/x><!channel>",
    "pipe and space": "https://example.com/a|click here",
    "template": "https://example.com/{{ .Labels }}",
    "variable": "https://${HOST}/api/",
}
CREDENTIAL_URL_VALUES: dict[str, str] = {
    "http beyond loopback": "http://example.org/",
    "http to a look-alike of localhost": "http://localhost.evil.example/",
    "http to a name resolving to loopback": "http://127.0.0.1.nip.io/",
}
DOCKER_HOST_VALUES: dict[str, str] = {
    "http": "http://docker.example.com:2375",
    "tcp without port": "tcp://docker.example.com",
    "unix relative": "unix://var/run/docker.sock",
    "ssh with password": "ssh://ops:pw@docker.example.com",
    "bare host": "docker.example.com:2376",
}
PATH_VALUES: dict[str, str] = {
    "relative": "etc/x", "dot-dot": "/var/../etc/shadow", "dot": "/var/./x", "double slash": "//var/x",
    "climbing": "../x", "dot-dot at the end": "/var/lib/..",
}
CONTAINER_PATH_VALUES: dict[str, str] = {"the reload job's staging": "/etc/alertmanager/.next"}
HOST_DIR_VALUES: dict[str, str] = {"the host's root": "/"}
DEVICE_VALUES: dict[str, str] = {"not a device": "/etc/shadow"}
REGEX_VALUES: dict[str, str] = {
    "lookahead": "(?=api).*", "backreference": "(a)\\1", "possessive": "api++", "repeat over 1000": "a{1001}",
    "Go-refused named group": "(?<n>a)", "single byte": "\\C", "257 characters": "a" * 257,
}
SELECTOR_VALUES: dict[str, str] = {
    **{name: f'route=~"{regex}"' for name, regex in REGEX_VALUES.items() if "\\" not in regex},
    "unknown escape": 'route="\\q"', "backreference escape": 'route=~"(a)\\1"', "single quotes": "route='x'",
    "braces": '{job="api"}', "reserved label": 'le="1"', "newline escape": 'route="a\\nb"',
}


@dataclass(frozen=True)
class Case:
    leaf: Leaf
    label: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.leaf.key}={self.label}"


@cache
def maximal() -> dict[str, Any]:
    document = yaml.safe_load(MAXIMAL.read_text())
    config: dict[str, Any] = document["config"]
    return config


def schema_leaves() -> list[Leaf]:
    return leaves(dict_keys=DICT_KEYS)


def get(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config[f"{PROJECT}:{path[0]}"]
    for part in path[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def with_value(config: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """``config`` (copied) with the leaf at ``path`` set to ``value`` (``None``: removed)."""
    changed = copy.deepcopy(config)
    key = f"{PROJECT}:{path[0]}"
    if len(path) == 1:
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
        return changed
    node = changed[key]
    for part in path[1:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        node.pop(path[-1], None)
    elif isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value
    return changed


def multi_host_base() -> dict[str, Any]:
    config = with_value(with_value(maximal(), ("docker", "host"), None), ("docker", "tlsCertPath"), None)
    config = with_value(config, ("targets", "api", "staticTargets"), [])  # the app hosts are the API's targets
    config = with_value(config, ("targets", "scrapeOverrides"), {})  # each host's containers are scraped there
    for key, value in MULTI_HOST.items():
        config = with_value(config, (key,), copy.deepcopy(value))
    return config


def base_for(leaf: Leaf) -> dict[str, Any]:
    config = multi_host_base() if leaf.path[0] in MULTI_HOST_KEYS else maximal()
    for key, value in ALTERNATIVES.get(leaf.key, {}).items():
        config = with_value(config, tuple(key.split(".")), value)
    return config


def config_for(case: Case) -> dict[str, Any]:
    return with_value(base_for(case.leaf), case.leaf.path, case.value)


def _duration_text(total_ns: int) -> str:
    parts, rest = [], total_ns
    for unit, size in (("y", 365 * 86400 * 10**9), ("w", 7 * 86400 * 10**9), ("d", 86400 * 10**9),
                       ("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _duration_values(kind: DurationKind) -> dict[str, str]:
    values = {"trailing space": "5m ", "units out of order": "30s1m", "a unit twice": "1m1m", "overflow": "293y",
              "a space inside": "5 m"}
    minimum, maximum = nanoseconds(kind.minimum) or 0, nanoseconds(kind.maximum) or 0
    if minimum > 0:
        values["below the minimum"] = _duration_text(minimum - 10**6)
    values["above the maximum"] = _duration_text(maximum + 10**6)
    if kind.whole_seconds:
        values["not whole seconds"] = "1500ms"
    return values


def _number_values(leaf: Leaf) -> dict[str, Any]:
    if leaf.base is float:
        values: dict[str, Any] = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    else:
        values = {"10**30": 10**30}
    bounds = leaf.bounds
    if "ge" in bounds:
        values["below the minimum"] = bounds["ge"] - (1 if leaf.base is int else 0.001)
    if "gt" in bounds:
        values["at the exclusive minimum"] = bounds["gt"]
    if "le" in bounds:
        values["above the maximum"] = bounds["le"] + (1 if leaf.base is int else 0.001)
    return values


def _string_values(leaf: Leaf, valid: str) -> dict[str, str]:
    middle = len(valid) // 2
    values = {"empty": "", "trailing newline": valid + "\n"}
    values.update({name: valid[:middle] + char + valid[middle:] for name, char in CONTROL_CHARACTERS.items()})
    return values


def family_values(leaf: Leaf, valid: Any) -> dict[str, dict[str, Any]]:
    """The hostile values of ``leaf`` by family (``string``, ``url``, ``path``, ``regex``, ``duration``,
    ``number``)."""
    kind = leaf.kind
    if leaf.base in (int, float):
        return {"number": _number_values(leaf)}
    if kind is None:  # a Literal or bool: pydantic's own types
        return {}
    families: dict[str, dict[str, Any]] = {"string": _string_values(leaf, valid)}
    if kind.family == "url" and kind.name == "Docker address":
        families["url"] = dict(DOCKER_HOST_VALUES)
    elif kind.family == "url":
        families["url"] = {**URL_VALUES, **(CREDENTIAL_URL_VALUES if kind.name == "credential URL" else {})}
    elif kind.family == "path":
        families["path"] = {**PATH_VALUES, **(CONTAINER_PATH_VALUES if kind.name == "container path" else {}),
                            **(HOST_DIR_VALUES if kind.name == "host directory" else {}),
                            **(DEVICE_VALUES if kind.name == "device path" else {})}
    elif kind.family == "regex" and kind.name == "label matchers":
        families["regex"] = dict(SELECTOR_VALUES)
    elif kind.family == "regex":
        families["regex"] = dict(REGEX_VALUES)
    elif isinstance(kind, DurationKind):
        families["duration"] = _duration_values(kind)
    return families


def generated_cases() -> dict[str, list[Case]]:
    """Every case by family."""
    by_family: dict[str, list[Case]] = {}
    for leaf in schema_leaves():
        if leaf.base is bool or (leaf.base is None):
            continue
        valid = get(base_for(leaf), leaf.path) if leaf.base is not None else None
        for family, values in family_values(leaf, valid).items():
            by_family.setdefault(family, []).extend(Case(leaf, label, value) for label, value in values.items())
    return by_family


def secrets_of(config: dict[str, Any]) -> dict[str, str]:
    """A value for each secret ``config`` requires (the Grafana admin password long enough), by full key."""
    settings = settings_from_mapping(STACK, config, require_secrets=False)
    return {key if ":" in key else f"{PROJECT}:{key}": fake_secret(key, f"hostile-test-secret-{index}-0123456789")
            for index, key in enumerate(settings.required_secrets())}


def stack_file_text(config: dict[str, Any]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump({"config": config}, Dumper=dumper, allow_unicode=False, sort_keys=False)
