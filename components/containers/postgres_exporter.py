"""postgres_exporter: PostgreSQL's metrics (up, connections, deadlocks, settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from components.containers.model import SECRETS_DIR, Container, Healthcheck, Runtime, ScrapeJob, SecretFile
from components.secret_keys import POSTGRES_EXPORTER_PASSWORD

if TYPE_CHECKING:
    from components.settings import StackSettings

PASSWORD_FILE = f"{SECRETS_DIR}/postgres-exporter-password"
APP_DEV_DATABASE_PASSWORD = "internetid"
"""Development password of the Internet-ID app's own compose database (not a secret: the app's documented
default), used only when a stack sets ``targets.postgres.useAppDevCredentials``."""


def runtime(settings: StackSettings, documents: Mapping[str, str]) -> Runtime:
    db = settings.targets.postgres
    password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key)
    if settings.secret(POSTGRES_EXPORTER_PASSWORD.key) is None and db.use_app_dev_credentials:
        password = SecretFile(POSTGRES_EXPORTER_PASSWORD.key, APP_DEV_DATABASE_PASSWORD)
    return Runtime(
        command=[f"--collector.{name}" for name in settings.postgres_exporter.collectors],
        env={
            "DATA_SOURCE_URI": f"{db.host}:{db.port}/{db.database}?sslmode={db.sslmode}",
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
    runtime=runtime,
)
