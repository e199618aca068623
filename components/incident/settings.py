"""PagerDuty, Slack and Sentry resources (config key ``incident``).

Every service is off by default, so a stack without an ``incident`` block (dev) creates no
SaaS resource and needs no token.  Pure helpers that turn these settings into resource tables
(schedule start, escalation rules, service timeouts, Slack channels, Sentry environment lines)
live here too, so they can be tested without Pulumi.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.durations import Duration, seconds
from components.model import ConfigModel

ROTATION_WEEKLY_SECONDS = 7 * 24 * 3600
"""Length of one on-call turn: schedules hand over once a week."""

PRODUCTION_ROUTING_KEY = "pagerdutyRoutingKey"
DATABASE_ROUTING_KEY = "pagerdutyDatabaseRoutingKey"
ROUTING_KEYS: dict[str, str] = {"production": PRODUCTION_ROUTING_KEY, "database": DATABASE_ROUTING_KEY}
"""Secret config key each PagerDuty service's Events API v2 routing key replaces."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RFC3339_MINUTE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<hm>\d{2}:\d{2})(?::(?P<sec>\d{2}(?:\.\d+)?))?(?P<off>Z|[+-]\d{2}:\d{2})$"
)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


# --------------------------------------------------------------------------- schedule start


def check_time_zone(time_zone: str) -> ZoneInfo:
    """The IANA zone named ``time_zone``; ``ValueError`` with a one-line message otherwise."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{time_zone!r} is not an IANA time zone such as 'Europe/Berlin' or 'UTC'") from None


def _offset(delta: timedelta | None) -> str:
    total = int((delta or timedelta()).total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def local_time_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local time ``wall`` occurs in ``zone`` (false inside a DST gap)."""
    there_and_back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return there_and_back == wall


