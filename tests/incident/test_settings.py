"""Incident settings and the pure tables the components are built from (no Pulumi involved)."""

from __future__ import annotations

from typing import Any

import pytest

from components.alertmanager.settings import SlackChannels
from components.config_source import settings_from_mapping, settings_from_stack_file
from components.incident.pagerduty_settings import (
    Escalation,
    EscalationRule,
    escalation_rules,
    resource_slug,
    service_escalation,
    timeout_value,
)
from components.incident.response import shared_channel_names
from components.incident.rotation import check_schedule_start
from components.incident.sentry_settings import sentry_env_lines
from components.incident.settings import IncidentSettings
from components.incident.slack_settings import SlackChannelTexts, channel_table
from components.settings import PROJECT, SettingsError, StackSettings

PAGERDUTY: dict[str, Any] = {
    "enabled": True,
    "users": [{"name": "Alex", "email": "alex@example.com"}, {"name": "Kim", "email": "kim@example.com"}],
    "schedules": {"primary": ["alex@example.com"], "secondary": ["kim@example.com"]},
    "rotation": {"timeZone": "Europe/Berlin", "start": "2026-11-30T09:00:00+01:00"},
    "escalation": {"lead": "kim@example.com"},
}


def load(incident: dict[str, Any], *, stack: str = "staging", **config: Any) -> IncidentSettings:
    mapping: dict[str, Any] = {f"{PROJECT}:incident": incident, **config}
    return settings_from_mapping(stack, mapping, require_secrets=False).incident


