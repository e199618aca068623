"""A Docker engine of our own for the end-to-end suite: started here, stopped here, nothing left behind.

``Engine`` runs Debian's ``dockerd`` (as root) with its own data root, exec root, socket,
pidfile, config file and default bridge, so it never shares state with a daemon someone else
runs on the machine, and it never touches such a daemon.  ``stop()`` removes what the engine
holds (containers, networks, volumes: by label first), stops the daemon it started (checked by
pid *and* command line), and undoes its marks on the host: its bridge, its iptables rules, the
``/run/docker.sock`` link it made, the directories dockerd creates outside its roots.

From pytest::

    with Engine() as engine:          # or Engine().start() ... engine.stop()
        engine.docker("ps")           # the docker CLI against this engine
        os.environ.update(engine.env) # DOCKER_HOST for pulumi, scripts, ...

From the shell (one engine per state file; ``env`` prints lines for ``eval``)::

    python -m tests.e2e.harness.engine start
    eval "$(python -m tests.e2e.harness.engine env)"
    python -m tests.e2e.harness.engine stop        # or: stop --all (every engine of ours)

Why the ``/run/docker.sock`` link: the product mounts the host's ``/var/run/docker.sock``
(``cadvisor.dockerSocket``) into cAdvisor; the engine's socket lives under ``/run/iid-e2e-<id>/``,
and the bind mount of the link is a mount of the socket it leads to.  The link
is made only when nothing is at that path (another daemon's socket is left alone).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType, TracebackType

from tests.e2e.harness.procfs import alive, cmdline, find_binary, pids, routes

LABEL = "com.internet-id.e2e"
"""Every container, network and volume the harness creates carries ``LABEL=<engine id>``."""
PRODUCT_LABEL = "com.internet-id.stack"
"""The label the product puts on what ``pulumi up`` creates (removed by ``stop()`` as well)."""

RUN_ROOT = Path("/run")
"""Sockets, pidfile and exec root go under ``/run/iid-e2e-<id>/`` (``/var/run`` is ``/run`` on Debian)."""
DEFAULT_SOCKET = RUN_ROOT / "docker.sock"
STATE_FILE_ENV = "IID_E2E_ENGINE_STATE"
DEFAULT_STATE_FILE = RUN_ROOT / "iid-e2e-engine.json"
"""Where the shell commands keep the engine they started."""
DOCKERD_CREATED_DIRS = (RUN_ROOT / "docker" / "plugins", RUN_ROOT / "docker", RUN_ROOT / "containerd" / "s",
                        RUN_ROOT / "containerd")
"""Paths dockerd and containerd 1.6 create whatever their roots (removed by the last engine out, if they
were absent before and are empty)."""
TRUST_KEY = Path("/etc/docker/key.json")
"""dockerd 20.10 writes this libtrust key at first start, whatever its roots."""
IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
BASELINE = RUN_ROOT / "iid-e2e-host-baseline.json"
"""The host's iptables rules and ip_forward from before any dockerd ran (see ``Engine._snapshot_host``)."""
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
BUILTIN_NETWORKS = {"bridge", "host", "none"}


class EngineError(RuntimeError):
    """The engine cannot be started or used; the message is one line that names the fix."""


def _say(message: str) -> None:
    print(f"engine: {message}", file=sys.stderr, flush=True)


def docker_cli() -> str:
    """The docker client: Debian's (the daemon's own version) when installed, else the one on PATH."""
    debian = Path("/usr/bin/docker")
    if debian.is_file() and os.access(debian, os.X_OK):
        return str(debian)
    found = shutil.which("docker")
    if not found:
        raise EngineError("docker (the CLI) not found: apt-get install docker.io (scripts/bootstrap --e2e does)")
    return found


def run_docker(host: str, args: Sequence[str], *, check: bool = True, timeout: float = 120,
               input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS`` against ``host``; a failure raises ``EngineError`` with docker's message."""
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_BUILDKIT": "0", "DOCKER_CLI_HINTS": "false"}
    env.pop("DOCKER_CONTEXT", None)
    try:
        result = subprocess.run(
            [docker_cli(), *args], env=env, check=False, timeout=timeout, capture_output=True,
            input=input_bytes,
        )
    except subprocess.TimeoutExpired:
        raise EngineError(f"docker {' '.join(args[:3])} did not finish within {timeout:.0f}s") from None
    completed = subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    )
    if check and completed.returncode != 0:
        message = " ".join((completed.stderr.strip() or completed.stdout.strip()).split())
        raise EngineError(f"docker {' '.join(args[:3])} failed ({completed.returncode}): {message[:600]}")
    return completed


