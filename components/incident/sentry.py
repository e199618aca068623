"""Sentry: team, Node project for the Internet-ID API, a managed client key and issue alerts.

The DSN the Node SDK needs is the key's ``dsn_public`` (``dsn_secret`` is the deprecated legacy
form).  The SDK marks neither DSN secret, so ``dsnPublic`` is made secret in state and in the
program.

Sentry creates two things of its own for every new project, which provider 0.0.9 can neither
switch off nor manage: a client key named "Default" and a default issue-alert rule (it notifies
on new/high-priority issues).  So the project ends up with two keys (only the managed one is
handed to the API) and, with ``issueAlerts`` on, that default rule next to the two managed
ones; delete or edit it in Sentry (Alerts) if its e-mails are unwanted.

The managed rules fire for every environment unless ``alertEnvironment`` is set: Sentry's rule
API rejects an environment that has never received an event ("This environment has not been
created."), so the filter can only be set once the API has reported into that environment.
"""

from __future__ import annotations

import pulumi
import pulumiverse_sentry as sentry

from components.incident.sentry_settings import SentrySettings, sentry_env_lines

PLATFORM = "node"
NEW_ISSUE = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
REGRESSION = "sentry.rules.conditions.regression_event.RegressionEventCondition"
NOTIFY_EMAIL = "sentry.mail.actions.NotifyEmailAction"


class Sentry(pulumi.ComponentResource):
    """Error tracking of the Internet-ID API."""

    dsn: pulumi.Output[str]
    """The managed key's DSN (secret)."""
    env: pulumi.Output[str]
    """``SENTRY_DSN``/``SENTRY_ENVIRONMENT``/``SENTRY_TRACES_SAMPLE_RATE`` lines (secret)."""

    def __init__(
        self,
        name: str,
        settings: SentrySettings,
        environment: str,
        token: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("internet-id:incident:Sentry", name, None, opts)
        organization = settings.organization
        if organization is None:  # validated in settings; kept for the type checker
            raise ValueError("incident.sentry.organization is required")
        self.provider = sentry.Provider(
            f"{name}-provider",
            token=pulumi.Output.secret(token),
            base_url=settings.base_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)

        team = sentry.SentryTeam(
            f"{name}-team", organization=organization, slug=settings.team.slug, name=settings.team.name, opts=child
        )
        project = sentry.SentryProject(
            f"{name}-project",
            organization=organization,
            name=settings.project.name,
            slug=settings.project.slug,
            platform=PLATFORM,
            teams=[team.slug],
            opts=child,
        )
        key = sentry.SentryKey(
            f"{name}-key",
            organization=organization,
            project=project.slug,
            name=settings.key_name,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.provider, additional_secret_outputs=["dsnPublic", "dsnCsp"]
            ),
        )
        self.environment = settings.environment or environment
        self.dsn = pulumi.Output.secret(key.dsn_public)
        env_name, rate = self.environment, settings.traces_sample_rate
        self.env = pulumi.Output.secret(self.dsn.apply(lambda dsn: sentry_env_lines(dsn, env_name, rate)))

        self.alert_ids: dict[str, pulumi.Output[str]] = {}
        alert_environment = settings.alert_environment
        if settings.issue_alerts:
            for key_name, title, condition in (
                ("new-issue", "New issue", NEW_ISSUE),
                ("regression", "Regression", REGRESSION),
            ):
                scope = f" in {alert_environment}" if alert_environment is not None else ""
                alert = sentry.SentryIssueAlert(
                    f"{name}-alert-{key_name}",
                    organization=organization,
                    project=project.slug,
                    name=f"{title}{scope} (managed by Pulumi)",
                    environment=alert_environment,
                    action_match="any",
                    filter_match="all",
                    frequency=settings.alert_frequency_minutes,
                    conditions=[{"id": condition}],
                    actions=[{"id": NOTIFY_EMAIL, "targetType": "Team", "targetIdentifier": team.internal_id}],
                    opts=child,
                )
                self.alert_ids[key_name] = alert.id

        self.project_slug = project.slug
        self.register_outputs(
            {"projectSlug": project.slug, "teamSlug": team.slug, "dsn": self.dsn, "alertIds": self.alert_ids}
        )
