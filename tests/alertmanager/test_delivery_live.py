"""What receivers actually send: a real Alertmanager delivers to local PagerDuty, Slack and heartbeat
stand-ins, re-pointed purely by settings (``pagerduty.url``, ``slack.apiUrl``, the secret ``heartbeatUrl``,
``secretsDir``) with the credentials read from the secret files, never from alertmanager.yml.

Slack runs in both delivery modes (``notifications.slack.delivery``): ``bot`` posts every severity to
``chat.postMessage`` with the bot token as a Bearer credential and the channel in the body; ``webhook``
posts each severity to the incoming webhook of its own channel.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.render import credential_secrets
from tests.alertmanager.running import free_port, request, running_alertmanager
from tests.alertmanager.slack_standins import POST_MESSAGE_PATH, SlackApiStandIn, SlackWebhooksStandIn
from tests.alertmanager.variants import variant, write_config
from tests.live.harness.receivers import HttpRequest, PagerDutyStandIn, WebhookStandIn, slack_text
from tests.tools import tool

pytestmark = pytest.mark.live

FAST = {"groupWait": "1s", "groupInterval": "1s", "repeatInterval": "1h"}
MAIN_KEY = "test-routing-key-main-0000000000000"
DB_KEY = "test-routing-key-dba-11111111111111"
BOT_TOKEN = "test-bot-token-2222222222222"
RUNBOOK = "https://runbooks.example.com/internet-id#service-down"


@dataclass
class Delivery:
    mode: str
    url: str
    pagerduty: PagerDutyStandIn
    slack: SlackApiStandIn | SlackWebhooksStandIn
    heartbeat: WebhookStandIn

    def assert_posted_to(self, message: HttpRequest, role: str) -> None:
        """``message`` reached the channel of ``role`` (``critical``, ``warnings``, ``info``)."""
        assert message.json["channel"] == f"#alerts-{role}"
        if isinstance(self.slack, SlackApiStandIn):
            assert message.path == POST_MESSAGE_PATH
            assert message.headers["authorization"] == f"Bearer {BOT_TOKEN}"
        else:
            assert self.slack.role_of(message) == role, message.path
            assert "authorization" not in message.headers


@pytest.fixture(scope="module", params=["bot", "webhook"])
def delivery(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivery]:
    mode = str(request.param)
    directory = tmp_path_factory.mktemp(f"delivery-{mode}")
    pagerduty = PagerDutyStandIn(free_port()).start()
    heartbeat = WebhookStandIn(free_port()).start()
    slack: SlackApiStandIn | SlackWebhooksStandIn
    secrets: dict[str, str] = {"pagerdutyRoutingKey": MAIN_KEY, "pagerdutyDatabaseRoutingKey": DB_KEY,
                               "heartbeatUrl": heartbeat.base_url + "/ping/test"}
    if mode == "bot":
        slack = SlackApiStandIn(free_port(), BOT_TOKEN).start()
        slack_settings: dict[str, Any] = {"delivery": "bot", "apiUrl": slack.post_message_url}
        secrets["alertmanagerSlackToken"] = BOT_TOKEN
    else:
        slack = SlackWebhooksStandIn(free_port()).start()
        slack_settings = {"delivery": "webhook", "channelWebhooks": ["critical", "warnings", "info"]}
        secrets |= {"slackWebhookUrlCritical": slack.url("critical"), "slackWebhookUrlWarnings": slack.url("warnings"),
                    "slackWebhookUrlInfo": slack.url("info")}
    try:
        secrets_dir = directory / "secrets"
        settings = variant(
            "prod",
            {
                "pagerduty": {"url": pagerduty.enqueue_url},
                "slack": slack_settings,
                "email": {"enabled": False},
                "secretsDir": str(secrets_dir),
                "timing": {k: FAST for k in ("critical", "warning", "info", "default")}
                | {"watchdog": {"groupWait": "1s", "groupInterval": "1s", "repeatInterval": "1m"}},
            },
            **secrets,
        )
        secrets_dir.mkdir()
        files = credential_secrets(settings)
        assert {secret.key for secret in files.values()} == set(secrets)
        for name, secret in files.items():
            (secrets_dir / name).write_text(str(secret.value))
        config = write_config(settings, directory)
        text = config.read_text()
        for value in secrets.values():
            assert value not in text
        with running_alertmanager(config, directory) as url:
            yield Delivery(mode, url, pagerduty, slack, heartbeat)
    finally:
        for server in (pagerduty, slack, heartbeat):
            server.stop()


def _alert(alertname: str, severity: str, service: str, *, resolved: bool = False) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "severity": severity, "service": service, "cluster": "delivery"},
        "annotations": {"summary": f"{alertname} on {service}", "description": "details here",
                        "runbook_url": RUNBOOK},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now - timedelta(seconds=1) if resolved else now + timedelta(hours=1)).isoformat(),
    }


def test_critical_pages_with_the_file_key_and_posts_to_slack(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("ServiceDown", "critical", "api")])
    (page,) = delivery.pagerduty.wait_for(
        lambda r: r.json.get("payload", {}).get("class") == "ServiceDown", timeout=20)
    event = page.json
    assert event["routing_key"] == MAIN_KEY
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == "ServiceDown: ServiceDown on api"
    assert event["payload"]["component"] == "api"
    assert event["client"] == "Internet-ID Alertmanager"
    assert {"href": RUNBOOK, "text": "Runbook"} in event["links"]
    details = event["payload"]["custom_details"]
    # Alertmanager 0.26 sends every detail as a string; later releases (the current set's 0.35) send a detail
    # that renders as a JSON number as one: PagerDuty takes either.
    assert str(details["firing"]) == "1" and details["runbook_url"] == RUNBOOK
    assert details["description"] == "details here"
    (message,) = delivery.slack.wait_for(lambda r: "ServiceDown" in slack_text(r), timeout=20)
    delivery.assert_posted_to(message, "critical")
    assert message.json["attachments"][0]["color"] == "danger"
    assert ":rotating_light: CRITICAL: ServiceDown on api" in slack_text(message)

    request(f"{delivery.url}/api/v2/alerts", [_alert("ServiceDown", "critical", "api", resolved=True)])
    delivery.pagerduty.wait_for(
        lambda r: r.json.get("event_action") == "resolve" and r.json.get("routing_key") == MAIN_KEY, timeout=20)
    (resolved,) = delivery.slack.wait_for(lambda r: "RESOLVED: ServiceDown" in slack_text(r), timeout=20)
    assert resolved.json["attachments"][0]["color"] == "good"
    delivery.assert_posted_to(resolved, "critical")


def test_database_critical_pages_the_database_service(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("DatabaseDown", "critical", "database")])
    (page,) = delivery.pagerduty.wait_for(
        lambda r: r.json.get("payload", {}).get("class") == "DatabaseDown", timeout=20)
    assert page.json["routing_key"] == DB_KEY
    assert page.json["payload"]["summary"].startswith("[Database] DatabaseDown")
    (message,) = delivery.slack.wait_for(lambda r: "DatabaseDown" in slack_text(r), timeout=20)
    delivery.assert_posted_to(message, "critical")
    assert not delivery.pagerduty.matching(
        lambda r: r.json.get("routing_key") == MAIN_KEY and r.json.get("payload", {}).get("class") == "DatabaseDown")


def test_warning_goes_to_slack_only(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("HighLatency", "warning", "redis")])
    (message,) = delivery.slack.wait_for(lambda r: "HighLatency" in slack_text(r), timeout=20)
    delivery.assert_posted_to(message, "warnings")
    assert message.json["attachments"][0]["title"].startswith(":warning: WARNING")
    assert not delivery.pagerduty.matching(lambda r: r.json.get("payload", {}).get("class") == "HighLatency")


def test_info_goes_to_the_info_channel_when_email_is_off(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("CertificateExpiresSoon", "info", "web")])
    (message,) = delivery.slack.wait_for(lambda r: "CertificateExpiresSoon" in slack_text(r), timeout=20)
    delivery.assert_posted_to(message, "info")
    assert not delivery.pagerduty.matching(lambda r: r.json.get("payload", {}).get("class") == "CertificateExpiresSoon")


def test_unknown_severity_goes_to_the_warnings_channel(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("RuleWithoutSeverity", "bogus", "api")])
    (message,) = delivery.slack.wait_for(lambda r: "RuleWithoutSeverity" in slack_text(r), timeout=20)
    delivery.assert_posted_to(message, "warnings")


def test_every_slack_message_went_to_an_endpoint_that_accepted_it(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("LastCheck", "warning", "api")])
    delivery.slack.wait_for(lambda r: "LastCheck" in slack_text(r), timeout=20)
    assert delivery.slack.rejected == []
    for message in delivery.slack.items:
        assert message.json["channel"] in ("#alerts-critical", "#alerts-warnings", "#alerts-info")
        role = str(message.json["channel"]).removeprefix("#alerts-")
        delivery.assert_posted_to(message, role)


def test_watchdog_reaches_the_heartbeat_only(delivery: Delivery) -> None:
    request(f"{delivery.url}/api/v2/alerts", [_alert("Watchdog", "none", "prometheus")])
    (ping,) = delivery.heartbeat.wait_for(lambda r: r.path == "/ping/test", timeout=20)
    assert ping.json["alerts"][0]["labels"]["alertname"] == "Watchdog"
    assert not delivery.slack.matching(lambda r: "Watchdog" in slack_text(r))
    assert not delivery.pagerduty.matching(lambda r: r.json.get("payload", {}).get("class") == "Watchdog")


def _slack_counter(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        text = response.read().decode()
    pattern = re.compile(rf'^{name}\{{[^}}]*integration="slack"[^}}]*\}} (\S+)$', re.MULTILINE)
    return sum(float(value) for value in pattern.findall(text))


def test_a_bad_bot_token_is_answered_ok_false_and_only_0_26_counts_it_as_failed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Slack answers a bad token with HTTP 200 ``{"ok": false, "error": "invalid_auth"}``.  Alertmanager
    0.26+ reads that body (#3121) and counts a failed notification; 0.25 (Debian's, which the tests once ran) counts
    it as sent, so on 0.25 only the stand-in's record shows the rejection."""
    directory = tmp_path_factory.mktemp("delivery-bad-token")
    slack = SlackApiStandIn(free_port(), BOT_TOKEN).start()
    try:
        secrets_dir = directory / "secrets"
        settings = variant(
            "prod",
            {"pagerduty": {"enabled": False}, "email": {"enabled": False}, "secretsDir": str(secrets_dir),
             "slack": {"delivery": "bot", "apiUrl": slack.post_message_url},
             "timing": {k: FAST for k in ("critical", "warning", "info", "default")}},
            alertmanagerSlackToken="revoked-bot-token",
        )
        secrets_dir.mkdir()
        for name, secret in credential_secrets(settings).items():
            (secrets_dir / name).write_text(str(secret.value))
        with running_alertmanager(write_config(settings, directory), directory) as url:
            request(f"{url}/api/v2/alerts", [_alert("BadTokenCheck", "warning", "api")])
            deadline = time.monotonic() + 20
            while not any("BadTokenCheck" in slack_text(r) for r in slack.rejected) and time.monotonic() < deadline:
                time.sleep(0.2)
            refused = [r for r in slack.rejected if "BadTokenCheck" in slack_text(r)]
            assert refused, "Alertmanager never posted the alert to chat.postMessage"
            assert refused[0].headers["authorization"] == "Bearer revoked-bot-token"
            assert not slack.items, "a request with a revoked token must not count as delivered"
            deadline = time.monotonic() + 10
            while _slack_counter(url, "alertmanager_notifications_total") < 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            failed = _slack_counter(url, "alertmanager_notifications_failed_total")
        version = subprocess.run(
            [tool("alertmanager"), "--version"], check=True, capture_output=True, text=True
        )
        found = re.search(r"version (\d+)\.(\d+)", version.stdout + version.stderr)
        assert found, version
        if (int(found[1]), int(found[2])) >= (0, 26):
            assert failed >= 1
        else:
            assert failed == 0
    finally:
        slack.stop()
