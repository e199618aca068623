"""Grafana: the dashboards, over the Prometheus and Alertmanager datasources."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import (
    SECRETS_DIR,
    Container,
    Documents,
    Healthcheck,
    LiveConfig,
    Runtime,
    ScrapeJob,
    SecretFile,
)
from components.documents import GRAFANA_DASHBOARDS_DIR, GRAFANA_PROVISIONING_DIR
from components.grafana.layout import (
    LIVE_DIR,
    PROVISIONING_DIR,
    PROVISIONING_RELOAD,
    WEB_PASSWORD_FILE,
    dashboard_folders,
    dashboard_path,
)
from components.secret_keys import GRAFANA_ADMIN_PASSWORD, WEB_AUTH_PASSWORD

if TYPE_CHECKING:
    from components.context import StackContext
    from components.grafana.settings import GrafanaSettings

PASSWORD_FILE = f"{SECRETS_DIR}/grafana-admin-password"
AUTO_MIGRATE_OLD_PANELS = "autoMigrateOldPanels"
"""Grafana's feature toggle that turns Angular graph/singlestat panels into timeseries/stat as they load."""

# The data volume keeps the first admin password; resetting it from the secret file on every
# start makes a changed ``grafanaAdminPassword`` take effect (the container is replaced when
# the uploaded file changes).  A failed reset (first start: no user yet) must not stop Grafana.
START = (
    "grafana cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini "
    f"admin reset-admin-password --password-from-stdin < {PASSWORD_FILE} >/dev/null 2>&1 || true; "
    "exec /run.sh"
)


def provisioned_files(grafana: GrafanaSettings, documents: Documents) -> dict[str, str]:
    """Container path -> document of ``grafana.provisioning: files``: provisioning files and dashboards."""
    if grafana.provisioning != "files":
        return {}
    uploads = {
        f"{PROVISIONING_DIR}/{path.removeprefix(GRAFANA_PROVISIONING_DIR)}": path
        for path in documents
        if path.startswith(GRAFANA_PROVISIONING_DIR)
    }
    folders = dashboard_folders(grafana)
    for path in documents:
        if path.startswith(GRAFANA_DASHBOARDS_DIR):
            uid = path.removeprefix(GRAFANA_DASHBOARDS_DIR).removesuffix(".json")
            uploads[dashboard_path(folders[uid], uid)] = path
    return uploads


def runtime(grafana: GrafanaSettings, context: StackContext, *, root_url: str, web_auth: bool,
            documents: Documents) -> Runtime:
    """``root_url``: where people reach Grafana; ``web_auth``: its datasources log in to Prometheus and
    Alertmanager with the stack's credential."""
    env = {
        "GF_SECURITY_ADMIN_USER": grafana.admin_user,
        "GF_SECURITY_ADMIN_PASSWORD__FILE": PASSWORD_FILE,
        "GF_SERVER_ROOT_URL": f"{root_url}/",
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_AUTH_ANONYMOUS_ENABLED": "false",
        "GF_AUTH_DISABLE_LOGIN_FORM": "false",
        # Grafana 10 refuses legacy and unified alerting together; Prometheus alerts here.
        "GF_ALERTING_ENABLED": "false",
        "GF_UNIFIED_ALERTING_ENABLED": "true",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_SECURITY_DISABLE_GRAVATAR": "true",
        "GF_SECURITY_COOKIE_SECURE": str(grafana.cookies_secure).lower(),
        # The session cookie never rides along a request another site starts (CSRF on the admin session).
        "GF_SECURITY_COOKIE_SAMESITE": "strict",
        # A snapshot published to snapshots.raintank.io would carry the data out of the stack.
        "GF_SNAPSHOTS_EXTERNAL_ENABLED": "false",
    }
    if grafana.migrate_angular_panels:
        env["GF_FEATURE_TOGGLES_ENABLE"] = AUTO_MIGRATE_OLD_PANELS
    live = None
    secrets = {PASSWORD_FILE: SecretFile(GRAFANA_ADMIN_PASSWORD.key)}
    if grafana.provisioning == "files" and web_auth:
        secrets[WEB_PASSWORD_FILE] = SecretFile(WEB_AUTH_PASSWORD.key)
    if grafana.provisioning == "files":
        env["GF_PATHS_PROVISIONING"] = PROVISIONING_DIR
        live = LiveConfig(directory=LIVE_DIR, binary="/run.sh", reload_urls=PROVISIONING_RELOAD,
                          auth=(grafana.admin_user, PASSWORD_FILE), health_path="/api/health", job_user="0")
    return Runtime(
        live_config=live,
        entrypoint=["/bin/sh", "-c", START],
        env=env,
        uploads=provisioned_files(grafana, documents),
        secret_uploads=secrets,
        volumes={"grafana-data": "/var/lib/grafana"},
    )


RECORD = Container(
    name="grafana",
    description="the dashboards, over the Prometheus and Alertmanager datasources",
    image="grafana/grafana:10.2.2",
    port=3000,
    memory_mb=512,
    healthcheck=Healthcheck("/api/health", start_period="60s"),
    published="grafana",
    scrape=ScrapeJob("grafana", "grafana"),
    user="472",
)
