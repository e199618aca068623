"""Sentry settings (config key ``incident.sentry``): team, project, issue alerts, the API's environment lines."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from components.model import ConfigModel, CredentialUrl, LabelValue, pattern, text

SentrySlug = Annotated[str, pattern(
    "Sentry slug", r"[a-z0-9][a-z0-9_-]{0,49}", "a Sentry slug (lower case, digits, '-', '_'; at most 50)")]
SentryName = Annotated[str, text(64)]


class SentryTeam(ConfigModel):
    slug: SentrySlug = "internet-id"
    """Sentry team slug."""
    name: SentryName = "Internet-ID"
    """Sentry team name."""


class SentryProject(ConfigModel):
    slug: SentrySlug = "internet-id-api"
    """Sentry project slug."""
    name: SentryName = "Internet-ID API"
    """Sentry project name."""


class SentrySettings(ConfigModel):
    """A Sentry team and Node project for the Internet-ID API, with a managed client key."""

    enabled: bool = False
    """Create the Sentry team, project, client key and issue alerts (Sentry adds a "Default" key and a
    default alert rule to the new project by itself)."""
    organization: SentrySlug | None = None
    """Organization slug (required when enabled)."""
    base_url: CredentialUrl = "https://sentry.io/api/"
    """API base URL (the provider sends ``sentry:token`` there: https); for self-hosted Sentry
    ``https://sentry.example.com/api/``."""
    team: SentryTeam = SentryTeam()
    project: SentryProject = SentryProject()
    key_name: SentryName = "internet-id-api (Pulumi)"
    """Name of the managed client key whose DSN the API gets (Sentry's own "Default" key stays, as does
    the default alert rule Sentry adds to every new project)."""
    traces_sample_rate: float = Field(0.1, ge=0.0, le=1.0)
    """``SENTRY_TRACES_SAMPLE_RATE`` handed to the API (share of requests traced)."""
    environment: LabelValue | None = None
    """``SENTRY_ENVIRONMENT``; default: the stack's ``environment`` setting."""
    issue_alerts: bool = True
    """Create "new issue" and "regression" issue alerts e-mailing the team (Sentry's own default rule on
    the project is left alone)."""
    alert_environment: LabelValue | None = None
    """Only alert on events of this Sentry environment (e.g. ``production``); unset (default): every
    environment.  The environment must have received an event first: Sentry rejects the rule otherwise
    ("This environment has not been created.")."""
    alert_frequency_minutes: int = Field(30, ge=5, le=43200)
    """Minimum minutes between two notifications of the same issue alert."""

    @field_validator("base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.endswith("/api/"):
            raise ValueError(f"{value!r} must be a URL ending in '/api/', e.g. 'https://sentry.io/api/'")
        return value

    @model_validator(mode="after")
    def _organization(self) -> SentrySettings:
        if self.enabled and not self.organization:
            raise ValueError("organization (the Sentry organization slug) is required when sentry is enabled")
        return self


def env_line(name: str, value: str) -> str:
    """One ``NAME=value`` line of an environment file; a value that would end the line (and start another
    variable) or hold a control character is refused, whatever its source (the DSN comes from Sentry's API)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError(f"{name}: the value holds a line break or control character; refusing to write it into "
                         "an environment file, where it would start another variable")
    return f"{name}={value}\n"


def sentry_env_lines(dsn: str, environment: str, traces_sample_rate: float) -> str:
    """The lines of the API's environment file that configure Sentry (contains the DSN: secret)."""
    return (env_line("SENTRY_DSN", dsn) + env_line("SENTRY_ENVIRONMENT", environment)
            + env_line("SENTRY_TRACES_SAMPLE_RATE", f"{traces_sample_rate:g}"))
