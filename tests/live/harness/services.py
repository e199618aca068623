"""Start the real daemons on loopback, each in its own directory.

Every ``start_*`` returns a started, ready ``ManagedProcess`` (or a ``Postgres``, which can be
stopped and started again by a scenario).  Prometheus, Alertmanager and the exporters are built from
their Go modules at the versions the stack deploys (``tests.tools``: ``scripts/toolchain daemons``), and
take the flags the deployed containers take where they matter here; PostgreSQL 15 and Redis 7 are
Debian's.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path

from components.containers.node_exporter import COLLECTORS as NODE_COLLECTORS
from components.settings import StackSettings
from tests.live.harness.ports import LOOPBACK, address, free_port, port_open
from tests.live.harness.processes import HarnessError, ManagedProcess, http_ok, postgres_bin, require_binary, run

SYSTEMD_RUNNING = Path("/run/systemd/system").is_dir()
"""The machine was booted with systemd (its collector reads units over D-Bus); a container sandbox was not."""


class Postgres:
    """A PostgreSQL cluster owned by the ``postgres`` user, listening on 127.0.0.1:port."""

    def __init__(self, root: Path, port: int, *, database: str, user: str, password: str) -> None:
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.dir = root / "postgres"
        self.data = self.dir / "data"
        self.log = root / "logs" / "postgres.log"
        self.process: ManagedProcess | None = None
        # PostgreSQL refuses to run as root: as root, run it as the Debian package's ``postgres`` user.
        self.os_user: str | None = "postgres" if os.geteuid() == 0 else None

    def init(self) -> Postgres:
        initdb = require_binary(str(postgres_bin() / "initdb"))
        require_binary(str(postgres_bin() / "postgres"))
        self.dir.mkdir(parents=True)
        if self.os_user is not None:
            try:
                owner = pwd.getpwnam(self.os_user)
            except KeyError:
                raise HarnessError("no 'postgres' user: install the Debian package 'postgresql-15'") from None
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        os.chmod(self.dir, 0o700)
        run(
            [initdb, "-D", str(self.data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
             "--no-sync", "-E", "UTF8", "--locale=C"],
            self.log, user=self.os_user, cwd=self.dir,
        )
        self.start()
        psql = require_binary(str(postgres_bin() / "psql"))
        password = self.password.replace("'", "''")
        for sql in (
            f"CREATE ROLE {self.user} LOGIN PASSWORD '{password}'",
            f"CREATE DATABASE {self.database} OWNER {self.user}",
            # postgres_exporter reads pg_stat_activity of every backend and the settings.
            f"GRANT pg_monitor TO {self.user}",
        ):
            run([psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
                 "-d", "postgres", "-c", sql], self.log, user=self.os_user, cwd=self.dir)
        return self

    def start(self) -> None:
        self.process = ManagedProcess(
            "postgres",
            [str(postgres_bin() / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir),
             "-c", f"listen_addresses={LOOPBACK}", "-c", "fsync=off", "-c", "max_connections=50",
             "-c", "logging_collector=off"],
            self.log, cwd=self.dir, user=self.os_user,
            stop_signal=signal.SIGINT,  # fast shutdown: SIGTERM would wait for the exporter's session
        ).start()
        isready = require_binary(str(postgres_bin() / "pg_isready"))
        argv = [isready, "-q", "-h", str(self.dir), "-p", str(self.port), "-d", "postgres", "-U", "postgres"]
        self.process.wait_until(
            lambda: port_open(self.port) and subprocess.run(argv, check=False, timeout=5).returncode == 0,
            f"accepting connections on {address(self.port)}", 30,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=15)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running()


def start_redis(root: Path, port: int) -> ManagedProcess:
    binary = require_binary("redis-server")
    workdir = root / "redis"
    workdir.mkdir(parents=True)
    process = ManagedProcess(
        "redis-server",
        [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no", "--protected-mode", "yes"],
        root / "logs" / "redis.log", cwd=workdir,
    ).start()
    process.wait_until(lambda: port_open(port), f"listening on {address(port)}", 20)
    return process


class RedisCommands:
    """Commands to the live Redis over its protocol (RESP), so a scenario can change its configuration and data."""

    def __init__(self, port: int) -> None:
        self.port = port

    @staticmethod
    def _encode(*args: str | bytes) -> bytes:
        parts = [a if isinstance(a, bytes) else a.encode() for a in args]
        return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)

    def pipeline(self, commands: Sequence[Sequence[str | bytes]]) -> list[bytes]:
        """Send ``commands`` at once and return each reply's first line (``+OK``, ``:1``, ``-ERR …``)."""
        with socket.create_connection((LOOPBACK, self.port), timeout=10) as sock:
            sock.sendall(b"".join(self._encode(*command) for command in commands))
            stream = sock.makefile("rb")
            replies = []
            for _ in commands:
                line = stream.readline().rstrip(b"\r\n")
                if line[:1] == b"$" and int(line[1:]) >= 0:
                    line = stream.read(int(line[1:]) + 2).rstrip(b"\r\n")
                replies.append(line)
        errors = [reply for reply in replies if reply.startswith(b"-")]
        if errors:
            raise HarnessError(f"redis on port {self.port} refused: {errors[0].decode()}")
        return replies

    def info(self, section: str) -> dict[str, str]:
        [text] = self.pipeline([("INFO", section)])
        return dict(line.split(":", 1) for line in text.decode().splitlines() if ":" in line)

    def reset(self) -> None:
        """As started: no memory limit, no eviction, no keys."""
        self.pipeline([("CONFIG", "SET", "maxmemory", "0"), ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
                       ("FLUSHALL",)])


