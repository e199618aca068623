"""prometheus.yml rendered from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from components import yamltext
from components.blackbox.modules import API_HEALTH_BLOCKCHAIN, HTTP_2XX, HTTPS_2XX
from components.containers import vmauth
from components.hosts.placement import containers_of
from components.hosts.tls import client_tls
from components.prometheus.scrape_jobs import (
    ALERTMANAGER,
    API_JOB,
    BLACKBOX_EXPORTER,
    JOBS,
    PROBE_JOB,
    VICTORIA_METRICS,
    WEB_JOB,
    ContainerJob,
    address,
    job_targets,
    limited_jobs,
)
from components.webauth.config import basic_auth
from components.webauth.files import PASSWORD_FILE, WEB_DIR

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings
    from components.prometheus.settings import PrometheusSettings, ScrapeLimits, TargetSettings

RULES_GLOB = "rules/*.yml"
"""Relative to prometheus.yml, so it resolves in the container and in a render directory alike."""
HEALTH_PATH = "/api/health"


def render_prometheus_config(prometheus: PrometheusSettings, targets: TargetSettings, context: StackContext, *,
                             web_auth_user: str | None) -> str:
    """prometheus.yml.  ``web_auth_user``: the user of the stack's credential, which Prometheus' own clients send
    to the servers that require it (``webAuth``; None when they require none)."""
    document = {
        "global": {
            "scrape_interval": prometheus.scrape_interval,
            "scrape_timeout": prometheus.scrape_timeout,
            "evaluation_interval": prometheus.evaluation_interval,
            "external_labels": {"cluster": context.cluster, "environment": context.environment},
        },
        "alerting": {"alertmanagers": [{
            **_credentials(web_auth_user, ALERTMANAGER.job.web_auth),
            "static_configs": [{"targets": [address(targets, context, ALERTMANAGER)]}],
        }]},
        "rule_files": [RULES_GLOB],
        "scrape_configs": scrape_configs(prometheus, targets, context, web_auth_user=web_auth_user),
    }
    return yamltext.dump(document, header=f"{context.rendered_by}.")


def scrape_configs(prometheus: PrometheusSettings, targets: TargetSettings, context: StackContext, *,
                   web_auth_user: str | None) -> list[dict[str, Any]]:
    """Every job: the API, the web probe, the exporters and services, the blackbox probes."""
    configs = [_api_job(targets, context), _web_job(targets, context)]
    for job in JOBS:
        configs.append(
            {
                "job_name": job.name,
                "metrics_path": job.job.metrics_path,
                **_credentials(web_auth_user, job.job.web_auth),
                "static_configs": [{
                    "targets": job_targets(targets, context, job),
                    "labels": {"service": job.job.service, "environment": context.environment},
                }],
            }
        )
    probes: dict[tuple[str, str], list[str]] = {}
    for module, service, url in probe_targets(targets):
        probes.setdefault((module, service), []).append(url)
    configs.append(
        _probe_job(
            targets,
            context,
            PROBE_JOB,
            [{"module": module, "service": service, "urls": urls} for (module, service), urls in probes.items()],
        )
    )
    limited = limited_jobs(targets)
    return [_with_limits(prometheus.scrape_limits, job) if job["job_name"] in limited else job for job in configs]


def _with_limits(limits: ScrapeLimits, job: dict[str, Any]) -> dict[str, Any]:
    """The job with ``prometheus.scrapeLimits`` after its name and path (where a reader looks first)."""
    head = {key: job[key] for key in ("job_name", "metrics_path")}
    return {**head, "sample_limit": limits.sample_limit, "label_limit": limits.label_limit,
            "label_value_length_limit": limits.label_value_length_limit,
            "body_size_limit": limits.body_size_limit, **job}


def _credentials(web_auth_user: str | None, needed: bool) -> dict[str, Any]:
    """``basic_auth`` for a server of the stack that requires the stack's credentials (``webAuth``)."""
    if not (needed and web_auth_user is not None):
        return {}
    return {"basic_auth": basic_auth(web_auth_user, PASSWORD_FILE)}


def public_probes(targets: TargetSettings) -> list[tuple[str, str, str]]:
    """``(module, service, url)`` of the public site's page and ``/api/health`` (``targets.publicUrl``), over the proxy
    users go through: ``https_2xx`` for an https address, so the certificate users see is measured."""
    if targets.public_url is None:
        return []
    module = HTTPS_2XX if targets.public_url.startswith("https://") else HTTP_2XX
    return [(module, "web", targets.public_url), (module, "api", urljoin(targets.public_url, HEALTH_PATH.lstrip("/")))]


