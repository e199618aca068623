"""The ``live`` stack: time-compressed settings pointing every target and receiver at loopback.

Everything goes through ``settings_from_mapping`` (the stack-file form), exactly as a stack
file would: the rendered documents are used as rendered, never edited.  Secrets are given in
the ``{"secure": value}`` form, which ``settings_from_mapping`` turns into ``Secret(key, value)``;
the harness writes each ``render.credential_secrets(settings)`` entry into ``notifications.secretsDir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.config_source import settings_from_mapping
from components.settings import PROJECT, StackSettings
from components.slo.settings import DEFAULT_SLO_ALERTING
from tests.live.harness.ports import address

STACK = "live"

# Stand-in secret values: distinctive so a test can prove which one reached a receiver.
SLACK_PATH = "/services/T0LIVE/B0LIVE/live-webhook-token"
PAGERDUTY_ROUTING_KEY = "live-routing-key-main-0000000000000"
PAGERDUTY_DATABASE_ROUTING_KEY = "live-routing-key-dba-11111111111111"
SLACK_BOT_TOKEN = "live-bot-token-0000-1111"
SMTP_USER = "alertmanager@internet-id.test"
SMTP_PASSWORD = "live-smtp-password-2222"
POSTGRES_PASSWORD = "live-postgres-password-3333"

EMAIL_TO = "team@internet-id.test"
EMAIL_FROM = "alerts@internet-id.test"

# Time compression: 2s scrapes, 1s evaluations, short ``for`` and windows, fast routes.
SCRAPE_INTERVAL = "2s"
"""Not 1s: with PostgreSQL down, postgres_exporter (0.11 at least) answers after ~1.0s, so a 1s scrape timeout
loses ``pg_up 0`` (the scrape fails instead) and DatabaseDown could never fire."""
EVALUATION_INTERVAL = "1s"
RATE_INTERVAL = "12s"
FOR_SCALE = 0.02
RESTART_WINDOW = "40s"
"""Twenty 2s scrapes (the shipped 1h holds 240 15s ones): ContainerRestarting's three restarts in place fit, and
they have left it by the next scenario."""
FLAP_WINDOW = "40s"
"""Twenty 2s scrapes (the shipped 10m holds forty 15s ones): room for the flapping alerts' five changes
of a target that flaps every few scrapes, and short enough that the down-and-up of one scenario is out of
the window before the next one (``settle``) begins."""
FOR_GRACE_PERIOD = "1s"
"""The shipped 1m scaled (1.2s), in whole seconds: every scaled ``for`` of the catalogue but the 1m ones keeps
its progress across a Prometheus restart, as every one of 1m or more does in production."""
ROUTE_TIMING_FAST = {"groupWait": "1s", "groupInterval": "2s", "repeatInterval": "1h"}
WATCHDOG_TIMING = {"groupWait": "1s", "groupInterval": "2s", "repeatInterval": "3s"}
ROUTES = ("critical", "warning", "info", "default", "watchdog")
SLO_WINDOWS = {"page": [("20s", "10s"), ("40s", "12s")], "ticket": [("1m", "16s"), ("90s", "20s")]}
"""(long, short) of each burn-rate pair, in the order of the shipped ones (1h/5m, 6h/30m; 1d/2h, 3d/6h).

