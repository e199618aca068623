"""PagerDuty settings (config key ``incident.pagerduty``): users, team, schedules, escalation, services,
and the pure helpers that turn them into resource tables (escalation rules, service timeouts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.durations import duration, seconds
from components.incident.rotation import check_schedule_start, check_time_zone
from components.model import ConfigModel, Email, Kind, pattern, text
from components.secret_keys import PAGERDUTY_DATABASE_ROUTING_KEY, PAGERDUTY_ROUTING_KEY, SecretKey

ROUTING_KEYS: dict[str, SecretKey] = {"production": PAGERDUTY_ROUTING_KEY, "database": PAGERDUTY_DATABASE_ROUTING_KEY}
"""The secret each PagerDuty service's Events API v2 routing key replaces."""

PagerDutyName = Annotated[str, text(100)]
PagerDutyTimeout = Annotated[str, duration("1s", "68y", consumer="PagerDuty", whole_seconds=True)]
"""A service timeout: PagerDuty takes whole seconds (kept within a signed 32-bit count, 2^31-1 s)."""
ResourceKey = Annotated[str, pattern(
    "resource key", r"[a-z0-9]+(?:-[a-z0-9]+)*", "lower-case letters and digits separated by '-', e.g. 'jane-doe'",
    max_length=100)]
TimeZoneName = Annotated[str, Kind("time zone", "an IANA time zone such as Europe/Berlin", check_time_zone,
                                   family="name", max_length=64)]
Rfc3339Minute = Annotated[str, Kind("RFC 3339 time", "an RFC 3339 time such as 2026-11-30T09:00:00+01:00",
                                    family="name", max_length=64)]


def _email(value: str) -> str:
    return value.lower()


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


def resource_slug(text: str) -> str:
    """A stable logical-name fragment (``jane.doe@example.com`` → ``jane-doe-example-com``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PagerDutyUser(ConfigModel):
    """A PagerDuty user: created by this stack, or (``create: false``) looked up by e-mail."""

    name: PagerDutyName
    """Full name in PagerDuty."""
    email: Email
    """Login e-mail; what ``create: false`` looks the user up by."""
    key: ResourceKey | None = None
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

    time_zone: TimeZoneName = "UTC"
    """IANA time zone of the rotation (its UTC offset must match ``start``)."""
    start: Rfc3339Minute | None = None
    """RFC 3339, whole minutes, offset matching ``timeZone`` then, e.g. ``2026-11-30T09:00:00+01:00``."""

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "time_zone" not in info.data:
            return value
        return check_schedule_start(value, info.data["time_zone"])


class Schedules(ConfigModel):
    """On-call members by e-mail, in rotation order (each must be listed in ``users``)."""

    primary: list[Email] = Field(default_factory=list)
    """E-mails of the primary on-call rotation, in order (each must be in ``users``)."""
    secondary: list[Email] = Field(default_factory=list)
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
    lead: Email | None = None
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
    name: Annotated[str, text(255)]
    """Service name in PagerDuty."""
    description: Annotated[str, text(1024)] = (
        "Managed by Pulumi (internet-id-monitoring); alerts arrive from Alertmanager.")
    """Service description in PagerDuty."""
    urgency: Literal["high", "low", "severity_based"] = "high"
    """Urgency of incidents (``high`` pages by phone/push; ``low`` notifies only)."""
    auto_resolve_timeout: PagerDutyTimeout | None = None
    """Resolve incidents left open this long; unset (default) disables it: Alertmanager sends resolves."""
    acknowledgement_timeout: PagerDutyTimeout | None = "30m"
    """Re-trigger an acknowledged incident after this long; unset disables it."""
    escalation: Escalation | None = None
    """A separate escalation policy for this service (same schedules; ``lead`` defaults to the main
    policy's); unset shares the main policy."""


class ProductionService(PagerDutyService):
    """Alerts about the Internet-ID API, web app and host."""

    name: Annotated[str, text(255)] = "Internet-ID Production"
    """Service name in PagerDuty."""


class DatabaseService(PagerDutyService):
    """Alerts about PostgreSQL and Redis (``DatabaseDown`` and friends)."""

    name: Annotated[str, text(255)] = "Internet-ID Database"
    """Service name in PagerDuty."""


class PagerDutyServices(ConfigModel):
    production: ProductionService = ProductionService()
    database: DatabaseService = DatabaseService()

    def enabled(self) -> dict[str, PagerDutyService]:
        return {key: svc for key, svc in (("production", self.production), ("database", self.database)) if svc.enabled}


class PagerDutySettings(ConfigModel):
    enabled: bool = False
    """Create PagerDuty users, team, schedules, escalation policy and services."""
    name_prefix: PagerDutyName = "Internet-ID"
    """Prefix of the team, schedule and policy names; make it distinct per stack sharing an account."""
    team: PagerDutyName = "Internet-ID"
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
