"""Base class for every settings model, and the types of its fields.

Stack config is written by hand in ``Pulumi.<stack>.yaml``; a typo must be an error that names the key, never a
silently ignored value.  The docstring under each field documents it in the generated configuration reference
(``docs/configuration.md``).

Every string setting has a type here (a ``Kind`` in its ``Annotated`` metadata): a setting ends up in a label, a
URL, a path on a host, an e-mail header, a regex Prometheus compiles, an environment file or a Slack message,
and each of those has its own idea of what a character means.  Every kind refuses the empty string ("use the
default" is leaving the key out), control, format and line-separator characters (a trailing newline, an
escape sequence, a right-to-left override), and whatever its consumer would read differently; patterns are
matched whole (``re.fullmatch``: ``$`` lets a final newline through).  A test walks the schema and fails on a
string field without a kind.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import re2
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

Family = Literal["text", "name", "address", "url", "path", "regex", "duration", "size"]
"""What a kind of string is, as the generated tests group them (each family has its own hostile values)."""

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories no setting may hold: controls (C0, DEL, C1), formats (bidirectional overrides and
isolates, zero-width characters, the byte-order mark), surrogates, private-use and unassigned code points, and
the line and paragraph separators."""


class HiddenValueError(ValueError):
    """A refusal whose message must not be followed by the value (it may hold a password: ``user:pw@host``)."""


HIDDEN_VALUE = "hidden_value"
"""The pydantic error type of a ``HiddenValueError``: the reader of the error leaves the value out."""


def check_chars(value: str) -> str:
    """``value`` if it holds no refused character (``REFUSED_CATEGORIES``); the message names the code point,
    never the raw character."""
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            name = unicodedata.name(char, "a control character")
            raise ValueError(f"holds U+{ord(char):04X} ({name}) at position {position}, which nothing reading it "
                             "shows or reads as written; retype the value without it")
    return value


@dataclass(frozen=True)
class Kind:
    """What a string setting is: validated by pydantic (``Annotated[str, kind]``), and metadata the schema
    walkers read (the generated tests, the configuration reference)."""

    name: str
    description: str
    """What a valid value looks like, one line (shown in messages)."""
    check: Callable[[str], object] | None = None
    """Raises ``ValueError`` (one line, starting with the value's repr or a verb) for a value of the right
    characters that is still no valid value; a ``str`` it returns replaces the value (its normal form)."""
    family: Family = "text"
    max_length: int = 255
    strip: bool = True
    """Leading or trailing whitespace is refused (everything but free text)."""

    def validate(self, value: str) -> str:
        if value == "":
            raise ValueError(f"must not be empty: give {self.description}, or remove the key for the default")
        if len(value) > self.max_length:
            raise ValueError(f"is {len(value)} characters long; {self.name} has at most {self.max_length}")
        check_chars(value)
        if self.strip and value != value.strip():
            raise ValueError("has leading or trailing spaces; remove them")
        try:
            normal = self.check_value(value)
        except HiddenValueError as error:
            raise PydanticCustomError(HIDDEN_VALUE, str(error)) from None
        return normal if isinstance(normal, str) else value

    def check_value(self, value: str) -> object:
        """What is particular to this kind (a value of allowed characters, not empty)."""
        return self.check(value) if self.check is not None else None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))


def kind_of(metadata: list[Any] | tuple[Any, ...]) -> Kind | None:
    """The ``Kind`` among a field's metadata, if any."""
    return next((item for item in metadata if isinstance(item, Kind)), None)


def pattern(name: str, regex: str, description: str, *, family: Family = "name", max_length: int = 255,
            check: Callable[[str], object] | None = None) -> Kind:
    """A kind whose values match ``regex`` whole (ASCII only), then pass ``check``."""
    compiled = re.compile(regex, re.ASCII)

    def matches(value: str) -> None:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {description}")
        if check is not None:
            check(value)

    return Kind(name, description, matches, family=family, max_length=max_length)


