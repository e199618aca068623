"""Prometheus job names: the ``job`` label every rule, dashboard and scrape config refers to.

Today's names, so existing queries keep working.  The containers name the job that scrapes them
(``components/containers``); the API, the web probe and the blackbox probes have no container.
"""

API = "internet-id-api"
WEB = "internet-id-web"
PROBES = "blackbox"
POSTGRES = "postgres"
REDIS = "redis"
NODE = "node-exporter"
CADVISOR = "cadvisor"
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
GRAFANA = "grafana"
BLACKBOX_EXPORTER = "blackbox-exporter"
