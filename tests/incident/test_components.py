"""The incident components under Pulumi's mocks: what each stack declares, and which values are secret."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_pagerduty as pagerduty
import pytest

from components.config_source import settings_from_stack_file
from components.incident.response import IncidentResponse
from components.program import incident_response_args
from components.settings import StackSettings
from tests.incident.harness import Mocks, settings_for, stack_settings, use_mocks, value_and_secret, when_registered


def respond(settings: StackSettings) -> IncidentResponse:
    """The component as the program builds it from a stack's settings."""
    return IncidentResponse("incident", incident_response_args(settings))

# Pulumi's wire marker of a secret input: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

PD = "pagerduty:index"
SCHEDULE = f"{PD}/schedule:Schedule"
POLICY = f"{PD}/escalationPolicy:EscalationPolicy"
SERVICE = f"{PD}/service:Service"
INTEGRATION = f"{PD}/serviceIntegration:ServiceIntegration"
USER = f"{PD}/user:User"
TEAM = f"{PD}/team:Team"
MEMBERSHIP = f"{PD}/teamMembership:TeamMembership"
CONVERSATION = "slack:index/conversation:Conversation"
SENTRY_TEAM = "sentry:index/sentryTeam:SentryTeam"
SENTRY_PROJECT = "sentry:index/sentryProject:SentryProject"
SENTRY_KEY = "sentry:index/sentryKey:SentryKey"
SENTRY_ALERT = "sentry:index/sentryIssueAlert:SentryIssueAlert"

INCIDENT: dict[str, Any] = {
    "pagerduty": {
        "enabled": True,
        "users": [
            {"name": "Alex", "email": "alex@example.com"},
            {"name": "Sam", "email": "sam@example.com"},
            {"name": "Kim", "email": "kim@example.com", "teamRole": "manager", "create": False},
        ],
        "schedules": {"primary": ["alex@example.com", "sam@example.com"], "secondary": ["sam@example.com"]},
        "rotation": {"timeZone": "Europe/Berlin", "start": "2026-11-30T09:00+01:00"},
        "escalation": {"lead": "kim@example.com"},
    },
    "slack": {"enabled": True},
    "sentry": {"enabled": True, "organization": "example-org"},
}


def incident(**changes: dict[str, Any]) -> dict[str, Any]:
    block = copy.deepcopy(INCIDENT)
    for area, values in changes.items():
        block[area] = {**block[area], **values}
    return block


@pytest.fixture
def mocks(request: pytest.FixtureRequest) -> Iterator[Mocks]:
    yield use_mocks(getattr(request, "param", "prod"))


def pd_id(name: str) -> str:
    return f"incident-pagerduty-{name}-id"