def text(max_length: int, *, template_free: bool = False) -> Kind:
    """Free text of at most ``max_length`` characters (titles, topics, descriptions); ``template_free``: it lands
    where Prometheus or Alertmanager expand Go templates."""
    return Kind("template-free text" if template_free else "text",
                f"text of at most {max_length} characters" + (" without '{{' or '}}'" if template_free else ""),
                check_no_template if template_free else None, max_length=max_length, strip=False)


def check_no_template(value: str) -> str:
    """``value`` if it holds no Go template delimiter: settings land in rule annotations and labels and in
    Alertmanager fields that Prometheus and Alertmanager expand as templates, where ``{{ … }}`` would run
    (query any series, print any label) instead of being shown."""
    if "{{" in value or "}}" in value:
        raise ValueError(f"{value!r} holds '{{{{' or '}}}}', which Prometheus and Alertmanager would expand as a "
                         "template; remove them")
    return value


TemplateFree = Annotated[str, text(255, template_free=True)]
"""Text a setting puts where Prometheus or Alertmanager expands templates (a notification field)."""

LabelValue = Annotated[str, pattern(
    "label value", r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}",
    "a label value of letters, digits, '_', '.', ':' and '-' (at most 63, starting with a letter or digit)")]
"""A value that becomes a Prometheus label (``environment``, ``cluster``, ``service``), a Slack topic word, a
Sentry environment and a line of an environment file: one word, the same everywhere."""

GrafanaUid = Annotated[str, pattern("Grafana uid", r"[A-Za-z0-9_-]{1,40}",
                                    "a Grafana uid (1-40 letters, digits, '-' or '_')", max_length=40)]

DockerName = Annotated[str, pattern(
    "Docker name", r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}",
    "a Docker object name (letters, digits, '_', '.', '-'; at most 63, starting with a letter or digit)")]

PgName = Annotated[str, pattern(
    "PostgreSQL name", r"[A-Za-z_][A-Za-z0-9_$-]{0,62}",
    "a PostgreSQL name (letters, digits, '_', '$', '-'; at most 63, not starting with a digit)")]

_IMAGE_REFERENCE = (
    r"(?:(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?)/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?")
"""Docker's reference grammar (distribution/reference), the digest limited to sha256."""


def _check_image(value: str) -> None:
    match = re.fullmatch(_IMAGE_REFERENCE, value, re.ASCII)
    if not match:
        raise ValueError(f"{value!r} is not an image reference such as prom/prometheus:v2.48.0 or repo@sha256:<64 hex>")
    if not match["tag"] and not match["digest"]:
        raise ValueError(f"{value!r} has no tag or digest; pin it (repo:tag, or repo@sha256:… for a fixed image)")


ImageRef = Annotated[str, Kind("image", "an image reference with a tag or digest", _check_image, family="name",
                               max_length=500)]

Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
"""A count Prometheus reads into a 32-bit field at most (limits, thresholds of operations)."""

Sha256Hex = Annotated[str, pattern("sha256", r"[0-9a-fA-F]{64}", "a hex sha256 digest (64 hex digits)")]


# ---------------------------------------------------------------------------------------------------- hosts

