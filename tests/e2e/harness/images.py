"""Stand-in images for the end-to-end suite, built locally (no registry here).

Each image copies the layout of the official image it stands in for (entrypoint, default
command, user, workdir, volumes: see ``tests/e2e/images/<name>/Dockerfile``) and is named
``iid-standin/<name>:<tag>``, never the official name: the e2e stack selects them through the
product's ``images.*`` settings (``stack_images()``).  The product's daemons (Prometheus,
Alertmanager, the exporters, cAdvisor) are the binaries ``scripts/toolchain daemons`` built from
their Go modules, in the version set ``IID_VERSION_SET`` names (``tests.tools``), tagged
``v<release>-gomod``; the bases, PostgreSQL and Redis are Debian's (tagged with the Debian version);
Grafana and the app are our own stand-ins.

How an image is made: this module stages a root filesystem tarball (Debian's files, the
libraries ``ldd`` names for every ELF file, generated ``/etc/passwd`` and ``/etc/group``, the
context's own files) with exact owners and modes, and ``docker build`` runs the context's
Dockerfile, which ``ADD``s it onto its base (``FROM scratch`` for the bases and
redis_exporter).  No ``RUN`` step, so a build needs neither network nor a running container.

An image is built only when the engine lacks it or has it with another key: the key hashes the
spec, the context's files and the copied host files (path, size, mtime), and the base's key.
Staged contexts are kept under ``${XDG_CACHE_HOME:-~/.cache}/internet-id-monitoring/e2e-images``
(outside the repository), so a new engine rebuilds from them without re-staging.

    python -m tests.e2e.harness.images build [NAME ...]   # against $DOCKER_HOST
    python -m tests.e2e.harness.images refs               # the images.* settings, as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import fnmatch
import functools
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests import tools
from tests.e2e.harness.engine import LABEL, EngineError, run_docker

REPO = Path(__file__).resolve().parents[3]
CONTEXTS = REPO / "tests" / "e2e" / "images"
KEY_LABEL = f"{LABEL}.key"
"""Image label holding the build key; an image whose key differs is rebuilt."""
SOURCE_DATE = 1_700_000_000
"""mtime of generated files (passwd, group, directories), so identical inputs give identical layers."""
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
"""Where Debian's python3.11 finds third-party packages."""


class ImageError(RuntimeError):
    """An image cannot be staged or built; the message names the missing piece and the fix."""


@dataclass(frozen=True)
class Copy:
    """Host files into the image: a file, or a directory tree (minus ``exclude`` globs)."""

    source: str
    target: str = ""
    """Path in the image; default: the same as ``source``."""
    exclude: tuple[str, ...] = ()
    """Glob patterns matched against paths relative to ``source`` (and against base names)."""
    owner: int = 0
    group: int = 0


@dataclass(frozen=True)
class Built:
    """A file or tree of a daemon build (``tests.tools.Build``) into the image."""

    source: str
    """Relative to the build's directory: ``bin/<binary>`` or ``share/<path in the module>``."""
    target: str
    owner: int = 0
    group: int = 0
    optional: bool = False
    """Left out when the build has no such file (a version that no longer ships it)."""


@dataclass(frozen=True)
class Dir:
    path: str
    owner: int = 0
    group: int = 0
    mode: int = 0o755


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int
    home: str = "/"
    shell: str = "/bin/false"
    group: str = ""
    """Name of the primary group (created when it is not ``root``); default: the user's name."""


