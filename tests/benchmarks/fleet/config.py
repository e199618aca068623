"""The benchmark's prometheus.yml: the stack's rendered one, its per-host jobs spread over a simulated fleet.

Derived from the document ``render_documents`` writes (never written by hand), so the global timings, external
labels, rule files and the jobs' own settings (limits, paths, labels) are the stack's:

- node-exporter and cadvisor get one target per simulated host, each with the host's name in ``host`` (as a
  multi-host stack labels every target) and ``instance`` (``<host>:<port of the exporter>``), and asks the
  stand-in for that host (``__param_host``);
- prometheus scrapes itself (its own metrics are half of what the benchmark reads), without the web credential:
  the benchmark's Prometheus listens on loopback without ``--web.config.file``;
- the jobs of the app and of the single-host containers are left out (they do not grow with the fleet), and so
  is ``alerting`` (no Alertmanager runs: rules are evaluated, notifications are not sent);
- ``remote_write`` sends everything to the store under test, as a multi-host stack's replicas do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from components import yamltext
from components.containers import cadvisor, node_exporter, prometheus
from components.prometheus.scrape_jobs import JOBS

HOST_LABEL = "host"
BY_CONTAINER = {job.container: job for job in JOBS}
PER_HOST = (BY_CONTAINER[node_exporter.RECORD.name], BY_CONTAINER[cadvisor.RECORD.name])
FLEET_JOBS = tuple(job.name for job in PER_HOST)
"""Jobs with one target per host, hence the ones that grow with the fleet."""
SELF_JOB = BY_CONTAINER[prometheus.RECORD.name].name
STORE = "store"
"""``remote_name`` of the store's queue."""


def fleet_config(rendered: str, *, hosts: Sequence[str], standins: Mapping[str, str], itself: str,
                 store_write_url: str) -> str:
    """``standins``: job -> the stand-in's address for that exporter; ``itself``: the address of the Prometheus
    that loads this document."""
    document = yaml.safe_load(rendered)
    jobs = {job["job_name"]: job for job in document["scrape_configs"]}
    scrape_configs = []
    for per_host in PER_HOST:
        job = dict(jobs[per_host.name])
        labels = job["static_configs"][0].get("labels", {})
        job["static_configs"] = [
            {"targets": [standins[per_host.name]],
             "labels": {**labels, HOST_LABEL: host, "instance": f"{host}:{per_host.port}", "__param_host": host}}
            for host in hosts]
        scrape_configs.append(job)
    own = {key: value for key, value in jobs[SELF_JOB].items() if key != "basic_auth"}
    own["static_configs"] = [{"targets": [itself], "labels": jobs[SELF_JOB]["static_configs"][0].get("labels", {})}]
    scrape_configs.append(own)
    return yamltext.dump({
        "global": document["global"],
        "rule_files": document["rule_files"],
        "remote_write": [{"name": STORE, "url": store_write_url}],
        "scrape_configs": scrape_configs,
    }, header=f"Fleet benchmark: the rendered prometheus.yml over {len(hosts)} simulated hosts.")
