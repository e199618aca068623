"""grafana.com community dashboards: download once, pin, cache, normalize.

IO lives at the edge (``fetch_dashboard``, ``read_cached``); ``normalize_dashboard`` is pure.
The cache holds each download byte for byte at ``dashboards/cache/<gnetId>-r<revision>.json``;
once a file is cached, nothing touches the network for it again, so deploys can be air-gapped
after ``python -m components dashboards fetch --stack STACK``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from components.grafana.settings import CommunityDashboard
from components.model import is_loopback

GRAFANA_COM = "https://grafana.com"
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = PROJECT_DIR / "dashboards" / "cache"
DEFAULT_TIMEOUT = 30.0
FETCH_COMMAND = "python -m components dashboards fetch --stack <stack>"
MAX_DASHBOARD_BYTES = 4 * 2**20
"""Larger than any dashboard (the fixtures and Node Exporter Full are well below 1 MiB): a download or cached file
above it is refused before it is read whole."""
MAX_JSON_DEPTH = 64
"""Dashboards nest about 10 deep; deeper JSON would only exhaust the parser's and the normalizer's recursion."""

# Labels that only exist on Kubernetes/Helm deployments; their variables would stay empty here.
KUBERNETES_VARIABLES = frozenset({"namespace", "release", "pod", "pod_name", "kubernetes_namespace",
                                  "kubernetes_pod_name", "kubernetes_name", "node_name"})
_KUBERNETES_PREFIXES = ("kubernetes_", "k8s_")
# Datasource references Grafana resolves itself; never rewritten.
_BUILTIN_DATASOURCES = frozenset({"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "datasource"})
# Panel types Grafana 10.2 (the pinned image) has built in, plus the Angular and plugin types it migrates
# itself to built-in ones (``grafana.migrateAngularPanels``).  No plugin is installed, so any other type
# would need one: such a panel is replaced by a text panel saying so.
INSTALLED_PANEL_TYPES = frozenset({
    "alertGroups", "alertlist", "annolist", "barchart", "bargauge", "candlestick", "canvas", "dashlist",
    "datagrid", "debug", "flamegraph", "gauge", "geomap", "gettingstarted", "heatmap", "histogram", "live",
    "logs", "news", "nodeGraph", "piechart", "row", "stat", "state-timeline", "status-history", "table",
    "text", "timeseries", "traces", "trend", "welcome", "xychart",
    "graph", "singlestat", "table-old", "grafana-singlestat-panel", "grafana-piechart-panel",
    "grafana-worldmap-panel",
})
LINK_KEYS = frozenset({"url", "linkUrl", "href"})
"""Keys whose value is a link target anywhere in a dashboard (links, data links, singlestat's and table-old's
``linkUrl``); text panels' markdown and HTML are searched for targets too."""
_LINK_SCHEMES = ("http", "https")
"""The only schemes a link may name: a dashboard link never needs another, and a hostile one would use
``javascript:``, ``vbscript:`` or ``data:`` to run script in Grafana's origin."""
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_CONTENT_TARGETS = re.compile(r"""(\]\(\s*<?|\b(?:href|src|action)\s*=\s*["']?)((?:[^()\s>"']|\([^()\s]*\))*)""",
                              re.IGNORECASE)
"""A link target in markdown (``](target)``, balanced parentheses allowed) or an HTML attribute."""


_SELECTOR = r"(?:\{[^{}]*\})?"
_RATE_TERM = rf"(?:i?rate\()?[A-Za-z_:]*(?:hit|miss|read)[A-Za-z_:]*{_SELECTOR}(?:\s*\[[^\]]*\]\))?"


@dataclass(frozen=True)
class DivisionGuard:
    """A division some community panels make by a value that can be 0, and how the normalizer guards it."""

    name: str
    denominator: str
    """Regex of the denominator as published; a ``sel`` group, if any, captures its selector."""
    guarded: str
    """The replacement: ``{denominator}`` as published, ``{selector}`` its selector."""
    reason: str
    """Why, as appended to the panel's description."""

    def apply(self, expr: str) -> str:
        # The denominator, bare or in one pair of parentheses (the conditional group closes what it opened).
        pattern = rf"/\s*(?P<open>\()?\s*(?P<denominator>{self.denominator})\s*(?(open)\))"

        def guard(match: re.Match[str]) -> str:
            groups = match.groupdict()
            return "/ " + self.guarded.format(denominator=groups["denominator"], selector=groups.get("sel") or "")

        return re.sub(pattern, guard, expr)