@dataclass(frozen=True)
class StandIn:
    """One image: what goes in, what it is based on, how it is tagged."""

    name: str
    repository: str
    summary: str
    base: str = ""
    """Name of the image it is built ``FROM`` (its ``BASE`` build argument); empty: ``FROM scratch``."""
    version_package: str = ""
    """Debian package whose version is the tag."""
    build: str = ""
    """Recipe (``tests/e2e/toolchain/<build>``) whose build, in the suite's version set, supplies ``built`` and
    the tag (``v<release>-gomod``)."""
    built: tuple[Built, ...] = ()
    version: str = ""
    """Fixed tag (stand-ins that are our own code)."""
    packages: tuple[str, ...] = ()
    """Debian packages the copies come from: must be installed (their versions are part of the key)."""
    copies: tuple[Copy, ...] = ()
    dirs: tuple[Dir, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    """(path, target) symlinks."""
    users: tuple[User, ...] = ()
    context_files: tuple[tuple[str, str, int], ...] = ()
    """(file in the context directory, path in the image, mode)."""
    repo_files: tuple[str, ...] = ()
    """Repository files copied to ``/app/<same path>`` (the live suite's API stand-in)."""
    python_packages: tuple[str, ...] = ()
    """Import names copied from the running interpreter into ``DIST_PACKAGES`` (pinned versions)."""
    busybox_applets: bool = False
    product: bool = False
    """Stands in for one of the product's images (a key of ``components.versions.IMAGES``)."""
    multi_host: bool = False
    """Only a multi-host stack runs it (``components/hosts``): the single-host suites leave it out."""


BUSYBOX_USERS = (
    User("root", 0, 0, "/root", "/bin/sh"),
    User("daemon", 1, 1, "/usr/sbin"),
    User("nobody", 65534, 65534, "/home"),
)
PYTHON_EXCLUDES = ("__pycache__", "test", "tests", "idlelib", "tkinter", "turtledemo", "turtle.py", "ensurepip",
                   "lib2to3", "pydoc_data", "config-3.11-x86_64-linux-gnu", "_test*.so", "_xxtestfuzz*.so",
                   "xxlimited*.so", "_ctypes_test*.so", "_tkinter*.so", "*.exe", "dist-packages", "site-packages")
POSTGRES = "/usr/lib/postgresql/15"
"""Debian's PostgreSQL 15 (the app's compose pins postgres:15)."""

STANDINS: tuple[StandIn, ...] = (
    # ------------------------------------------------------------------ bases
    StandIn(
        name="busybox", repository="iid-standin/busybox", base="", version_package="busybox-static",
        summary="busybox-static with glibc's loader and libc, like quay.io/prometheus/busybox:glibc",
        packages=("busybox-static", "libc6"),
        copies=(Copy("/bin/busybox"), Copy("/lib/x86_64-linux-gnu/libc.so.6"),
                Copy("/lib64/ld-linux-x86-64.so.2")),
        dirs=(Dir("/tmp", mode=0o1777), Dir("/root", mode=0o700), Dir("/home"), Dir("/var"), Dir("/etc"),
              Dir("/usr/bin"), Dir("/usr/sbin")),
        users=BUSYBOX_USERS, context_files=(("nsswitch.conf", "/etc/nsswitch.conf", 0o644),),
        busybox_applets=True,
    ),
    StandIn(
        name="python", repository="iid-standin/python", base="busybox", version_package="python3.11-minimal",
        summary="Debian's python3.11 (interpreter, standard library) with the pinned prometheus_client and PyYAML",
        packages=("python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib"),
        copies=(Copy("/usr/bin/python3.11"), Copy("/usr/lib/python3.11", exclude=PYTHON_EXCLUDES)),
        links=(("/usr/bin/python3", "python3.11"),),
        python_packages=("prometheus_client", "yaml", "_yaml"),
    ),
    # ------------------------------------------------------------------ the product's images (built from Go modules)
    StandIn(
        name="prometheus", repository="iid-standin/prometheus", base="busybox", build="prometheus", product=True,
        summary="prom/prometheus layout with prometheus and promtool built from the Go module (no web UI assets)",
        built=(Built("bin/prometheus", "/bin/prometheus"), Built("bin/promtool", "/bin/promtool"),
               Built("share/documentation/examples/prometheus.yml", "/etc/prometheus/prometheus.yml", 65534, 65534),
               Built("share/consoles", "/usr/share/prometheus/consoles", optional=True),
               Built("share/console_libraries", "/usr/share/prometheus/console_libraries", optional=True),
               Built("share/LICENSE", "/LICENSE"), Built("share/NOTICE", "/NOTICE")),
        dirs=(Dir("/etc/prometheus", 65534, 65534), Dir("/prometheus", 65534, 65534)),
        links=(("/etc/prometheus/consoles", "/usr/share/prometheus/consoles"),
               ("/etc/prometheus/console_libraries", "/usr/share/prometheus/console_libraries")),
    ),
    StandIn(
        name="alertmanager", repository="iid-standin/alertmanager", base="busybox", build="alertmanager",
        product=True, summary="prom/alertmanager layout with alertmanager and amtool built from the Go module",
        built=(Built("bin/alertmanager", "/bin/alertmanager"), Built("bin/amtool", "/bin/amtool"),
               Built("share/examples/ha/alertmanager.yml", "/etc/alertmanager/alertmanager.yml", 65534, 65534),
               Built("share/LICENSE", "/LICENSE"), Built("share/NOTICE", "/NOTICE")),
        dirs=(Dir("/etc/alertmanager", 65534, 65534), Dir("/alertmanager", 65534, 65534)),
    ),
    StandIn(
        name="node-exporter", repository="iid-standin/node-exporter", base="busybox", build="node-exporter",
        product=True, summary="prom/node-exporter layout with node_exporter built from the Go module",
        built=(Built("bin/node_exporter", "/bin/node_exporter"), Built("share/LICENSE", "/LICENSE"),
               Built("share/NOTICE", "/NOTICE")),
    ),
    StandIn(
        name="blackbox-exporter", repository="iid-standin/blackbox-exporter", base="busybox",
        build="blackbox-exporter", product=True,
        summary="prom/blackbox-exporter layout with blackbox_exporter built from the Go module and its example config",
        built=(Built("bin/blackbox_exporter", "/bin/blackbox_exporter"),
               Built("share/blackbox.yml", "/etc/blackbox_exporter/config.yml"), Built("share/LICENSE", "/LICENSE"),
               Built("share/NOTICE", "/NOTICE")),
    ),
    StandIn(
        name="postgres-exporter", repository="iid-standin/postgres-exporter", base="busybox",
        build="postgres-exporter", product=True,
        summary="prometheuscommunity/postgres-exporter layout with postgres_exporter built from the Go module",
        built=(Built("bin/postgres_exporter", "/bin/postgres_exporter"), Built("share/LICENSE", "/LICENSE"),
               Built("share/NOTICE", "/NOTICE")),
    ),
    StandIn(
        name="redis-exporter", repository="iid-standin/redis-exporter", base="", build="redis-exporter",
        product=True, packages=("ca-certificates",),
        summary="oliver006/redis_exporter layout (FROM scratch: no shell) with redis_exporter built from the Go "
                "module (static) and Debian's CA certificates",
        built=(Built("bin/redis_exporter", "/redis_exporter"),),
        copies=(Copy("/etc/ssl/certs/ca-certificates.crt"),),
    ),
    StandIn(
        name="cadvisor", repository="iid-standin/cadvisor", base="busybox", build="cadvisor", product=True,
        summary="gcr.io/cadvisor/cadvisor layout with cAdvisor's library at the pinned version under a minimal main "
                "of our own (tests/e2e/toolchain/cadvisor: no web UI or REST API)",
        built=(Built("bin/cadvisor", "/usr/bin/cadvisor"),),
    ),
    StandIn(
        name="victoria-metrics", repository="iid-standin/victoria-metrics", base="busybox", build="victoria-metrics",
        product=True, multi_host=True,
        summary="victoriametrics/victoria-metrics layout with victoria-metrics built from the Go module",
        built=(Built("bin/victoria-metrics", "/victoria-metrics-prod"), Built("share/LICENSE", "/LICENSE")),
    ),
    StandIn(
        name="vmauth", repository="iid-standin/vmauth", base="busybox", build="victoria-metrics",
        product=True, multi_host=True,
        summary="victoriametrics/vmauth layout with vmauth built from the Go module (the same build)",
        built=(Built("bin/vmauth", "/vmauth-prod"), Built("share/LICENSE", "/LICENSE")),
    ),
    # ------------------------------------------------------------------ our own stand-in (AGPL module: not built)
    StandIn(
        name="grafana", repository="iid-standin/grafana", base="python", version="10.2.2-standin", product=True,
        summary="a stand-in for grafana/grafana (not Grafana): basic auth, file provisioning, health, "
                "dashboards, search, datasource health by querying the datasource",
        context_files=(("grafana_standin.py", "/usr/share/grafana/standin/grafana_standin.py", 0o644),
                       ("grafana", "/usr/share/grafana/bin/grafana", 0o755),
                       ("run.sh", "/run.sh", 0o755),
                       ("grafana.ini", "/etc/grafana/grafana.ini", 0o644)),
        links=(("/usr/share/grafana/bin/grafana-server", "grafana"), ("/usr/share/grafana/bin/grafana-cli", "grafana")),
        users=(User("grafana", 472, 0, "/home/grafana", "/bin/sh", group="root"),),
        dirs=(Dir("/usr/share/grafana"), Dir("/var/lib/grafana", 472, 0, 0o777), Dir("/var/lib/grafana/plugins", 472,
              0, 0o777), Dir("/var/log/grafana", 472, 0, 0o777), Dir("/home/grafana", 472, 0),
              *(Dir(f"/etc/grafana/provisioning/{sub}", 472, 0, 0o777)
                for sub in ("", "datasources", "dashboards", "notifiers", "plugins", "access-control", "alerting"))),
    ),
    # ------------------------------------------------------------------ the Internet-ID app on the same engine
    StandIn(
        name="app", repository="iid-standin/internet-id-app", base="python", version="standin",
        summary="the live suite's API stand-in (tests/live/harness/api_standin.py) and a static page, for the "
                "app's api and web services",
        context_files=(("app_standin.py", "/app/app_standin.py", 0o644),),
        repo_files=("tests/__init__.py", "tests/live/__init__.py", "tests/live/harness/__init__.py",
                    "tests/live/harness/ports.py", "tests/live/harness/api_standin.py"),
        users=(User("app", 1000, 1000, "/app"),),
    ),
    StandIn(
        name="postgres", repository="iid-standin/postgres", base="busybox", version_package="postgresql-15",
        summary="postgres:15 layout (POSTGRES_USER/PASSWORD/DB on first start) with Debian's PostgreSQL 15",
        packages=("postgresql-15", "postgresql-client-15", "tzdata"),
        copies=(Copy(f"{POSTGRES}/bin", exclude=("pg_upgrade", "pg_rewind", "pgbench", "pg_receivewal",
                                                 "pg_recvlogical")),
                Copy(f"{POSTGRES}/lib", exclude=("bitcode", "llvmjit*.so")),
                Copy("/usr/share/postgresql/15", exclude=("man",)),
                Copy("/usr/share/zoneinfo", exclude=("right", "posix"))),
        context_files=(("docker-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh", 0o755),),
        users=(User("postgres", 999, 999, "/var/lib/postgresql", "/bin/sh"),),
        dirs=(Dir("/var/lib/postgresql", 999, 999), Dir("/var/lib/postgresql/data", 999, 999, 0o700),
              Dir("/var/run/postgresql", 999, 999, 0o3777), Dir("/usr/local/bin")),
    ),
    StandIn(
        name="redis", repository="iid-standin/redis", base="busybox", version_package="redis-server",
        summary="redis:7 layout with Debian's redis-server and redis-cli",
        packages=("redis-server", "redis-tools"),
        copies=(Copy("/usr/bin/redis-server", "/usr/local/bin/redis-server"),
                Copy("/usr/bin/redis-cli", "/usr/local/bin/redis-cli")),
        users=(User("redis", 999, 999, "/data"),),
        dirs=(Dir("/data", 999, 999), Dir("/usr/local/bin")),
    ),
)
BY_NAME: dict[str, StandIn] = {spec.name: spec for spec in STANDINS}
PRODUCT_IMAGES = tuple(spec.name for spec in STANDINS if spec.product and not spec.multi_host)
"""What a single-host stack runs."""
MULTI_HOST_IMAGES = tuple(spec.name for spec in STANDINS if spec.multi_host)
"""What only a multi-host stack runs besides (the long-term view and its reader)."""
APP_IMAGES = ("app", "postgres", "redis")


def cache_dir() -> Path:
    """Staged build contexts: outside the repository."""
    explicit = os.environ.get("IID_E2E_IMAGE_CACHE")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "internet-id-monitoring" / "e2e-images"


# ------------------------------------------------------------------ versions and references


def _debian_versions(packages: Iterable[str]) -> dict[str, str]:
    names = sorted(set(packages))
    if not names:
        return {}
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version} ${db:Status-Status}\n", *names],
                            capture_output=True, text=True, check=False)
    versions = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "installed":
            versions[parts[0]] = parts[1]
    missing = [name for name in names if name not in versions]
    if missing:
        raise ImageError(f"Debian packages missing for the stand-in images: {' '.join(missing)}: "
                         f"apt-get install {' '.join(missing)} (scripts/bootstrap --e2e does)")
    return versions