def next_local_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first whole minute at or after ``wall`` that exists in ``zone`` (the end of a DST gap)."""
    candidate = wall.replace(second=0, microsecond=0)
    for _ in range(3 * 24 * 60):  # gaps are at most a day long (Pacific/Apia skipped 2011-12-30)
        if local_time_exists(candidate, zone):
            return candidate
        candidate += timedelta(minutes=1)
    raise ValueError(f"no valid local time in {zone.key} within three days after {wall:%Y-%m-%dT%H:%M}")


def check_schedule_start(start: str, time_zone: str) -> str:
    """Validate an on-call rotation start and return it normalised (``YYYY-MM-DDTHH:MM:00±HH:MM``).

    PagerDuty wants an RFC 3339 time in whole minutes whose UTC offset is the one ``time_zone``
    has at that instant; anything else produces permanent diffs or API errors.  Raises
    ``ValueError`` with a single line that says what to write instead.
    """
    zone = check_time_zone(time_zone)
    match = _RFC3339_MINUTE.match(start.strip())
    if not match:
        raise ValueError(f"start {start!r} is not an RFC 3339 time with a UTC offset, e.g. '2026-11-30T09:00:00+01:00'")
    sec = match["sec"]
    if sec is not None and float(sec) != 0:
        whole = f"{match['date']}T{match['hm']}:00{match['off']}"
        raise ValueError(f"start {start!r} must be a whole minute (seconds :00), e.g. {whole!r}")
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['hm']}:00{match['off'].replace('Z', '+00:00')}")
    except ValueError as error:
        raise ValueError(f"start {start!r} is not a valid date/time ({error})") from None
    expected = parsed.astimezone(zone).utcoffset()
    if parsed.utcoffset() != expected:
        wall = parsed.replace(tzinfo=None)
        if not local_time_exists(wall, zone):
            after = next_local_time(wall, zone)
            fixed = _offset(after.replace(tzinfo=zone).utcoffset())
            raise ValueError(
                f"start {start!r}: {wall:%H:%M} local time does not exist in {time_zone} on {wall:%Y-%m-%d} "
                f"(the clocks skip it); the next valid local time is {after:%H:%M}: "
                f"write '{after.isoformat(timespec='seconds')}{fixed}'"
            )
        fixed = _offset(wall.replace(tzinfo=zone).utcoffset())
        raise ValueError(
            f"start {start!r} has offset {_offset(parsed.utcoffset())} but {time_zone} is at {_offset(expected)} "
            f"at that instant; for {wall:%H:%M} local time write '{wall.isoformat(timespec='seconds')}{fixed}'"
        )
    return parsed.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- PagerDuty

UserRole = Literal[
    "admin",
    "limited_user",
    "observer",
    "owner",
    "read_only_limited_user",
    "read_only_user",
    "restricted_access",
    "user",
]
TeamRole = Literal["observer", "responder", "manager"]

BASE_ROLE_FOR_TEAM_ROLE: dict[str, UserRole] = {"manager": "user", "responder": "limited_user"}
"""The pairs the PagerDuty provider documents (``pagerduty_team_membership.role``): base role ``user``
is team role ``manager``, ``limited_user`` is ``responder``.  Any other pair gives a permanent diff
on the membership or a rejection by the API.  ``observer`` has no documented base role."""
TEAM_ROLE_FOR_BASE_ROLE: dict[str, str] = {base: team for team, base in BASE_ROLE_FOR_TEAM_ROLE.items()}

_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def resource_slug(text: str) -> str:
    """A stable logical-name fragment (``jane.doe@example.com`` → ``jane-doe-example-com``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PagerDutyUser(ConfigModel):
    """A PagerDuty user: created by this stack, or (``create: false``) looked up by e-mail."""

    name: str
    email: str
    key: str | None = None
    """Stable part of the resource names (default: the e-mail as a slug, ``jane-doe-example-com``).
    Keep it when the e-mail changes so the user is updated in place, not replaced."""
    role: UserRole | None = None
    """Base role of a created user; default from ``teamRole`` (``responder`` → ``limited_user``,
    ``manager`` → ``user``); ``observer`` needs it set.  ``user``/``limited_user`` must match ``teamRole``."""
    team_role: TeamRole = "responder"
    """Role in the stack's team."""
    create: bool = True
    """``false``: the user exists already (e.g. created by another stack); found with ``get_user``."""

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        return _email(value)

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str | None) -> str | None:
        if value is not None and not _KEY.match(value):
            raise ValueError(f"{value!r} must be lowercase letters and digits separated by '-', e.g. 'jane-doe'")
        return value

    @model_validator(mode="after")
    def _roles(self) -> PagerDutyUser:
        paired = TEAM_ROLE_FOR_BASE_ROLE.get(self.role or "")
        if paired is not None and paired != self.team_role:
            raise ValueError(
                f"{self.email}: role {self.role!r} goes with teamRole {paired!r}, not {self.team_role!r} "
                "(PagerDuty pairs user with manager, limited_user with responder); change one or drop role"
            )
        if self.create and self.role is None and self.team_role not in BASE_ROLE_FOR_TEAM_ROLE:
            raise ValueError(
                f"{self.email}: teamRole {self.team_role!r} has no documented base role; "
                "set role (e.g. observer or read_only_user) for a created user"
            )
        return self

    @property
    def resource_key(self) -> str:
        """The stable logical-name fragment of this user's resources."""
        return self.key or resource_slug(self.email)

    @property
    def base_role(self) -> UserRole | None:
        """The base role a created user gets: ``role``, or the one ``teamRole`` pairs with."""
        return self.role or BASE_ROLE_FOR_TEAM_ROLE.get(self.team_role)


