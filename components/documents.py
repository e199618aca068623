"""Names of the rendered documents (paths relative to a render directory), shared by the renderers,
the containers that receive them and the render command."""

PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
PROMETHEUS_RULES_DIR = "prometheus/rules/"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ALERTMANAGER_TEMPLATES_DIR = "alertmanager/templates/"
ALERTMANAGER_CLUSTER_TLS = "alertmanager/cluster-tls.yml"
"""Multi-host stacks: how the Alertmanager peers gossip over mutual TLS (file paths only)."""
BLACKBOX_CONFIG = "blackbox/blackbox.yml"
GRAFANA_DASHBOARDS_DIR = "grafana/dashboards/"
GRAFANA_PROVISIONING_DIR = "grafana/provisioning/"
