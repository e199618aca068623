"""postgres_exporter: PostgreSQL's metrics (up, connections, deadlocks, settings)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from components.containers.model import SECRETS_DIR, Container, Healthcheck, Runtime, ScrapeJob, SecretFile
from components.containers.web_auth import exporter_web_files
from components.hosts.tls import BUSYBOX_TLS_CLIENTS
from components.secret_keys import POSTGRES_EXPORTER_PASSWORD

if TYPE_CHECKING:
    from components.containers.settings import PostgresExporterSettings
    from components.context import StackContext
    from components.hosts.settings import HostSettings
    from components.prometheus.settings import PostgresTarget

PASSWORD_FILE = f"{SECRETS_DIR}/postgres-exporter-password"
CONFIG_DIR = "/etc/postgres_exporter"
"""Its web config and TLS files in a multi-host stack."""
HEALTH = Healthcheck("/")


def host_in_url(host: str) -> str:
    """``host`` as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host
APP_DEV_DATABASE_PASSWORD = "internetid"
"""Development password of the Internet-ID app's own compose database (not a secret: the app's documented
default), used only when a stack sets ``targets.postgres.useAppDevCredentials``."""


def runtime(exporter: PostgresExporterSettings, context: StackContext, *, database: PostgresTarget,
            password_set: bool, host: HostSettings | None = None) -> Runtime:
    """``database``: what it connects to (``targets.postgres``); ``password_set``: the stack sets the secret
    ``postgresExporterPassword`` (else, with ``useAppDevCredentials``, the app's documented dev password);
    ``host``: the database's host in a multi-host stack (HTTPS with the stack's credential on its address)."""
    db = database
    password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key)
    if not password_set and db.use_app_dev_credentials:
        password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key, APP_DEV_DATABASE_PASSWORD)
    web = exporter_web_files(CONFIG_DIR, host.name) if host else None
    return Runtime(
        command=[f"--collector.{name}" for name in exporter.collectors] + (web.command if web else []),
        env={
            # Validated parts (host name, port, PostgreSQL name, an sslmode of a fixed list), the database name
            # percent-encoded besides: nothing in it can add a parameter (a host, sslmode=disable) to the URL.
            "DATA_SOURCE_URI": f"{host_in_url(db.host)}:{db.port}/{quote(db.database, safe='')}?sslmode={db.sslmode}",
            "DATA_SOURCE_USER": db.user,
            "DATA_SOURCE_PASS_FILE": PASSWORD_FILE,
            **(BUSYBOX_TLS_CLIENTS if host else {}),
        },
        secret_uploads={PASSWORD_FILE: password, **(web.secret_uploads if web else {})},
        health_authorization=web.health_authorization if web else "",
        health_override=replace(HEALTH, tls=True) if host else None,
        publish=((host.address, RECORD.port, RECORD.port),) if host else (),
    )


RECORD = Container(
    name="postgres-exporter",
    description="PostgreSQL's metrics (up, connections, deadlocks, settings)",
    image="prometheuscommunity/postgres-exporter:v0.15.0",
    port=9187,
    memory_mb=128,
    healthcheck=HEALTH,
    app_network="reaches the database by its name there",
    app_only=True,
    scrape=ScrapeJob("postgres", "database"),
)