# --------------------------------------------------------------------------- PagerDuty


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_escalation_policy_levels_targets_and_delays(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        policy = mocks.one(POLICY, "incident-pagerduty-escalation-main")
        assert policy["numLoops"] == 1
        assert policy["teams"] == pd_id("team")
        levels = [
            (rule["escalationDelayInMinutes"], [(t["type"], t["id"]) for t in rule["targets"]])
            for rule in policy["rules"]
        ]
        assert levels == [
            (5, [("schedule_reference", pd_id("schedule-primary"))]),
            (15, [("schedule_reference", pd_id("schedule-secondary"))]),
            (30, [("user_reference", "found-kim@example.com")]),
        ]
        assert len(mocks.of_type(POLICY)) == 1  # the database service shares it by default
        for key in ("production", "database"):
            assert mocks.one(SERVICE, f"incident-pagerduty-service-{key}")["escalationPolicy"] == pd_id(
                "escalation-main"
            )

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_database_service_can_escalate_faster_with_its_own_policy(mocks: Mocks) -> pulumi.Output[None]:
    faster = {"primaryDelayMinutes": 5, "secondaryDelayMinutes": 10}  # lead: the main policy's
    block = incident(pagerduty={"services": {"database": {"escalation": faster}}})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        assert {r.name for r in mocks.of_type(POLICY)} == {
            "incident-pagerduty-escalation-main",
            "incident-pagerduty-escalation-database",
        }
        database = mocks.one(POLICY, "incident-pagerduty-escalation-database")
        assert [r["escalationDelayInMinutes"] for r in database["rules"]] == [5, 10, 30]
        assert database["rules"][2]["targets"] == [{"type": "user_reference", "id": "found-kim@example.com"}]
        assert database["name"] == "Internet-ID Database Escalation"
        assert mocks.one(SERVICE, "incident-pagerduty-service-database")["escalationPolicy"] == pd_id(
            "escalation-database"
        )
        assert mocks.one(SERVICE, "incident-pagerduty-service-production")["escalationPolicy"] == pd_id(
            "escalation-main"
        )

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_schedules_rotate_weekly_in_the_configured_zone(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        expected_members = {
            "primary": [pd_id("user-alex-example-com"), pd_id("user-sam-example-com")],
            "secondary": [pd_id("user-sam-example-com")],
        }
        for which, members in expected_members.items():
            schedule = mocks.one(SCHEDULE, f"incident-pagerduty-schedule-{which}")
            assert schedule["timeZone"] == "Europe/Berlin"
            assert schedule["teams"] == [pd_id("team")]
            [layer] = schedule["layers"]
            assert layer["rotationTurnLengthSeconds"] == 604800
            assert layer["start"] == "2026-11-30T09:00:00+01:00"  # normalised, offset kept
            assert layer["rotationVirtualStart"] == layer["start"]
            assert layer["users"] == members
        assert mocks.one(SCHEDULE, "incident-pagerduty-schedule-primary")["name"] == "Internet-ID Primary On-Call"

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_users_are_created_or_looked_up_and_join_the_team(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        assert sorted(u.inputs["email"] for u in mocks.of_type(USER)) == ["alex@example.com", "sam@example.com"]
        assert mocks.one(USER, "incident-pagerduty-user-alex-example-com")["timeZone"] == "Europe/Berlin"
        lookups = [c.args["email"] for c in mocks.calls if c.token == "pagerduty:index/getUser:getUser"]
        assert lookups == ["kim@example.com"]
        memberships = {m.inputs["userId"]: m.inputs["role"] for m in mocks.of_type(MEMBERSHIP)}
        assert memberships == {
            pd_id("user-alex-example-com"): "responder",
            pd_id("user-sam-example-com"): "responder",
            "found-kim@example.com": "manager",
        }
        assert {m.inputs["teamId"] for m in mocks.of_type(MEMBERSHIP)} == {pd_id("team")}

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_created_users_get_the_base_role_their_team_role_pairs_with(mocks: Mocks) -> pulumi.Output[None]:
    users = [
        {"name": "Alex", "email": "alex@example.com"},
        {"name": "Sam", "email": "sam@example.com", "teamRole": "manager"},
        {"name": "Kim", "email": "kim@example.com", "role": "admin", "teamRole": "manager"},
        {"name": "Obi", "email": "obi@example.com", "role": "observer", "teamRole": "observer"},
    ]
    response = respond(settings_for("prod", incident(pagerduty={"users": users})))

    async def check() -> None:
        roles = {u.inputs["email"]: u.inputs["role"] for u in mocks.of_type(USER)}
        assert roles == {
            "alex@example.com": "limited_user",  # responder
            "sam@example.com": "user",  # manager
            "kim@example.com": "admin",  # explicit
            "obi@example.com": "observer",  # explicit (observer has no documented pair)
        }
        memberships = {m.name: m.inputs["role"] for m in mocks.of_type(MEMBERSHIP)}
        assert memberships["incident-pagerduty-member-alex-example-com"] == "responder"
        assert memberships["incident-pagerduty-member-sam-example-com"] == "manager"

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_user_resources_are_named_by_their_stable_key(mocks: Mocks) -> pulumi.Output[None]:
    users = [
        {"name": "Alex", "email": "alex.new@example.com", "key": "alex-example-com"},  # e-mail changed, key kept
        {"name": "Sam", "email": "sam@example.com"},
        {"name": "Kim", "email": "kim@example.com", "teamRole": "manager", "create": False},
    ]
    schedules = {"primary": ["alex.new@example.com", "sam@example.com"], "secondary": ["sam@example.com"]}
    block = incident(pagerduty={"users": users, "schedules": schedules})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        alex = mocks.one(USER, "incident-pagerduty-user-alex-example-com")  # same name as before: an update
        assert alex["email"] == "alex.new@example.com"
        assert {m.name for m in mocks.of_type(MEMBERSHIP)} == {
            "incident-pagerduty-member-alex-example-com",
            "incident-pagerduty-member-sam-example-com",
            "incident-pagerduty-member-kim-example-com",
        }
        primary = mocks.one(SCHEDULE, "incident-pagerduty-schedule-primary")
        assert primary["layers"][0]["users"] == [pd_id("user-alex-example-com"), pd_id("user-sam-example-com")]

    return when_registered(response, check)


def test_created_users_are_retained_on_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mocks do not see resource options: record them at the constructor.
    options: dict[str, pulumi.ResourceOptions | None] = {}
    real_user = pagerduty.User

    def recording_user(resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> Any:
        options[resource_name] = opts
        return real_user(resource_name, opts=opts, **kwargs)

    monkeypatch.setattr(pagerduty, "User", recording_user)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def build() -> pulumi.Output[None]:
        use_mocks("prod")
        response = respond(stack_settings("prod"))

        async def check() -> None:
            pass

        return when_registered(response, check)

    build()
    assert sorted(options) == [
        "incident-pagerduty-user-alex-oncall-example-com",
        "incident-pagerduty-user-kim-lead-example-com",
        "incident-pagerduty-user-robin-oncall-example-com",
        "incident-pagerduty-user-sam-oncall-example-com",
    ]
    for name, opts in options.items():
        assert opts is not None and opts.retain_on_delete is True, name
        assert not opts.protect, name  # `pulumi destroy` of prod must still succeed
        assert opts.provider is not None and opts.parent is not None, name


@pytest.mark.parametrize(("region", "expected"), [(None, "us"), ("eu", "eu")])
@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_pagerduty_provider_gets_the_service_region(
    mocks: Mocks, region: str | None, expected: str
) -> pulumi.Output[None]:
    block = incident(pagerduty={} if region is None else {"serviceRegion": region})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        provider = next(r for r in mocks.resources if r.typ == "pulumi:providers:pagerduty")
        assert provider.inputs["serviceRegion"] == expected

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_services_use_events_api_v2_and_defaults(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        production = mocks.one(SERVICE, "incident-pagerduty-service-production")
        assert production["name"] == "Internet-ID Production"
        assert mocks.one(SERVICE, "incident-pagerduty-service-database")["name"] == "Internet-ID Database"
        assert production["alertCreation"] == "create_alerts_and_incidents"
        assert production["incidentUrgencyRule"] == {"type": "constant", "urgency": "high"}
        assert production["autoResolveTimeout"] == "null"
        assert production["acknowledgementTimeout"] == "1800"
        integrations = mocks.of_type(INTEGRATION)
        assert len(integrations) == 2
        for integration in integrations:
            assert integration.inputs["type"] == "events_api_v2_inbound_integration"
            assert "vendor" not in integration.inputs
        assert {i.inputs["service"] for i in integrations} == {
            pd_id("service-production"),
            pd_id("service-database"),
        }

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_routing_keys_are_secret_and_keyed_by_secret_setting(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        assert set(response.routing_keys) == {"pagerdutyRoutingKey", "pagerdutyDatabaseRoutingKey"}
        value, secret = await value_and_secret(response.routing_keys["pagerdutyRoutingKey"])
        assert (value, secret) == ("key-incident-pagerduty-service-production-events-v2", True)
        value, secret = await value_and_secret(response.routing_keys["pagerdutyDatabaseRoutingKey"])
        assert (value, secret) == ("key-incident-pagerduty-service-database-events-v2", True)
        ids = {key: await out.future() for key, out in response.pagerduty_service_ids.items()}
        assert ids == {"production": pd_id("service-production"), "database": pd_id("service-database")}

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_every_resource_uses_the_explicit_provider_and_is_parented(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        for package, component in (("pagerduty", "pagerduty"), ("slack", "slack"), ("sentry", "sentry")):
            custom = [r for r in mocks.resources if r.typ.startswith(f"{package}:index/")]
            assert custom
            for resource in custom:
                assert resource.provider is not None
                assert f"pulumi:providers:{package}::incident-{component}-provider::" in resource.provider
        providers = {r.typ: r.inputs for r in mocks.resources if r.typ.startswith("pulumi:providers:")}
        for package, token in (("pagerduty", "pd-token"), ("slack", "slack-token"), ("sentry", "sentry-token")):
            assert providers[f"pulumi:providers:{package}"]["token"] == {SIG_KEY: SECRET_SIG, "value": token}
        assert providers["pulumi:providers:sentry"]["baseUrl"] == "https://sentry.io/api/"
        assert response.pagerduty is not None
        schedule_urn = await response.pagerduty.urn.future()
        assert schedule_urn is not None and "internet-id:incident:IncidentResponse$internet-id:incident:PagerDuty" in (
            schedule_urn
        )
        children = {type(c).__name__ for c in response.pagerduty._childResources}
        assert {"Schedule", "EscalationPolicy", "Service", "ServiceIntegration", "Provider"} <= children

    return when_registered(response, check)


# --------------------------------------------------------------------------- Slack


@pytest.mark.parametrize(
    ("mocks", "names"),
    [
        ("prod", ["alerts-critical", "alerts-warnings", "alerts-info", "incidents"]),
        ("staging", ["staging-alerts-critical", "staging-alerts-warnings", "staging-alerts-info", "staging-incidents"]),
    ],
    indirect=["mocks"],
)
@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_slack_channels_come_from_notification_settings(mocks: Mocks, names: list[str]) -> pulumi.Output[None]:
    stack = "staging" if names[0].startswith("staging") else "prod"
    settings = stack_settings(stack)
    response = respond(settings)

    async def check() -> None:
        conversations = mocks.of_type(CONVERSATION)
        assert [c.inputs["name"] for c in conversations] == names
        for conversation in conversations:
            assert conversation.inputs["adoptExistingChannel"] is True
            assert conversation.inputs["actionOnDestroy"] == "none"
            assert conversation.inputs["isPrivate"] is False
            assert settings.environment in conversation.inputs["topic"]
            assert conversation.inputs["purpose"]
        ids = {key: await out.future() for key, out in response.slack_channel_ids.items()}
        assert ids == {key: f"incident-slack-{key}-id" for key in ("critical", "warnings", "info", "incidents")}

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_slack_topic_override_and_archive_on_destroy(mocks: Mocks) -> pulumi.Output[None]:
    block = incident(slack={"actionOnDestroy": "archive", "channels": {"info": {"topic": "FYI"}}})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        info = mocks.one(CONVERSATION, "incident-slack-info")
        assert info["topic"] == "FYI"
        assert "production" in info["purpose"]
        assert {c.inputs["actionOnDestroy"] for c in mocks.of_type(CONVERSATION)} == {"archive"}

    return when_registered(response, check)


# --------------------------------------------------------------------------- Sentry


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_sentry_project_key_dsn_and_env_are_secret(mocks: Mocks) -> pulumi.Output[None]:
    block = incident(sentry={"tracesSampleRate": 0.25})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        team = mocks.one(SENTRY_TEAM, "incident-sentry-team")
        assert (team["organization"], team["slug"], team["name"]) == ("example-org", "internet-id", "Internet-ID")
        project = mocks.one(SENTRY_PROJECT, "incident-sentry-project")
        assert project["platform"] == "node"
        assert project["teams"] == ["internet-id"]
        assert project["slug"] == "internet-id-api"
        key = mocks.one(SENTRY_KEY, "incident-sentry-key")
        assert key["project"] == "internet-id-api"
        assert response.sentry_dsn is not None and response.sentry_env is not None
        dsn, secret = await value_and_secret(response.sentry_dsn)
        assert secret is True
        assert dsn == "https://public-incident-sentry-key@o1.ingest.sentry.example/42"  # dsnPublic, not dsnSecret
        env, secret = await value_and_secret(response.sentry_env)
        assert secret is True
        assert env.splitlines() == [
            f"SENTRY_DSN={dsn}",
            "SENTRY_ENVIRONMENT=production",
            "SENTRY_TRACES_SAMPLE_RATE=0.25",
        ]

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_sentry_issue_alerts_notify_the_team(mocks: Mocks) -> pulumi.Output[None]:
    response = respond(settings_for("prod", INCIDENT))

    async def check() -> None:
        alerts = {a.name: a.inputs for a in mocks.of_type(SENTRY_ALERT)}
        assert set(alerts) == {"incident-sentry-alert-new-issue", "incident-sentry-alert-regression"}
        conditions = {name: [c["id"] for c in a["conditions"]] for name, a in alerts.items()}
        assert conditions == {
            "incident-sentry-alert-new-issue": ["sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"],
            "incident-sentry-alert-regression": ["sentry.rules.conditions.regression_event.RegressionEventCondition"],
        }
        for alert in alerts.values():
            # No environment filter by default: Sentry rejects one that has not received an event yet.
            assert "environment" not in alert
            assert "production" not in alert["name"]
            assert alert["project"] == "internet-id-api"
            assert alert["actions"] == [
                {"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "Team", "targetIdentifier": "4242"}
            ]

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_sentry_alert_environment_filter_is_opt_in(mocks: Mocks) -> pulumi.Output[None]:
    block = incident(sentry={"alertEnvironment": "production"})
    response = respond(settings_for("staging", block))

    async def check() -> None:
        alerts = mocks.of_type(SENTRY_ALERT)
        assert len(alerts) == 2
        for alert in alerts:
            assert alert.inputs["environment"] == "production"
            assert alert.inputs["name"].endswith(" in production (managed by Pulumi)")
        assert response.sentry_env is not None
        env = await response.sentry_env.future()
        assert env is not None and "SENTRY_ENVIRONMENT=staging\n" in env  # the filter does not change the SDK's

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_sentry_self_hosted_without_alert_rules(mocks: Mocks) -> pulumi.Output[None]:
    block = incident(
        sentry={"baseUrl": "https://sentry.example.com/api/", "issueAlerts": False, "environment": "prod-eu"}
    )
    response = respond(settings_for("prod", block))

    async def check() -> None:
        assert not mocks.of_type(SENTRY_ALERT)
        provider = next(r for r in mocks.resources if r.typ == "pulumi:providers:sentry")
        assert provider.inputs["baseUrl"] == "https://sentry.example.com/api/"
        assert response.sentry_env is not None
        env = await response.sentry_env.future()
        assert env is not None and "SENTRY_ENVIRONMENT=prod-eu\n" in env

    return when_registered(response, check)


# --------------------------------------------------------------------------- stacks and toggles

COMPONENTS = {
    "internet-id:incident:IncidentResponse": 1,
    "internet-id:incident:PagerDuty": 1,
    "internet-id:incident:Slack": 1,
    "internet-id:incident:Sentry": 1,
}
PAGERDUTY_COMMON = {
    "pulumi:providers:pagerduty": 1,
    TEAM: 1,
    MEMBERSHIP: 4,
    SCHEDULE: 2,
    SERVICE: 2,
    INTEGRATION: 2,
}
SLACK = {"pulumi:providers:slack": 1, CONVERSATION: 4}
SENTRY = {"pulumi:providers:sentry": 1, SENTRY_TEAM: 1, SENTRY_PROJECT: 1, SENTRY_KEY: 1, SENTRY_ALERT: 2}

EXPECTED: dict[str, dict[str, int]] = {
    "dev": {"internet-id:incident:IncidentResponse": 1},
    "staging": {
        "internet-id:incident:IncidentResponse": 1,
        "internet-id:incident:PagerDuty": 1,
        "internet-id:incident:Slack": 1,
        **PAGERDUTY_COMMON,
        POLICY: 1,
        **SLACK,
    },
    "prod": {**COMPONENTS, **PAGERDUTY_COMMON, USER: 4, POLICY: 2, **SLACK, **SENTRY},
}


@pytest.mark.parametrize("mocks", ["dev", "staging", "prod"], indirect=True)
@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_each_stack_builds_exactly_the_expected_set(mocks: Mocks) -> pulumi.Output[None]:
    stack = pulumi.get_stack()
    response = respond(stack_settings(stack))

    async def check() -> None:
        assert dict(mocks.counts()) == EXPECTED[stack]
        keys = set(response.routing_keys)
        assert keys == (set() if stack == "dev" else {"pagerdutyRoutingKey", "pagerdutyDatabaseRoutingKey"})
        assert (response.sentry_dsn is None) == (stack != "prod")
        if stack == "staging":  # users belong to prod and are only looked up
            assert len([c for c in mocks.calls if c.token == "pagerduty:index/getUser:getUser"]) == 4
            names = sorted(r.inputs["name"] for r in mocks.of_type(SERVICE))
            assert names == ["Internet-ID Staging", "Internet-ID Staging Database"]

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_dev_needs_no_token(mocks: Mocks) -> pulumi.Output[None]:
    settings = settings_from_stack_file("dev")
    assert settings.incident.required_secrets() == {}
    response = respond(settings)

    async def check() -> None:
        assert [r.typ for r in mocks.resources] == ["internet-id:incident:IncidentResponse"]
        assert response.routing_keys == {} and response.slack_channel_ids == {} and response.sentry_env is None

    return when_registered(response, check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_turning_the_database_service_off_leaves_the_rest(mocks: Mocks) -> pulumi.Output[None]:
    block = incident(pagerduty={"services": {"database": {"enabled": False}}})
    response = respond(settings_for("prod", block))

    async def check() -> None:
        counts = mocks.counts()
        assert (counts[SERVICE], counts[INTEGRATION], counts[SCHEDULE], counts[POLICY]) == (1, 1, 2, 1)
        assert (counts[CONVERSATION], counts[SENTRY_KEY]) == (4, 1)
        assert set(response.routing_keys) == {"pagerdutyRoutingKey"}
        assert set(response.pagerduty_service_ids) == {"production"}

    return when_registered(response, check)


@pytest.mark.parametrize("off", ["pagerduty", "slack", "sentry"])
@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_turning_one_area_off_leaves_the_others(mocks: Mocks, off: str) -> pulumi.Output[None]:
    block = incident(**{off: {"enabled": False}})
    response = respond(settings_for("prod", block))
    packages = {"pagerduty": "pagerduty", "slack": "slack", "sentry": "sentry"}

    async def check() -> None:
        for area, package in packages.items():
            declared = [r for r in mocks.resources if r.typ.startswith((f"{package}:", f"pulumi:providers:{package}"))]
            assert bool(declared) == (area != off), area
        assert (response.routing_keys == {}) == (off == "pagerduty")
        assert (response.slack_channel_ids == {}) == (off == "slack")
        assert (response.sentry_dsn is None) == (off == "sentry")

    return when_registered(response, check)
