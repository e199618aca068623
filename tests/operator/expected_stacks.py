"""What a running stack of the committed settings shows, written down by hand (never computed by
``expected_for``, which ``verify`` compares against)."""

from __future__ import annotations

from components.operator.expected import Expected

JOBS = ("internet-id-api", "internet-id-web", "postgres", "redis", "node-exporter", "cadvisor", "prometheus",
        "alertmanager", "grafana", "blackbox-exporter", "blackbox")
"""Every scrape job of the committed stacks, in prometheus.yml's order."""
RULE_GROUPS = ("internet-id-api", "internet-id-database", "internet-id-cache", "internet-id-host",
               "internet-id-containers", "internet-id-probes", "internet-id-meta", "internet-id-slo",
               "internet-id-slo-budget")
RECEIVERS = ("pagerduty-critical", "pagerduty-database", "slack-critical", "slack-warnings", "email-info",
             "watchdog", "default")
DASHBOARDS = ("internet-id-overview", "community-1860", "community-9628", "community-11835", "community-179")

COMMITTED = Expected(jobs=JOBS, rule_groups=RULE_GROUPS, receivers=RECEIVERS, datasource_uid="prometheus",
                     dashboards=DASHBOARDS, optional_dashboards=(), api_probe=True)
"""The same for dev, staging and prod (they differ in receivers' channels and timings, not in these)."""
