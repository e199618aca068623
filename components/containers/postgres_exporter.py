"""postgres_exporter: PostgreSQL's metrics (up, connections, deadlocks, settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from components.containers.model import SECRETS_DIR, Container, Healthcheck, Runtime, ScrapeJob, SecretFile
from components.secret_keys import POSTGRES_EXPORTER_PASSWORD

if TYPE_CHECKING:
    from components.containers.settings import PostgresExporterSettings
    from components.context import StackContext
    from components.prometheus.settings import PostgresTarget

PASSWORD_FILE = f"{SECRETS_DIR}/postgres-exporter-password"


def host_in_url(host: str) -> str:
    """``host`` as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host
APP_DEV_DATABASE_PASSWORD = "internetid"
"""Development password of the Internet-ID app's own compose database (not a secret: the app's documented
default), used only when a stack sets ``targets.postgres.useAppDevCredentials``."""


def runtime(exporter: PostgresExporterSettings, context: StackContext, *, database: PostgresTarget,
            password_set: bool) -> Runtime:
    """``database``: what it connects to (``targets.postgres``); ``password_set``: the stack sets the secret
    ``postgresExporterPassword`` (else, with ``useAppDevCredentials``, the app's documented dev password)."""
    db = database
    password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key)
    if not password_set and db.use_app_dev_credentials:
        password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key, APP_DEV_DATABASE_PASSWORD)
    return Runtime(
        command=[f"--collector.{name}" for name in exporter.collectors],
        env={
            # Validated parts (host name, port, PostgreSQL name, an sslmode of a fixed list), the database name
            # percent-encoded besides: nothing in it can add a parameter (a host, sslmode=disable) to the URL.
            "DATA_SOURCE_URI": f"{host_in_url(db.host)}:{db.port}/{quote(db.database, safe='')}?sslmode={db.sslmode}",
            "DATA_SOURCE_USER": db.user,
            "DATA_SOURCE_PASS_FILE": PASSWORD_FILE,
        },
        secret_uploads={PASSWORD_FILE: password},
    )


RECORD = Container(
    name="postgres-exporter",
    description="PostgreSQL's metrics (up, connections, deadlocks, settings)",
    image="prometheuscommunity/postgres-exporter:v0.15.0",
    port=9187,
    memory_mb=128,
    healthcheck=Healthcheck("/"),
    app_network="reaches the database by its name there",
    app_only=True,
    scrape=ScrapeJob("postgres", "database"),
)