# ------------------------------------------------------------------ host bookkeeping


def _processes() -> Iterator[tuple[int, list[str]]]:
    for pid in pids():
        argv = cmdline(pid)
        if argv:
            yield pid, argv


def _dockerd_pids() -> list[int]:
    return [pid for pid, argv in _processes() if Path(argv[0]).name == "dockerd"]


def _free_pool() -> ipaddress.IPv4Network:
    """A /16 no route of the host overlaps (Docker's own defaults, 172.17-31 and 192.168, are left to others)."""
    taken = [net for net in routes() if net.prefixlen > 0]
    for second in range(200, 250):
        pool = ipaddress.IPv4Network(f"10.{second}.0.0/16")
        if not any(pool.overlaps(net) for net in taken):
            return pool
    raise EngineError("no free 10.200-249.0.0/16 address pool for the engine's networks: remove stale bridges "
                      "(ip -br addr) or stop other engines (python -m tests.e2e.harness.engine stop --all)")


def _run(argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), check=False, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise EngineError(f"{' '.join(argv)} failed: {' '.join(result.stderr.split())[:300]}")
    return result


def _require(binary: str, package: str) -> str:
    path = find_binary(binary)
    if not path:
        raise EngineError(f"{binary} not found: apt-get install {package} (scripts/bootstrap --e2e does)")
    return path


def _mounts_under(*roots: Path) -> list[str]:
    """Mount points below ``roots``, deepest first (from mountinfo, octal escapes decoded)."""
    points = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    prefixes = [str(root) for root in roots]
    for line in lines:
        fields = line.split()
        if len(fields) < 5:
            continue
        point = fields[4].encode().decode("unicode_escape")
        if any(point == prefix or point.startswith(prefix + "/") for prefix in prefixes):
            points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"), reverse=True)


# ------------------------------------------------------------------ the engine


@dataclass
class EngineState:
    """What ``stop()`` needs to undo everything; kept as JSON in the run dir (and the shell's state file)."""

    id: str
    run_dir: str
    state_dir: str
    bridge: str
    pool: str
    pid: int = 0
    owner_pid: int = 0
    """The process whose exit should stop the engine (0: started from the shell, lives until ``stop``)."""
    socket_link: str = ""

    @property
    def socket(self) -> str:
        return str(Path(self.run_dir) / "docker.sock")

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"