def docker_tag(debian_version: str) -> str:
    """A Debian version as a Docker tag: no epoch, ``+`` and ``~`` become ``-`` (tags allow [\\w.-])."""
    version = debian_version.split(":", 1)[-1]
    return re.sub(r"[^\w.-]", "-", version)[:128]


def tag(spec: StandIn) -> str:
    spec = resolved(spec)
    if spec.version:
        return spec.version
    return docker_tag(_debian_versions([spec.version_package])[spec.version_package])


def reference(name: str) -> str:
    """``iid-standin/<name>:<tag>`` of the image ``name`` (a key of ``STANDINS``)."""
    spec = _spec(name)
    return f"{spec.repository}:{tag(spec)}"


def stack_images() -> dict[str, str]:
    """The product's ``images.*`` settings that select every stand-in (container name -> reference)."""
    return {name: reference(name) for name in PRODUCT_IMAGES}


def app_images() -> dict[str, str]:
    return {name: reference(name) for name in APP_IMAGES}


def _spec(name: str) -> StandIn:
    try:
        return resolved(BY_NAME[name])
    except KeyError:
        raise ImageError(f"no stand-in image {name!r}; known: {', '.join(BY_NAME)}") from None


def resolved(spec: StandIn, version_set: str | None = None) -> StandIn:
    """``spec`` with its daemon build's files as copies and its release as the tag (the suite's version set)."""
    if not spec.build or spec.version:
        return spec
    return _resolved(spec, version_set or tools.version_set())


