"""prometheus.yml as rendered for each committed stack: job names, service labels, the API and web jobs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config_source import settings_from_mapping, settings_from_stack_file
from components.prometheus.config import render_prometheus_config
from components.prometheus.settings import PrometheusSettings, ScrapeLimits, TargetSettings
from components.render import prometheus_config
from components.settings import SettingsError
from tests.contexts import stack_context

NS = "internet-id-monitoring"


def prometheus_yml(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(prometheus_config(settings_from_stack_file(stack)))
    return document


def test_prometheus_config_keeps_job_names_and_service_labels(stack: str) -> None:
    config = prometheus_yml(stack)
    services: dict[str, set[str]] = {}
    for job in config["scrape_configs"]:
        found = [c["labels"].get("service") for c in job.get("static_configs", [])]
        found += [r["replacement"] for r in job.get("relabel_configs", []) if r.get("target_label") == "service"]
        services[job["job_name"]] = {label for label in found if label}
    expected = {
        "internet-id-api": {"api"},
        "internet-id-web": {"web"},
        "postgres": {"database"},
        "redis": {"cache"},
        "node-exporter": {"system"},
        "cadvisor": {"containers"},
        "prometheus": {"prometheus"},
        "alertmanager": {"alertmanager"},
        "grafana": {"grafana"},
        "blackbox": {"api", "blockchain"},  # /api/health, and its body judged for the blockchain RPC
    }
    for job, labels in expected.items():
        assert services[job] == labels, job
    global_ = config["global"]
    assert global_["scrape_interval"] == global_["evaluation_interval"] == "15s"
    assert set(global_["external_labels"]) == {"cluster", "environment"}


def test_api_job_discovers_each_replica_and_keeps_every_series(stack: str) -> None:
    config = prometheus_yml(stack)
    api = next(job for job in config["scrape_configs"] if job["job_name"] == "internet-id-api")
    assert api["metrics_path"] == "/api/metrics"
    assert api["dns_sd_configs"] == [{"names": ["api"], "type": "A", "port": 3001}]
    assert "metric_relabel_configs" not in api


def test_web_app_is_probed_not_scraped(stack: str) -> None:
    config = prometheus_yml(stack)
    web = next(job for job in config["scrape_configs"] if job["job_name"] == "internet-id-web")
    assert web["metrics_path"] == "/probe"
    assert web["static_configs"][0]["labels"]["__param_module"] == "http_2xx"


LIMITS = {"sample_limit": 20000, "label_limit": 30, "label_value_length_limit": 512, "body_size_limit": "10MB"}


def test_scrapes_of_what_the_monitoring_does_not_control_are_limited(stack: str) -> None:
    """The API (a compromised app could serve a label-count bomb there) is limited; our own exporters are not."""
    jobs = {job["job_name"]: job for job in prometheus_yml(stack)["scrape_configs"]}
    assert {key: jobs["internet-id-api"][key] for key in LIMITS} == LIMITS
    unlimited = [name for name, job in jobs.items() if not set(LIMITS) & set(job)]
    assert sorted(unlimited) == ["alertmanager", "blackbox", "blackbox-exporter", "cadvisor", "grafana",
                                 "internet-id-web", "node-exporter", "postgres", "prometheus", "redis"]


def test_scrape_limits_are_settings_and_reach_re_pointed_jobs_too() -> None:
    prometheus = PrometheusSettings(scrape_limits=ScrapeLimits(sample_limit=5000, body_size_limit="2MB"))
    targets = TargetSettings(scrape_overrides={"postgres": ["db-exporter.internal:9187"]})
    rendered = yaml.safe_load(render_prometheus_config(prometheus, targets, stack_context(), web_auth_user="iidmon"))
    jobs = {job["job_name"]: job for job in rendered["scrape_configs"]}
    expected = {**LIMITS, "sample_limit": 5000, "body_size_limit": "2MB"}
    for name in ("internet-id-api", "postgres"):
        assert {key: jobs[name][key] for key in LIMITS} == expected, name
    assert "sample_limit" not in jobs["redis"]
    with pytest.raises(SettingsError, match=r"prometheus\.scrapeLimits\.bodySizeLimit: '10 MiB' is not a size"):
        settings_from_mapping("dev", {f"{NS}:prometheus": {"scrapeLimits": {"bodySizeLimit": "10 MiB"}}},
                              require_secrets=False)