def probe_targets(targets: TargetSettings) -> list[tuple[str, str, str]]:
    """``(module, service, url)`` of every blackbox probe: ``targets.probes`` in order, then the public site's
    (``public_probes``) unless listed already, and for each probe of the API's ``/api/health`` (service ``api``) a
    second probe of the same URL with module ``api_health_blockchain`` and service ``blockchain`` (unless listed
    already): that response is the only current word on the API's blockchain RPC (BlockchainRPCDown).
    """
    listed = [(p.module, p.service, p.url) for p in targets.probes]
    urls = {url for _, _, url in listed}
    listed += [probe for probe in public_probes(targets) if probe[2] not in urls]
    judged = {url for module, _, url in listed if module == API_HEALTH_BLOCKCHAIN}
    extra = []
    for module, service, url in listed:
        health = service == "api" and module != API_HEALTH_BLOCKCHAIN and url.rstrip("/").endswith(HEALTH_PATH)
        if health and url not in judged:
            judged.add(url)
            extra.append((API_HEALTH_BLOCKCHAIN, "blockchain", url))
    return listed + extra


def _api_job(targets: TargetSettings, context: StackContext) -> dict[str, Any]:
    """Each API replica is its own target, and every series it exposes is kept."""
    api = targets.api
    labels = {"service": "api", "environment": context.environment}
    job: dict[str, Any] = {"job_name": API_JOB, "metrics_path": "/api/metrics"}
    override = targets.scrape_overrides.get(API_JOB)
    if override:
        job["static_configs"] = [{"targets": override, "labels": labels}]
    elif api.discovery == "static":
        job["static_configs"] = [{"targets": list(api.static_targets), "labels": labels}]
    else:
        job["dns_sd_configs"] = [{"names": list(api.dns_names), "type": "A", "port": api.port}]
        job["relabel_configs"] = [
            {"target_label": name, "replacement": value} for name, value in labels.items()
        ]
    return job


def _web_job(targets: TargetSettings, context: StackContext) -> dict[str, Any]:
    """The Next.js app exposes no Prometheus metrics: probe its page instead of scraping JSON."""
    return _probe_job(targets, context, WEB_JOB, [{"module": HTTP_2XX, "service": "web", "urls": [targets.web_url]}])


def _probe_job(targets: TargetSettings, context: StackContext, name: str,
               groups: list[dict[str, Any]]) -> dict[str, Any]:
    """A blackbox job: the target URL becomes ``instance``, the module a ``module`` label (one URL
    may be probed with several modules), the exporter does the request."""
    return {
        "job_name": name,
        "metrics_path": "/probe",
        "static_configs": [
            {
                "targets": group["urls"],
                "labels": {
                    "service": group["service"],
                    "environment": context.environment,
                    **({HOST_LABEL: group["host"]} if group.get("host") else {}),
                    "__param_module": group["module"],
                },
            }
            for group in groups
        ],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"source_labels": ["__param_module"], "target_label": "module"},
            {"target_label": "__address__", "replacement": address(targets, context, BLACKBOX_EXPORTER)},
        ],
    }


# ---------------------------------------------------------------------------------------------------- multi-host

REPLICA_LABEL = "replica"
"""The one external label the two Prometheus replicas differ in; dropped from alerts and remote writes."""
DROP_REPLICA = [{"action": "labeldrop", "regex": REPLICA_LABEL}]
HOST_LABEL = "host"
"""Every target on a host of a multi-host stack carries its host's name (HostDown and its inhibition read it)."""
READER_PATHS = {"grafana": "/grafana/metrics"}
"""Jobs scraped through vmauth on Grafana's host (Grafana itself is published on loopback only)."""


def render_replica_config(prometheus: PrometheusSettings, targets: TargetSettings, context: StackContext, *,
                          replica: str, web_auth_user: str) -> str:
    """prometheus.yml of the replica on host ``replica`` of a multi-host stack: the same document on every replica
    but for its ``replica`` external label, sending to every Alertmanager peer and remote-writing to every store."""
    client = {"basic_auth": basic_auth(web_auth_user, PASSWORD_FILE), "tls_config": client_tls(WEB_DIR)}
    document = {
        "global": {
            "scrape_interval": prometheus.scrape_interval,
            "scrape_timeout": prometheus.scrape_timeout,
            "evaluation_interval": prometheus.evaluation_interval,
            "external_labels": {"cluster": context.cluster, "environment": context.environment,
                                REPLICA_LABEL: replica},
        },
        "alerting": {
            "alert_relabel_configs": DROP_REPLICA,
            "alertmanagers": [{
                "scheme": "https", **client,
                "static_configs": [{"targets": [f"{h.address}:{ALERTMANAGER.port}"
                                                for h in context.with_role("alertmanager")]}],
            }],
        },
        "rule_files": [RULES_GLOB],
        "remote_write": [
            {"name": store.name, "url": f"https://{store.address}:{VICTORIA_METRICS.port}/api/v1/write", **client,
             "write_relabel_configs": DROP_REPLICA}
            for store in context.with_role("store")
        ],
        "scrape_configs": replica_scrape_configs(prometheus, targets, context, web_auth_user=web_auth_user),
    }
    return yamltext.dump(document, header=f"{context.rendered_by}: one Prometheus replica (label {REPLICA_LABEL}).")