@functools.cache
def _resolved(spec: StandIn, version_set: str) -> StandIn:
    try:
        build = tools.build(spec.build, version_set)
    except tools.BuildMissingError as error:
        raise ImageError(str(error)) from None
    copies = tuple(Copy(str(build.directory / f.source), f.target, owner=f.owner, group=f.group) for f in spec.built
                   if not f.optional or (build.directory / f.source).exists())
    return replace(spec, copies=spec.copies + copies, version=f"v{build.release}-gomod")


def chain(names: Iterable[str]) -> list[StandIn]:
    """The images named and their bases, bases first."""
    ordered: list[StandIn] = []

    def visit(spec: StandIn) -> None:
        if spec.base:
            visit(_spec(spec.base))
        if spec not in ordered:
            ordered.append(spec)

    for name in names:
        visit(_spec(name))
    return ordered


# ------------------------------------------------------------------ staging a root filesystem


@dataclass
class Entry:
    """One member of the staged tarball."""

    path: str
    kind: str
    """``file``, ``dir`` or ``link``."""
    source: Path | None = None
    data: bytes | None = None
    target: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = SOURCE_DATE

    def fingerprint(self) -> str:
        if self.source is not None:
            info = self.source.stat()
            content = f"{self.source}:{info.st_size}:{info.st_mtime_ns}"
        elif self.data is not None:
            content = hashlib.sha256(self.data).hexdigest()
        else:
            content = ""
        return f"{self.path}|{self.kind}|{self.target}|{self.mode:o}|{self.uid}|{self.gid}|{content}"


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


