"""A stand-in for Grafana 10.2's HTTP API, for the end-to-end suite. It is NOT Grafana.

Debian packages no Grafana and Grafana's own code is under the AGPL, so the e2e suite runs this
instead, inside the official image's layout.  It says so in every answer (header
``X-Iid-Standin: grafana``) and in ``/api/health`` (``"standin"``, version ``10.2.2-iid-standin``).

What it does, the way Grafana does it:

- ``grafana server``: settings from ``grafana.ini``, ``GF_<SECTION>_<KEY>`` and ``cfg:`` arguments;
  the admin user is created in the data directory at first start only (``[security]``
  ``admin_user``/``admin_password``); later starts keep the stored password.
- ``grafana cli admin reset-admin-password [--password-from-stdin | PASSWORD]``: sets the stored
  password; fails (exit 1) before the first server start, when there is no admin user yet.
- File provisioning from ``<paths.provisioning>/datasources/*.yaml`` and ``dashboards/*.yaml``
  (``apiVersion: 1``; ``$__file{path}``, ``$__env{NAME}``, ``$VAR``/``${VAR}`` expanded as Grafana does),
  dashboard JSON read from each file provider's ``options.path`` (``foldersFromFilesStructure`` too).  Read at start
  (invalid provisioning stops the server, as Grafana does) and re-read every 10 seconds.
- With basic auth as the admin: ``/api/datasources[/uid/U|/name/N]``,
  ``/api/datasources/uid/U/health`` (a real query: ``1+1`` against a Prometheus datasource,
  ``/api/v2/status`` of an Alertmanager one), ``/api/datasources/proxy/uid/U/...`` (GET/POST
  passed on to the datasource), ``/api/dashboards/uid/U``, ``/api/search``, ``/api/folders``,
  ``/api/user``, ``POST /api/admin/provisioning/{dashboards,datasources}/reload``.
  Without auth: ``/api/health``, ``/metrics``, ``/login``.

What it leaves out: the UI, rendering panels, users other than the admin, orgs other than 1,
API keys and service accounts, alerting, plugins, and every write API except the reloads.
Real Grafana reads datasource provisioning only at start (this one re-reads it too).
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

VERSION = "10.2.2-iid-standin"
STANDIN = "iid stand-in for Grafana 10.2 (tests/e2e/images/grafana): not Grafana"
RESCAN_SECONDS = 10.0
DATA_FILE = "grafana-standin.json"
"""The stand-in's "database": the admin user, in ``paths.data``."""
PBKDF2_ITERATIONS = 10_000


def log(message: str) -> None:
    print(f"logger=standin t={time.strftime('%Y-%m-%dT%H:%M:%S%z')} {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ settings


@dataclass
class Settings:
    values: dict[str, dict[str, str]]

    def get(self, section: str, key: str, default: str = "") -> str:
        return self.values.get(section, {}).get(key, default)

    def flag(self, section: str, key: str, default: bool) -> bool:
        value = self.get(section, key, str(default)).strip().lower()
        return value in ("1", "true", "yes", "on")


def load_settings(config: Path, overrides: list[str]) -> Settings:
    """``cfg:default.*`` arguments, ``grafana.ini``, ``GF_SECTION_KEY`` (``__FILE`` reads a file), ``cfg:*``."""
    values: dict[str, dict[str, str]] = {}

    def put(dotted: str, value: str) -> None:
        section, _, key = dotted.rpartition(".")
        values.setdefault(section, {})[key] = value

    for item in overrides:  # cfg:default.section.key=value: defaults, below the file (as Grafana)
        if item.startswith("cfg:default.") and "=" in item:
            put(*item[len("cfg:default."):].split("=", 1))
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"), strict=False)
    if config.is_file():
        parser.read(config)
    for section in parser.sections():
        values.setdefault(section, {}).update({k: v for k, v in parser.items(section) if k not in parser.defaults()})
    values.setdefault("", {}).update(dict(parser.defaults()))
    for variable, raw in os.environ.items():
        if not variable.startswith("GF_"):
            continue
        name, value = variable, raw
        if variable.endswith("__FILE"):
            try:
                value = Path(raw).read_text().rstrip("\r\n")
            except OSError:
                continue
            name = variable.removesuffix("__FILE")
        section, key = _env_key(name)
        values.setdefault(section, {})[key] = value
    for item in overrides:  # cfg:section.key=value: above everything
        if item.startswith("cfg:") and not item.startswith("cfg:default.") and "=" in item:
            put(*item[len("cfg:"):].split("=", 1))
    return Settings(values)


KNOWN_SECTIONS = ("auth.anonymous", "auth.basic", "unified_alerting", "security", "server", "paths", "users",
                  "analytics", "alerting", "database", "log", "auth", "smtp")


def _env_key(name: str) -> tuple[str, str]:
    body = name[3:].lower()
    for section in sorted(KNOWN_SECTIONS, key=len, reverse=True):
        prefix = section.replace(".", "_") + "_"
        if body.startswith(prefix):
            return section, body[len(prefix):]
    section, _, key = body.partition("_")
    return section, key


def data_dir(settings: Settings) -> Path:
    return Path(settings.get("paths", "data") or os.environ.get("GF_PATHS_DATA", "/var/lib/grafana"))


# ------------------------------------------------------------------ the admin user


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS, 50).hex()