def replica_scrape_configs(prometheus: PrometheusSettings, targets: TargetSettings, context: StackContext, *,
                           web_auth_user: str) -> list[dict[str, Any]]:
    """The jobs of a multi-host stack: every target at its host's address with its host's name, but the blackbox
    exporter, which each replica reaches on its own host by name."""
    app_hosts = context.with_role("app")
    configs = [_replica_api_job(targets, context, app_hosts), _web_job_on_hosts(targets, context, app_hosts)]
    for job in (*JOBS, VICTORIA_METRICS):
        configs.append(_replica_job(job, context, web_auth_user))
    probes: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for module, service, url in probe_targets(targets):
        probes.setdefault((module, service), []).extend(on_app_hosts(url, targets, app_hosts))
    configs.append(_probe_job(targets, context, PROBE_JOB, [
        {"module": module, "service": service, "urls": [url for url, host in urls if host == where], "host": where}
        for (module, service), urls in probes.items() for where in dict.fromkeys(host for _, host in urls)]))
    limited = limited_jobs(targets)
    return [_with_limits(prometheus.scrape_limits, job) if job["job_name"] in limited else job for job in configs]


def on_app_hosts(url: str, targets: TargetSettings,
                 app_hosts: tuple[HostSettings, ...]) -> list[tuple[str, str | None]]:
    """``(url, host)`` for each app host when ``url`` names the app by its service name on the app's network (``api``,
    ``web``): the same path at each host's address; any other URL as it is, without a host."""
    parsed = urlsplit(url)
    names = {*targets.api.dns_names, urlsplit(targets.web_url).hostname, "api", "web"}
    if parsed.hostname not in names:
        return [(url, None)]
    port = f":{parsed.port}" if parsed.port else ""
    return [(urlunsplit(parsed._replace(netloc=f"{host.address}{port}")), host.name) for host in app_hosts]


def _replica_api_job(targets: TargetSettings, context: StackContext,
                     app_hosts: tuple[HostSettings, ...]) -> dict[str, Any]:
    """One API replica per app host, at its address."""
    labels = {"service": "api", "environment": context.environment}
    override = targets.scrape_overrides.get(API_JOB)
    static = ([{"targets": override, "labels": labels}] if override else
              [{"targets": [f"{host.address}:{targets.api.port}"], "labels": {**labels, HOST_LABEL: host.name}}
               for host in app_hosts])
    return {"job_name": API_JOB, "metrics_path": "/api/metrics", "static_configs": static}


def _web_job_on_hosts(targets: TargetSettings, context: StackContext,
                      app_hosts: tuple[HostSettings, ...]) -> dict[str, Any]:
    urls = on_app_hosts(targets.web_url, targets, app_hosts)
    return _probe_job(targets, context, WEB_JOB, [{"module": HTTP_2XX, "service": "web", "urls": [url], "host": host}
                                                  for url, host in urls])


def _replica_job(job: ContainerJob, context: StackContext, web_auth_user: str) -> dict[str, Any]:
    """A container's job across hosts: each host running it, reached as its record says (``ScrapeJob.reach``)."""
    labels = {"service": job.job.service, "environment": context.environment}
    reach = job.job.reach
    if reach == "local":
        return {"job_name": job.name, "metrics_path": job.job.metrics_path,
                "static_configs": [{"targets": [f"{context.container_name(job.container)}:{job.port}"],
                                    "labels": labels}]}
    config: dict[str, Any] = {"job_name": job.name, "metrics_path": READER_PATHS.get(job.name, job.job.metrics_path)}
    if reach != "http":
        config["scheme"] = "https"
    if reach == "https":
        config["basic_auth"] = basic_auth(web_auth_user, PASSWORD_FILE)
    if reach in ("https", "mutual-tls"):
        config["tls_config"] = client_tls(WEB_DIR, identify=reach == "mutual-tls")
    port = vmauth.READ_PORT if job.name in READER_PATHS else job.port
    placed = "vmauth" if job.name in READER_PATHS else job.container
    config["static_configs"] = [{"targets": [f"{host.address}:{port}"], "labels": {**labels, HOST_LABEL: host.name}}
                                for host in context.hosts if placed in containers_of(host)]
    return config