DIVISION_GUARDS: tuple[DivisionGuard, ...] = (
    DivisionGuard(
        "redis-maxmemory", rf"redis_memory_max_bytes(?P<sel>{_SELECTOR})",
        "({denominator} > 0 or redis_total_system_memory_bytes{selector})",
        "Redis memory usage is divided by maxmemory, which is 0 (+Inf) when Redis has no memory limit; "
        "then it is divided by the host's memory (redis_total_system_memory_bytes) instead."),
    DivisionGuard(
        "no-swap", rf"node_memory_SwapTotal_bytes{_SELECTOR}", "({denominator} > 0)",
        "Swap used is divided by the swap size, which is 0 (NaN) on a host without swap; then it is empty."),
    DivisionGuard(
        "hit-ratio", rf"{_RATE_TERM}\s*\+\s*{_RATE_TERM}", "(({denominator}) > 0)",
        "The hit ratio is divided by hits + misses (or reads), which is 0 (NaN) before the first lookup; "
        "then it is empty."),
)
"""Panels that would show +Inf or NaN where nothing is wrong; each guard names its denominator."""


@dataclass(frozen=True)
class MetricRename:
    """Metric names an exporter changed: dashboards written before still read the old ones."""

    name: str
    old: str
    """Regex of the old names (a word; groups may be used in ``new``)."""
    new: str
    reason: str

    def apply(self, expr: str) -> str:
        return re.sub(self.old, self.new, expr)


METRIC_RENAMES: tuple[MetricRename, ...] = (
    MetricRename(
        "pg-bgwriter-total",
        r"\bpg_stat_bgwriter_(checkpoints_timed|checkpoints_req|checkpoint_write_time|checkpoint_sync_time"
        r"|buffers_checkpoint|buffers_clean|maxwritten_clean|buffers_backend_fsync|buffers_backend|buffers_alloc"
        r"|stats_reset)\b",
        r"pg_stat_bgwriter_\1_total",
        "postgres_exporter's bgwriter collector (0.11 on) names these counters with _total; the panel read "
        "the names of older exporters, which no supported version has."),
)
REWRITES: tuple[MetricRename | DivisionGuard, ...] = (*METRIC_RENAMES, *DIVISION_GUARDS)
REWRITTEN_NOTE = "Rewritten by internet-id-monitoring: "


def rewrite_query(expr: str) -> tuple[str, list[MetricRename | DivisionGuard]]:
    """``expr`` with old metric names renamed and divisions by zero guarded, and the rewrites that applied."""
    applied: list[MetricRename | DivisionGuard] = []
    for rewrite in REWRITES:
        rewritten = rewrite.apply(expr)
        if rewritten != expr:
            applied.append(rewrite)
            expr = rewritten
    return expr, applied


class DashboardUnavailableError(Exception):
    """A community dashboard cannot be used; the message is one line naming it and the fix."""


@dataclass(frozen=True)
class Fetched:
    dashboard: CommunityDashboard
    path: Path
    sha256: str
    downloaded: bool


def download_url(base_url: str, dashboard: CommunityDashboard) -> str:
    return f"{base_url.rstrip('/')}/api/dashboards/{dashboard.gnet_id}/revisions/{dashboard.revision}/download"


def cache_path(cache_dir: Path, dashboard: CommunityDashboard) -> Path:
    return cache_dir / dashboard.cache_name


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _name(dashboard: CommunityDashboard, data: bytes | None = None) -> str:
    """'community dashboard 1860 revision 37 ("Node Exporter Full")', with the file's title if known."""
    title = dashboard.title
    if data is not None:
        try:
            found = json.loads(data).get("title")
        except (ValueError, AttributeError):
            found = None
        title = found if isinstance(found, str) else title
    return dashboard.describe(title)


def _check_digest(dashboard: CommunityDashboard, data: bytes, origin: str) -> None:
    if dashboard.sha256 is None:
        return
    actual = sha256_hex(data)
    if actual != dashboard.sha256:
        raise DashboardUnavailableError(
            f"{_name(dashboard, data)}: {origin} has sha256 {actual}, expected {dashboard.sha256}; "
            f"if the new file is trusted set grafana.communityDashboards[gnetId={dashboard.gnet_id}].sha256 "
            f"to {actual}, otherwise pin another revision"
        )


