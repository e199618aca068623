"""The whole live stack of one session: stand-ins, receivers, data stores, exporters, Prometheus, Alertmanager.

``LiveStack.start`` brings everything up on free loopback ports from the rendered documents of
the ``live`` settings; ``close`` stops it all (also when start-up fails half-way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.containers.alertmanager import state_flags
from components.containers.prometheus import rule_flags
from components.documents import ALERTMANAGER_CONFIG, BLACKBOX_CONFIG, PROMETHEUS_CONFIG
from components.durations import seconds
from components.render import credential_secrets, render_documents, write_documents
from components.settings import StackSettings
from tests.live.harness import profile, services, web_auth
from tests.live.harness.api_standin import (
    ApiStandIn,
    AppContainers,
    MetricsStandIn,
    StaticSite,
    cadvisor_registry,
    grafana_registry,
)
from tests.live.harness.clients import Alertmanager, Prometheus, poll
from tests.live.harness.ports import address, free_port
from tests.live.harness.processes import HarnessError, ManagedProcess, tail
from tests.live.harness.profile import LIVE_TIMINGS, LivePorts, Timings, live_settings, postgres_data_source_name
from tests.live.harness.receivers import PagerDutyStandIn, SlackStandIn, SmtpStandIn, WebhookStandIn

EXTRA_REPORT_KEY = pytest.StashKey[list[str]]()
"""Lines for the terminal summary from stacks other than the session's (a module's own stack)."""
HOST_SERVICES = ("system",)
"""The host alerts (disk, memory, load) depend on the machine the suite runs on, not on the scenario."""
SETTLE_FLUSH_SECONDS = 3.0
"""Longer than the live profile's group interval (2s): pending resolves reach the receivers."""

LOG_TAILS = ("prometheus", "alertmanager", "blackbox-exporter", "postgres-exporter", "postgres")


def allocate_ports() -> LivePorts:
    names = list(LivePorts.__dataclass_fields__)
    return LivePorts(**{name: free_port() for name in names})


