"""PagerDuty, Slack and Sentry resources (config key ``incident``), composed from one settings module per vendor.

Every service is off by default, so a stack without an ``incident`` block (dev) creates no SaaS
resource and needs no token.
"""

from __future__ import annotations

from components.incident.pagerduty_settings import ROUTING_KEYS, PagerDutySettings
from components.incident.sentry_settings import SentrySettings
from components.incident.slack_settings import SlackSettings
from components.model import ConfigModel
from components.secret_keys import PAGERDUTY_TOKEN, SENTRY_TOKEN, SLACK_PROVIDER_TOKEN


class IncidentSettings(ConfigModel):
    """Which SaaS incident-response resources this stack manages (all off by default)."""

    pagerduty: PagerDutySettings = PagerDutySettings()
    slack: SlackSettings = SlackSettings()
    sentry: SentrySettings = SentrySettings()

    def required_secrets(self) -> dict[str, str]:
        required: dict[str, str] = {}
        if self.pagerduty.enabled:
            required[PAGERDUTY_TOKEN.key] = "incident.pagerduty.enabled is true"
        if self.slack.enabled:
            required[SLACK_PROVIDER_TOKEN.key] = "incident.slack.enabled is true"
        if self.sentry.enabled:
            required[SENTRY_TOKEN.key] = "incident.sentry.enabled is true"
        return required

    def provided_secrets(self) -> dict[str, str]:
        """Secret keys this stack creates itself (PagerDuty routing keys), so config need not hold them."""
        if not self.pagerduty.enabled:
            return {}
        return {
            ROUTING_KEYS[key].key: f"created by the PagerDuty service {svc.name!r}"
            for key, svc in self.pagerduty.services.enabled().items()
        }
