"""PagerDuty: users, team, weekly primary/secondary schedules, escalation policy, services.

Each service gets an Events API v2 integration whose key Alertmanager uses as ``routing_key``.
The SDK does not mark ``integration_key`` secret, so it is made secret twice: in state
(``additional_secret_outputs``) and in the program (``Output.secret``).

Created users are ``retain_on_delete``: removing one from config, or ``pulumi destroy``, drops
it from the stack's state but leaves the PagerDuty account (contact methods, notification rules,
on-call history) in place, so another stack that looks it up (staging: ``create: false``) keeps
working.  ``protect`` was not chosen: it would make ``pulumi destroy`` of the stack fail and turn
taking someone off the rota into a manual unprotect step.  A retained user must be deleted in
PagerDuty by hand, or brought back with ``create: false`` (or ``pulumi import``), since creating it
again fails on the e-mail already taken.  Resource names use the user's ``key`` (default: the
e-mail slug), so an e-mail change with the key kept updates the user in place.

The provider is explicit and gets ``service_region`` (``us``/``eu``) from the settings.
"""

from __future__ import annotations

import pulumi
import pulumi_pagerduty as pagerduty

from components.incident.pagerduty_settings import (
    ROUTING_KEYS,
    Escalation,
    PagerDutySettings,
    escalation_rules,
    service_escalation,
    timeout_value,
)
from components.incident.rotation import ROTATION_WEEKLY_SECONDS

__all__ = ["ALERT_CREATION", "EVENTS_API_V2", "PagerDuty"]

EVENTS_API_V2 = "events_api_v2_inbound_integration"
ALERT_CREATION = "create_alerts_and_incidents"


class PagerDuty(pulumi.ComponentResource):
    """The on-call setup of one stack in a PagerDuty account."""

    routing_keys: dict[str, pulumi.Output[str]]
    """Events API v2 keys (secret) by the secret config key they stand for."""
    service_ids: dict[str, pulumi.Output[str]]
    user_ids: dict[str, pulumi.Output[str]]
    schedule_ids: dict[str, pulumi.Output[str]]
    escalation_policy_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        settings: PagerDutySettings,
        token: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("internet-id:incident:PagerDuty", name, None, opts)
        self.provider = pagerduty.Provider(
            f"{name}-provider",
            token=pulumi.Output.secret(token),
            service_region=settings.service_region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        prefix = settings.name_prefix

        self.user_ids = {}
        retained = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(retain_on_delete=True))
        for user in settings.users:
            if user.create:
                created = pagerduty.User(
                    f"{name}-user-{user.resource_key}",
                    name=user.name,
                    email=user.email,
                    role=user.base_role,
                    time_zone=settings.rotation.time_zone,
                    opts=retained,
                )
                self.user_ids[user.email] = created.id
            else:
                found = pagerduty.get_user_output(
                    email=user.email, opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
                )
                self.user_ids[user.email] = found.id

        team = pagerduty.Team(
            f"{name}-team", name=settings.team, description="Internet-ID on-call (managed by Pulumi)", opts=child
        )
        self.team_id = team.id
        for user in settings.users:
            pagerduty.TeamMembership(
                f"{name}-member-{user.resource_key}",
                team_id=team.id,
                user_id=self.user_ids[user.email],
                role=user.team_role,
                opts=child,
            )

        start = settings.rotation.start
        if start is None:  # validated in settings; kept for the type checker
            raise ValueError("incident.pagerduty.rotation.start is required")
        self.schedule_ids = {}
        for which, members in (("primary", settings.schedules.primary), ("secondary", settings.schedules.secondary)):
            schedule = pagerduty.Schedule(
                f"{name}-schedule-{which}",
                name=f"{prefix} {which.capitalize()} On-Call",
                description=f"Weekly {which} on-call rotation (managed by Pulumi)",
                time_zone=settings.rotation.time_zone,
                teams=[team.id],
                layers=[
                    pagerduty.ScheduleLayerArgs(
                        name=f"{which.capitalize()} weekly",
                        start=start,
                        rotation_virtual_start=start,
                        rotation_turn_length_seconds=ROTATION_WEEKLY_SECONDS,
                        users=[self.user_ids[email] for email in members],
                    )
                ],
                opts=child,
            )
            self.schedule_ids[which] = schedule.id

        def policy(key: str, title: str, escalation: Escalation) -> pulumi.Output[str]:
            rules = []
            for rule in escalation_rules(escalation):
                target = (
                    self.schedule_ids[rule.target]
                    if rule.target_type == "schedule_reference"
                    else self.user_ids[rule.target]
                )
                rules.append(
                    pagerduty.EscalationPolicyRuleArgs(
                        escalation_delay_in_minutes=rule.delay_minutes,
                        targets=[pagerduty.EscalationPolicyRuleTargetArgs(type=rule.target_type, id=target)],
                    )
                )
            created = pagerduty.EscalationPolicy(
                f"{name}-escalation-{key}",
                name=title,
                description="Primary on-call, then secondary on-call, then the engineering lead (managed by Pulumi)",
                num_loops=escalation.num_loops,
                teams=team.id,
                rules=rules,
                opts=child,
            )
            return created.id

        self.escalation_policy_ids = {"main": policy("main", f"{prefix} Escalation", settings.escalation)}

        self.service_ids = {}
        self.routing_keys = {}
        for key, svc in settings.services.enabled().items():
            policy_id = self.escalation_policy_ids["main"]
            if svc.escalation is not None:
                own = service_escalation(settings.escalation, svc.escalation)
                policy_id = policy(key, f"{svc.name} Escalation", own)
                self.escalation_policy_ids[key] = policy_id
            service = pagerduty.Service(
                f"{name}-service-{key}",
                name=svc.name,
                description=svc.description,
                escalation_policy=policy_id,
                alert_creation=ALERT_CREATION,
                incident_urgency_rule=pagerduty.ServiceIncidentUrgencyRuleArgs(type="constant", urgency=svc.urgency),
                auto_resolve_timeout=timeout_value(svc.auto_resolve_timeout),
                acknowledgement_timeout=timeout_value(svc.acknowledgement_timeout),
                opts=child,
            )
            integration = pagerduty.ServiceIntegration(
                f"{name}-service-{key}-events-v2",
                name="Alertmanager (Events API v2)",
                service=service.id,
                type=EVENTS_API_V2,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.provider, additional_secret_outputs=["integrationKey"]
                ),
            )
            self.service_ids[key] = service.id
            self.routing_keys[ROUTING_KEYS[key].key] = pulumi.Output.secret(integration.integration_key)

        self.register_outputs(
            {
                "teamId": self.team_id,
                "scheduleIds": self.schedule_ids,
                "escalationPolicyIds": self.escalation_policy_ids,
                "serviceIds": self.service_ids,
                "routingKeys": self.routing_keys,
            }
        )