def start_postgres_exporter(root: Path, port: int, *, data_source_name: str,
                            settings: StackSettings | None = None) -> ManagedProcess:
    """``settings``: the stack whose ``containers.postgresExporter.collectors`` it enables, as deployed."""
    binary = require_binary("postgres_exporter")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATA_SOURCE_NAME": data_source_name}
    collectors = settings.postgres_exporter.collectors if settings is not None else ()
    process = ManagedProcess(
        "postgres-exporter",
        [binary, f"--web.listen-address={address(port)}", *(f"--collector.{name}" for name in collectors)],
        root / "logs" / "postgres-exporter.log", env=env,
    ).start()
    process.wait_http(f"http://{address(port)}/metrics", 30)
    return process


def start_redis_exporter(root: Path, port: int, *, redis_address: str) -> ManagedProcess:
    binary = require_binary("redis_exporter")
    process = ManagedProcess(
        "redis-exporter",
        [binary, f"-redis.addr={redis_address}", f"-web.listen-address={address(port)}",
         "-include-system-metrics"],  # as deployed (REDIS_EXPORTER_INCL_SYSTEM_METRICS)
        root / "logs" / "redis-exporter.log",
    ).start()
    process.wait_http(f"http://{address(port)}/metrics", 30)
    return process


def start_node_exporter(root: Path, port: int) -> ManagedProcess:
    binary = require_binary("node_exporter")
    textfile = root / "node-exporter-textfile"
    textfile.mkdir(parents=True)
    process = ManagedProcess(
        "node-exporter",
        [binary, f"--web.listen-address={address(port)}",
         # The collectors the deployed node_exporter adds (the dashboards read them); hwmon and thermal_zone
         # stay on as deployed.  systemd only where the machine runs it (not in a container sandbox).
         *(f"--collector.{name}" for name in NODE_COLLECTORS),
         "--collector.systemd" if SYSTEMD_RUNNING else "--no-collector.systemd",
         # Slow or host-specific collectors neither the alert catalogue nor the dashboards need here.
         "--no-collector.rapl", "--no-collector.nfs", "--no-collector.nfsd", "--no-collector.zfs",
         "--no-collector.btrfs", "--no-collector.infiniband", "--no-collector.bonding",
         f"--collector.textfile.directory={textfile}"],
        root / "logs" / "node-exporter.log",
    ).start()
    process.wait_http(f"http://{address(port)}/metrics", 30)
    return process


def start_blackbox_exporter(root: Path, port: int, config: Path) -> ManagedProcess:
    binary = require_binary("blackbox_exporter")
    run([binary, f"--config.file={config}", "--config.check"], root / "logs" / "blackbox-exporter.log")
    process = ManagedProcess(
        "blackbox-exporter",
        [binary, f"--config.file={config}", f"--web.listen-address={address(port)}"],
        root / "logs" / "blackbox-exporter.log",
    ).start()
    process.wait_http(f"http://{address(port)}/metrics", 30)
    return process


def start_prometheus(root: Path, port: int, config: Path, *, external_url: str | None = None,
                     web_config: Path | None = None, auth: tuple[str, str] | None = None,
                     flags: Sequence[str] = ()) -> ManagedProcess:
    """``web_config``: its ``--web.config.file`` (then it answers only with ``auth``); ``flags``: those of the
    rendered container command that matter here (``rule_flags``)."""
    binary = require_binary("prometheus")
    promtool = require_binary("promtool")
    log = root / "logs" / "prometheus.log"
    run([promtool, "check", "config", str(config)], log)
    data = root / "prometheus-data"
    data.mkdir(parents=True)
    argv = [binary, f"--config.file={config}", f"--web.listen-address={address(port)}",
            f"--storage.tsdb.path={data}", "--web.enable-lifecycle", "--log.level=info"]
    if external_url:
        argv.append(f"--web.external-url={external_url}")
    if web_config is not None:
        run([promtool, "check", "web-config", str(web_config)], log)
        argv.append(f"--web.config.file={web_config}")
    argv += flags
    process = ManagedProcess("prometheus", argv, log, cwd=config.parent).start()
    process.wait_http(f"http://{address(port)}/-/ready", 60, auth=auth)
    return process


def start_alertmanager(root: Path, port: int, config: Path, *, web_config: Path | None = None,
                       auth: tuple[str, str] | None = None, flags: Sequence[str] = ()) -> ManagedProcess:
    """``flags``: those of the rendered container command that matter here (``state_flags``)."""
    binary = require_binary("alertmanager")
    amtool = require_binary("amtool")
    log = root / "logs" / "alertmanager.log"
    run([amtool, "check-config", str(config)], log)
    data = root / "alertmanager-data"
    data.mkdir(parents=True)
    process = ManagedProcess(
        "alertmanager",
        [binary, f"--config.file={config}", f"--web.listen-address={address(port)}",
         f"--storage.path={data}", "--cluster.listen-address=", "--log.level=debug",
         f"--web.external-url=http://{address(port)}",
         *([f"--web.config.file={web_config}"] if web_config is not None else []), *flags],
        log, cwd=config.parent,
    ).start()
    process.wait_http(f"http://{address(port)}/-/ready", 30, auth=auth)
    return process


__all__ = [
    "Postgres",
    "RedisCommands",
    "free_port",
    "http_ok",
    "start_alertmanager",
    "start_blackbox_exporter",
    "start_node_exporter",
    "start_postgres_exporter",
    "start_prometheus",
    "start_redis",
    "start_redis_exporter",
]