_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*", re.ASCII)
LOOPBACK_NAMES = frozenset({"localhost"})


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_host(host: str) -> str:
    """``host`` if it is a DNS name (RFC 1123 labels; ``_`` allowed, as compose service names have it) or an IP
    address."""
    if is_ip(host) or (len(host) <= 253 and _HOST_NAME.fullmatch(host)):
        return host
    raise ValueError(f"{host!r} is not a host name or IP address")


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address, IPv6 possibly in brackets) never leaves the machine."""
    if host is None:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:\[\]/@]+):(?P<port>[0-9]{1,5})", re.ASCII)


def split_host_port(value: str) -> tuple[str, int]:
    """``(host, port)`` of ``host:port`` or ``[v6]:port``; ``ValueError`` otherwise."""
    match = _HOST_PORT.fullmatch(value)
    if not match or not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"{value!r} is not host:port (e.g. smtp.example.com:587, port 1-65535)")
    host = match["host"]
    if host.startswith("[") and (":" not in host or not is_ip(host[1:-1])):
        raise ValueError(f"{value!r} is not host:port: {host} is not an IPv6 address")
    if not host.startswith("[") and not (is_ip(host) or (len(host) <= 253 and _HOST_NAME.fullmatch(host))):
        raise ValueError(f"{value!r} is not host:port: {host!r} is not a host name or IP address")
    return host, int(match["port"])


HostName = Annotated[str, Kind("host name", "a host name or IP address", check_host, family="address",
                               max_length=253)]
HostPort = Annotated[str, Kind("host:port", "host:port (e.g. smtp.example.com:587)", split_host_port,
                               family="address")]


def _check_redis_url(value: str) -> None:
    match = re.fullmatch(r"rediss?://(?P<address>[^/]+)(?:/[0-9]{1,2})?", value, re.ASCII)
    if not match:
        raise ValueError(f"{value!r} is not redis://host:port (or rediss:// for TLS, optionally /<db>)")
    if "@" in match["address"]:
        raise HiddenValueError("holds a user or password before '@'; the URL is written in plain files: remove it")
    split_host_port(match["address"])


RedisUrl = Annotated[str, Kind("Redis URL", "redis://host:port", _check_redis_url, family="address")]


_EMAIL = re.compile(r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`|~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`|~-]+)*)@(?P<domain>.+)",
                    re.ASCII)


def check_email(value: str) -> str:
    """An addr-spec (``local@domain``): no display name, quotes, brackets, spaces or line breaks (they would
    reach an e-mail header), a domain with a dot."""
    match = _EMAIL.fullmatch(value)
    if not match or len(value) > 254 or "." not in match["domain"] or is_ip(match["domain"]):
        raise ValueError(f"{value!r} is not an e-mail address such as ops@example.com (no name, quotes or <>)")
    try:
        check_host(match["domain"])
    except ValueError:
        raise ValueError(f"{value!r} is not an e-mail address: {match['domain']!r} is no domain") from None
    return value


def check_email_list(value: str) -> str:
    for address in value.split(","):
        check_email(address.strip())
    return value


Email = Annotated[str, Kind("e-mail address", "an e-mail address such as ops@example.com", check_email,
                            family="address", max_length=254)]
EmailList = Annotated[str, Kind("e-mail addresses", "e-mail addresses separated by commas", check_email_list,
                                family="address", max_length=2000)]


def _check_login(value: str) -> None:
    if any(char.isspace() for char in value):
        raise ValueError(f"{value!r} holds a space; a login has none")


Login = Annotated[str, Kind("login", "a login without spaces", _check_login, family="name", max_length=254)]
LoginName = Annotated[str, pattern(
    "login name", r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}",
    "a login of letters, digits, '_', '.', '@', '+', '-' (no ':', it separates the password; at most 64)")]


# ----------------------------------------------------------------------------------------------------- URLs

_URL_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*", re.ASCII)
"""RFC 3986's characters: no space, quote, ``<``, ``>``, ``|``, ``{``, ``}``, ``\\``, ``^`` or backtick, which
end a link in Slack, an attribute in HTML or a string in a template."""


def check_http_url(value: str) -> str:
    """``value`` if it is an absolute ``http://`` or ``https://`` URL (scheme in lower case) of a host name or
    IP address, without a user or password, of RFC 3986 characters only (nothing reading it sees a second URL,
    a Slack mention or a template in it; nothing downstream expands ``${…}``)."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http(s) URL (http:// or https://, in lower case)")
    if not _URL_CHARACTERS.fullmatch(value):
        bad = next(char for char in value if not _URL_CHARACTERS.fullmatch(char))
        raise ValueError(f"{value!r} holds {bad!r}, which a URL writes percent-encoded; encode or remove it")
    parsed = urlsplit(value)
    if "@" in parsed.netloc:
        raise HiddenValueError("holds a user or password before '@', which would be written in plain files and "
                               "sent over every redirect; remove it (credentials are secrets)")
    if not parsed.hostname:
        raise ValueError(f"{value!r} names no host")
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    if port == 0:
        raise ValueError(f"{value!r} has an invalid port")
    check_host(parsed.hostname)
    return value