@dataclass
class LiveStack:
    root: Path
    ports: LivePorts
    settings: StackSettings
    documents: dict[str, str]
    render_dir: Path
    api: ApiStandIn
    web: StaticSite
    slack: SlackStandIn
    pagerduty: PagerDutyStandIn
    smtp: SmtpStandIn
    heartbeat: WebhookStandIn
    postgres: services.Postgres
    redis: services.RedisCommands
    app_containers: AppContainers
    """The app's containers as the cAdvisor stand-in reports them: they can restart in place or be replaced."""
    exporters: dict[str, MetricsStandIn] = field(default_factory=dict)
    """The fixed-exposition stand-ins by job (``cadvisor``, ``grafana``): they can hang or answer slowly."""
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    exit_stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    started_at: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)
    """Start-up milestones, seconds since start."""
    measurements: dict[str, float] = field(default_factory=dict)
    """What scenarios measured (time to page …) and the footprint read at session end."""

    def footprint(self) -> dict[str, float]:
        """Record (and return) Prometheus' head series, the resident memory of Prometheus and
        Alertmanager, and the samples scraped per cycle."""
        prom = self.prometheus
        queries = {
            "prometheus head series": "max(prometheus_tsdb_head_series)",
            "prometheus RSS MiB": 'max(process_resident_memory_bytes{job="prometheus"}) / 2^20',
            "alertmanager RSS MiB": 'max(process_resident_memory_bytes{job="alertmanager"}) / 2^20',
            "scraped samples per cycle": "sum(scrape_samples_post_metric_relabeling)",
        }
        for name, expr in queries.items():
            try:
                value = prom.value(expr)
            except (OSError, ValueError, AssertionError):
                value = None
            if value is not None:
                self.measurements[name] = round(value, 1)
        return {name: self.measurements[name] for name in queries if name in self.measurements}

    @property
    def prometheus(self) -> Prometheus:
        return Prometheus(f"http://{address(self.ports.prometheus)}", self.web_auth)

    @property
    def alertmanager(self) -> Alertmanager:
        return Alertmanager(f"http://{address(self.ports.alertmanager)}", self.web_auth)

    @property
    def web_auth(self) -> tuple[str, str] | None:
        """What Prometheus and Alertmanager require (``webAuth``, on in the live settings as everywhere)."""
        return web_auth.AUTH if self.settings.web_auth.enabled else None

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log_tails(self, lines: int = 25) -> str:
        parts = [f"logs under {self.logs}"]
        for name in LOG_TAILS:
            parts.append(f"--- {name}.log (last {lines} lines)\n{tail(self.logs / f'{name}.log', lines)}")
        return "\n".join(parts)

    def baseline_alert(self, labels: dict[str, str]) -> bool:
        """Alerts allowed while the stack is healthy: Watchdog, and host alerts of the test machine."""
        return labels.get("alertname") == "Watchdog" or labels.get("service") in HOST_SERVICES

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until the stack is healthy and quiet: targets up, the Watchdog firing (the rules have been evaluated
        on stored scrapes: right after start-up nothing else is known yet), nothing but baseline alerts active
        in Prometheus or Alertmanager, and one more group interval so resolves have gone out."""
        if not self.postgres.running:
            self.postgres.start()
        prom, am = self.prometheus, self.alertmanager

        def blockers() -> list[str]:
            found = [f"target {t['labels'].get('job')} {t['scrapeUrl']}: {t['health']} {t.get('lastError', '')}"
                     for t in prom.targets() if t["health"] != "up"]
            found += [] if prom.firing("Watchdog") else ["prometheus: Watchdog not firing yet"]
            found += [f"prometheus: {a['labels'].get('alertname')} {a['state']} {a['labels']}"
                      for a in prom.alerts() if not self.baseline_alert(a["labels"])]
            found += [f"alertmanager: {a['labels'].get('alertname')} {a['status']['state']} {a['labels']}"
                      for a in am.alerts() if not self.baseline_alert(a["labels"])]
            return found

        poll(blockers, lambda found: not found, timeout,
             "live stack healthy and quiet (targets up, no alerts but baseline)")
        time.sleep(SETTLE_FLUSH_SECONDS)

    def flushed_since(self, moment: float, timeout: float = 60.0) -> None:
        """Return once Alertmanager has sent whatever it would send about the alerts it held at ``moment``.

        A notification about such an alert leaves within a route's group wait (new group) or group interval
        (existing group) after ``moment``: the stack's own timings, the slowest route.  A Watchdog heartbeat
        that arrives after that shows Alertmanager's dispatcher got there, so on a slow machine this waits
        longer instead of looking too early (a fixed sleep would then check nothing)."""
        timing = self.settings.notifications.timing
        slowest = max(seconds(route.group_wait) + seconds(route.group_interval)
                      for route in (timing.critical, timing.warning, timing.info, timing.default))
        after = moment + slowest
        self.heartbeat.wait_for(lambda r: r.at >= after and r.method == "POST", timeout + slowest)

    def heal(self) -> None:
        """Undo every fault a scenario may have left: the API and exporters healthy, receivers answering,
        Prometheus and Alertmanager running, Redis as started."""
        self.api.reset()
        if self.processes["redis-server"].running():
            self.redis.reset()
        for exporter in self.exporters.values():
            exporter.reset()
        for receiver in (self.slack, self.pagerduty, self.heartbeat):
            receiver.recover()
        for name in ("alertmanager", "prometheus"):
            if not self.processes[name].running():
                self.start_daemon(name)

    def stop_daemon(self, name: str, *, crash: bool = False) -> None:
        """Stop ``prometheus`` or ``alertmanager`` as ``docker stop`` does (SIGTERM, a clean shutdown), or with
        ``crash`` as the kernel's OOM killer does (SIGKILL: nothing written on the way out)."""
        process = self.processes[name]
        if crash:
            process.kill()
        else:
            process.stop(timeout=15)

    def start_daemon(self, name: str, timeout: float = 60.0) -> None:
        """Start a stopped daemon again with the same command line and data directory; return once ready."""
        process = self.processes[name]
        process.start()
        port = self.ports.prometheus if name == "prometheus" else self.ports.alertmanager
        process.wait_http(f"http://{address(port)}/-/ready", timeout, auth=self.prometheus.auth)

    def move_prometheus_storage(self, path: Path) -> Path:
        """Restart Prometheus on another TSDB directory; returns the one it used before."""
        process = self.processes["prometheus"]
        flag = "--storage.tsdb.path="
        [before] = [arg for arg in process.argv if arg.startswith(flag)]
        self.stop_daemon("prometheus")
        process.argv = [f"{flag}{path}" if arg == before else arg for arg in process.argv]
        self.start_daemon("prometheus")
        return Path(before.removeprefix(flag))

    def close(self) -> None:
        self.exit_stack.close()

    @classmethod
    def start(cls, timings: Timings = LIVE_TIMINGS) -> LiveStack:
        """Start everything; ``timings`` are the time-compressed profile's unless given (e.g. prod's)."""
        root = Path(tempfile.mkdtemp(prefix="iid-live-", dir="/tmp"))
        os.chmod(root, 0o755)  # the postgres user must reach its directory below
        (root / "logs").mkdir()
        exit_stack = contextlib.ExitStack()
        exit_stack.callback(ManagedProcess.stop_under, root)  # not another stack's (a module may run its own)
        try:
            return cls._start(root, exit_stack, timings)
        except BaseException:
            exit_stack.close()
            raise

    @classmethod
    def _start(cls, root: Path, exit_stack: contextlib.ExitStack, timings: Timings) -> LiveStack:
        t0 = time.monotonic()
        ports = allocate_ports()
        render_dir = root / "render"
        secrets_dir = render_dir / "alertmanager" / "secrets"
        settings = live_settings(ports, secrets_dir=str(secrets_dir), timings=timings)

        # Receivers and stand-ins first: nothing Alertmanager or Prometheus calls is ever missing.
        slack = SlackStandIn(ports.slack, bot_token=profile.SLACK_BOT_TOKEN).start()
        exit_stack.callback(slack.stop)
        pagerduty = PagerDutyStandIn(ports.pagerduty).start()
        exit_stack.callback(pagerduty.stop)
        heartbeat = WebhookStandIn(ports.heartbeat).start()
        exit_stack.callback(heartbeat.stop)
        smtp = SmtpStandIn(ports.smtp).start()
        exit_stack.callback(smtp.stop)
        api = ApiStandIn(ports.api).start()
        exit_stack.callback(api.stop)
        web = StaticSite(ports.web).start()
        exit_stack.callback(web.stop)
        exporters: dict[str, MetricsStandIn] = {}
        app_containers = AppContainers()
        for name, port, registry in (("cadvisor", ports.cadvisor, cadvisor_registry(app_containers)),
                                     ("grafana", ports.grafana, grafana_registry())):
            exporters[name] = standin = MetricsStandIn(port, registry).start()
            exit_stack.callback(standin.stop)

        # The rendered documents, as rendered, plus the credential files they point at.
        documents = render_documents(settings)
        write_documents(documents, render_dir)
        auth = web_auth.AUTH if settings.web_auth.enabled else None
        if auth is not None:
            web_auth.write_web_files(render_dir, settings.web_auth.user)
        secrets_dir.mkdir(parents=True, exist_ok=True)
        for name, secret in credential_secrets(settings).items():
            if secret.value is None:
                raise HarnessError(f"secret {secret.key} (file {name}) has no value in the live settings")
            path = secrets_dir / name
            path.write_text(str(secret.value))
            path.chmod(0o600)

        pg = settings.targets.postgres
        pg_secret = settings.secret("postgresExporterPassword")
        postgres = services.Postgres(root, ports.postgres, database=pg.database, user=pg.user,
                                     password="" if pg_secret is None else str(pg_secret.value))
        exit_stack.callback(postgres.stop)
        stack = cls(
            root=root, ports=ports, settings=settings, documents=documents, render_dir=render_dir, api=api, web=web,
            slack=slack, pagerduty=pagerduty, smtp=smtp, heartbeat=heartbeat, postgres=postgres,
            redis=services.RedisCommands(ports.redis), app_containers=app_containers, exporters=exporters,
            exit_stack=exit_stack,
        )
        stack.timings["stand-ins"] = time.monotonic() - t0
        postgres.init()
        stack.timings["postgres"] = time.monotonic() - t0
        procs = stack.processes
        procs["redis-server"] = services.start_redis(root, ports.redis)
        procs["postgres-exporter"] = services.start_postgres_exporter(
            root, ports.postgres_exporter, data_source_name=postgres_data_source_name(settings), settings=settings)
        procs["redis-exporter"] = services.start_redis_exporter(
            root, ports.redis_exporter, redis_address=settings.targets.redis_address)
        procs["node-exporter"] = services.start_node_exporter(root, ports.node_exporter)
        procs["blackbox-exporter"] = services.start_blackbox_exporter(
            root, ports.blackbox_exporter, render_dir / BLACKBOX_CONFIG)
        stack.timings["exporters"] = time.monotonic() - t0
        procs["alertmanager"] = services.start_alertmanager(
            root, ports.alertmanager, render_dir / ALERTMANAGER_CONFIG,
            web_config=web_auth.web_config(render_dir, "alertmanager") if auth else None, auth=auth,
            flags=state_flags(settings.notifications))
        procs["prometheus"] = services.start_prometheus(
            root, ports.prometheus, render_dir / PROMETHEUS_CONFIG,
            external_url=settings.prometheus.external_url,
            web_config=web_auth.web_config(render_dir, "prometheus") if auth else None, auth=auth,
            flags=rule_flags(settings.prometheus))
        stack.timings["ready"] = time.monotonic() - t0
        return stack


def remove_root(stack: LiveStack) -> None:
    shutil.rmtree(stack.root, ignore_errors=True)