class Rotation(ConfigModel):
    """Weekly rotation of both schedules: where the first turn starts, in which zone."""

    time_zone: str = "UTC"
    """IANA time zone of the rotation (its UTC offset must match ``start``)."""
    start: str | None = None
    """RFC 3339, whole minutes, offset matching ``timeZone`` then, e.g. ``2026-11-30T09:00:00+01:00``."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        check_time_zone(value)
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "time_zone" not in info.data:
            return value
        return check_schedule_start(value, info.data["time_zone"])


class Schedules(ConfigModel):
    """On-call members by e-mail, in rotation order (each must be listed in ``users``)."""

    primary: list[str] = Field(default_factory=list)
    """E-mails of the primary on-call rotation, in order (each must be in ``users``)."""
    secondary: list[str] = Field(default_factory=list)
    """E-mails of the secondary on-call rotation, in order (each must be in ``users``)."""

    @field_validator("primary", "secondary")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        emails = [_email(v) for v in value]
        if len(set(emails)) != len(emails):
            raise ValueError(f"members listed twice: {sorted({e for e in emails if emails.count(e) > 1})}")
        return emails


class Escalation(ConfigModel):
    """Three levels; each delay is how long that level has to acknowledge before the next one is paged."""

    primary_delay_minutes: int = Field(5, ge=1, le=1440)
    """Minutes the primary on-call has to acknowledge before the secondary is paged."""
    secondary_delay_minutes: int = Field(15, ge=1, le=1440)
    """Minutes the secondary has to acknowledge before the engineering lead is paged."""
    lead: str | None = None
    """E-mail of the engineering lead, the third level (must be listed in ``users``)."""
    lead_delay_minutes: int = Field(30, ge=1, le=1440)
    """Minutes the lead has before the policy loops (``numLoops``)."""
    num_loops: int = Field(1, ge=0, le=9)
    """How often the whole policy repeats when nobody acknowledges."""

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str | None) -> str | None:
        return None if value is None else _email(value)


class PagerDutyService(ConfigModel):
    """One PagerDuty service with an Events API v2 integration Alertmanager sends to."""

    enabled: bool = True
    """Create this service (off: its routing key must come from config)."""
    name: str
    """Service name in PagerDuty."""
    description: str = "Managed by Pulumi (internet-id-monitoring); alerts arrive from Alertmanager."
    """Service description in PagerDuty."""
    urgency: Literal["high", "low", "severity_based"] = "high"
    """Urgency of incidents (``high`` pages by phone/push; ``low`` notifies only)."""
    auto_resolve_timeout: Duration | None = None
    """Resolve incidents left open this long; unset (default) disables it: Alertmanager sends resolves."""
    acknowledgement_timeout: Duration | None = "30m"
    """Re-trigger an acknowledged incident after this long; unset disables it."""
    escalation: Escalation | None = None
    """A separate escalation policy for this service (same schedules; ``lead`` defaults to the main
    policy's); unset shares the main policy."""


class ProductionService(PagerDutyService):
    """Alerts about the Internet-ID API, web app and host."""

    name: str = "Internet-ID Production"
    """Service name in PagerDuty."""


class DatabaseService(PagerDutyService):
    """Alerts about PostgreSQL and Redis (``DatabaseDown`` and friends)."""

    name: str = "Internet-ID Database"
    """Service name in PagerDuty."""


class PagerDutyServices(ConfigModel):
    production: ProductionService = ProductionService()
    database: DatabaseService = DatabaseService()

    def enabled(self) -> dict[str, PagerDutyService]:
        return {key: svc for key, svc in (("production", self.production), ("database", self.database)) if svc.enabled}


class PagerDutySettings(ConfigModel):
    enabled: bool = False
    """Create PagerDuty users, team, schedules, escalation policy and services."""
    name_prefix: str = "Internet-ID"
    """Prefix of the team, schedule and policy names; make it distinct per stack sharing an account."""
    team: str = "Internet-ID"
    """PagerDuty team owning the services."""
    service_region: Literal["us", "eu"] = "us"
    """Service region of the PagerDuty account: ``us`` (api.pagerduty.com) or ``eu`` (api.eu.pagerduty.com)."""
    users: list[PagerDutyUser] = Field(default_factory=list)
    """People: ``name``, ``email``, optional ``key`` (stable resource name, default from the e-mail),
    ``role`` (base role, default from ``teamRole``: ``responder`` → ``limited_user``, ``manager`` → ``user``),
    ``teamRole`` (default ``responder``), ``create`` (false: look up by e-mail).  Created users are
    retained in PagerDuty when removed from config or on ``pulumi destroy``."""
    schedules: Schedules = Schedules()
    rotation: Rotation = Rotation()
    escalation: Escalation = Escalation()
    services: PagerDutyServices = PagerDutyServices()

    @model_validator(mode="after")
    def _complete(self) -> PagerDutySettings:
        emails = [u.email for u in self.users]
        if len(set(emails)) != len(emails):
            raise ValueError(f"users listed twice: {sorted({e for e in emails if emails.count(e) > 1})}")
        keys = [u.resource_key for u in self.users]
        if len(set(keys)) != len(keys):
            raise ValueError(f"users: key used twice: {sorted({k for k in keys if keys.count(k) > 1})}")
        if not self.enabled:
            return self
        problems: list[str] = []
        if self.rotation.start is None:
            problems.append("rotation.start is required, e.g. '2026-11-30T09:00:00+01:00'")
        for which in ("primary", "secondary"):
            if not getattr(self.schedules, which):
                problems.append(f"schedules.{which} needs at least one member e-mail")
        levels = [self.escalation] + [s.escalation for s in self.services.enabled().values() if s.escalation]
        if self.escalation.lead is None:
            problems.append("escalation.lead (the engineering lead's e-mail) is required")
        referenced = {*self.schedules.primary, *self.schedules.secondary, *(lv.lead for lv in levels if lv.lead)}
        unknown = sorted(referenced - set(emails))
        if unknown:
            problems.append(f"{unknown} not in users; add them (with create: false to look them up)")
        if not self.services.enabled():
            problems.append("services: every service is disabled; disable pagerduty instead")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def service_escalation(main: Escalation, own: Escalation | None) -> Escalation:
    """The levels of a service's policy: its own delays, the main lead unless it names one."""
    if own is None:
        return main
    return own if own.lead is not None else own.model_copy(update={"lead": main.lead})


@dataclass(frozen=True)
class EscalationRule:
    """One level of an escalation policy: who is paged and for how long before escalating."""

    delay_minutes: int
    target_type: Literal["schedule_reference", "user_reference"]
    target: str
    """``primary``/``secondary`` (schedule) or a user's e-mail."""


def escalation_rules(escalation: Escalation) -> list[EscalationRule]:
    """Primary on-call, then secondary on-call, then the engineering lead."""
    if escalation.lead is None:
        raise ValueError("escalation.lead is required")
    return [
        EscalationRule(escalation.primary_delay_minutes, "schedule_reference", "primary"),
        EscalationRule(escalation.secondary_delay_minutes, "schedule_reference", "secondary"),
        EscalationRule(escalation.lead_delay_minutes, "user_reference", escalation.lead),
    ]


def timeout_value(duration: str | None) -> str:
    """PagerDuty service timeouts are strings of seconds; ``"null"`` disables them."""
    return "null" if duration is None else str(int(seconds(duration)))


# --------------------------------------------------------------------------- Slack


class ChannelText(ConfigModel):
    topic: str | None = None
    """Channel topic; default names the environment."""
    purpose: str | None = None
    """Channel purpose; default names the environment."""


class SlackChannelTexts(ConfigModel):
    """Topic/purpose overrides per channel; unset keeps the defaults in ``DEFAULT_CHANNEL_TEXT``."""

    critical: ChannelText = ChannelText()
    warnings: ChannelText = ChannelText()
    info: ChannelText = ChannelText()
    incidents: ChannelText = ChannelText()


DEFAULT_CHANNEL_TEXT: dict[str, tuple[str, str]] = {
    "critical": (
        "Internet-ID {environment}: critical alerts (also paged via PagerDuty)",
        "Alertmanager posts critical alerts of Internet-ID {environment} here; each one needs action now.",
    ),
    "warnings": (
        "Internet-ID {environment}: warnings",
        "Alertmanager posts warning alerts of Internet-ID {environment} here; look at them within the day.",
    ),
    "info": (
        "Internet-ID {environment}: informational alerts",
        "Alertmanager posts info alerts of Internet-ID {environment} here; no action expected.",
    ),
    "incidents": (
        "Internet-ID {environment}: incident coordination",
        "Coordinate ongoing Internet-ID {environment} incidents here: status, decisions, hand-overs.",
    ),
}

_SLACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class SlackSettings(ConfigModel):
    """Channels named in ``notifications.slack.channels``; the webhook URL stays a secret setting."""

    enabled: bool = False
    """Create (or adopt) the Slack channels named in ``notifications.slack.channels``."""
    channels: SlackChannelTexts = SlackChannelTexts()
    adopt_existing_channel: bool = True
    """Take over a channel that already exists under the name instead of failing with ``name_taken``."""
    action_on_destroy: Literal["none", "archive"] = "none"
    """``none``: ``pulumi destroy`` leaves channels and their history; ``archive`` archives them."""
    is_private: bool = False
    """Create private channels instead of public ones."""


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    name: str
    topic: str
    purpose: str


def channel_table(names: dict[str, str], texts: SlackChannelTexts, environment: str) -> list[ChannelSpec]:
    """One row per channel: name from ``notifications.slack.channels``, topic and purpose."""
    specs: list[ChannelSpec] = []
    for key in ("critical", "warnings", "info", "incidents"):
        name = names[key].removeprefix("#")
        if not _SLACK_NAME.match(name):
            raise ValueError(
                f"notifications.slack.channels.{key}: {name!r} is not a Slack channel name "
                "(lowercase letters, digits, '-' and '_', at most 80)"
            )
        override: ChannelText = getattr(texts, key)
        topic, purpose = DEFAULT_CHANNEL_TEXT[key]
        specs.append(
            ChannelSpec(
                key=key,
                name=name,
                topic=override.topic if override.topic is not None else topic.format(environment=environment),
                purpose=override.purpose if override.purpose is not None else purpose.format(environment=environment),
            )
        )
    duplicates = sorted({s.name for s in specs if [t.name for t in specs].count(s.name) > 1})
    if duplicates:
        raise ValueError(f"notifications.slack.channels: channel names must differ, {duplicates} used twice")
    return specs


# --------------------------------------------------------------------------- Sentry


class SentryTeam(ConfigModel):
    slug: str = "internet-id"
    """Sentry team slug."""
    name: str = "Internet-ID"
    """Sentry team name."""


class SentryProject(ConfigModel):
    slug: str = "internet-id-api"
    """Sentry project slug."""
    name: str = "Internet-ID API"
    """Sentry project name."""


class SentrySettings(ConfigModel):
    """A Sentry team and Node project for the Internet-ID API, with a managed client key."""

    enabled: bool = False
    """Create the Sentry team, project, client key and issue alerts (Sentry adds a "Default" key and a
    default alert rule to the new project by itself)."""
    organization: str | None = None
    """Organization slug (required when enabled)."""
    base_url: str = "https://sentry.io/api/"
    """API base URL; for self-hosted Sentry ``https://sentry.example.com/api/``."""
    team: SentryTeam = SentryTeam()
    project: SentryProject = SentryProject()
    key_name: str = "internet-id-api (Pulumi)"
    """Name of the managed client key whose DSN the API gets (Sentry's own "Default" key stays, as does
    the default alert rule Sentry adds to every new project)."""
    traces_sample_rate: float = Field(0.1, ge=0.0, le=1.0)
    """``SENTRY_TRACES_SAMPLE_RATE`` handed to the API (share of requests traced)."""
    environment: str | None = None
    """``SENTRY_ENVIRONMENT``; default: the stack's ``environment`` setting."""
    issue_alerts: bool = True
    """Create "new issue" and "regression" issue alerts e-mailing the team (Sentry's own default rule on
    the project is left alone)."""
    alert_environment: str | None = None
    """Only alert on events of this Sentry environment (e.g. ``production``); unset (default): every
    environment.  The environment must have received an event first: Sentry rejects the rule otherwise
    ("This environment has not been created.")."""
    alert_frequency_minutes: int = Field(30, ge=5, le=43200)
    """Minimum minutes between two notifications of the same issue alert."""

    @field_validator("base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or not value.endswith("/api/"):
            raise ValueError(f"{value!r} must be an http(s) URL ending in '/api/', e.g. 'https://sentry.io/api/'")
        return value

    @model_validator(mode="after")
    def _organization(self) -> SentrySettings:
        if self.enabled and not self.organization:
            raise ValueError("organization (the Sentry organization slug) is required when sentry is enabled")
        return self


def sentry_env_lines(dsn: str, environment: str, traces_sample_rate: float) -> str:
    """The lines of the API's environment file that configure Sentry (contains the DSN: secret)."""
    return f"SENTRY_DSN={dsn}\nSENTRY_ENVIRONMENT={environment}\nSENTRY_TRACES_SAMPLE_RATE={traces_sample_rate:g}\n"


# --------------------------------------------------------------------------- root


class IncidentSettings(ConfigModel):
    """Which SaaS incident-response resources this stack manages (all off by default)."""

    pagerduty: PagerDutySettings = PagerDutySettings()
    slack: SlackSettings = SlackSettings()
    sentry: SentrySettings = SentrySettings()

    def required_secrets(self) -> dict[str, str]:
        required: dict[str, str] = {}
        if self.pagerduty.enabled:
            required["pagerduty:token"] = "incident.pagerduty.enabled is true"
        if self.slack.enabled:
            required["slack:token"] = "incident.slack.enabled is true"
        if self.sentry.enabled:
            required["sentry:token"] = "incident.sentry.enabled is true"
        return required

    def provided_secrets(self) -> dict[str, str]:
        """Secret keys this stack creates itself (PagerDuty routing keys), so config need not hold them."""
        if not self.pagerduty.enabled:
            return {}
        return {
            ROUTING_KEYS[key]: f"created by the PagerDuty service {svc.name!r}"
            for key, svc in self.pagerduty.services.enabled().items()
        }