def read_cached(cache_dir: Path, dashboard: CommunityDashboard) -> bytes | None:
    """The cached download, checked against the pinned sha256; ``None`` when not cached."""
    path = cache_path(cache_dir, dashboard)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size > MAX_DASHBOARD_BYTES:
        raise DashboardUnavailableError(
            f"{_name(dashboard)}: the cached file {path} is larger than {MAX_DASHBOARD_BYTES // 2**20} MiB; not a "
            f"dashboard: delete it and run `{FETCH_COMMAND}`")
    data = path.read_bytes()
    _check_digest(dashboard, data, f"the cached file {path} (delete it and fetch again, or)")
    _parse(dashboard, data, f"the cached file {path}")
    return data


def json_depth(document: Any) -> int:
    """How deep ``document`` nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth + 1)
            stack += [(child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)]
    return deepest


def _parse(dashboard: CommunityDashboard, data: bytes, origin: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and json_depth(document) > MAX_JSON_DEPTH:
        raise DashboardUnavailableError(
            f"{_name(dashboard)}: {origin} nests deeper than {MAX_JSON_DEPTH} levels; not a dashboard: delete it and "
            f"run `{FETCH_COMMAND}`")
    if not isinstance(document, dict) or not isinstance(document.get("panels", document.get("rows")), list):
        raise DashboardUnavailableError(
            f"{_name(dashboard)}: {origin} is not dashboard JSON; delete it and run `{FETCH_COMMAND}`"
        )
    parsed: dict[str, Any] = document
    return parsed


class DownloadTooLargeError(Exception):
    """The answer is larger than ``MAX_DASHBOARD_BYTES``."""


class _HttpsOnlyRedirect(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to https (or within a loopback test server)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,  # noqa: PLR0917
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        problem = base_url_problem(newurl)
        if problem:
            raise urllib.error.URLError(f"redirected to {newurl}, {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpsOnlyRedirect)


def base_url_problem(url: str) -> str | None:
    """Why dashboards must not be downloaded from ``url``, or None: what is downloaded is uploaded to Grafana with
    admin credentials, so it comes over https (plain http only from loopback, the tests' stand-in)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return None
    return "which is not https (plain http only on loopback)"


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "internet-id-monitoring"})
    with _OPENER.open(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > MAX_DASHBOARD_BYTES:
            raise DownloadTooLargeError
        data: bytes = response.read(MAX_DASHBOARD_BYTES + 1)
        if len(data) > MAX_DASHBOARD_BYTES:
            raise DownloadTooLargeError
        return data


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory and rename: never a partial file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fetch_dashboard(
    dashboard: CommunityDashboard,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    *,
    base_url: str = GRAFANA_COM,
    timeout: float = DEFAULT_TIMEOUT,
    download: Callable[[str, float], bytes] = _download,
) -> Fetched:
    """The dashboard from the cache, else downloaded, verified and cached; ``DashboardUnavailableError`` if neither."""
    path = cache_path(cache_dir, dashboard)
    cached = read_cached(cache_dir, dashboard)
    if cached is not None:
        return Fetched(dashboard, path, sha256_hex(cached), downloaded=False)
    url = download_url(base_url, dashboard)
    fix = f"run `{FETCH_COMMAND}` where grafana.com is reachable, or copy the file to {path}"
    problem = base_url_problem(url)
    if problem:
        raise DashboardUnavailableError(f"{_name(dashboard)}: not downloaded from {url}, {problem}; {fix}")
    try:
        data = download(url, timeout)
    except DownloadTooLargeError:
        raise DashboardUnavailableError(f"{_name(dashboard)}: the download from {url} is larger than "
                                        f"{MAX_DASHBOARD_BYTES // 2**20} MiB; not a dashboard") from None
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise DashboardUnavailableError(
                f"{_name(dashboard)}: not found at {url} (HTTP 404); check gnetId and revision "
                f"in grafana.communityDashboards"
            ) from None
        raise DashboardUnavailableError(f"{_name(dashboard)}: download failed (HTTP {error.code}) and "
                                   f"not cached; {fix}") from None
    except TimeoutError:
        raise DashboardUnavailableError(f"{_name(dashboard)}: download timed out after {timeout:g}s and "
                                   f"not cached; {fix}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        kind = "timed out" if isinstance(reason, TimeoutError) else f"failed ({reason})"
        raise DashboardUnavailableError(f"{_name(dashboard)}: download {kind} and not cached; {fix}") from None
    _check_digest(dashboard, data, f"the download from {url}")
    _parse(dashboard, data, f"the download from {url}")
    _write_atomically(path, data)
    return Fetched(dashboard, path, sha256_hex(data), downloaded=True)


# ---------------------------------------------------------------------------------------------
# Normalization (pure)


def normalize_dashboard(
    raw: dict[str, Any],
    *,
    gnet_id: int,
    datasource_uid: str,
    datasource_name: str = "Prometheus",
) -> dict[str, Any]:
    """The dashboard as uploaded: every datasource reference points at ``datasource_uid``.

    Handles the string ``${DS_X}`` (any ``__inputs`` name), the object ``{"type", "uid": "${…}"}``,
    datasource template variables (kept, hidden, current set to ours), references by name (e.g.
    ``"Prometheus"``) and ``null`` (panel and target level).  Drops ``__inputs``, ``__requires``,
    ``__elements``, ``id`` and ``version``; sets ``uid`` to ``community-<gnetId>``; keeps the title.
    Kubernetes-only variables are made include-all ``.*`` and hidden, and their equality matchers
    become regex matchers, so queries still match series without those labels.  Metrics an exporter
    renamed are renamed (``METRIC_RENAMES``) and divisions by a value that is 0 when nothing is wrong
    are guarded (``DIVISION_GUARDS``); the panel's description says so.  Panels are otherwise left as
    they are: Angular ``graph`` and ``singlestat`` panels are migrated by Grafana itself when they load
    (``grafana.migrateAngularPanels``), which keeps their thresholds, legends and overrides.
    """
    dashboard = copy.deepcopy(raw)
    inputs = {str(item.get("name")) for item in dashboard.get("__inputs", []) if isinstance(item, dict)}
    for key in ("__inputs", "__requires", "__elements", "id", "version"):
        dashboard.pop(key, None)
    dashboard["uid"] = f"community-{gnet_id}"
    ref = {"type": "prometheus", "uid": datasource_uid}

    variables = [v for v in dashboard.get("templating", {}).get("list", []) if isinstance(v, dict)]
    kubernetes_vars = {str(v.get("name")) for v in variables if _is_kubernetes_variable(v)}

    def datasource(value: Any) -> Any:
        if isinstance(value, dict):
            uid, kind = value.get("uid"), value.get("type")
            if uid in _BUILTIN_DATASOURCES or kind in ("grafana", "datasource", "dashboard"):
                return value
            # Any other datasource (Loki, InfluxDB, a uid of another Grafana's) is not the stack's: ours.
            return dict(ref)
        if isinstance(value, str) and value in _BUILTIN_DATASOURCES:
            return value
        # null (the default), a placeholder, or a name ("Prometheus", "default", ...): ours.
        return dict(ref)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return _substitute(node, inputs, datasource_uid)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "datasource" and not _is_datasource_variable(node):
                out[key] = datasource(value)
            elif key in LINK_KEYS and isinstance(value, str) and not safe_link(value):
                out[key] = ""
            elif key == "links" and isinstance(value, list):
                out[key] = [walk(link) for link in value
                            if not (isinstance(link, dict) and not safe_link(link.get("url", "")))]
            elif key in ("expr", "query", "definition") and isinstance(value, str):
                out[key] = _regex_matchers(_substitute(value, inputs, datasource_uid), kubernetes_vars)
            else:
                out[key] = walk(value)
        if _is_panel(out):
            _normalize_panel(out, ref)
        return out

    dashboard = cast(dict[str, Any], walk(dashboard))
    for variable in dashboard.get("templating", {}).get("list", []):
        if not isinstance(variable, dict):
            continue
        if variable.get("type") == "datasource":
            variable["current"] = {"selected": True, "text": datasource_name, "value": datasource_uid}
            variable["options"] = []
            variable["hide"] = 2  # panels no longer follow it: they all use our datasource
        elif variable.get("name") in kubernetes_vars:
            variable.update(includeAll=True, allValue=".*", hide=2, multi=False,
                            current={"selected": True, "text": "All", "value": "$__all"})
    return dashboard


def _substitute(value: Any, inputs: set[str], datasource_uid: str) -> Any:
    """Replace ``${DS_X}``/``${input}`` placeholders inside any string (links, queries)."""
    if not isinstance(value, str) or "$" not in value:
        return value
    return re.sub(r"\$\{([A-Za-z0-9_]+)\}",
                  lambda m: datasource_uid if m.group(1) in inputs or m.group(1).startswith("DS_") else m.group(0),
                  value)


def _is_datasource_variable(node: dict[str, Any]) -> bool:
    return node.get("type") == "datasource" and "name" in node and "query" in node


def _is_kubernetes_variable(variable: dict[str, Any]) -> bool:
    name = str(variable.get("name", ""))
    return variable.get("type") == "query" and (name in KUBERNETES_VARIABLES or name.startswith(_KUBERNETES_PREFIXES))


def _regex_matchers(expr: str, variables: set[str]) -> str:
    """``label="$var"`` → ``label=~"$var"`` for the given variables (``.*`` then matches a missing label)."""
    for name in sorted(variables):
        expr = re.sub(rf'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(\$\{{?{re.escape(name)}(?::[a-z]+)?\}}?)"',
                      r'\1=~"\2"', expr)
    return expr


def _is_panel(node: dict[str, Any]) -> bool:
    return isinstance(node.get("type"), str) and any(k in node for k in ("targets", "gridPos", "span"))


def safe_link(url: Any) -> bool:
    """Whether a link target names no scheme (relative, ``#…``, ``?…``, a ``${…}`` variable) or http(s): an
    allow-list, read as browsers read it (they ignore whitespace, control characters and case in the scheme)."""
    if not isinstance(url, str):
        return True
    compact = "".join(ch for ch in url if ch.isprintable() and not ch.isspace()).lower()
    scheme = _SCHEME.match(compact)
    return scheme is None or scheme.group(1) in _LINK_SCHEMES


def _safe_content(content: str) -> str:
    """A text panel's markdown or HTML with every link target that is no ``safe_link`` made ``#``."""
    return _CONTENT_TARGETS.sub(lambda m: m.group(0) if safe_link(m.group(2)) else f"{m.group(1)}#", content)


def _shown(kind: str) -> str:
    return f"`{kind}`" if re.fullmatch(r"[A-Za-z0-9._-]{1,80}", kind) else "of an unknown type"


def _normalize_panel(panel: dict[str, Any], ref: dict[str, str]) -> None:
    if panel.get("type") == "row":
        return
    if panel.get("type") == "text":
        for holder in (panel, panel.get("options")):
            if isinstance(holder, dict) and isinstance(holder.get("content"), str):
                holder["content"] = _safe_content(holder["content"])
    kind = panel["type"]
    if kind not in INSTALLED_PANEL_TYPES:
        kept: dict[str, Any] = {key: panel[key] for key in ("id", "gridPos", "title") if key in panel}
        panel.clear()
        panel.update(kept, type="text", options={
            "mode": "markdown",
            "content": f"This panel needs the panel plugin {_shown(kind)}, which this Grafana does not install.",
        })
        return
    if "targets" in panel and "datasource" not in panel:
        panel["datasource"] = dict(ref)
    reasons: list[str] = []
    for target in panel.get("targets", []):
        if not isinstance(target, dict):
            continue
        if target.get("datasource") is None and panel.get("datasource") == ref:
            target["datasource"] = dict(ref)
        if isinstance(target.get("expr"), str):
            target["expr"], applied = rewrite_query(target["expr"])
            reasons += [rewrite.reason for rewrite in applied if rewrite.reason not in reasons]
    description = str(panel.get("description") or "")
    notes = [f"{REWRITTEN_NOTE}{reason}" for reason in reasons if reason not in description]
    if notes:
        panel["description"] = "\n\n".join([description, *notes] if description else notes)


def render_community(raw: bytes, dashboard: CommunityDashboard, *, datasource_uid: str, datasource_name: str) -> str:
    """The upload text of a cached download: normalized, key-sorted, byte-stable."""
    document = _parse(dashboard, raw, "the cached file")
    normalized = normalize_dashboard(document, gnet_id=dashboard.gnet_id, datasource_uid=datasource_uid,
                                     datasource_name=datasource_name)
    return json.dumps(normalized, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