class Engine:
    """Our own dockerd; ``start()`` waits until ``docker info`` answers, ``stop()`` leaves nothing behind."""

    def __init__(self, *, state_dir: Path | None = None, link_default_socket: bool = True,
                 owner_pid: int | None = None, log: Callable[[str], None] = _say) -> None:
        self._state_parent = state_dir
        self.link_default_socket = link_default_socket
        self._owner_pid = os.getpid() if owner_pid is None else owner_pid
        self.log = log
        self.state: EngineState | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False

    # -- the public surface --------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._state().id

    @property
    def docker_host(self) -> str:
        """``unix:///run/iid-e2e-<id>/docker.sock``: the value of ``DOCKER_HOST`` for this engine."""
        return self._state().docker_host

    @property
    def env(self) -> dict[str, str]:
        """Environment for anything that should use this engine (docker CLI, pulumi-docker, scripts)."""
        return {"DOCKER_HOST": self.docker_host}

    @property
    def label(self) -> str:
        """``com.internet-id.e2e=<id>``: put it on everything the suite creates in this engine."""
        return f"{LABEL}={self.id}"

    @property
    def sees_default_socket(self) -> bool:
        """Whether ``/var/run/docker.sock`` leads to this engine (what the cAdvisor container connects to)."""
        try:
            return os.path.realpath(DEFAULT_SOCKET) == os.path.realpath(self._state().socket)
        except EngineError:
            return False

    @property
    def log_path(self) -> Path:
        return Path(self._state().state_dir) / "dockerd.log"

    @property
    def data_root(self) -> Path:
        return Path(self._state().state_dir) / "data"

    def docker(self, *args: str, check: bool = True, timeout: float = 120,
               input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` against this engine (stdout/stderr captured as text)."""
        return run_docker(self.docker_host, args, check=check, timeout=timeout, input_bytes=input_bytes)

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- start -----------------------------------------------------------------------------
    def start(self) -> Engine:
        """Start dockerd and wait until it answers; on any failure undo what was done and raise."""
        if self.state is not None:
            return self
        if os.geteuid() != 0:
            raise EngineError("dockerd must run as root: run the end-to-end suite as root (CI does)")
        dockerd = _require("dockerd", "docker.io")
        for binary, package in (("containerd", "containerd"), ("runc", "runc"), ("iptables", "iptables"),
                                ("ip", "iproute2")):
            _require(binary, package)
        docker_cli()
        reap_stale(self.log)
        engine_id = secrets.token_hex(4)
        run_dir = RUN_ROOT / f"iid-e2e-{engine_id}"
        run_dir.mkdir(mode=0o711)
        parent = self._state_parent or Path(tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        state_dir = Path(tempfile.mkdtemp(prefix=f"iid-e2e-engine-{engine_id}-", dir=parent))
        pool = _free_pool()
        state = self.state = EngineState(
            id=engine_id, run_dir=str(run_dir), state_dir=str(state_dir), bridge=f"iide2e{engine_id}",
            pool=str(pool), owner_pid=self._owner_pid,
        )
        self._install_stop_handlers()
        try:
            self._snapshot_host()
            self._save()
            self._make_bridge()
            self._launch(dockerd)
            self._wait_ready()
            self._link_socket()
            self._save()
        except BaseException:
            self.stop()
            raise
        self.log(f"dockerd {state.pid} ready at {state.docker_host} (data {state_dir}/data, networks {pool})")
        return self

    def _snapshot_host(self) -> None:
        """Keep the host's firewall and forwarding as they are without any Docker daemon, once.

        Only when no dockerd runs at all (ours or anyone's): engines may overlap, and a snapshot
        taken while another daemon runs would bring its rules back.  The last daemon of ours to
        stop, with no other dockerd left, restores it.
        """
        if BASELINE.exists() or _dockerd_pids():
            return
        saved = _run(["iptables-save"], check=False)
        if saved.returncode != 0:
            return
        forward = ""
        with contextlib.suppress(OSError):
            forward = IP_FORWARD.read_text().strip()
        absent = [str(p) for p in (*DOCKERD_CREATED_DIRS, TRUST_KEY) if not p.exists()]
        BASELINE.write_text(json.dumps({"iptables": saved.stdout, "ip_forward": forward, "absent": absent}) + "\n")

    def _make_bridge(self) -> None:
        state = self._state()
        gateway = next(ipaddress.IPv4Network(state.pool).subnets(new_prefix=24))
        _run(["ip", "link", "add", "name", state.bridge, "type", "bridge"])
        _run(["ip", "addr", "add", f"{gateway[1]}/{gateway.prefixlen}", "dev", state.bridge])
        _run(["ip", "link", "set", state.bridge, "up"])

    def _launch(self, dockerd: str) -> None:
        state = self._state()
        state_dir, run_dir = Path(state.state_dir), Path(state.run_dir)
        config = state_dir / "daemon.json"
        config.write_text("{}\n")  # never the host's /etc/docker/daemon.json
        argv = [
            dockerd,
            f"--config-file={config}",
            f"--data-root={state_dir / 'data'}",
            f"--exec-root={run_dir / 'exec'}",
            f"--host={state.docker_host}",
            f"--pidfile={run_dir / 'dockerd.pid'}",
            f"--bridge={state.bridge}",
            f"--default-address-pool=base={state.pool},size=24",
            "--log-level=warn",
        ]
        log = (state_dir / "dockerd.log").open("ab")
        try:
            # Own session: a Ctrl-C in the terminal reaches pytest, which then stops the engine in order.
            self._process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        finally:
            log.close()
        state.pid = self._process.pid
        self._save()

    def _wait_ready(self) -> None:
        state = self._state()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise EngineError(f"dockerd exited at start (status {self._process.returncode}): "
                                  f"{self._last_error()} (log: {self.log_path})")
            if Path(state.socket).exists():
                info = run_docker(state.docker_host, ["info", "--format", "{{.ServerVersion}} {{.Driver}}"],
                                  check=False, timeout=20)
                if info.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise EngineError(f"dockerd did not answer within {START_TIMEOUT:.0f}s: {self._last_error()} "
                                  f"(log: {self.log_path})")
            time.sleep(0.2)

    def _last_error(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "no log"
        errors = [line for line in lines if "level=error" in line or "level=fatal" in line or "failed" in line]
        line = (errors or lines or ["empty log"])[-1]
        return " ".join(line.split())[:400]

    def _link_socket(self) -> None:
        state = self._state()
        if not self.link_default_socket or os.path.lexists(DEFAULT_SOCKET):
            if not self.sees_default_socket:
                self.log(f"{DEFAULT_SOCKET} exists and is not this engine's: a cAdvisor container mounting "
                         "/var/run will not see this engine")
            return
        target = os.path.relpath(state.socket, os.path.realpath(DEFAULT_SOCKET.parent))
        os.symlink(target, DEFAULT_SOCKET)
        state.socket_link = str(DEFAULT_SOCKET)

    # -- stop ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Remove what the engine holds, stop dockerd, undo the host changes; safe to call twice."""
        state = self.state
        if state is None or self._stopping:
            return
        self._stopping = True
        try:
            _teardown(state, self.log)
        finally:
            self.state = None
            self._stopping = False
            if self._process is not None:
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    self._process.wait(timeout=1)
                self._process = None

    def _install_stop_handlers(self) -> None:
        """Stop at interpreter exit and on SIGTERM/SIGHUP too (Ctrl-C arrives as KeyboardInterrupt)."""
        atexit.register(self.stop)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous = signal.getsignal(signum)
            if previous not in (signal.SIG_DFL, None):
                continue  # someone else (pytest, a caller) handles it

            def handler(number: int, frame: FrameType | None, previous: object = previous) -> None:
                raise SystemExit(128 + number)

            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(signum, handler)

    # -- persistence -----------------------------------------------------------------------
    def _state(self) -> EngineState:
        if self.state is None:
            raise EngineError("the engine is not running: call start() first")
        return self.state

    def _save(self) -> None:
        state = self._state()
        path = Path(state.run_dir) / "engine.json"
        path.write_text(json.dumps(asdict(state), indent=2) + "\n")

    @classmethod
    def attach(cls, state: EngineState, log: Callable[[str], None] = _say) -> Engine:
        """An ``Engine`` for a running engine described by ``state`` (e.g. one the shell started)."""
        engine = cls(owner_pid=state.owner_pid, log=log)
        engine.state = state
        return engine


# ------------------------------------------------------------------ teardown (also for stale engines)


def _teardown(state: EngineState, log: Callable[[str], None]) -> None:
    problems: list[str] = []

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except (EngineError, OSError, subprocess.SubprocessError, ValueError) as error:
            problems.append(f"{what}: {error}")

    ours = _is_our_dockerd(state)
    if ours and Path(state.socket).exists():
        attempt("removing containers, networks and volumes", lambda: remove_everything(state.docker_host, log))
    if ours:
        attempt("stopping dockerd", lambda: _stop_dockerd(state))
    elif state.pid and alive(state.pid):
        problems.append(f"pid {state.pid} is not the dockerd of engine {state.id}: left alone")
    attempt("stopping leftover containerd processes", lambda: _kill_leftovers(state))
    for point in _mounts_under(Path(state.state_dir), Path(state.run_dir)):
        attempt(f"unmounting {point}", functools.partial(_run, ["umount", "-l", point]))
    if state.socket_link and os.path.islink(state.socket_link) and (
            os.path.realpath(state.socket_link) == os.path.realpath(state.socket)):
        attempt("removing the socket link", lambda: os.unlink(state.socket_link))
    attempt("removing the bridge", lambda: _remove_bridge(state))
    attempt("restoring the host", lambda: _restore_host(state))
    for directory in (state.state_dir, state.run_dir):
        if os.path.exists(directory):
            attempt(f"removing {directory}", functools.partial(shutil.rmtree, directory))
    if problems:
        raise EngineError(f"engine {state.id} stopped with problems: {'; '.join(problems)}")
    log(f"engine {state.id} stopped; nothing left behind")


def _is_our_dockerd(state: EngineState) -> bool:
    """The pid is alive and its command line is dockerd with this engine's socket (pids get reused)."""
    if not state.pid or not alive(state.pid):
        return False
    argv = cmdline(state.pid)
    return bool(argv) and Path(argv[0]).name == "dockerd" and f"--host={state.docker_host}" in argv


def remove_everything(host: str, log: Callable[[str], None]) -> None:
    """Remove every container, network and volume of the engine at ``host``: labelled ones first, then
    whatever else is left (everything in this engine was made by the suite; the unlabelled are named)."""
    removed: list[str] = []
    for label in (LABEL, PRODUCT_LABEL, None):
        selector = ["--filter", f"label={label}"] if label else []
        containers = run_docker(host, ["ps", "-aq", *selector]).stdout.split()
        if containers:
            names = run_docker(host, ["inspect", "--format", "{{.Name}}", *containers], check=False).stdout.split()
            run_docker(host, ["rm", "-f", "-v", *containers], timeout=180)
            removed += [f"container {n.lstrip('/')}" + ("" if label else " (unlabelled)") for n in names]
        networks = [n for n in run_docker(host, ["network", "ls", "-q", *selector]).stdout.split()]
        names = run_docker(host, ["network", "inspect", "--format", "{{.Name}}", *networks],
                           check=False).stdout.split() if networks else []
        mine = [n for n in names if n not in BUILTIN_NETWORKS]
        for network in mine:
            _remove_network(host, network)
            removed.append(f"network {network}" + ("" if label else " (unlabelled)"))
        volumes = run_docker(host, ["volume", "ls", "-q", *selector]).stdout.split()
        if volumes:
            run_docker(host, ["volume", "rm", "-f", *volumes])
            removed += [f"volume {v}" + ("" if label else " (unlabelled)") for v in volumes]
    if removed:
        log(f"removed {len(removed)}: {', '.join(removed)}")


def _remove_network(host: str, network: str) -> None:
    """``docker network rm``, retried after forcing out endpoints a removed container may have left."""
    for attempt in range(5):
        result = run_docker(host, ["network", "rm", network], check=False)
        if result.returncode == 0 or "not found" in result.stderr:
            return
        endpoints = run_docker(host, ["network", "inspect", "--format",
                                      "{{range $id, $c := .Containers}}{{$id}} {{end}}", network], check=False)
        for endpoint in endpoints.stdout.split():
            run_docker(host, ["network", "disconnect", "--force", network, endpoint], check=False)
        time.sleep(0.5 * (attempt + 1))
    run_docker(host, ["network", "rm", network])


def _stop_dockerd(state: EngineState) -> None:
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while alive(state.pid):
        if time.monotonic() > deadline:
            os.kill(state.pid, signal.SIGKILL)
            time.sleep(0.5)
            break
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(state.pid, os.WNOHANG)  # our child when started from this process: reap it
        time.sleep(0.1)


def _leftovers(state: EngineState) -> list[int]:
    """containerd, shims and docker-proxy processes of this engine (by exec root and address pool)."""
    marker = str(Path(state.run_dir) / "exec")
    pool = ipaddress.IPv4Network(state.pool)
    found = []
    for pid, argv in _processes():
        proxy = Path(argv[0]).name == "docker-proxy" and "-container-ip" in argv and _in_pool(
            argv[argv.index("-container-ip") + 1 :][:1], pool)
        if pid != os.getpid() and (proxy or any(marker in part for part in argv)):
            found.append(pid)
    return found


def _kill_leftovers(state: EngineState) -> None:
    """Wait a little for this engine's processes to end with dockerd, then SIGKILL what is left."""
    deadline = time.monotonic() + 10
    while _leftovers(state) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in _leftovers(state):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while [pid for pid in _leftovers(state) if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)


def _in_pool(words: list[str], pool: ipaddress.IPv4Network) -> bool:
    with contextlib.suppress(ValueError):
        return bool(words) and ipaddress.IPv4Address(words[0]) in pool
    return False


def _remove_bridge(state: EngineState) -> None:
    """Our default bridge, and any network bridge of dockerd's left with an address in our pool."""
    if Path(f"/sys/class/net/{state.bridge}").exists():
        _run(["ip", "link", "delete", state.bridge])
    pool = ipaddress.IPv4Network(state.pool)
    listing = _run(["ip", "-o", "-4", "addr", "show"], check=False).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1].startswith("br-") and fields[2] == "inet":
            with contextlib.suppress(ValueError):
                if ipaddress.IPv4Interface(fields[3]).ip in pool:
                    _run(["ip", "link", "delete", fields[1]], check=False)


def _restore_host(state: EngineState) -> None:
    """Delete the rules naming our bridge or pool; when no dockerd is left at all, back to the baseline:
    its iptables rules and ip_forward, and without the files and directories dockerd made since."""
    pool = ipaddress.IPv4Network(state.pool)
    current = _run(["iptables-save"], check=False).stdout
    table = ""
    for line in current.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith("-A ") and (state.bridge in line.split() or _mentions(line, pool)):
            _run(["iptables", "-t", table, "-D", *line.split()[1:]], check=False)
    if _dockerd_pids() or not BASELINE.exists():
        return
    baseline = json.loads(BASELINE.read_text())
    snapshot = str(baseline["iptables"])
    subprocess.run(["iptables-restore"], input=snapshot, text=True, check=True, capture_output=True, timeout=60)
    tables = {line[1:].strip() for line in snapshot.splitlines() if line.startswith("*")}
    for name in ("nat", "filter"):
        if name not in tables:  # the table did not exist before Docker: flush what Docker added
            _run(["iptables", "-t", name, "-F"], check=False)
            _run(["iptables", "-t", name, "-X"], check=False)
    if baseline.get("ip_forward"):
        with contextlib.suppress(OSError):
            IP_FORWARD.write_text(f"{baseline['ip_forward']}\n")
    for path in baseline.get("absent") or []:
        with contextlib.suppress(OSError):
            if Path(path).is_dir():
                os.rmdir(path)  # only when empty (listed deepest first)
            else:
                os.unlink(path)
    BASELINE.unlink()


def _mentions(rule: str, pool: ipaddress.IPv4Network) -> bool:
    for word in rule.split():
        with contextlib.suppress(ValueError):
            if "/" in word and ipaddress.IPv4Network(word, strict=False).subnet_of(pool):
                return True
    return False


# ------------------------------------------------------------------ stale engines and the shell


def engines_on_host() -> list[EngineState]:
    """Every engine of ours on this machine (from ``/run/iid-e2e-*/engine.json``)."""
    states = []
    for path in sorted(RUN_ROOT.glob("iid-e2e-*/engine.json")):
        with contextlib.suppress(OSError, ValueError, TypeError):
            states.append(EngineState(**json.loads(path.read_text())))
    return states


def reap_stale(log: Callable[[str], None] = _say) -> None:
    """Stop engines whose owning process died without stopping them (a killed test run)."""
    for state in engines_on_host():
        if state.owner_pid and not alive(state.owner_pid):
            log(f"stopping stale engine {state.id} (its test process {state.owner_pid} is gone)")
            with contextlib.suppress(EngineError):
                _teardown(state, log)


def _state_file() -> Path:
    return Path(os.environ.get(STATE_FILE_ENV) or DEFAULT_STATE_FILE)


def _shell_engine() -> EngineState | None:
    path = _state_file()
    if not path.exists():
        return None
    try:
        state = EngineState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return state if Path(state.run_dir).exists() else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness.engine",
                                     description="Our own Docker engine for the end-to-end suite.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start an engine (or keep the running one) and print its DOCKER_HOST")
    stop = commands.add_parser("stop", help="remove everything in the engine and stop it")
    stop.add_argument("--all", action="store_true", help="stop every engine of ours on this machine")
    commands.add_parser("env", help="print `export DOCKER_HOST=...` for eval")
    commands.add_parser("status", help="list the engines of ours on this machine")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            state = _shell_engine()
            if state is None or not _is_our_dockerd(state):
                engine = Engine(owner_pid=0).start()
                state = engine._state()
                atexit.unregister(engine.stop)
                _state_file().write_text(json.dumps(asdict(state), indent=2) + "\n")
            print(f"export DOCKER_HOST={state.docker_host}")
        elif args.command == "env":
            state = _shell_engine()
            if state is None:
                raise EngineError("no engine started from the shell: python -m tests.e2e.harness.engine start")
            print(f"export DOCKER_HOST={state.docker_host}")
        elif args.command == "status":
            for state in engines_on_host():
                running = "running" if _is_our_dockerd(state) else "not running"
                owner = f"owner pid {state.owner_pid}" if state.owner_pid else "started from the shell"
                print(f"{state.id} {running} {state.docker_host} ({owner})")
        else:
            targets = engines_on_host() if args.all else [s for s in [_shell_engine()] if s is not None]
            if not targets:
                _say("no engine to stop")
            try:
                for state in targets:
                    _teardown(state, _say)
            finally:
                if _shell_engine() is None or args.all:
                    with contextlib.suppress(OSError):
                        _state_file().unlink()
    except EngineError as error:
        print(f"engine: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