Not the shipped windows scaled by one factor: from a clean start, a burn rate b between 3 and 6 opens the
1d/2h ticket after 3/b of its long window, and with 5m scaled to 10 s, 1d becomes 48 minutes: half an hour
to a ticket.  Every short window is at least 5 scrapes, and at most 20 s, so an SLO alert resolves well within
``settle()``; the long ones grow with the pair as the shipped ones do."""


@dataclass(frozen=True)
class Timings:
    """The timing half of a profile, in stack-file form: intervals, windows, ``for`` and route timings.

    Everything else (targets, receivers, secrets) always points at loopback; only this part differs
    between the time-compressed ``LIVE_TIMINGS`` and a real stack's (``timings_of``).
    """

    source: str
    """Where the timings come from (``live``, or the stack whose settings they were read from)."""
    prometheus: dict[str, str]
    """``scrapeInterval``, ``evaluationInterval``, ``scrapeTimeout``."""
    rules: dict[str, Any]
    """``rateInterval``, ``forScale`` and per-alert ``for`` overrides."""
    routes: dict[str, dict[str, str]]
    """``notifications.timing``: ``groupWait``/``groupInterval``/``repeatInterval`` per route."""
    resolve_timeout: str = "1m"
    state_snapshot_interval: str = "2s"
    """``notifications.stateSnapshotInterval``: how often Alertmanager writes its notification log and silences."""
    slo_alerting: dict[str, Any] = field(default_factory=dict)
    """``sloAlerting``: the burn-rate pairs (windows, ``for``) and the budget group's interval."""


def _compressed_slo_alerting() -> dict[str, Any]:
    """The shipped burn rates over the windows of ``SLO_WINDOWS``, firing without ``for``; the budget every 2s."""
    shipped = DEFAULT_SLO_ALERTING
    pairs = {tier: [{"burnRate": pair.burn_rate, "long": long, "short": short, "for": "0s"}
                    for pair, (long, short) in zip(getattr(shipped, tier), SLO_WINDOWS[tier], strict=True)]
             for tier in SLO_WINDOWS}
    return {**pairs, "budgetInterval": SCRAPE_INTERVAL}


LIVE_TIMINGS = Timings(
    source=STACK,
    prometheus={"scrapeInterval": SCRAPE_INTERVAL, "evaluationInterval": EVALUATION_INTERVAL,
                "scrapeTimeout": SCRAPE_INTERVAL, "forGracePeriod": FOR_GRACE_PERIOD},
    rules={"rateInterval": RATE_INTERVAL, "forScale": FOR_SCALE, "flapWindow": FLAP_WINDOW,
           "restartWindow": RESTART_WINDOW},
    routes={"critical": ROUTE_TIMING_FAST, "warning": ROUTE_TIMING_FAST, "info": ROUTE_TIMING_FAST,
            "default": ROUTE_TIMING_FAST, "watchdog": WATCHDOG_TIMING},
    slo_alerting=_compressed_slo_alerting(),
)


def timings_of(source: StackSettings) -> Timings:
    """The real timings of a stack's settings (e.g. ``settings_from_stack_file("prod")``), in stack-file form.

    Taken as they are: scrape/evaluation interval and timeout, ``rateInterval``, ``flapWindow``, ``forScale`` and
    any per-alert ``for`` override, every route's timing, ``resolveTimeout`` and ``sloAlerting``.  Thresholds,
    targets and receivers are not timings and stay those of the live profile.
    """
    prom = source.prometheus
    rules = source.rules
    overrides = {name: {"for": o.for_} for name, o in rules.overrides.items() if o.for_ is not None}
    return Timings(
        source=source.stack,
        prometheus={"scrapeInterval": prom.scrape_interval, "evaluationInterval": prom.evaluation_interval,
                    "scrapeTimeout": prom.scrape_timeout, "forGracePeriod": prom.for_grace_period},
        rules={"rateInterval": rules.rate_interval, "forScale": rules.for_scale, "flapWindow": rules.flap_window,
               "restartWindow": rules.restart_window, **({"overrides": overrides} if overrides else {})},
        routes={name: getattr(source.notifications.timing, name).model_dump(by_alias=True)
                for name in ROUTES},
        resolve_timeout=source.notifications.resolve_timeout,
        state_snapshot_interval=source.notifications.state_snapshot_interval,
        slo_alerting=source.slo_alerting.model_dump(by_alias=True),
    )


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


