"""Which probes the blackbox job holds: every /api/health probe is also judged for the blockchain."""

from __future__ import annotations

from typing import Any

import yaml

from components.blackbox.modules import BLOCKCHAIN_UNHEALTHY, MODULES
from components.prometheus.config import probe_targets, scrape_configs
from components.prometheus.settings import PrometheusSettings, TargetSettings
from tests.contexts import stack_context


def _settings(probes: list[dict[str, Any]] | None = None) -> TargetSettings:
    return TargetSettings.model_validate({} if probes is None else {"probes": probes})


def test_default_probes_judge_the_api_health_twice() -> None:
    assert probe_targets(_settings()) == [
        ("http_2xx", "api", "http://api:3001/api/health"),
        ("api_health_blockchain", "blockchain", "http://api:3001/api/health"),
    ]


def test_every_api_health_probe_gets_its_blockchain_probe_once() -> None:
    settings = _settings([
        {"url": "http://api:3001/api/health", "service": "api"},
        {"url": "https://internet-id.example.com/api/health", "service": "api", "module": "https_2xx"},
        {"url": "https://internet-id.example.com/", "service": "web", "module": "https_2xx"},
        {"url": "http://api:3001/api/health", "service": "blockchain", "module": "api_health_blockchain"},
    ])
    blockchain = [t for t in probe_targets(settings) if t[0] == "api_health_blockchain"]
    assert blockchain == [
        ("api_health_blockchain", "blockchain", "http://api:3001/api/health"),
        ("api_health_blockchain", "blockchain", "https://internet-id.example.com/api/health"),
    ]


def test_probe_series_carry_their_module() -> None:
    job = next(c for c in scrape_configs(PrometheusSettings(), _settings(), stack_context(), web_auth_user=None)
               if c["job_name"] == "blackbox")
    assert {"source_labels": ["__param_module"], "target_label": "module"} in job["relabel_configs"]
    modules = {group["labels"]["__param_module"]: group["labels"]["service"] for group in job["static_configs"]}
    assert modules == {"http_2xx": "api", "api_health_blockchain": "blockchain"}


def test_blockchain_module_accepts_both_verdicts_and_reads_the_body() -> None:
    http = MODULES["api_health_blockchain"]["http"]
    assert http["valid_status_codes"] == [200, 503]
    assert http["fail_if_body_matches_regexp"] == [BLOCKCHAIN_UNHEALTHY]
    assert MODULES["http_2xx"]["http"]["valid_status_codes"] == [200]
    assert yaml.safe_load(yaml.safe_dump(MODULES)) == MODULES


def test_the_public_url_probes_the_site_and_its_api_health_over_its_scheme() -> None:
    """An https public address is probed with https_2xx (its certificate measured), its /api/health judged for the
    blockchain like every other; a URL targets.probes lists already keeps its entry."""
    public = TargetSettings.model_validate({"publicUrl": "https://internet-id.example.com/"})
    assert probe_targets(public) == [
        ("http_2xx", "api", "http://api:3001/api/health"),
        ("https_2xx", "web", "https://internet-id.example.com/"),
        ("https_2xx", "api", "https://internet-id.example.com/api/health"),
        ("api_health_blockchain", "blockchain", "http://api:3001/api/health"),
        ("api_health_blockchain", "blockchain", "https://internet-id.example.com/api/health"),
    ]
    plain = TargetSettings.model_validate({"publicUrl": "http://iid.internal/app/", "probes": [
        {"url": "http://iid.internal/app/", "service": "landing"}]})
    assert probe_targets(plain) == [
        ("http_2xx", "landing", "http://iid.internal/app/"),
        ("http_2xx", "api", "http://iid.internal/app/api/health"),
        ("api_health_blockchain", "blockchain", "http://iid.internal/app/api/health"),
    ]
    assert TargetSettings().public_url is None and len(probe_targets(TargetSettings())) == 2
