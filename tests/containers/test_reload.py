"""Config changes reload in place: under Pulumi's mocks, a changed document leaves every monitoring
container's inputs as they were (only its reload job changes), and an image change still replaces only
its own container."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components import render
from components.blackbox import modules
from components.containers.component import ReloadRefused, confirmed_reload
from tests.pulumi_harness import run_program, stack_config
from tests.secrets_for_tests import required_test_secrets
from tests.test_program import all_containers

NS = "internet-id-monitoring"
JOBS = {"prometheus-reload", "alertmanager-reload", "blackbox-exporter-reload", "grafana-reload"}
"""Grafana's only where it provisions from files (dev): a threshold changes the dashboard's text."""


def inputs_of(stack: str, config: dict[str, Any], secrets: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The wire inputs of every container resource (reload jobs included)."""
    return all_containers(run_program(stack, config, secrets))


def with_key(config: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed[f"{NS}:{key}"] = {**changed.get(f"{NS}:{key}", {}), **value}
    return changed


CHANGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "a rule threshold": lambda c: with_key(c, "rules", {"overrides": {"HighErrorRate": {"threshold": 0.02}}}),
    "a route's timing": lambda c: with_key(c, "notifications", {"timing": {"critical": {"groupWait": "15s"}}}),
    "a scrape target": lambda c: with_key(c, "targets", {"scrapeOverrides": {"node-exporter": ["node1:9100"]}}),
}


def changed_containers(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> set[str]:
    assert set(before) == set(after)
    return {name for name in before if before[name] != after[name]}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_document_change_touches_only_reload_jobs(stack: str, change: str) -> None:
    config, secrets = stack_config(stack), required_test_secrets(stack)
    changed = changed_containers(inputs_of(stack, config, secrets), inputs_of(stack, CHANGES[change](config), secrets))
    assert changed and changed <= JOBS, changed


def test_a_template_change_touches_only_alertmanagers_reload_job(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config, secrets = stack_config(stack), required_test_secrets(stack)
    before = inputs_of(stack, config, secrets)
    original = getattr(render, "template_files")  # noqa: B009 (the name render.py looks up)
    monkeypatch.setattr(render, "template_files",
                        lambda: {name: text + "{{/* changed */}}\n" for name, text in original().items()})
    assert changed_containers(before, inputs_of(stack, config, secrets)) == {"alertmanager-reload"}


def test_a_probe_module_change_touches_only_the_blackbox_reload_job(monkeypatch: pytest.MonkeyPatch) -> None:
    config = stack_config("dev")
    before = inputs_of("dev", config, {})
    monkeypatch.setitem(modules.MODULES, "http_2xx", {**modules.MODULES["http_2xx"], "timeout": "9s"})
    assert changed_containers(before, inputs_of("dev", config, {})) == {"blackbox-exporter-reload"}


def test_a_secret_file_change_touches_only_alertmanagers_reload_job() -> None:
    config, secrets = stack_config("staging"), required_test_secrets("staging")
    rotated = {**secrets, f"{NS}:smtpPassword": "ROTATED-SMTP-PASSWORD"}
    assert changed_containers(inputs_of("staging", config, secrets),
                              inputs_of("staging", config, rotated)) == {"alertmanager-reload"}


def test_an_image_change_replaces_only_its_container_and_its_reload_job(stack: str) -> None:
    config, secrets = stack_config(stack), required_test_secrets(stack)
    newer = with_key(config, "images", {"prometheus": "prom/prometheus:v2.48.1"})
    changed = changed_containers(inputs_of(stack, config, secrets), inputs_of(stack, newer, secrets))
    assert changed == {"prometheus", "prometheus-reload"}


def test_a_refused_reload_names_the_verdict_and_the_checkers_error() -> None:
    logs = ("prometheus: refused by promtool; the running config is kept:\n"
            "Checking prometheus.yml\n  SUCCESS: 7 rule files found\n"
            "Checking rules/api.yml\n  SUCCESS: 20 rules found\n"
            "Checking rules/meta.yml\n  FAILED:\n  rules/meta.yml: 6:11: \"Watchdog\": could not parse expression\n")
    with pytest.raises(ReloadRefused) as caught:
        confirmed_reload("prometheus", 1, logs)
    assert str(caught.value) == (
        "prometheus: the new config was not loaded (reload job exit status 1): refused by promtool; the running "
        'config is kept:; Checking prometheus.yml; Checking rules/api.yml; Checking rules/meta.yml; FAILED:; '
        'rules/meta.yml: 6:11: "Watchdog": could not parse expression')
    loaded = "prometheus: installed 8 file(s), sent SIGHUP\nprometheus: loaded (after 1s)\n"
    assert confirmed_reload("prometheus", 0, loaded) == "prometheus: loaded (after 1s)"
