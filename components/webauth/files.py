"""Where the credential's files sit in a live-config directory (Prometheus' and Alertmanager's config volume)."""

WEB_DIR = "web"
"""Below a live-config directory: the files go through the reload job like every other config file."""
WEB_CONFIG_FILE = f"{WEB_DIR}/web.yml"
PASSWORD_FILE = f"{WEB_DIR}/password"
"""Relative to prometheus.yml, which Prometheus resolves against its directory (container and render alike)."""
AUTHORIZATION_FILE = f"{WEB_DIR}/authorization"