_LDD_CACHE: dict[str, list[str]] = {}


def libraries(path: Path) -> list[str]:
    """Absolute paths of the shared libraries ``path`` needs (``ldd``), the loader included."""
    key = str(path)
    if key in _LDD_CACHE:
        return _LDD_CACHE[key]
    result = subprocess.run(["ldd", key], capture_output=True, text=True, check=False)
    found: list[str] = []
    for raw in result.stdout.splitlines():
        line = raw.strip()
        if "not found" in line:
            raise ImageError(f"{path} needs a library that is not installed: {line}")
        if "=>" in line:
            target = line.split("=>", 1)[1].split("(", 1)[0].strip()
            if target.startswith("/"):
                found.append(target)
        elif line.startswith("/"):
            found.append(line.split("(", 1)[0].strip())
    _LDD_CACHE[key] = found
    return found


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    parts = relative.split("/")
    return any(fnmatch.fnmatch(relative, p) or any(fnmatch.fnmatch(part, p) for part in parts) for p in patterns)


def _walk(copy: Copy) -> Iterator[Entry]:
    source = Path(copy.source)
    target = copy.target or copy.source
    if not source.exists():
        raise ImageError(f"{source} does not exist: install the Debian package that ships it")
    if source.is_file():
        info = source.stat()
        yield Entry(target, "file", source=source.resolve(), mode=stat.S_IMODE(info.st_mode), uid=copy.owner,
                    gid=copy.group, mtime=int(info.st_mtime))
        return
    root = source.resolve()
    yield Entry(target, "dir", mode=stat.S_IMODE(root.stat().st_mode), uid=copy.owner, gid=copy.group)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            path = here / name
            relative = str(path.relative_to(root))
            if _excluded(relative, copy.exclude):
                if name in dirnames:
                    dirnames.remove(name)
                continue
            image_path = f"{target}/{relative}"
            if path.is_symlink():
                resolved = path.resolve()
                if resolved.is_relative_to(root) and resolved.exists():
                    yield Entry(image_path, "link", target=os.readlink(path), uid=copy.owner, gid=copy.group)
                elif resolved.is_file():  # points outside the copied tree: copy what it points at
                    yield Entry(image_path, "file", source=resolved, mode=stat.S_IMODE(resolved.stat().st_mode),
                                uid=copy.owner, gid=copy.group, mtime=int(resolved.stat().st_mtime))
                if name in dirnames:
                    dirnames.remove(name)  # never descend through a link
                continue
            info = path.stat()
            kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
            if kind == "file" and not stat.S_ISREG(info.st_mode):
                continue
            yield Entry(image_path, kind, source=path if kind == "file" else None, mode=stat.S_IMODE(info.st_mode),
                        uid=copy.owner, gid=copy.group, mtime=int(info.st_mtime))


