"""Several Docker "hosts" on one machine for the multi-host suite: started here, stopped here, nothing left behind.

A ``Fleet`` of N hosts is N network namespaces, each with its own ``dockerd`` (in its own mount
and UTS namespace too, so ``/run`` and ``/etc/docker`` are private), each with one address on a
shared LAN: a bridge inside a namespace of its own (``lan``), joined to the machine by a veth so
tests and the Pulumi CLI reach the hosts.  No namespace has a default route: nothing leaves the
machine, and a missing image fails at once instead of trying a registry (images are built by the
e2e image builder in the first host and ``docker save | docker load``-ed into the others).

Each host serves the Docker API on ``tcp://<address>:2376`` with mutual TLS (a CA made for the
run, see ``tls.py``), the way the product reaches a remote host; the harness keeps a unix socket
per host for its own bookkeeping (teardown works while a host's link is cut).

What a test does with it::

    with Fleet(3) as fleet:
        a, b, c = fleet.hosts
        a.docker("run", "-d", "-p", "8080:8080", ...)   # the docker CLI over TCP + TLS
        fleet.cut("h2"); fleet.heal("h2")               # a partition, healed
        fleet.kill("h3"); fleet.revive("h3")            # a host lost (engine, containers, link), back

From the shell (one fleet per state file)::

    python -m tests.multihost.harness.fleet start --hosts 3
    python -m tests.multihost.harness.fleet env h1      # export DOCKER_HOST/DOCKER_TLS_VERIFY/DOCKER_CERT_PATH
    python -m tests.multihost.harness.fleet stop        # or: stop --all (every fleet of ours)

Everything the fleet makes is named ``iidmh-<id>…`` (namespaces, the machine's veth, cgroups,
directories) and every dockerd has its own socket, pidfile, data root and exec root; teardown acts
only on those, and on processes proven ours by command line (dockerd) or by namespace and cgroup
(containerd, shims, containers).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

from tests.e2e.harness import images
from tests.e2e.harness.engine import docker_cli
from tests.e2e.harness.procfs import alive, cmdline, find_binary, pids, routes
from tests.multihost.harness.tls import Authority, KeyPair, TlsError

PREFIX = "iidmh"
RUN_ROOT = Path("/run")
NETNS_DIR = RUN_ROOT / "netns"
STATE_FILE_ENV = "IID_MULTIHOST_STATE"
DEFAULT_STATE_FILE = RUN_ROOT / f"{PREFIX}-shell.json"
CGROUP_ROOT = Path("/sys/fs/cgroup")
API_PORT = 2376
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
NETWORK_CANDIDATES = range(150, 200)
"""``10.<n>.0.0/16`` per fleet (the single-host engine takes 10.200-249): LAN 10.n.0.0/24, host k's default
bridge 10.n.k.0/24, host k's user networks 10.n.(32k).0/19."""
LABEL = "com.internet-id.multihost"
"""Put ``LABEL=<fleet id>`` on what a test creates in a host (``Fleet.label``)."""


class FleetError(RuntimeError):
    """The fleet cannot be started or used; the message is one line that names the fix."""


def _say(message: str) -> None:
    print(f"fleet: {message}", file=sys.stderr, flush=True)


def _run(argv: Sequence[str], *, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), check=False, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise FleetError(f"{' '.join(argv)} failed: {' '.join(result.stderr.split())[:300]}")
    return result


def _require(binary: str, package: str) -> str:
    path = find_binary(binary)
    if not path:
        raise FleetError(f"{binary} not found: apt-get install {package} (scripts/bootstrap --e2e does)")
    return path


# ------------------------------------------------------------------ processes, namespaces, cgroups


def _netns_inode(name: str) -> int:
    try:
        return (NETNS_DIR / name).stat().st_ino
    except OSError:
        return 0


def _pids_in_netns(name: str) -> list[int]:
    """Processes whose network namespace is the named one (the host's dockerd, containerd, shims, proxies)."""
    inode = _netns_inode(name)
    if not inode:
        return []
    found = []
    for pid in pids():
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}/ns/net").st_ino == inode and pid != os.getpid():
                found.append(pid)
    return found


def _cgroup_dirs(parent: str) -> list[Path]:
    """The host's cgroup parent in every v1 controller (and the unified tree), where it exists."""
    if not CGROUP_ROOT.is_dir():
        return []
    return [controller / parent for controller in CGROUP_ROOT.iterdir() if (controller / parent).is_dir()]


