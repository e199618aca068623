"""The ``live`` stack: time-compressed settings pointing every target and receiver at loopback.

Everything goes through ``settings_from_mapping`` (the stack-file form), exactly as a stack
file would: the rendered documents are used as rendered, never edited.  Secrets are given in
the ``{"secure": value}`` form, which ``settings_from_mapping`` turns into ``Secret(key, value)``;
the harness writes each ``secret_files(settings)`` entry into ``notifications.secretsDir``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.config_source import settings_from_mapping
from components.rules.settings import RuleSettings
from components.settings import PROJECT, StackSettings
from tests.live.harness.ports import address

STACK = "live"

# Stand-in secret values: distinctive so a test can prove which one reached a receiver.
SLACK_PATH = "/services/T0LIVE/B0LIVE/live-webhook-token"
PAGERDUTY_ROUTING_KEY = "live-routing-key-main-0000000000000"
PAGERDUTY_DATABASE_ROUTING_KEY = "live-routing-key-dba-11111111111111"
SMTP_USER = "alertmanager@internet-id.test"
SMTP_PASSWORD = "live-smtp-password-2222"
POSTGRES_PASSWORD = "live-postgres-password-3333"

EMAIL_TO = "team@internet-id.test"
EMAIL_FROM = "alerts@internet-id.test"

# Time compression: 1s scrapes and evaluations, short ``for`` and windows, fast routes.
SCRAPE_INTERVAL = "1s"
ROUTE_TIMING_FAST = {"groupWait": "1s", "groupInterval": "2s", "repeatInterval": "1h"}
WATCHDOG_TIMING = {"groupWait": "1s", "groupInterval": "2s", "repeatInterval": "3s"}


@dataclass(frozen=True)
class LivePorts:
    """Loopback ports of every daemon and stand-in of one session."""

    prometheus: int
    alertmanager: int
    blackbox_exporter: int
    node_exporter: int
    postgres_exporter: int
    redis_exporter: int
    postgres: int
    redis: int
    api: int
    web: int
    cadvisor: int
    grafana: int
    slack: int
    pagerduty: int
    smtp: int
    heartbeat: int


def live_config(ports: LivePorts, *, secrets_dir: str, rules: dict[str, Any] | None = None) -> dict[str, Any]:
    """The live stack's config mapping, ``{"internet-id-monitoring:<key>": value}``."""
    loop = "http://127.0.0.1"
    values: dict[str, Any] = {
        "environment": "live",
        "grafana": {"generateAdminPassword": True},  # Grafana is not part of the live run
        "prometheus": {
            "scrapeInterval": SCRAPE_INTERVAL,
            "evaluationInterval": SCRAPE_INTERVAL,
            "scrapeTimeout": SCRAPE_INTERVAL,
            "externalUrl": f"{loop}:{ports.prometheus}",
        },
        "targets": {
            "api": {"discovery": "static", "staticTargets": [address(ports.api)]},
            "webUrl": f"{loop}:{ports.web}/",
            "postgres": {"host": "127.0.0.1", "port": ports.postgres, "database": "internetid",
                         "user": "internetid", "sslmode": "disable"},
            "redisAddress": f"redis://{address(ports.redis)}",
            "probes": [{"url": f"{loop}:{ports.api}/api/health", "service": "api", "module": "http_2xx"}],
            "scrapeOverrides": {
                "postgres": [address(ports.postgres_exporter)],
                "redis": [address(ports.redis_exporter)],
                "node-exporter": [address(ports.node_exporter)],
                "cadvisor": [address(ports.cadvisor)],
                "prometheus": [address(ports.prometheus)],
                "alertmanager": [address(ports.alertmanager)],
                "grafana": [address(ports.grafana)],
                "blackbox-exporter": [address(ports.blackbox_exporter)],
            },
        },
        "notifications": {
            "pagerduty": {"enabled": True, "url": f"{loop}:{ports.pagerduty}/v2/enqueue"},
            "slack": {"enabled": True},
            "email": {
                "enabled": True,
                "to": EMAIL_TO,
                "from": EMAIL_FROM,
                "smarthost": address(ports.smtp),
                "username": SMTP_USER,
                "requireTls": False,
                "hello": "live.internet-id.test",
            },
            "heartbeatUrl": f"{loop}:{ports.heartbeat}/ping/live-heartbeat",
            "secretsDir": secrets_dir,
            "resolveTimeout": "1m",
            "timing": {
                "critical": ROUTE_TIMING_FAST,
                "warning": ROUTE_TIMING_FAST,
                "info": ROUTE_TIMING_FAST,
                "default": ROUTE_TIMING_FAST,
                "watchdog": WATCHDOG_TIMING,
            },
        },
    }
    if rules:
        values["rules"] = rules
    secrets = {
        "slackWebhookUrl": f"{loop}:{ports.slack}{SLACK_PATH}",
        "pagerdutyRoutingKey": PAGERDUTY_ROUTING_KEY,
        "pagerdutyDatabaseRoutingKey": PAGERDUTY_DATABASE_ROUTING_KEY,
        "smtpPassword": SMTP_PASSWORD,
        "postgresExporterPassword": POSTGRES_PASSWORD,
    }
    config: dict[str, Any] = {f"{PROJECT}:{key}": value for key, value in values.items()}
    config.update({f"{PROJECT}:{key}": {"secure": value} for key, value in secrets.items()})
    return config


def live_rules() -> dict[str, Any]:
    """Rule overrides of the time-compressed profile (``for`` durations and the rate window).

    Filled from the rule catalogue's settings once they exist; an empty mapping keeps defaults.
    """
    fields = set(RuleSettings.model_fields)
    rules: dict[str, Any] = {}
    if "rate_window" in fields:
        rules["rateWindow"] = "10s"
    return rules


def live_settings(ports: LivePorts, *, secrets_dir: str) -> StackSettings:
    """Settings of the live stack (secret values included, as ``Secret`` objects)."""
    return settings_from_mapping(STACK, live_config(ports, secrets_dir=secrets_dir, rules=live_rules()))


def postgres_data_source_name(settings: StackSettings) -> str:
    """The exporter's DSN, from the same settings the deployed exporter's environment comes from."""
    pg = settings.targets.postgres
    secret = settings.secret("postgresExporterPassword")
    password = "" if secret is None else str(secret.value)
    return f"postgresql://{pg.user}:{password}@{pg.host}:{pg.port}/{pg.database}?sslmode={pg.sslmode}"