def problems(incident: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as error:
        load(incident)
    return error.value.message()


# --------------------------------------------------------------------------- schedule start


@pytest.mark.parametrize(
    ("start", "zone", "normalised"),
    [
        ("2026-11-30T09:00:00+01:00", "Europe/Berlin", "2026-11-30T09:00:00+01:00"),
        ("2026-11-30T09:00+01:00", "Europe/Berlin", "2026-11-30T09:00:00+01:00"),
        ("2026-07-06T09:00:00+02:00", "Europe/Berlin", "2026-07-06T09:00:00+02:00"),  # summer time
        ("2026-11-30T08:00:00Z", "UTC", "2026-11-30T08:00:00+00:00"),
        ("2026-11-30T08:00:00.000+00:00", "UTC", "2026-11-30T08:00:00+00:00"),
        ("2026-11-30T09:00:00-05:00", "America/New_York", "2026-11-30T09:00:00-05:00"),
    ],
)
def test_schedule_start_accepts_whole_minutes_with_the_zones_offset(start: str, zone: str, normalised: str) -> None:
    assert check_schedule_start(start, zone) == normalised


@pytest.mark.parametrize(
    ("start", "zone", "says"),
    [
        ("2026-07-06T09:00:00+01:00", "Europe/Berlin", "Europe/Berlin is at +02:00 at that instant"),
        ("2026-11-30T09:00:00Z", "Europe/Berlin", "has offset +00:00 but Europe/Berlin is at +01:00"),
        ("2026-11-30T09:00:00+01:00", "UTC", "UTC is at +00:00"),
        ("2026-11-30T09:00:30+01:00", "Europe/Berlin", "must be a whole minute"),
        ("2026-11-30T09:00:00.5+01:00", "Europe/Berlin", "must be a whole minute"),
        ("2026-11-30T09:00:00", "Europe/Berlin", "not an RFC 3339 time with a UTC offset"),
        ("2026-11-30 09:00:00+01:00", "Europe/Berlin", "not an RFC 3339 time"),
        ("2026-02-30T09:00:00+01:00", "Europe/Berlin", "not a valid date/time"),
        ("2026-11-30T09:00:00+01:00", "Mars/Olympus", "not an IANA time zone"),
    ],
)
def test_schedule_start_errors_are_one_line(start: str, zone: str, says: str) -> None:
    with pytest.raises(ValueError, match=None) as error:
        check_schedule_start(start, zone)
    assert says in str(error.value)
    assert "\n" not in str(error.value)


def test_wrong_offset_suggests_the_same_local_time() -> None:
    with pytest.raises(ValueError) as error:
        check_schedule_start("2026-07-06T09:00:00+01:00", "Europe/Berlin")
    assert "write '2026-07-06T09:00:00+02:00'" in str(error.value)


def test_bad_schedule_start_in_stack_config_names_the_key() -> None:
    bad = {**PAGERDUTY, "rotation": {"timeZone": "Europe/Berlin", "start": "2026-07-06T09:00:00+01:00"}}
    message = problems({"pagerduty": bad})
    assert message.startswith("stack 'staging': internet-id-monitoring:incident.pagerduty.rotation.start: start ")
    assert "Europe/Berlin is at +02:00" in message
    assert "\n" not in message


def test_bad_time_zone_names_the_key() -> None:
    bad = {**PAGERDUTY, "rotation": {"timeZone": "Berlin", "start": "2026-11-30T09:00:00+01:00"}}
    assert "incident.pagerduty.rotation.timeZone: 'Berlin' is not an IANA time zone" in problems({"pagerduty": bad})


# --------------------------------------------------------------------------- PagerDuty settings


def test_everything_is_off_by_default() -> None:
    settings = IncidentSettings()
    assert (settings.pagerduty.enabled, settings.slack.enabled, settings.sentry.enabled) == (False, False, False)
    assert settings.required_secrets() == {}
    assert settings.provided_secrets() == {}


def test_required_and_provided_secrets_follow_the_switches() -> None:
    settings = load(
        {"pagerduty": PAGERDUTY, "slack": {"enabled": True}, "sentry": {"enabled": True, "organization": "o"}}
    )
    assert set(settings.required_secrets()) == {"pagerduty:token", "slack:token", "sentry:token"}
    assert set(settings.provided_secrets()) == {"pagerdutyRoutingKey", "pagerdutyDatabaseRoutingKey"}
    only_db_off = load({"pagerduty": {**PAGERDUTY, "services": {"database": {"enabled": False}}}})
    assert set(only_db_off.provided_secrets()) == {"pagerdutyRoutingKey"}
    assert set(only_db_off.required_secrets()) == {"pagerduty:token"}


def test_missing_token_is_reported_by_load_settings() -> None:
    mapping = {f"{PROJECT}:incident": {"pagerduty": PAGERDUTY}}
    with pytest.raises(SettingsError) as error:
        settings_from_mapping("staging", mapping)
    assert "pagerduty:token: required because incident.pagerduty.enabled is true" in error.value.message()


def test_enabled_pagerduty_needs_start_members_and_lead() -> None:
    message = problems({"pagerduty": {"enabled": True}})
    assert "rotation.start is required" in message
    assert "schedules.primary needs at least one member" in message
    assert "escalation.lead" in message


def test_members_must_be_listed_users() -> None:
    bad = {**PAGERDUTY, "schedules": {"primary": ["nobody@example.com"], "secondary": ["kim@example.com"]}}
    assert "['nobody@example.com'] not in users" in problems({"pagerduty": bad})


def test_emails_are_checked_and_lowercased() -> None:
    assert "'not-an-email' is not an e-mail address" in problems(
        {"pagerduty": {**PAGERDUTY, "users": [{"name": "X", "email": "not-an-email"}]}}
    )
    mixed = {
        **PAGERDUTY,
        "users": [{"name": "Alex", "email": "Alex@Example.com"}, {"name": "K", "email": "kim@example.com"}],
    }
    assert load({"pagerduty": mixed}).pagerduty.users[0].email == "alex@example.com"


def test_unknown_keys_are_rejected() -> None:
    assert "incident.pagerduty.escalation.leadDelay: unknown setting" in problems(
        {"pagerduty": {**PAGERDUTY, "escalation": {"lead": "kim@example.com", "leadDelay": 3}}}
    )


def test_escalation_rule_table() -> None:
    assert escalation_rules(Escalation(lead="lead@example.com")) == [
        EscalationRule(5, "schedule_reference", "primary"),
        EscalationRule(15, "schedule_reference", "secondary"),
        EscalationRule(30, "user_reference", "lead@example.com"),
    ]
    custom = Escalation(lead="l@example.com", primary_delay_minutes=1, secondary_delay_minutes=2, lead_delay_minutes=3)
    assert [r.delay_minutes for r in escalation_rules(custom)] == [1, 2, 3]
    with pytest.raises(ValueError, match="lead"):
        escalation_rules(Escalation())


def test_timeouts_are_seconds_or_null() -> None:
    assert timeout_value(None) == "null"
    assert timeout_value("30m") == "1800"
    assert timeout_value("4h") == "14400"
    settings = load({"pagerduty": {**PAGERDUTY, "services": {"production": {"autoResolveTimeout": "4h"}}}})
    assert settings.pagerduty.services.production.auto_resolve_timeout == "4h"
    assert settings.pagerduty.services.production.name == "Internet-ID Production"
    assert settings.pagerduty.services.database.acknowledgement_timeout == "30m"


def test_resource_slug() -> None:
    assert resource_slug("Jane.Doe+oncall@Example.com") == "jane-doe-oncall-example-com"


# --------------------------------------------------------------------------- Slack


def test_channel_table_uses_notification_names_and_default_texts() -> None:
    table = channel_table(SlackChannels(), SlackChannelTexts(), "staging")
    assert [(c.key, c.name) for c in table] == [
        ("critical", "alerts-critical"),
        ("warnings", "alerts-warnings"),
        ("info", "alerts-info"),
        ("incidents", "incidents"),
    ]
    assert all("staging" in c.topic and "staging" in c.purpose for c in table)


def test_channels_the_stack_creates_must_have_distinct_names() -> None:
    """Two roles on one channel are fine for Alertmanager alone, not when incident.slack creates a channel per role:
    refused with the other settings, before any resource exists."""
    shared = {f"{PROJECT}:notifications": {"slack": {"channels": {"warnings": "alerts", "info": "alerts"}}}}
    assert settings_from_mapping("dev", shared, require_secrets=False).notifications.slack.channels.info == "alerts"
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping("dev", {**shared, f"{PROJECT}:incident": {"slack": {"enabled": True}}},
                              require_secrets=False)
    assert caught.value.problems == [
        f"{PROJECT}:notifications.slack.channels: warnings and info share 'alerts'; incident.slack creates one "
        "channel per role, so give each its own name"]


def test_slack_action_on_destroy_is_none_or_archive() -> None:
    assert load({"slack": {"enabled": True}}).slack.action_on_destroy == "none"
    assert "actionOnDestroy" in problems({"slack": {"enabled": True, "actionOnDestroy": "delete"}})


def test_non_production_stack_with_default_channel_names_is_flagged() -> None:
    staging = settings_from_mapping("staging", {}, require_secrets=False)
    def shared(settings: StackSettings) -> list[str]:
        return shared_channel_names(settings.environment, settings.notifications.slack.channels)

    assert shared(staging) == ["alerts-critical", "alerts-info", "alerts-warnings", "incidents"]
    assert shared(settings_from_stack_file("staging")) == []
    assert shared(settings_from_stack_file("prod")) == []


# --------------------------------------------------------------------------- Sentry


def test_sentry_needs_organization_and_api_base_url() -> None:
    assert "organization" in problems({"sentry": {"enabled": True}})
    message = problems({"sentry": {"enabled": True, "organization": "o", "baseUrl": "https://sentry.example.com/"}})
    assert "incident.sentry.baseUrl: 'https://sentry.example.com/' must be a URL ending in '/api/'" in message
    assert "tracesSampleRate" in problems({"sentry": {"tracesSampleRate": 1.5}})


def test_sentry_env_lines() -> None:
    assert sentry_env_lines("https://k@o1.ingest.sentry.io/1", "production", 0.1) == (
        "SENTRY_DSN=https://k@o1.ingest.sentry.io/1\nSENTRY_ENVIRONMENT=production\nSENTRY_TRACES_SAMPLE_RATE=0.1\n"
    )


# --------------------------------------------------------------------------- stack files


@pytest.mark.parametrize(
    ("stack", "areas"),
    [("dev", set()), ("staging", {"pagerduty", "slack"}), ("prod", {"pagerduty", "slack", "sentry"})],
)
def test_stack_files_enable_the_expected_areas(stack: str, areas: set[str]) -> None:
    incident = settings_from_stack_file(stack).incident
    enabled = {name for name in ("pagerduty", "slack", "sentry") if getattr(incident, name).enabled}
    assert enabled == areas
    assert set(incident.required_secrets()) == {f"{area}:token" for area in areas}


def test_service_escalation_inherits_the_main_lead() -> None:
    main = Escalation(lead="lead@example.com")
    assert service_escalation(main, None) is main
    own = service_escalation(main, Escalation(secondary_delay_minutes=10))
    assert (own.lead, own.secondary_delay_minutes) == ("lead@example.com", 10)
    other = service_escalation(main, Escalation(lead="dba@example.com"))
    assert other.lead == "dba@example.com"


# --------------------------------------------------------------------------- review fixes


def test_start_in_a_dst_gap_says_so_and_suggests_the_next_valid_time() -> None:
    with pytest.raises(ValueError) as error:
        check_schedule_start("2026-03-29T02:30:00+01:00", "Europe/Berlin")
    message = str(error.value)
    assert "02:30 local time does not exist in Europe/Berlin on 2026-03-29" in message
    assert "write '2026-03-29T03:00:00+02:00'" in message
    assert "write '2026-03-29T02:30:00+01:00'" not in message  # never the rejected input
    assert "\n" not in message
    assert check_schedule_start("2026-03-29T03:00:00+02:00", "Europe/Berlin") == "2026-03-29T03:00:00+02:00"


def test_dst_gap_in_stack_config_names_the_key() -> None:
    bad = {**PAGERDUTY, "rotation": {"timeZone": "America/New_York", "start": "2026-03-08T02:30:00-05:00"}}
    message = problems({"pagerduty": bad})
    assert "incident.pagerduty.rotation.start:" in message
    assert "does not exist in America/New_York" in message and "'2026-03-08T03:00:00-04:00'" in message


def test_base_role_follows_the_team_role_unless_set() -> None:
    users = [
        {"name": "A", "email": "a@example.com"},
        {"name": "B", "email": "b@example.com", "teamRole": "manager"},
        {"name": "C", "email": "c@example.com", "teamRole": "manager", "role": "admin"},
        {"name": "D", "email": "d@example.com", "teamRole": "observer", "create": False},
    ]
    settings = load({"pagerduty": {"users": users}}).pagerduty
    assert [u.base_role for u in settings.users] == ["limited_user", "user", "admin", None]


@pytest.mark.parametrize(
    ("user", "says"),
    [
        ({"role": "user"}, "users.0: a@example.com: role 'user' goes with teamRole 'manager', not 'responder'"),
        (
            {"role": "limited_user", "teamRole": "manager"},
            "users.0: a@example.com: role 'limited_user' goes with teamRole 'responder', not 'manager'",
        ),
        ({"teamRole": "observer"}, "users.0: a@example.com: teamRole 'observer' has no documented base role"),
        ({"key": "A B"}, "users.0.key: 'A B' is not lower-case letters and digits separated by '-'"),
    ],
)
def test_inconsistent_roles_and_bad_keys_are_one_line_errors(user: dict[str, Any], says: str) -> None:
    message = problems({"pagerduty": {"users": [{"name": "A", "email": "a@example.com", **user}]}})
    assert f"internet-id-monitoring:incident.pagerduty.{says}" in message
    assert "\n" not in message


def test_user_keys_default_to_the_email_slug_and_must_differ() -> None:
    users = [{"name": "A", "email": "a.b@example.com"}, {"name": "C", "email": "c@example.com", "key": "carol"}]
    settings = load({"pagerduty": {"users": users}}).pagerduty
    assert [u.resource_key for u in settings.users] == ["a-b-example-com", "carol"]
    clash = [{"name": "A", "email": "a@example.com"}, {"name": "B", "email": "b@example.com", "key": "a-example-com"}]
    assert "users: key used twice: ['a-example-com']" in problems({"pagerduty": {"users": clash}})


def test_service_region_is_us_or_eu() -> None:
    assert load({}).pagerduty.service_region == "us"
    assert load({"pagerduty": {"serviceRegion": "eu"}}).pagerduty.service_region == "eu"
    assert "incident.pagerduty.serviceRegion" in problems({"pagerduty": {"serviceRegion": "ap"}})


def test_sentry_alert_environment_is_unset_by_default() -> None:
    assert load({}).sentry.alert_environment is None
    assert load({"sentry": {"alertEnvironment": "production"}}).sentry.alert_environment == "production"