def check_credential_url(value: str) -> str:
    """``value`` if it is an https URL: a credential sent to it (a token, a routing key, a check's ping
    capability, a password) must not cross the network in clear.  Plain http is accepted on loopback only,
    where the credential never leaves the host (the live tests' stand-ins)."""
    check_http_url(value)
    parsed = urlsplit(value)
    if parsed.scheme != "https" and not is_loopback(parsed.hostname):
        raise ValueError(f"{value!r} carries a credential and must be https (plain http only on loopback)")
    return value


HttpUrl = Annotated[str, Kind("URL", "an http(s) URL", check_http_url, family="url", max_length=2000)]
"""A setting that must be an absolute http(s) URL."""
CredentialUrl = Annotated[str, Kind("credential URL", "an https URL (http on loopback only)", check_credential_url,
                                    family="url", max_length=2000)]
"""A URL something secret is sent to: https, or http on loopback."""


def docker_endpoint_problem(endpoint: str, *, tls: bool) -> str | None:
    """Why ``endpoint`` is no Docker daemon address every secret upload may cross, or None.

    ``unix:///path`` and ``ssh://[user@]host[:port]`` are safe; ``tcp://host:port`` only with TLS material
    (``tls``: a client certificate directory, ``docker.tlsCertPath`` or ``DOCKER_CERT_PATH`` with
    ``DOCKER_TLS_VERIFY=1``) or on loopback.  Reused for every Docker endpoint a stack names.
    """
    if endpoint.startswith("unix://"):
        path = endpoint.removeprefix("unix://")
        return None if path.startswith("/") and posixpath.normpath(path) == path else (
            f"{endpoint!r}: a unix:// address names an absolute, normalized socket path (unix:///var/run/docker.sock)")
    if match := re.fullmatch(r"ssh://(?:[A-Za-z0-9_.-]+@)?(?P<address>[^@/]+)", endpoint, re.ASCII):
        address = match["address"]
        try:
            split_host_port(address) if address.rsplit(":", 1)[-1].isdigit() else check_host(address)
        except ValueError:
            return f"{endpoint!r}: not ssh://[user@]host[:port]"
        return None
    if match := re.fullmatch(r"tcp://(?P<address>[^/]+)/?", endpoint, re.ASCII):
        try:
            host, _ = split_host_port(match["address"])
        except ValueError:
            return f"{endpoint!r}: not tcp://host:port"
        if not tls and not is_loopback(host):
            return (f"{endpoint!r} is plain TCP: every secret upload and the Docker API (root on that host) would "
                    "cross the network in clear; use ssh://user@host, or give the daemon's client certificates "
                    "(docker.tlsCertPath, or DOCKER_CERT_PATH with DOCKER_TLS_VERIFY=1)")
        return None
    return f"{endpoint!r} is no Docker address: unix:///path, ssh://[user@]host[:port] or tcp://host:port with TLS"


def _check_docker_host(value: str) -> None:
    user = value.partition("://")[2].partition("@")[0] if "@" in value else ""
    if "@" in value and (not value.startswith("ssh://") or ":" in user):
        raise HiddenValueError("holds a password before '@'; a Docker address carries none (ssh:// takes a user "
                               "and its key)")
    problem = docker_endpoint_problem(value, tls=True)  # the TLS material is a check of the composed settings
    if problem:
        raise ValueError(problem)


DockerHost = Annotated[str, Kind("Docker address", "unix:///path, ssh://[user@]host[:port] or tcp://host:port",
                                 _check_docker_host, family="url", max_length=500)]


# ---------------------------------------------------------------------------------------------------- paths

