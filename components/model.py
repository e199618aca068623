"""Base class for every settings model: camelCase config keys, unknown keys rejected.

Stack config is written by hand in ``Pulumi.<stack>.yaml``; a typo must be an error that
names the key, never a silently ignored value.  The docstring under each field documents it in
the generated configuration reference (``docs/configuration.md``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def check_http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL; nothing downstream expands ``${…}`` variables."""
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if "${" in value:
        raise ValueError(f"{value!r} holds a ${{…}} placeholder; nothing expands variables in rendered files")
    return check_no_template(value)


def check_no_template(value: str) -> str:
    """``value`` if it holds no Go template delimiter: settings land in rule annotations and labels and in
    Alertmanager fields that Prometheus and Alertmanager expand as templates, where ``{{ … }}`` would run
    (query any series, print any label) instead of being shown."""
    if "{{" in value or "}}" in value:
        raise ValueError(f"{value!r} holds '{{{{' or '}}}}', which Prometheus and Alertmanager would expand as a "
                         "template; remove them")
    return value


TemplateFree = Annotated[str, AfterValidator(check_no_template)]
"""Text a setting puts where Prometheus or Alertmanager expands templates (a label, a notification field)."""


HttpUrl = Annotated[str, AfterValidator(check_http_url)]
"""A setting that must be an absolute http(s) URL."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_credential_url(value: str) -> str:
    """``value`` if it is an https URL: a credential sent to it (a token, a routing key, a check's
    ping capability) must not cross the network in clear.  Plain http is accepted on loopback only,
    where the credential never leaves the host (the live tests' stand-in receivers)."""
    check_http_url(value)
    parsed = urlsplit(value)
    if parsed.scheme != "https" and parsed.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{value!r} carries a credential and must be https (plain http only on loopback)")
    return value


CredentialUrl = Annotated[str, AfterValidator(check_credential_url)]
"""A URL something secret is sent to: https, or http on loopback."""


class ConfigModel(BaseModel):
    """A frozen settings block read from stack config (keys in camelCase)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
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