def _pids_in_cgroup(parent: str) -> list[int]:
    """Processes of the host's containers (dockerd puts them under ``--cgroup-parent``)."""
    found: set[int] = set()
    for directory in _cgroup_dirs(parent):
        # os.walk passes over a cgroup removed while it is read (a container dying now), where rglob raises
        for root, _, files in os.walk(directory):
            if "cgroup.procs" in files:
                with contextlib.suppress(OSError, ValueError):
                    found.update(int(line) for line in (Path(root) / "cgroup.procs").read_text().split())
    return sorted(found)


def _kill_all(find: Callable[[], list[int]], timeout: float = 10) -> None:
    """SIGKILL what ``find`` returns until it returns nothing (new ones may appear while the old die)."""
    deadline = time.monotonic() + timeout
    while True:
        living = [pid for pid in find() if alive(pid)]
        if not living:
            return
        if time.monotonic() > deadline:
            raise FleetError(f"processes {living[:10]} survived SIGKILL for {timeout:.0f}s")
        for pid in living:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in living:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)  # reap our own children (dockerd when started here)
        time.sleep(0.1)


def _remove_cgroups(parent: str) -> None:
    for directory in _cgroup_dirs(parent):
        for root, _, _ in os.walk(directory, topdown=False):  # the deepest first; one already gone is passed over
            with contextlib.suppress(OSError):
                Path(root).rmdir()


def _free_network() -> ipaddress.IPv4Network:
    taken = [net for net in routes() if net.prefixlen > 0]
    for second in NETWORK_CANDIDATES:
        network = ipaddress.IPv4Network(f"10.{second}.0.0/16")
        if not any(network.overlaps(net) for net in taken):
            return network
    raise FleetError("no free 10.150-199.0.0/16 for the fleet's LAN: stop stale fleets "
                     "(python -m tests.multihost.harness.fleet stop --all) or remove the routes (ip route)")


# ------------------------------------------------------------------ state


@dataclass
class HostState:
    name: str
    index: int
    address: str
    netns: str
    port: str
    """The host's veth end on the LAN bridge (in the ``lan`` namespace): down = link cut."""
    state_dir: str
    cgroup_parent: str
    bridge_ip: str
    pool: str
    pid: int = 0

    @property
    def socket(self) -> str:
        return str(Path(self.state_dir) / "docker.sock")

    @property
    def unix_host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def tcp_host(self) -> str:
        return f"tcp://{self.address}:{API_PORT}"

    @property
    def exec_root(self) -> str:
        """In the host's private ``/run``; named per host so containerd's and the shims' command lines differ."""
        return str(RUN_ROOT / f"{self.netns}")


@dataclass
class FleetState:
    id: str
    run_dir: str
    state_dir: str
    network: str
    lan: str
    machine_address: str
    machine_link: str
    lan_netns: str
    hosts: list[HostState] = field(default_factory=list)
    owner_pid: int = 0
    """The process whose exit stops the fleet (0: started from the shell, lives until ``stop``)."""
    made_etc_docker: bool = False
    made_netns_dir: bool = False
    """``ip netns add`` made /run/netns (a bind mount on itself): removed by the last fleet out when empty."""

    @classmethod
    def from_json(cls, text: str) -> FleetState:
        raw = json.loads(text)
        raw["hosts"] = [HostState(**host) for host in raw.get("hosts", [])]
        return cls(**raw)

    def save(self) -> None:
        (Path(self.run_dir) / "fleet.json").write_text(json.dumps(asdict(self), indent=2) + "\n")


# ------------------------------------------------------------------ one host