def _passwd(users: Sequence[User]) -> tuple[bytes, bytes]:
    groups: dict[str, int] = {}
    for user in users:
        groups.setdefault(user.group or user.name, user.gid)
    passwd = "".join(f"{u.name}:x:{u.uid}:{u.gid}:{u.name}:{u.home}:{u.shell}\n" for u in users)
    group = "".join(f"{name}:x:{gid}:\n" for name, gid in groups.items())
    return passwd.encode(), group.encode()


def _python_package(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImageError(f"the Python package {name!r} is not importable here: run from the project's venv "
                         "(scripts/bootstrap --test), which pins it")
    return Path(next(iter(spec.submodule_search_locations)))


def _declared(spec: StandIn) -> Iterator[Entry]:
    """The entries the spec names (copies, context and repository files, packages, applets, users)."""
    for copy in spec.copies:
        yield from _walk(copy)
    context = CONTEXTS / spec.name
    mapped = {name for name, _, _ in spec.context_files}
    unmapped = sorted(p.name for p in context.iterdir() if p.name not in mapped | {"Dockerfile", "README.md"})
    if unmapped:
        raise ImageError(f"{context}: {', '.join(unmapped)} not in the image spec's context_files (images.py)")
    for name, target, mode in spec.context_files:
        yield Entry(target, "file", data=(context / name).read_bytes(), mode=mode)
    for relative in spec.repo_files:
        yield Entry(f"/app/{relative}", "file", data=(REPO / relative).read_bytes(), mode=0o644)
    for package in spec.python_packages:
        yield from _walk(Copy(str(_python_package(package)), f"{DIST_PACKAGES}/{package}",
                              exclude=("__pycache__", "*.pyc")))
    if spec.busybox_applets:
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True, check=True).stdout
        yield from (Entry(f"/bin/{a}", "link", target="busybox") for a in applets.split() if a != "busybox")
    if spec.users:
        passwd, group = _passwd(_users(spec))
        yield Entry("/etc/passwd", "file", data=passwd)
        yield Entry("/etc/group", "file", data=group)