def live_config(ports: LivePorts, *, secrets_dir: str, rules: dict[str, Any] | None = None,
                slack_delivery: str = "bot", timings: Timings = LIVE_TIMINGS) -> dict[str, Any]:
    """The live stack's config mapping, ``{"internet-id-monitoring:<key>": value}``.

    Slack goes through the bot (``chat.postMessage``, as staging and prod) unless ``slack_delivery``
    is ``webhook``.  ``timings`` gives the intervals and route timings (the time-compressed ones
    by default); ``rules``, if given, is the ``rules`` block (``timings.rules`` is not used then).
    """
    loop = "http://127.0.0.1"
    values: dict[str, Any] = {
        "environment": "live",
        "grafana": {"generateAdminPassword": True},  # Grafana is not part of the live run
        "prometheus": {**timings.prometheus, "externalUrl": f"{loop}:{ports.prometheus}"},
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
            "slack": {"enabled": True, "delivery": slack_delivery, **(
                {"apiUrl": f"{loop}:{ports.slack}/api/chat.postMessage"} if slack_delivery == "bot" else {})},
            "email": {
                "enabled": True,
                "to": EMAIL_TO,
                "from": EMAIL_FROM,
                "smarthost": address(ports.smtp),
                "username": SMTP_USER,
                "requireTls": False,
                "hello": "live.internet-id.test",
            },
            "secretsDir": secrets_dir,
            "resolveTimeout": timings.resolve_timeout,
            "stateSnapshotInterval": timings.state_snapshot_interval,
            "timing": dict(timings.routes),
        },
    }
    if rules:
        values["rules"] = rules
    if timings.slo_alerting:
        values["sloAlerting"] = timings.slo_alerting
    secrets = {
        "slackWebhookUrl": f"{loop}:{ports.slack}{SLACK_PATH}",
        "pagerdutyRoutingKey": PAGERDUTY_ROUTING_KEY,
        "pagerdutyDatabaseRoutingKey": PAGERDUTY_DATABASE_ROUTING_KEY,
        "smtpPassword": SMTP_PASSWORD,
        "heartbeatUrl": f"{loop}:{ports.heartbeat}/ping/live-heartbeat",
        "postgresExporterPassword": POSTGRES_PASSWORD,
    }
    config: dict[str, Any] = {f"{PROJECT}:{key}": value for key, value in values.items()}
    config.update({f"{PROJECT}:{key}": {"secure": value} for key, value in secrets.items()})
    config[f"{PROJECT}:alertmanagerSlackToken"] = {"secure": SLACK_BOT_TOKEN}
    return config


def live_rules() -> dict[str, Any]:
    """Rule settings of the time-compressed profile: the catalogue as is, windows and ``for`` shrunk.

    ``rateInterval`` 12s is six 2s scrapes (rate needs at least two samples, four is safe);
    ``forScale`` 0.02 turns the catalogue's 1m/2m/5m into 1s/2s/6s; ``flapWindow`` is ``FLAP_WINDOW``,
    ``restartWindow`` ``RESTART_WINDOW``.
    """
    return dict(LIVE_TIMINGS.rules)


def live_settings(ports: LivePorts, *, secrets_dir: str, timings: Timings = LIVE_TIMINGS) -> StackSettings:
    """Settings of the live stack (secret values included, as ``Secret`` objects).

    With ``timings_of(settings_from_stack_file("prod"))``: prod's real timings, everything else
    (targets, receivers, secrets) on loopback as in the time-compressed profile.
    """
    return settings_from_mapping(STACK, live_config(ports, secrets_dir=secrets_dir, rules=dict(timings.rules),
                                                    timings=timings))


def postgres_data_source_name(settings: StackSettings) -> str:
    """The exporter's DSN, from the same settings the deployed exporter's environment comes from."""
    pg = settings.targets.postgres
    secret = settings.secret("postgresExporterPassword")
    password = "" if secret is None else str(secret.value)
    return f"postgresql://{pg.user}:{password}@{pg.host}:{pg.port}/{pg.database}?sslmode={pg.sslmode}"