def _check_absolute(value: str) -> str:
    """The path without a trailing ``/``, if it is absolute and normalized (no ``.``, ``..`` or ``//``: a path
    must say where it is without being resolved)."""
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path (it must start with '/')")
    path = value[:-1] if len(value) > 1 and value.endswith("/") else value
    if path.startswith("//") or posixpath.normpath(path) != path:
        raise ValueError(f"{value!r} is not a normalized path: write it without '.', '..' or '//' "
                         f"(e.g. {posixpath.normpath('/' + path.lstrip('/'))!r})")
    return path


def _check_host_dir(value: str) -> str:
    path = _check_absolute(value)
    if path == "/":
        raise ValueError("'/' is the whole host; name the directory itself")
    return path


def _check_device(value: str) -> str:
    path = _check_absolute(value)
    if not path.startswith("/dev/"):
        raise ValueError(f"{value!r} is not a device path below /dev/")
    return path


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", re.ASCII)


def _check_container_path(value: str) -> str:
    path = _check_absolute(value)
    bad = [segment for segment in path.split("/")[1:] if segment and not _SEGMENT.fullmatch(segment)]
    if bad:
        raise ValueError(f"{value!r}: {bad[0]!r} is no plain directory name (letters, digits, '_', '.', '-', not "
                         "starting with '.': dot-names are the reload job's)")
    return path


HostPath = Annotated[str, Kind("host path", "an absolute, normalized path on the Docker host", _check_absolute,
                               family="path", max_length=1024)]
HostDir = Annotated[str, Kind("host directory", "an absolute, normalized directory on the Docker host (not /)",
                              _check_host_dir, family="path", max_length=1024)]
DevicePath = Annotated[str, Kind("device path", "a device path below /dev/", _check_device, family="path",
                                 max_length=1024)]
ContainerPath = Annotated[str, Kind("container path", "an absolute, normalized path of plain directory names",
                                    _check_container_path, family="path", max_length=1024)]


def is_below(path: str, directory: str) -> bool:
    """Whether normalized ``path`` is ``directory`` or inside it."""
    return path == directory or path.startswith(directory.rstrip("/") + "/")


# --------------------------------------------------------------------------------------------------- regexes

RE2_MAX_LENGTH = 256
"""Longest regex setting: also keeps nesting far below RE2's and Go's depth limit (1000)."""
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 logs refusals to stderr by default: the message here says it in one line


def check_re2(value: str) -> str:
    """``value`` if Prometheus (Go's RE2 syntax) compiles it: checked with RE2 itself, plus the two constructs C++
    RE2 takes and the Go versions of the pinned images refuse (``(?<name>…)`` before Go 1.22, ``\\C``)."""
    if len(value) > RE2_MAX_LENGTH:
        raise ValueError(f"is {len(value)} characters long; a regex setting has at most {RE2_MAX_LENGTH}")
    go_only = re.search(r"\(\?<(?![=!])|(?<!\\)(?:\\\\)*\\C", value)
    try:
        re2.compile(value, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise ValueError(f"{value!r} is not a regex Prometheus accepts (RE2: {reason}); RE2 has no lookaround, "
                         "backreference, possessive or atomic group, and repeats at most {1000}") from None
    if go_only:
        raise ValueError(f"{value!r} is not a regex Prometheus accepts: {go_only.group(0)!r} is not in Go's RE2 "
                         "syntax (write (?P<name>...) for a named group)")
    return value


Re2Regex = Annotated[str, Kind("regex", "a regex in RE2 syntax (Prometheus')", check_re2, family="regex",
                               max_length=RE2_MAX_LENGTH)]


# ---------------------------------------------------------------------------------------------------- models

class ConfigModel(BaseModel):
    """A frozen settings block read from stack config (keys in camelCase); numbers are finite (``.nan`` and
    ``.inf`` would render alerts that can never fire)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )


class SettingsError(Exception):
    """Stack config is invalid; ``problems`` holds one line per bad key."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        super().__init__(self.message())

    def message(self) -> str:
        if len(self.problems) == 1:
            return f"stack {self.stack!r}: {self.problems[0]}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"stack {self.stack!r}: invalid config ({len(self.problems)} problem(s)):\n{lines}"