@functools.cache
def entries(spec: StandIn) -> tuple[Entry, ...]:
    """Everything ``spec`` puts in its image: what it names, the libraries its ELF files need (unless
    its base has them), and the parent directories (its base's content is not repeated)."""
    _debian_versions(spec.packages)
    found: dict[str, Entry] = {}
    for entry in _declared(spec):
        found.setdefault(entry.path.rstrip("/") or "/", entry)
    for directory in spec.dirs:
        path = directory.path.rstrip("/")
        found[path] = Entry(path, "dir", mode=directory.mode, uid=directory.owner, gid=directory.group)
    for path, target in spec.links:
        found[path] = Entry(path, "link", target=target)
    base_files = {e.path for s in chain([spec.base]) for e in entries(s)} if spec.base else set()
    elves = [e.source for e in found.values() if e.kind == "file" and e.source and _is_elf(e.source)]
    for library in (lib for elf in elves for lib in libraries(elf)):
        if library not in found and library not in base_files:
            resolved = Path(library).resolve()
            info = resolved.stat()
            found[library] = Entry(library, "file", source=resolved, mode=stat.S_IMODE(info.st_mode),
                                   mtime=int(info.st_mtime))
    for path in list(found):  # parents no entry names: root-owned 0755 directories
        parent = Path(path).parent
        while str(parent) != "/":
            if str(parent) not in found and str(parent) not in base_files:
                found[str(parent)] = Entry(str(parent), "dir", mode=0o755)
            parent = parent.parent
    return tuple(sorted(found.values(), key=lambda e: e.path))


def _users(spec: StandIn) -> list[User]:
    users: list[User] = []
    for link in chain([spec.name]):
        for user in link.users:
            if all(u.name != user.name for u in users):
                users.append(user)
    return users


@functools.cache
def key(spec: StandIn) -> str:
    """Hash of everything that decides the image (changes when a Debian package, a context file or the spec does)."""
    digest = hashlib.sha256()
    digest.update(repr(spec).encode())
    digest.update((CONTEXTS / spec.name / "Dockerfile").read_bytes())
    digest.update(json.dumps(_debian_versions(spec.packages), sort_keys=True).encode())
    for entry in entries(spec):
        digest.update(entry.fingerprint().encode())
    if spec.base:
        digest.update(key(_spec(spec.base)).encode())
    return digest.hexdigest()


def write_rootfs(spec: StandIn, destination: Path) -> int:
    """The staged tarball of ``spec``; returns its size in bytes."""
    partial = destination.with_suffix(".partial")
    with tarfile.open(partial, "w", format=tarfile.GNU_FORMAT) as archive:
        for entry in entries(spec):
            info = tarfile.TarInfo(entry.path.lstrip("/"))
            info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, entry.mtime
            info.uname = info.gname = ""
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif entry.kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                info.mode = 0o777
                archive.addfile(info)
            elif entry.data is not None:
                info.size = len(entry.data)
                archive.addfile(info, io.BytesIO(entry.data))
            else:
                assert entry.source is not None
                info.size = entry.source.stat().st_size
                with entry.source.open("rb") as handle:
                    archive.addfile(info, handle)
    partial.replace(destination)
    return destination.stat().st_size


# ------------------------------------------------------------------ building


@dataclass
class Result:
    name: str
    reference: str
    action: str
    """``built`` or ``present`` (already in the engine with the same key)."""
    seconds: float
    staged: bool = False
    size_mb: float = 0.0