@dataclass
class Admin:
    login: str
    email: str
    salt: str
    password_hash: str

    def check(self, user: str, password: str) -> bool:
        return user in (self.login, self.email) and hmac.compare_digest(self.password_hash, _hash(password, self.salt))


def load_admin(directory: Path) -> Admin | None:
    try:
        return Admin(**json.loads((directory / DATA_FILE).read_text())["admin"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_admin(directory: Path, admin: Admin) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (DATA_FILE + ".partial")
    partial.write_text(json.dumps({"admin": admin.__dict__, "standin": STANDIN}, indent=2))
    partial.chmod(0o600)
    partial.replace(directory / DATA_FILE)


def new_admin(login: str, password: str) -> Admin:
    salt = secrets.token_hex(5)
    return Admin(login, "admin@localhost", salt, _hash(password, salt))


# ------------------------------------------------------------------ provisioning


class ProvisioningError(ValueError):
    """A provisioning file Grafana would refuse."""


_VAR = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)")
_EXPANDER = re.compile(r"\$__(file|env)\{([^}]*)\}")


def _expanded(match: re.Match[str]) -> str:
    """Grafana's ``$__file{path}`` (the file's content, trimmed; a missing file fails provisioning) and
    ``$__env{NAME}``, expanded before the environment variables, as ``setting.ExpandVar`` does."""
    kind, argument = match.group(1), match.group(2).strip()
    if kind == "env":
        return os.environ.get(argument, "")
    try:
        return Path(argument).read_text().strip()
    except OSError as error:
        raise ProvisioningError(f"$__file{{{argument}}}: {error.strerror}") from None


def expand(value: Any) -> Any:
    """Grafana's expanders and environment variables in every string of a provisioning document (``$$`` is a
    literal ``$``)."""
    if isinstance(value, str):
        return "$".join(_VAR.sub(lambda m: os.environ.get(m.group(1) or m.group(2), ""), _EXPANDER.sub(_expanded, part))
                        for part in value.split("$$"))
    if isinstance(value, list):
        return [expand(item) for item in value]
    if isinstance(value, dict):
        return {key: expand(item) for key, item in value.items()}
    return value


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _document(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ProvisioningError(f"{path}: {error}") from None
    if not isinstance(document, dict):
        raise ProvisioningError(f"{path}: not a YAML mapping")
    if document.get("apiVersion", 0) not in (0, 1):
        raise ProvisioningError(f"{path}: apiVersion {document.get('apiVersion')} (only 1 is known)")
    return dict(expand(document))


@dataclass
class Datasource:
    id: int
    uid: str
    name: str
    type: str
    url: str
    access: str
    is_default: bool
    json_data: dict[str, Any]
    basic_auth: bool = False
    basic_auth_user: str = ""
    basic_auth_password: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "orgId": 1, "name": self.name, "type": self.type,
                "typeName": self.type.capitalize(), "access": self.access, "url": self.url, "user": "",
                "database": "", "basicAuth": self.basic_auth, "basicAuthUser": self.basic_auth_user,
                "isDefault": self.is_default, "jsonData": self.json_data, "readOnly": True, "version": 1}


def read_datasources(directory: Path) -> list[Datasource]:
    found: list[Datasource] = []
    deleted: set[str] = set()
    for path in _yaml_files(directory):
        document = _document(path)
        deleted.update(str(item.get("name")) for item in document.get("deleteDatasources") or [])
        for item in document.get("datasources") or []:
            if not isinstance(item, dict) or not item.get("name") or not item.get("type"):
                raise ProvisioningError(f"{path}: every datasource needs a name and a type")
            if int(item.get("orgId", 1)) != 1:
                continue
            secure = item.get("secureJsonData") or {}
            uid = str(item.get("uid") or _slug(str(item["name"])))
            found.append(Datasource(
                id=len(found) + 1, uid=uid, name=str(item["name"]), type=str(item["type"]),
                url=str(item.get("url") or ""), access=str(item.get("access") or "proxy"),
                is_default=bool(item.get("isDefault")), json_data=dict(item.get("jsonData") or {}),
                basic_auth=bool(item.get("basicAuth")), basic_auth_user=str(item.get("basicAuthUser") or ""),
                basic_auth_password=str(secure.get("basicAuthPassword") or ""),
            ))
    found = [d for d in found if d.name not in deleted]
    if sum(d.is_default for d in found) > 1:
        raise ProvisioningError("datasource.yaml config is invalid. Only one datasource per organization can be "
                                "marked as default")
    for attribute in ("uid", "name"):
        seen: set[str] = set()
        for source in found:
            value = getattr(source, attribute)
            if value in seen:
                raise ProvisioningError(f"datasource {attribute} {value!r} is provisioned twice")
            seen.add(value)
    return found


@dataclass
class Folder:
    id: int
    uid: str
    title: str


@dataclass
class Dashboard:
    id: int
    uid: str
    title: str
    folder: Folder | None
    model: dict[str, Any]
    path: Path
    provider: str
    updated: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    @property
    def slug(self) -> str:
        return _slug(self.title)

    @property
    def url(self) -> str:
        return f"/d/{self.uid}/{self.slug}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def read_dashboards(directory: Path) -> tuple[list[Folder], list[Dashboard]]:
    folders: dict[str, Folder] = {}
    dashboards: list[Dashboard] = []
    uids: set[str] = set()
    ids = iter(range(1, 1 << 30))  # folders and dashboards share one id sequence, as in Grafana's table

    def folder(uid: str, title: str) -> Folder | None:
        if not title and not uid:
            return None  # "General"
        uid = uid or _slug(title)
        if uid not in folders:
            folders[uid] = Folder(next(ids), uid, title or uid)
        return folders[uid]

    for path in _yaml_files(directory):
        document = _document(path)
        for provider in document.get("providers") or []:
            if not isinstance(provider, dict) or int(provider.get("orgId", 1)) != 1:
                continue
            if provider.get("type", "file") != "file":
                raise ProvisioningError(f"{path}: provider type {provider.get('type')!r} (only 'file' is known)")
            options = provider.get("options") or {}
            root = Path(str(options.get("path") or ""))
            by_structure = bool(options.get("foldersFromFilesStructure"))
            if by_structure and (provider.get("folder") or provider.get("folderUid")):
                raise ProvisioningError(f"{path}: 'folder' and 'folderUid' must be empty with "
                                        "foldersFromFilesStructure")
            if not root.is_dir():
                log(f"msg=\"Cannot read directory\" provider={provider.get('name')} path={root}")
                continue
            for file in sorted(root.rglob("*.json")):
                try:
                    model = json.loads(file.read_text())
                except (OSError, ValueError) as error:
                    log(f"msg=\"failed to load dashboard\" file={file} error=\"{error}\"")
                    continue
                if not isinstance(model, dict) or not model.get("title"):
                    log(f"msg=\"failed to load dashboard\" file={file} error=\"Dashboard title cannot be empty\"")
                    continue
                uid = str(model.get("uid") or hashlib.sha1(str(file).encode()).hexdigest()[:14])
                if uid in uids:
                    log(f"msg=\"the same UID is used more than once\" uid={uid} file={file}")
                    continue
                uids.add(uid)
                if by_structure and file.parent != root:
                    home = folder("", file.parent.name)
                else:
                    home = folder(str(provider.get("folderUid") or ""), str(provider.get("folder") or ""))
                dashboards.append(Dashboard(next(ids), uid, str(model["title"]), home, model, file,
                                            str(provider.get("name") or "")))
    return list(folders.values()), dashboards


@dataclass
class Provisioned:
    datasources: list[Datasource] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    dashboards: list[Dashboard] = field(default_factory=list)


class Provisioning:
    """What the provisioning files say, re-read in the background."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current = Provisioned()
        self._lock = threading.Lock()
        self._signature = ""

    def load(self, *, strict: bool) -> None:
        signature = self._fingerprint()
        if signature == self._signature:
            return
        try:
            datasources = read_datasources(self.root / "datasources")
            folders, dashboards = read_dashboards(self.root / "dashboards")
        except ProvisioningError as error:
            if strict:
                raise
            log(f"msg=\"provisioning failed, keeping the previous state\" error=\"{error}\"")
            return
        with self._lock:
            self.current = Provisioned(datasources, folders, dashboards)
            self._signature = signature
        log(f"msg=\"provisioned\" datasources={len(datasources)} folders={len(folders)} dashboards={len(dashboards)}")

    def _fingerprint(self) -> str:
        """Changes whenever a provisioning file or a dashboard file it points at changes."""
        digest = hashlib.sha256()
        paths = [*_yaml_files(self.root / "datasources"), *_yaml_files(self.root / "dashboards")]
        for path in paths:
            digest.update(str(path).encode())
            try:
                digest.update(path.read_bytes())
            except OSError:
                continue
        for directory in self._dashboard_dirs():
            for file in sorted(directory.rglob("*.json")):
                try:
                    info = file.stat()
                except OSError:
                    continue
                digest.update(f"{file}:{info.st_size}:{info.st_mtime_ns}".encode())
        return digest.hexdigest()

    def _dashboard_dirs(self) -> list[Path]:
        dirs = []
        for path in _yaml_files(self.root / "dashboards"):
            try:
                document = _document(path)
            except ProvisioningError:
                continue
            for provider in document.get("providers") or []:
                if isinstance(provider, dict):
                    target = Path(str((provider.get("options") or {}).get("path") or ""))
                    if target.is_dir():
                        dirs.append(target)
        return dirs

    def forget(self) -> None:
        """The next ``load`` reads the files even if they did not change (the reload API)."""
        self._signature = ""

    def snapshot(self) -> Provisioned:
        with self._lock:
            return self.current

    def watch(self, stop: threading.Event) -> None:
        while not stop.wait(RESCAN_SECONDS):
            self.load(strict=False)


# ------------------------------------------------------------------ datasource queries


def datasource_request(source: Datasource, path: str, *, method: str = "GET", body: bytes | None = None,
                       timeout: float = 10) -> tuple[int, bytes, str]:
    """One request to the datasource's URL (with its basic auth): status, body, content type."""
    url = source.url.rstrip("/") + "/" + path.lstrip("/")
    headers = {"User-Agent": f"Grafana/{VERSION}"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if source.basic_auth:
        token = base64.b64encode(f"{source.basic_auth_user}:{source.basic_auth_password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def check_health(source: Datasource) -> tuple[int, dict[str, Any]]:
    """What ``/api/datasources/uid/U/health`` answers: a real query against the datasource."""
    try:
        if source.type == "prometheus":
            method = str(source.json_data.get("httpMethod") or "POST").upper()
            query = urllib.parse.urlencode({"query": "1+1", "time": f"{time.time():.3f}"})
            if method == "POST":
                status, body, _ = datasource_request(source, "/api/v1/query", method="POST", body=query.encode())
            else:
                status, body, _ = datasource_request(source, f"/api/v1/query?{query}")
            document = json.loads(body or b"{}")
            if status == 200 and document.get("status") == "success":
                return 200, {"status": "OK", "message": "Successfully queried the Prometheus API."}
            detail = document.get("error") or body[:200].decode(errors="replace")
            return 400, {"status": "ERROR", "message": f"Prometheus answered {status}: {detail}"}
        if source.type == "alertmanager":
            status, body, _ = datasource_request(source, "/api/v2/status")
            if status == 200:
                return 200, {"status": "OK", "message": "Health check passed (stand-in: Alertmanager /api/v2/status)."}
            return 400, {"status": "ERROR", "message": f"Alertmanager answered {status}"}
    except (OSError, ValueError) as error:
        return 400, {"status": "ERROR", "message": f"{source.type} at {source.url}: {error}"}
    return 404, {"message": f"health check of {source.type} datasources is not implemented by the stand-in"}


# ------------------------------------------------------------------ HTTP


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.started = time.time()

    def count(self, method: str, handler: str, status: int) -> None:
        with self.lock:
            self.requests[(method, handler, status)] = self.requests.get((method, handler, status), 0) + 1

    def exposition(self, provisioned: Provisioned) -> bytes:
        lines = [
            f"# {STANDIN}",
            "# HELP grafana_build_info A metric with a constant '1' value labeled by version, revision, branch, "
            "and goversion from which Grafana was built",
            "# TYPE grafana_build_info gauge",
            f'grafana_build_info{{branch="",edition="oss",goversion="",revision="iid-standin",version="{VERSION}"}} 1',
            "# HELP grafana_stat_totals_dashboard total amount of dashboards",
            "# TYPE grafana_stat_totals_dashboard gauge",
            f"grafana_stat_totals_dashboard {len(provisioned.dashboards)}",
            "# HELP grafana_stat_totals_datasource total number of defined datasources",
            "# TYPE grafana_stat_totals_datasource gauge",
            f"grafana_stat_totals_datasource {len(provisioned.datasources)}",
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds {self.started:.3f}",
            "# HELP grafana_http_request_total HTTP requests answered by the stand-in.",
            "# TYPE grafana_http_request_total counter",
        ]
        with self.lock:
            for (method, handler, status), count in sorted(self.requests.items()):
                lines.append(f'grafana_http_request_total{{handler="{handler}",method="{method}",'
                             f'status_code="{status}"}} {count}')
        return ("\n".join(lines) + "\n").encode()


Reply = tuple[str, int, bytes, str]
"""handler name (for /metrics), status, body, content kind."""


def js(handler: str, status: int, document: Any) -> Reply:
    return handler, status, json.dumps(document).encode(), "json"


NOT_FOUND: Reply = js("notfound", 404, {"message": "Not found"})


class Server:
    def __init__(self, settings: Settings, admin: Admin, provisioning: Provisioning) -> None:
        self.settings = settings
        self.admin = admin
        self.provisioning = provisioning
        self.metrics = Metrics()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "grafana-standin"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server.route(self, "GET")

            def do_POST(self) -> None:
                server.route(self, "POST")

            def do_HEAD(self) -> None:
                server.route(self, "HEAD")

        return Handler

    def route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(request.path)
        path, query = parsed.path.rstrip("/") or "/", urllib.parse.parse_qs(parsed.query)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        handler = "unknown"
        try:
            handler, status, payload, kind = self.answer(request, method, path, query, body)
        except Exception as error:  # a stand-in bug must answer 500, not drop the connection
            status, payload, kind = 500, json.dumps({"message": f"stand-in error: {error}"}).encode(), "json"
        content_type = {"json": "application/json", "text": "text/plain; version=0.0.4; charset=utf-8",
                        "html": "text/html; charset=utf-8"}.get(kind, kind)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        request.send_header("X-Iid-Standin", "grafana")
        request.send_header("Cache-Control", "no-store")
        if status == 401:
            request.send_header("WWW-Authenticate", 'Basic realm="Grafana stand-in"')
        request.end_headers()
        if method != "HEAD":
            request.wfile.write(payload)
        self.metrics.count(method, handler, status)

    def authorized(self, request: BaseHTTPRequestHandler) -> bool:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Basic ") or not self.settings.flag("auth.basic", "enabled", True):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return self.admin.check(user, password)

    def answer(self, request: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, list[str]],
               body: bytes) -> Reply:
        """Health, metrics and the login page answer anyone; everything else under /api/ needs the admin."""
        provisioned = self.provisioning.snapshot()
        public = self.public(path, provisioned)
        if public is not None:
            return public
        anonymous = self.settings.flag("auth.anonymous", "enabled", False)
        if not anonymous and not self.authorized(request):
            if request.headers.get("Authorization"):
                return js("auth", 401, {"message": "Invalid username or password", "messageId":
                                        "password-auth.failed", "statusCode": 401})
            return js("auth", 401, {"message": "Unauthorized"})
        parts = [urllib.parse.unquote(p) for p in path.split("/")[2:]]
        if parts[:1] == ["datasources"]:
            return self.datasources(method, parts[1:], body, query, provisioned)
        if parts[:1] == ["dashboards"]:
            return self.dashboards(parts[1:], provisioned)
        if parts[:1] == ["folders"]:
            return self.folders(parts[1:], provisioned)
        if parts == ["search"]:
            return js("/api/search", 200, search(provisioned, query))
        if parts == ["user"]:
            return js("/api/user", 200, {"id": 1, "login": self.admin.login, "email": self.admin.email,
                                         "name": "", "isGrafanaAdmin": True, "orgId": 1})
        if parts == ["org"]:
            return js("/api/org", 200, {"id": 1, "name": "Main Org."})
        if method == "POST" and parts[:2] == ["admin", "provisioning"] and parts[3:] == ["reload"]:
            return self.reload(parts[2])
        return NOT_FOUND

    def public(self, path: str, provisioned: Provisioned) -> Reply | None:
        if path == "/api/health":
            return js("/api/health", 200, {"commit": "iid-standin", "database": "ok", "version": VERSION,
                                           "standin": STANDIN})
        if path == "/metrics":
            return "/metrics", 200, self.metrics.exposition(provisioned), "text"
        if path in ("/", "/login"):
            page = f"<!doctype html><title>Grafana stand-in</title><p>{STANDIN}</p>".encode()
            return "/login", 200, page, "html"
        return None if path.startswith("/api/") else NOT_FOUND

    def dashboards(self, parts: list[str], provisioned: Provisioned) -> Reply:
        if parts[:1] != ["uid"] or len(parts) != 2:
            return NOT_FOUND
        found = next((d for d in provisioned.dashboards if d.uid == parts[1]), None)
        if found is None:
            return js("/api/dashboards/uid/:uid", 404, {"message": "Dashboard not found"})
        return js("/api/dashboards/uid/:uid", 200, dashboard_document(found))

    def folders(self, parts: list[str], provisioned: Provisioned) -> Reply:
        folders = [folder_document(f) for f in provisioned.folders]
        if not parts:
            return js("/api/folders", 200, [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in folders])
        found = next((f for f in folders if f["uid"] == parts[0]), None)
        if found is None or len(parts) > 1:
            return js("/api/folders/:uid", 404, {"message": "folder not found"})
        return js("/api/folders/:uid", 200, found)

    def reload(self, what: str) -> Reply:
        if what not in ("dashboards", "datasources"):
            return NOT_FOUND
        self.provisioning.forget()
        try:
            self.provisioning.load(strict=True)
        except ProvisioningError as error:
            return js("/api/admin/provisioning", 500, {"message": str(error)})
        return js("/api/admin/provisioning", 200, {"message": f"{what.capitalize()} config reloaded"})

    def datasources(self, method: str, parts: list[str], body: bytes, query: dict[str, list[str]],
                    provisioned: Provisioned) -> Reply:
        sources = provisioned.datasources
        if not parts:
            return js("/api/datasources", 200, [s.public() for s in sources])
        if parts[0] == "proxy" and len(parts) >= 3 and parts[1] == "uid":
            source = next((s for s in sources if s.uid == parts[2]), None)
            if source is None:
                return js("/api/datasources/proxy/uid/:uid/*", 404, {"message": "Data source not found"})
            rest = "/".join(parts[3:])
            encoded = urllib.parse.urlencode(query, doseq=True)
            try:
                status, payload, kind = datasource_request(source, f"/{rest}?{encoded}" if encoded else f"/{rest}",
                                                           method=method, body=body if method == "POST" else None)
            except OSError as error:
                return js("/api/datasources/proxy/uid/:uid/*", 502, {"message": f"Bad Gateway: {error}"})
            return "/api/datasources/proxy/uid/:uid/*", status, payload, kind or "application/octet-stream"
        if parts[0] in ("uid", "name") and len(parts) >= 2:
            attribute = "uid" if parts[0] == "uid" else "name"
            source = next((s for s in sources if getattr(s, attribute) == parts[1]), None)
            handler = f"/api/datasources/{parts[0]}/:{parts[0]}"
            if source is None:
                return js(handler + ("/health" if parts[2:] == ["health"] else ""), 404,
                          {"message": "Data source not found"})
            if parts[2:] == ["health"]:
                status, document = check_health(source)
                return js("/api/datasources/uid/:uid/health", status, document)
            if not parts[2:]:
                return js(handler, 200, source.public())
        return NOT_FOUND


def folder_document(folder: Folder) -> dict[str, Any]:
    return {"id": folder.id, "uid": folder.uid, "title": folder.title,
            "url": f"/dashboards/f/{folder.uid}/{_slug(folder.title)}", "hasAcl": False, "canSave": False,
            "canEdit": False, "canAdmin": True, "canDelete": False, "version": 1}


def dashboard_document(dashboard: Dashboard) -> dict[str, Any]:
    model = {**dashboard.model, "id": dashboard.id, "uid": dashboard.uid, "version": 1}
    folder = dashboard.folder
    return {
        "meta": {
            "type": "db", "canSave": False, "canEdit": False, "canAdmin": True, "canStar": True,
            "canDelete": False, "slug": dashboard.slug, "url": dashboard.url, "expires": "0001-01-01T00:00:00Z",
            "created": dashboard.updated, "updated": dashboard.updated, "updatedBy": "Anonymous",
            "createdBy": "Anonymous", "version": 1, "hasAcl": False, "isFolder": False,
            "folderId": folder.id if folder else 0, "folderUid": folder.uid if folder else "",
            "folderTitle": folder.title if folder else "General",
            "folderUrl": f"/dashboards/f/{folder.uid}/{_slug(folder.title)}" if folder else "",
            "provisioned": True, "provisionedExternalId": dashboard.path.name,
        },
        "dashboard": model,
    }


def search(provisioned: Provisioned, query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """``/api/search``: ``query``, ``tag``, ``type``, ``dashboardUIDs``, ``folderUIDs``, ``limit``, ``page``."""
    text = (query.get("query") or [""])[0].lower()
    tags = set(query.get("tag") or [])
    kind = (query.get("type") or [""])[0]
    uids = {u for value in query.get("dashboardUIDs") or [] for u in value.split(",") if u}
    folder_uids = {u for value in query.get("folderUIDs") or [] for u in value.split(",")}
    limit = int((query.get("limit") or ["1000"])[0])
    page = max(1, int((query.get("page") or ["1"])[0]))
    hits: list[dict[str, Any]] = []
    if kind in ("", "dash-folder") and not tags and not uids:
        for folder in sorted(provisioned.folders, key=lambda f: f.title.lower()):
            if text in folder.title.lower() and not folder_uids:  # no nested folders here
                hits.append({"id": folder.id, "uid": folder.uid, "title": folder.title,
                             "uri": f"db/{_slug(folder.title)}",
                             "url": f"/dashboards/f/{folder.uid}/{_slug(folder.title)}", "slug": "",
                             "type": "dash-folder", "tags": [], "isStarred": False, "sortMeta": 0})
    if kind in ("", "dash-db"):
        for dashboard in sorted(provisioned.dashboards, key=lambda d: d.title.lower()):
            home = dashboard.folder
            folder_uid = home.uid if home else ""
            dash_tags = [str(t) for t in dashboard.model.get("tags") or []]
            if text and text not in dashboard.title.lower():
                continue
            if tags and not tags <= set(dash_tags):
                continue
            if uids and dashboard.uid not in uids:
                continue
            if folder_uids and folder_uid not in folder_uids and not ("general" in folder_uids and not home):
                continue
            hit: dict[str, Any] = {"id": dashboard.id, "uid": dashboard.uid, "title": dashboard.title,
                                   "uri": f"db/{dashboard.slug}", "url": dashboard.url, "slug": "", "type": "dash-db",
                                   "tags": dash_tags, "isStarred": False, "sortMeta": 0}
            if home:
                hit.update({"folderId": home.id, "folderUid": home.uid, "folderTitle": home.title,
                            "folderUrl": f"/dashboards/f/{home.uid}/{_slug(home.title)}"})
            hits.append(hit)
    return hits[(page - 1) * limit: page * limit]


# ------------------------------------------------------------------ commands


def _options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """``--name=value``/``--name value`` options and the rest (Grafana's flags take both forms)."""
    options: dict[str, str] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            options[name] = value
        elif arg in ("--homepath", "--config", "--pidfile", "--packaging"):
            options[arg[2:]] = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        elif arg.startswith("--"):
            options[arg[2:]] = "true"
        else:
            rest.append(arg)
        i += 1
    return options, rest


def _settings(options: dict[str, str], rest: list[str]) -> Settings:
    config = Path(options.get("config") or os.environ.get("GF_PATHS_CONFIG", "/etc/grafana/grafana.ini"))
    return load_settings(config, rest)


def cli(argv: list[str]) -> int:
    """``grafana cli [--homepath H] [--config C] admin reset-admin-password [--password-from-stdin | PASSWORD]``."""
    options, rest = _options(argv)
    settings = _settings(options, [r for r in rest if r.startswith("cfg:")])
    words = [r for r in rest if not r.startswith("cfg:")]
    if words[:2] != ["admin", "reset-admin-password"]:
        print(f"grafana cli (iid stand-in): only 'admin reset-admin-password' is implemented, not {' '.join(words)!r}",
              file=sys.stderr)
        return 1
    if options.get("password-from-stdin") == "true":
        password = sys.stdin.readline().rstrip("\r\n")
    elif len(words) >= 3:
        password = words[2]
    else:
        print("Error: New password is required", file=sys.stderr)
        return 1
    if not password:
        print("Error: New password is too short", file=sys.stderr)
        return 1
    directory = data_dir(settings)
    admin = load_admin(directory)
    if admin is None:
        print("Error: failed to reset admin password: could not find the admin user (no database yet)",
              file=sys.stderr)
        return 1
    salt = secrets.token_hex(5)
    save_admin(directory, Admin(admin.login, admin.email, salt, _hash(password, salt)))
    print("Admin password changed successfully ✔")
    return 0


def server(argv: list[str]) -> int:
    options, rest = _options(argv)
    settings = _settings(options, rest)
    directory = data_dir(settings)
    admin = load_admin(directory)
    if admin is None:
        user = settings.get("security", "admin_user", "admin") or "admin"
        admin = new_admin(user, settings.get("security", "admin_password", "admin") or "admin")
        save_admin(directory, admin)
        log(f"msg=\"created the admin user\" login={user} (first start: stored in {directory / DATA_FILE})")
    provisioning_dir = Path(settings.get("paths", "provisioning") or os.environ.get(
        "GF_PATHS_PROVISIONING", "/etc/grafana/provisioning"))
    provisioning = Provisioning(provisioning_dir)
    try:
        provisioning.load(strict=True)
    except ProvisioningError as error:
        log(f"level=error msg=\"Failed to provision\" error=\"{error}\"")
        return 1
    stop = threading.Event()
    threading.Thread(target=provisioning.watch, args=(stop,), name="provisioning", daemon=True).start()
    address = settings.get("server", "http_addr", "") or "0.0.0.0"
    port = int(settings.get("server", "http_port", "3000") or 3000)
    httpd = ThreadingHTTPServer((address, port), Server(settings, admin, provisioning).handler())
    httpd.daemon_threads = True

    def shutdown(number: int, frame: object) -> None:
        stop.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log(f"msg=\"HTTP Server Listen\" address={address}:{port} protocol=http version={VERSION} ({STANDIN})")
    httpd.serve_forever(poll_interval=0.5)
    httpd.server_close()
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["server"]:
        return server(argv[1:])
    if argv[:1] == ["cli"]:
        return cli(argv[1:])
    if argv[:1] in (["-v"], ["--version"], ["-version"]):
        print(f"grafana version {VERSION} ({STANDIN})")
        return 0
    print("usage: grafana server [options] | grafana cli admin reset-admin-password ... (iid stand-in)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