@dataclass
class Host:
    """One Docker host of the fleet: its name, LAN address and Docker endpoints."""

    state: HostState
    client: KeyPair

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def address(self) -> str:
        """The host's address on the LAN (what the product calls a host's ``address``)."""
        return self.state.address

    @property
    def docker_host(self) -> str:
        """``tcp://<address>:2376``: the Docker API with mutual TLS."""
        return self.state.tcp_host

    @property
    def tls_dir(self) -> Path:
        """ca.pem, cert.pem and key.pem of the client (``DOCKER_CERT_PATH``)."""
        return self.client.docker_cert_path()

    @property
    def env(self) -> dict[str, str]:
        """Environment for the docker CLI (or anything reading Docker's variables) to use this host over TLS."""
        return {"DOCKER_HOST": self.docker_host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(self.tls_dir)}

    def docker(self, *args: str, check: bool = True, timeout: float = 120,
               input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` against this host over TCP with mutual TLS."""
        return run_docker(self.env, args, check=check, timeout=timeout, input_bytes=input_bytes)

    def local_docker(self, *args: str, check: bool = True, timeout: float = 120,
                     input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` over the host's unix socket: the harness's own path (works while the link is cut)."""
        return run_docker({"DOCKER_HOST": self.state.unix_host}, args, check=check, timeout=timeout,
                          input_bytes=input_bytes)


def run_docker(env: dict[str, str], args: Sequence[str], *, check: bool = True, timeout: float = 120,
               input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI with Docker's variables from ``env``; a failure raises ``FleetError``."""
    full = {**os.environ, "DOCKER_BUILDKIT": "0", "DOCKER_CLI_HINTS": "false", **env}
    for name in ("DOCKER_CONTEXT", *(() if "DOCKER_TLS_VERIFY" in env else ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"))):
        full.pop(name, None)
    try:
        done = subprocess.run([docker_cli(), *args], env=full, check=False, timeout=timeout, capture_output=True,
                              input=input_bytes)
    except subprocess.TimeoutExpired:
        raise FleetError(f"docker {' '.join(args[:3])} against {env['DOCKER_HOST']} did not finish within "
                         f"{timeout:.0f}s") from None
    result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                         done.stderr.decode(errors="replace"))
    if check and result.returncode != 0:
        message = " ".join((result.stderr.strip() or result.stdout.strip()).split())
        raise FleetError(f"docker {' '.join(args[:3])} against {env['DOCKER_HOST']} failed "
                         f"({result.returncode}): {message[:600]}")
    return result


# ------------------------------------------------------------------ the fleet


class Fleet:
    """N Docker hosts on a shared LAN; ``start()`` waits until every API answers over TLS."""

    def __init__(self, count: int = 3, *, state_dir: Path | None = None, owner_pid: int | None = None,
                 log: Callable[[str], None] = _say) -> None:
        if not 1 <= count <= 8:
            raise FleetError(f"a fleet has 1 to 8 hosts, not {count}")
        self.count = count
        self._state_parent = state_dir
        self._owner_pid = os.getpid() if owner_pid is None else owner_pid
        self.log = log
        self.state: FleetState | None = None
        self.hosts: list[Host] = []
        self._client: KeyPair | None = None

    # -- the public surface --------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._state().id

    @property
    def label(self) -> str:
        return f"{LABEL}={self.id}"

    @property
    def machine_address(self) -> str:
        """The machine's own address on the LAN (where containers on the hosts reach a server of the test)."""
        return self._state().machine_address

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise FleetError(f"no host {name!r} in this fleet (hosts: {', '.join(h.name for h in self.hosts)})")

    def addresses(self) -> dict[str, str]:
        return {host.name: host.address for host in self.hosts}

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- start -----------------------------------------------------------------------------
    def start(self) -> Fleet:
        """Make the LAN, the hosts and their engines; on any failure undo what was done and raise."""
        if self.state is not None:
            return self
        if os.geteuid() != 0:
            raise FleetError("network namespaces and dockerd need root: run the multi-host suite as root (CI does)")
        for binary, package in (("dockerd", "docker.io"), ("containerd", "containerd"), ("runc", "runc"),
                                ("iptables", "iptables"), ("ip", "iproute2"), ("nsenter", "util-linux"),
                                ("unshare", "util-linux"), ("openssl", "openssl")):
            _require(binary, package)
        docker_cli()
        reap_stale(self.log)
        fleet_id = secrets.token_hex(3)
        run_dir = RUN_ROOT / f"{PREFIX}-{fleet_id}"
        run_dir.mkdir(mode=0o700)
        parent = self._state_parent or Path(tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        state_dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{fleet_id}-", dir=parent))
        state_dir.chmod(0o700)
        state = self.state = FleetState(
            id=fleet_id, run_dir=str(run_dir), state_dir=str(state_dir), network="", lan="", machine_address="",
            machine_link=f"{PREFIX}{fleet_id}", lan_netns=f"{PREFIX}-{fleet_id}-lan", owner_pid=self._owner_pid,
        )
        atexit.register(self.stop)
        try:
            state.save()
            self._make_lan()
            self._make_tls()
            for host_state in state.hosts:
                self._make_host_network(host_state)
            if not Path("/etc/docker").is_dir():  # dockerd 20.10 writes /etc/docker/key.json: a private tmpfs there
                Path("/etc/docker").mkdir()
                state.made_etc_docker = True
            state.save()
            started = time.monotonic()
            for host_state in state.hosts:
                self._launch(host_state)
            for host in self.hosts:
                self._wait_ready(host)
            self.log(f"fleet {fleet_id}: {len(self.hosts)} hosts ready in {time.monotonic() - started:.1f}s on "
                     f"{state.lan} ({', '.join(f'{h.name} {h.address}' for h in self.hosts)})")
        except BaseException:
            self.stop()
            raise
        return self

    def _make_lan(self) -> None:
        state = self._state()
        # Held while the fleet picks its addresses, so two fleets starting at once never take the same ones
        # (a lock on the /run directory itself: no lock file left behind).
        lock = os.open(RUN_ROOT, os.O_RDONLY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state.made_netns_dir = not NETNS_DIR.exists() or any(f.made_netns_dir for f in fleets_on_machine())
            network = _free_network()
            lan = next(network.subnets(new_prefix=24))
            state.network, state.lan = str(network), str(lan)
            state.machine_address = str(lan[1])
            _run(["ip", "netns", "add", state.lan_netns])
            _run(["ip", "-n", state.lan_netns, "link", "add", "lan0", "type", "bridge"])
            _run(["ip", "-n", state.lan_netns, "link", "set", "lan0", "up"])
            _run(["ip", "-n", state.lan_netns, "link", "set", "lo", "up"])
            _run(["ip", "link", "add", state.machine_link, "type", "veth", "peer", "name", "machine", "netns",
                  state.lan_netns])
            _run(["ip", "-n", state.lan_netns, "link", "set", "machine", "master", "lan0", "up"])
            _run(["ip", "addr", "add", f"{state.machine_address}/{lan.prefixlen}", "dev", state.machine_link])
            _run(["ip", "link", "set", state.machine_link, "up"])
            for index in range(1, self.count + 1):
                name = f"h{index}"
                state.hosts.append(HostState(
                    name=name, index=index, address=str(lan[10 + index]), netns=f"{PREFIX}-{state.id}-{name}",
                    port=name, state_dir=str(Path(state.state_dir) / name),
                    cgroup_parent=f"{PREFIX}-{state.id}-{name}",
                    bridge_ip=f"{list(network.subnets(new_prefix=24))[index][1]}/24",
                    pool=str(list(network.subnets(new_prefix=19))[index]),
                ))
            state.save()
        finally:
            os.close(lock)

    def _make_tls(self) -> None:
        state = self._state()
        try:
            authority = Authority(Path(state.state_dir) / "tls", f"{PREFIX}-{state.id}")
            servers = {h.name: authority.issue(h.name, addresses=(h.address,), dns=(h.name,)) for h in state.hosts}
            self._client = authority.issue("client", server=False)
        except TlsError as error:
            raise FleetError(str(error)) from None
        self._servers = servers
        self.hosts = [Host(h, self._client) for h in state.hosts]

    def server_tls(self, name: str) -> KeyPair:
        """The host's own certificate and key (serverAuth and clientAuth, SAN = its address): for a daemon
        in a container of the host that speaks mutual TLS with its peers (Alertmanager gossip)."""
        return self._servers[name]

    def _make_host_network(self, host: HostState) -> None:
        lan = ipaddress.IPv4Network(self._state().lan)
        Path(host.state_dir).mkdir(mode=0o700)
        _run(["ip", "netns", "add", host.netns])
        _run(["ip", "-n", self._state().lan_netns, "link", "add", host.port, "type", "veth", "peer", "name", "eth0",
              "netns", host.netns])
        _run(["ip", "-n", self._state().lan_netns, "link", "set", host.port, "master", "lan0", "up"])
        _run(["ip", "-n", host.netns, "addr", "add", f"{host.address}/{lan.prefixlen}", "dev", "eth0"])
        _run(["ip", "-n", host.netns, "link", "set", "eth0", "up"])
        _run(["ip", "-n", host.netns, "link", "set", "lo", "up"])

    def _dockerd_argv(self, host: HostState) -> list[str]:
        directory = Path(host.state_dir)
        config = directory / "daemon.json"
        if not config.exists():
            config.write_text("{}\n")
        tls = self.server_tls(host.name)
        return [
            _require("dockerd", "docker.io"),
            f"--config-file={config}",
            f"--data-root={directory / 'data'}",
            f"--exec-root={host.exec_root}",
            f"--pidfile={RUN_ROOT / 'docker.pid'}",  # in the private /run: a reboot (``revive``) starts clean
            f"--host={host.unix_host}",
            # The host's own /var/run/docker.sock, in its private /run: what cAdvisor mounts by default.
            "--host=unix:///run/docker.sock",
            f"--host={host.tcp_host}",
            "--tlsverify", f"--tlscacert={tls.ca}", f"--tlscert={tls.cert}", f"--tlskey={tls.key}",
            f"--bip={host.bridge_ip}",
            f"--default-address-pool=base={host.pool},size=24",
            f"--cgroup-parent=/{host.cgroup_parent}",
            "--log-level=warn",
        ]

    def _launch(self, host: HostState) -> None:
        """dockerd inside the host's network namespace, in a private mount and UTS namespace of its own."""
        # mount -n: no /run/mount/utab written (on the machine's disk: /run is not yet the private tmpfs).
        setup = ('mount -n -t tmpfs -o mode=0755 tmpfs /run && mount -n -t tmpfs -o mode=0755 tmpfs /etc/docker && '
                 'hostname "$0" && exec "$@"')
        argv = [_require("nsenter", "util-linux"), f"--net={NETNS_DIR / host.netns}", "--",
                _require("unshare", "util-linux"), "--mount", "--uts", "--propagation", "private", "--",
                "/bin/sh", "-c", setup, host.name, *self._dockerd_argv(host)]
        log = (Path(host.state_dir) / "dockerd.log").open("ab")
        try:
            # nsenter, unshare and sh each exec the next: the pid is dockerd's. Own session: a Ctrl-C reaches
            # pytest, which then stops the fleet in order.
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        finally:
            log.close()
        host.pid = process.pid
        self._state().save()

    def _wait_ready(self, host: Host) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not alive(host.state.pid):
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(host.state.pid, os.WNOHANG)
                raise FleetError(f"dockerd of {host.name} exited at start: {self._last_error(host)}")
            if _is_our_dockerd(host.state) and Path(host.state.socket).exists():
                info = host.docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=20)
                if info.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise FleetError(f"dockerd of {host.name} did not answer over TLS within {START_TIMEOUT:.0f}s: "
                                 f"{self._last_error(host)}")
            time.sleep(0.2)

    @staticmethod
    def _last_error(host: Host) -> str:
        log = Path(host.state.state_dir) / "dockerd.log"
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            return "no log"
        errors = [line for line in lines if "level=error" in line or "level=fatal" in line or "failed" in line]
        return " ".join((errors or lines or ["empty log"])[-1].split())[:400] + f" (log: {log})"

    # -- images ----------------------------------------------------------------------------
    def build_images(self, names: Sequence[str]) -> dict[str, str]:
        """The e2e stand-in images ``names`` (and their bases) built in the first host and loaded into the
        others; returns name -> reference."""
        first = self.hosts[0]
        try:
            images.ensure(first.state.unix_host, names, log=self.log)
        except (images.ImageError, RuntimeError) as error:
            raise FleetError(f"building the stand-in images failed: {error}") from None
        references = {name: images.reference(name) for name in names}
        self.copy_images(list(references.values()), source=first)
        return references

    def copy_images(self, references: Sequence[str], source: Host | None = None) -> None:
        """``docker save REFS`` from ``source`` (default: the first host) into every other host that lacks one."""
        source = source or self.hosts[0]
        origin = {"DOCKER_HOST": source.state.unix_host}
        for host in self.hosts:
            if host is source:
                continue
            present = host.local_docker("image", "inspect", "--format", "{{.Id}}", *references, check=False)
            if present.returncode == 0:
                continue
            _pipe(origin, {"DOCKER_HOST": host.state.unix_host}, references)

    def entering(self, name: str) -> list[str]:
        """The command prefix that runs a command in host ``name``'s network namespace (its loopback: what is
        published on 127.0.0.1 there), with this machine's files and environment."""
        return [_require("nsenter", "util-linux"), f"--net={NETNS_DIR / self.host(name).state.netns}", "--"]

    def run_in(self, name: str, argv: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``argv`` in host ``name``'s network namespace."""
        return subprocess.run([*self.entering(name), *argv], capture_output=True, text=True, timeout=timeout,
                              check=False)

    # -- faults ----------------------------------------------------------------------------
    def cut(self, name: str) -> None:
        """Cut the host's link to the LAN (a partition): its engine and containers keep running."""
        _run(["ip", "-n", self._state().lan_netns, "link", "set", self.host(name).state.port, "down"])

    def heal(self, name: str) -> None:
        _run(["ip", "-n", self._state().lan_netns, "link", "set", self.host(name).state.port, "up"])

    def linked(self, name: str) -> bool:
        shown = _run(["ip", "-n", self._state().lan_netns, "-o", "link", "show", self.host(name).state.port])
        return ",UP" in shown.stdout or "<UP" in shown.stdout

    def kill(self, name: str) -> None:
        """Lose the host as in a power cut: link cut first, then every process of it (containers, shims,
        containerd, dockerd) SIGKILLed.  Its disk (data root) stays for ``revive``."""
        host = self.host(name)
        self.cut(name)
        _kill_all(lambda: _pids_in_cgroup(host.state.cgroup_parent))
        _kill_all(lambda: _pids_in_netns(host.state.netns))
        with contextlib.suppress(OSError):
            Path(host.state.socket).unlink()
        self.log(f"{name} killed (link cut, every process of it SIGKILLed)")

    def revive(self, name: str) -> None:
        """The killed host boots again: its engine starts on the same data root (containers with a restart
        policy come back) and its link comes up."""
        host = self.host(name)
        if _is_our_dockerd(host.state):
            raise FleetError(f"{name} is running: kill it first")
        self._launch(host.state)
        self.heal(name)
        self._wait_ready(host)
        self.log(f"{name} back")

    # -- stop ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Remove every container, stop every engine, delete namespaces, links, cgroups and files; safe twice."""
        state, self.state = self.state, None
        if state is None:
            return
        atexit.unregister(self.stop)
        _teardown(state, self.log)
        self.hosts = []

    def _state(self) -> FleetState:
        if self.state is None:
            raise FleetError("the fleet is not running: call start() first")
        return self.state

    @classmethod
    def attach(cls, state: FleetState, log: Callable[[str], None] = _say) -> Fleet:
        """A ``Fleet`` for a running fleet described by ``state`` (e.g. one the shell started)."""
        fleet = cls(len(state.hosts), owner_pid=state.owner_pid, log=log)
        fleet.state = state
        tls = Path(state.state_dir) / "tls"
        fleet._client = KeyPair(tls / "client" / "cert.pem", tls / "client" / "key.pem", tls / "client" / "ca.pem")
        fleet._servers = {h.name: KeyPair(tls / h.name / "cert.pem", tls / h.name / "key.pem", tls / h.name / "ca.pem")
                          for h in state.hosts}
        fleet.hosts = [Host(h, fleet._client) for h in state.hosts]
        return fleet


def _pipe(origin: dict[str, str], target: dict[str, str], references: Sequence[str]) -> None:
    """``docker save`` at ``origin`` piped into ``docker load`` at ``target``."""
    def env(extra: dict[str, str]) -> dict[str, str]:
        full = {**os.environ, **extra}
        for name in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            if name not in extra:
                full.pop(name, None)
        return full

    save = subprocess.Popen([docker_cli(), "save", *references], env=env(origin), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    load = subprocess.run([docker_cli(), "load", "--quiet"], env=env(target), stdin=save.stdout,
                          capture_output=True, text=True, check=False, timeout=600)
    assert save.stdout is not None
    save.stdout.close()
    _, saved_err = save.communicate(timeout=600)
    if save.returncode != 0 or load.returncode != 0:
        message = " ".join((saved_err.decode(errors="replace") + load.stderr).split())
        raise FleetError(f"copying images {', '.join(references)} to {target['DOCKER_HOST']} failed: {message[:400]}")


# ------------------------------------------------------------------ teardown (also of stale fleets)


def _is_our_dockerd(host: HostState) -> bool:
    """The pid is alive and its command line is dockerd with this host's socket (pids get reused)."""
    argv = cmdline(host.pid) if host.pid and alive(host.pid) else []
    return bool(argv) and Path(argv[0]).name == "dockerd" and f"--host={host.unix_host}" in argv


def _stop_host(host: HostState, log: Callable[[str], None]) -> None:
    if _is_our_dockerd(host) and Path(host.socket).exists():
        env = {"DOCKER_HOST": host.unix_host}
        containers = run_docker(env, ["ps", "-aq"], check=False).stdout.split()
        if containers:
            run_docker(env, ["rm", "-f", "-v", *containers], check=False, timeout=180)
            log(f"{host.name}: removed {len(containers)} container(s)")
    if _is_our_dockerd(host):
        os.kill(host.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive(host.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(host.pid, os.WNOHANG)
            time.sleep(0.1)
    _kill_all(lambda: _pids_in_cgroup(host.cgroup_parent))
    _kill_all(lambda: _pids_in_netns(host.netns))
    _remove_cgroups(host.cgroup_parent)


def _teardown(state: FleetState, log: Callable[[str], None]) -> None:
    problems: list[str] = []

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except (FleetError, OSError, subprocess.SubprocessError, ValueError) as error:
            problems.append(f"{what}: {error}")

    for host in state.hosts:
        attempt(f"stopping {host.name}", lambda host=host: _stop_host(host, log))  # type: ignore[misc]
    for host in state.hosts:
        if _netns_inode(host.netns):
            attempt(f"deleting namespace {host.netns}", lambda host=host: _run(["ip", "netns", "delete", host.netns]))  # type: ignore[misc]
    if _netns_inode(state.lan_netns):
        attempt("deleting the LAN", lambda: _run(["ip", "netns", "delete", state.lan_netns]))
    if Path(f"/sys/class/net/{state.machine_link}").exists():
        attempt("deleting the machine's link", lambda: _run(["ip", "link", "delete", state.machine_link]))
    if state.made_etc_docker and not any(fleet.made_etc_docker for fleet in fleets_on_machine()
                                         if fleet.id != state.id):  # (before this fleet's run dir goes)
        with contextlib.suppress(OSError):
            Path("/etc/docker").rmdir()
    others = [fleet for fleet in fleets_on_machine() if fleet.id != state.id]
    if state.made_netns_dir and not others and NETNS_DIR.is_dir() and not any(NETNS_DIR.iterdir()):
        attempt("removing /run/netns", _remove_netns_dir)
    for directory in (state.state_dir, state.run_dir):
        if os.path.exists(directory):
            attempt(f"removing {directory}", lambda d=directory: shutil.rmtree(d))  # type: ignore[misc]
    if problems:
        raise FleetError(f"fleet {state.id} stopped with problems: {'; '.join(problems)}")
    log(f"fleet {state.id} stopped; nothing left behind")


def _remove_netns_dir() -> None:
    while any(fields.split()[4] == str(NETNS_DIR) for fields in Path("/proc/self/mountinfo").read_text().splitlines()):
        _run(["umount", "-n", str(NETNS_DIR)])
    NETNS_DIR.rmdir()


def leftovers(state: FleetState) -> list[str]:
    """What of ``state`` is still on the machine (empty after a clean stop): the self-test asserts it."""
    found = []
    for host in state.hosts:
        if _netns_inode(host.netns):
            found.append(f"namespace {host.netns}")
        if host.pid and alive(host.pid) and cmdline(host.pid)[:1] and Path(cmdline(host.pid)[0]).name == "dockerd":
            found.append(f"dockerd {host.pid}")
        found += [f"process {pid} ({' '.join(cmdline(pid))[:80]})" for pid in _processes_mentioning(host.exec_root)]
        found += [f"cgroup {path}" for path in _cgroup_dirs(host.cgroup_parent)]
    if _netns_inode(state.lan_netns):
        found.append(f"namespace {state.lan_netns}")
    if Path(f"/sys/class/net/{state.machine_link}").exists():
        found.append(f"link {state.machine_link}")
    if any(ipaddress.IPv4Network(state.lan).overlaps(net) for net in routes() if net.prefixlen > 0):
        found.append(f"route to {state.lan}")
    found += [f"directory {d}" for d in (state.state_dir, state.run_dir) if os.path.exists(d)]
    if state.made_netns_dir and NETNS_DIR.exists() and not [f for f in fleets_on_machine() if f.id != state.id]:
        found.append(f"directory {NETNS_DIR}")
    rules = _run(["iptables-save"], check=False).stdout
    network = ipaddress.IPv4Network(state.network)
    found += [f"iptables rule in the machine's namespace: {line}" for line in rules.splitlines()
              if line.startswith("-A ") and (state.machine_link in line.split() or _mentions(line, network))]
    return found


def _mentions(rule: str, network: ipaddress.IPv4Network) -> bool:
    for word in rule.split():
        with contextlib.suppress(ValueError):
            if "/" in word and ipaddress.IPv4Network(word, strict=False).overlaps(network):
                return True
            if ipaddress.IPv4Address(word) in network:
                return True
    return False


def _processes_mentioning(marker: str) -> list[int]:
    return [pid for pid in pids() if pid != os.getpid() and any(marker in part for part in cmdline(pid))]


def fleets_on_machine() -> list[FleetState]:
    states = []
    for path in sorted(RUN_ROOT.glob(f"{PREFIX}-*/fleet.json")):
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            states.append(FleetState.from_json(path.read_text()))
    return states


def reap_stale(log: Callable[[str], None] = _say) -> None:
    """Stop fleets whose owning process died without stopping them (a killed test run)."""
    for state in fleets_on_machine():
        if state.owner_pid and not alive(state.owner_pid):
            log(f"stopping stale fleet {state.id} (its test process {state.owner_pid} is gone)")
            with contextlib.suppress(FleetError):
                _teardown(state, log)


# ------------------------------------------------------------------ the shell


def _state_file() -> Path:
    return Path(os.environ.get(STATE_FILE_ENV) or DEFAULT_STATE_FILE)


def _shell_fleet() -> FleetState | None:
    path = _state_file()
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        state = FleetState.from_json(path.read_text())
        if Path(state.run_dir).exists():
            return state
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.multihost.harness.fleet",
                                     description="Several Docker hosts in network namespaces (multi-host suite).")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a fleet (unless the shell's is running) and print its hosts")
    start.add_argument("--hosts", type=int, default=3, help="how many hosts (default 3)")
    start.add_argument("--images", nargs="*", default=[], help="e2e stand-in images to build and load into each host")
    env = commands.add_parser("env", help="print export lines for the docker CLI to use one host over TLS")
    env.add_argument("host", help="h1, h2, ...")
    for verb, text in (("cut", "cut a host's link"), ("heal", "heal a host's link"), ("kill", "kill a host"),
                       ("revive", "bring a killed host back")):
        commands.add_parser(verb, help=text).add_argument("host")
    stop = commands.add_parser("stop", help="remove everything and stop the fleet")
    stop.add_argument("--all", action="store_true", help="stop every fleet of ours on this machine")
    commands.add_parser("status", help="list the fleets of ours on this machine")
    return parser


def _start(count: int, image_names: Sequence[str]) -> None:
    state = _shell_fleet()
    if state is None:
        fleet = Fleet(count, owner_pid=0).start()
        atexit.unregister(fleet.stop)
        state = fleet._state()
        _state_file().write_text(json.dumps(asdict(state), indent=2) + "\n")
    fleet = Fleet.attach(state)
    if image_names:
        fleet.build_images(image_names)
    for host in fleet.hosts:
        print(f"{host.name} {host.address} {host.docker_host} {host.tls_dir}")


def _status() -> None:
    for found in fleets_on_machine():
        up = sum(_is_our_dockerd(h) for h in found.hosts)
        owner = f"owner pid {found.owner_pid}" if found.owner_pid else "started from the shell"
        print(f"{found.id} {found.lan} {up}/{len(found.hosts)} engines running ({owner})")


def _stop(every: bool) -> None:
    state = _shell_fleet()
    targets = fleets_on_machine() if every else [s for s in [state] if s is not None]
    if not targets:
        _say("no fleet to stop")
    try:
        for target in targets:
            _teardown(target, _say)
    finally:
        with contextlib.suppress(OSError):
            _state_file().unlink()


def _on_host(command: str, name: str) -> None:
    state = _shell_fleet()
    if state is None:
        raise FleetError("no fleet started from the shell: python -m tests.multihost.harness.fleet start")
    fleet = Fleet.attach(state)
    if command == "env":
        for variable, value in fleet.host(name).env.items():
            print(f"export {variable}={value}")
    else:
        getattr(fleet, command)(name)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "start":
            _start(args.hosts, args.images)
        elif args.command == "status":
            _status()
        elif args.command == "stop":
            _stop(args.all)
        else:
            _on_host(args.command, args.host)
    except FleetError as error:
        print(f"fleet: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