@dataclass
class Builder:
    """Builds what an engine lacks; ``log`` gets one line per image."""

    host: str
    log: Callable[[str], None] = field(default=lambda line: print(f"images: {line}", file=sys.stderr, flush=True))

    def image_key(self, ref: str) -> tuple[str, str]:
        """(image id, build key) of ``ref`` in the engine; empty strings when it is not there."""
        found = run_docker(self.host, ["image", "inspect", "--format",
                                       f'{{{{.Id}}}} {{{{index .Config.Labels "{KEY_LABEL}"}}}}', ref], check=False)
        if found.returncode != 0:
            return "", ""
        image_id, _, key_value = found.stdout.strip().partition(" ")
        return image_id, key_value.strip()

    def ensure(self, names: Iterable[str] | None = None) -> list[Result]:
        """Every image named (default: all) and its bases, built only when missing or out of date."""
        started = time.monotonic()
        results = []
        for spec in chain(names if names is not None else BY_NAME):
            results.append(self._ensure_one(spec))
        built = [r for r in results if r.action == "built"]
        self.log(f"{len(built)} built, {len(results) - len(built)} up to date, in {time.monotonic() - started:.1f}s")
        return results

    def _ensure_one(self, spec: StandIn) -> Result:
        started = time.monotonic()
        ref = f"{spec.repository}:{tag(spec)}"
        wanted = key(spec)
        old_id, old_key = self.image_key(ref)
        if old_key == wanted:
            return Result(spec.name, ref, "present", time.monotonic() - started)
        context = cache_dir() / f"{spec.name}-{wanted[:16]}"
        rootfs = context / "rootfs.tar"
        staged = False
        with _staging_lock(spec.name):  # suites running at once (scripts/test) share the staged contexts
            if not rootfs.exists():
                with contextlib.suppress(OSError):
                    for old in cache_dir().glob(f"{spec.name}-*"):
                        shutil.rmtree(old)
                context.mkdir(parents=True, exist_ok=True)
                write_rootfs(spec, rootfs)
                staged = True
            shutil.copyfile(CONTEXTS / spec.name / "Dockerfile", context / "Dockerfile")
        args = ["build", "--quiet", "--pull=false", "--network=none", "--label", f"{KEY_LABEL}={wanted}",
                "--label", f"org.opencontainers.image.description=iid stand-in: {spec.summary}",
                "--tag", ref]
        if spec.base:
            args += ["--build-arg", f"BASE={reference(spec.base)}"]
        try:
            run_docker(self.host, [*args, str(context)], timeout=600)
        except EngineError as error:
            raise ImageError(f"building {ref} failed: {error}") from None
        new_id, _ = self.image_key(ref)
        if old_id and old_id != new_id:  # the previous build of this tag, now untagged (kept while in use)
            run_docker(self.host, ["image", "rm", old_id], check=False)
        result = Result(spec.name, ref, "built", time.monotonic() - started, staged,
                        rootfs.stat().st_size / 1e6)
        self.log(f"built {ref} in {result.seconds:.1f}s ({'staged' if staged else 'cached'} rootfs "
                 f"{result.size_mb:.1f} MB)")
        return result


@contextlib.contextmanager
def _staging_lock(name: str) -> Iterator[None]:
    """One process at a time stages image ``name``'s context (another's rmtree must not hit a half-written one)."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with (cache_dir() / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure(host: str, names: Iterable[str] | None = None,
           log: Callable[[str], None] | None = None) -> list[Result]:
    """Build the images ``names`` (default: all) and their bases in the engine at ``host`` where missing."""
    builder = Builder(host) if log is None else Builder(host, log)
    return builder.ensure(names)


def ensure_parallel(host: str, names: Iterable[str] | None = None, workers: int = 2) -> list[Result]:
    """Like ``ensure``, with up to ``workers`` images staged and built at once (bases still first)."""
    ordered = chain(names if names is not None else BY_NAME)
    builder = Builder(host)
    results: dict[str, Result] = {}
    started = time.monotonic()
    levels: list[list[StandIn]] = []
    depth: dict[str, int] = {}
    for spec in ordered:
        depth[spec.name] = depth[spec.base] + 1 if spec.base else 0
        while len(levels) <= depth[spec.name]:
            levels.append([])
        levels[depth[spec.name]].append(spec)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for level in levels:
            for result in pool.map(builder._ensure_one, level):
                results[result.name] = result
    built = [r for r in results.values() if r.action == "built"]
    builder.log(f"{len(built)} built, {len(results) - len(built)} up to date, in {time.monotonic() - started:.1f}s")
    return [results[spec.name] for spec in ordered]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness.images",
                                     description="Build the e2e stand-in images in the engine at $DOCKER_HOST.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build what is missing (default: every image)")
    build.add_argument("names", nargs="*", help=f"of: {', '.join(BY_NAME)}")
    build.add_argument("--jobs", type=int, default=2, help="images built at once (default 2)")
    commands.add_parser("refs", help="print the images.* settings selecting the stand-ins (JSON)")
    commands.add_parser("list", help="name, reference and summary of every image")
    args = parser.parse_args(argv)
    try:
        if args.command == "refs":
            print(json.dumps(stack_images(), indent=2))
        elif args.command == "list":
            for spec in STANDINS:
                print(f"{spec.name:18} {reference(spec.name):48} {spec.summary}")
        else:
            host = os.environ.get("DOCKER_HOST")
            if not host:
                raise ImageError("DOCKER_HOST is not set: eval \"$(python -m tests.e2e.harness.engine env)\"")
            ensure_parallel(host, args.names or None, workers=max(1, args.jobs))
    except (ImageError, EngineError) as error:
        print(f"images: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
