"""The rendered alertmanager.yml: valid for amtool, no secret value, only current syntax."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alertmanager.config import alertmanager_document
from components.alertmanager.routes import RECEIVERS, ROUTES
from components.config_source import settings_from_mapping
from components.render import credential_secrets, redacted_secret_files, render_documents
from components.secrets import REDACTED, Secret
from components.settings import SettingsError, StackSettings, load_settings
from tests.alertmanager.variants import STACKS, notifications_of, stack_config, variant, variants, write_config
from tests.tools import VERSION_SETS, run_tool

VARIANTS = variants()
FAKE = {
    "slackWebhookUrl": "https://hooks.slack.com/services/T000/B000/FAKE-SLACK-7d1e",
    "slackWebhookUrlCritical": "https://hooks.slack.com/services/T000/B001/FAKE-SLACK-CRIT-7d1e",
    "slackWebhookUrlWarnings": "https://hooks.slack.com/services/T000/B002/FAKE-SLACK-WARN-7d1e",
    "slackWebhookUrlInfo": "https://hooks.slack.com/services/T000/B003/FAKE-SLACK-INFO-7d1e",
    "alertmanagerSlackToken": "fake-bot-token-7d1e",
    "smtpPassword": "FAKE-SMTP-PASSWORD-7d1e",
    "pagerdutyRoutingKey": "FAKE-PD-MAIN-KEY-7d1e",
    "pagerdutyDatabaseRoutingKey": "FAKE-PD-DB-KEY-7d1e",
    "heartbeatUrl": "https://hc-ping.example.org/FAKE-HEARTBEAT-7d1e",
}


def _document(name: str) -> dict[str, Any]:
    return alertmanager_document(VARIANTS[name].notifications)


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


@pytest.mark.parametrize("version_set", VERSION_SETS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_amtool_accepts_the_config(name: str, version_set: str, tmp_path: Path) -> None:
    path = write_config(VARIANTS[name], tmp_path)
    result = run_tool("amtool", "check-config", path, set_name=version_set)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_receiver_exists_and_every_route_reaches_one(name: str) -> None:
    document = _document(name)
    names = [r["name"] for r in document["receivers"]]
    assert names == list(RECEIVERS)
    assert document["route"]["receiver"] == "default"
    assert {r["receiver"] for r in document["route"]["routes"]} <= set(names)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_only_current_syntax(name: str) -> None:
    text = yaml.safe_dump(_document(name))
    nodes = [node for node in _walk(_document(name)) if isinstance(node, dict)]
    keys = {k for node in nodes for k in node}
    assert not keys & {"match", "match_re", "source_match", "source_match_re", "target_match", "target_match_re",
                       "service_key", "mute_time_intervals", "routing_key", "auth_password",
                       "credentials", "bearer_token", "bearer_token_file"}
    # api_url only as the (non-secret) Web API endpoint of the bot; webhook URLs are secrets: api_url_file
    assert {node["api_url"] for node in nodes if "api_url" in node} <= {VARIANTS[name].notifications.slack.api_url}
    assert "${" not in text
    assert "/api/v1" not in text


def test_watchdog_route_comes_first_with_short_repeat() -> None:
    document = _document("prod")
    first = document["route"]["routes"][0]
    assert first["receiver"] == "watchdog"
    assert first["matchers"] == ['alertname="Watchdog"']
    assert first["repeat_interval"] == "5m" and first["group_interval"] == "1m"
    assert "continue" not in first
    assert ROUTES[0].receiver == "watchdog"


def _receiver(name: str, receiver: str) -> dict[str, Any]:
    return next(r for r in _document(name)["receivers"] if r["name"] == receiver)


def test_dev_sends_nothing_anywhere() -> None:
    assert all(set(r) == {"name"} for r in _document("dev")["receivers"])
    assert credential_secrets(VARIANTS["dev"]) == {}
    assert VARIANTS["dev"].notifications.required_secrets() == {}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_full_stacks_use_every_channel(stack: str) -> None:
    pd = _receiver(stack, "pagerduty-critical")["pagerduty_configs"][0]
    assert pd["routing_key_file"].endswith("/pagerduty-routing-key")
    assert pd["url"] == "https://events.pagerduty.com/v2/enqueue"
    assert pd["send_resolved"] is True
    assert "iid.pagerduty.severity" in pd["severity"]
    assert [link["text"] for link in pd["links"]] == ["Runbook", "Alertmanager"]
    assert {"firing", "summary", "description", "runbook_url", "labels"} <= set(pd["details"])
    assert pd["client"] and pd["client_url"]
    db = _receiver(stack, "pagerduty-database")["pagerduty_configs"][0]
    assert db["routing_key_file"].endswith("/pagerduty-database-routing-key")
    channels = VARIANTS[stack].notifications.slack.channels
    for receiver, channel in (("slack-critical", channels.critical), ("slack-warnings", channels.warnings),
                              ("default", channels.warnings)):
        (slack,) = _receiver(stack, receiver)["slack_configs"]
        assert slack["channel"] == f"#{channel}"
        assert slack["api_url"] == "https://slack.com/api/chat.postMessage"
        assert slack["http_config"] == {
            "authorization": {"type": "Bearer", "credentials_file": "/etc/alertmanager/secrets/slack-bot-token"}
        }
        assert "api_url_file" not in slack
        assert slack["send_resolved"] is True
    (email,) = _receiver(stack, "email-info")["email_configs"]
    assert email["send_resolved"] is True
    assert email["auth_password_file"].endswith("/smtp-password")
    assert email["to"].endswith("@example.com")


def test_switched_off_channels_fall_back_to_another_enabled_one() -> None:
    # no Slack: criticals/warnings/unknown go to e-mail; PagerDuty unchanged
    assert set(_receiver("prod-without-slack", "slack-critical")) == {"name", "email_configs"}
    assert set(_receiver("prod-without-slack", "slack-warnings")) == {"name", "email_configs"}
    assert set(_receiver("prod-without-slack", "default")) == {"name", "email_configs"}
    # no e-mail: info goes to Slack's info channel
    (slack,) = _receiver("prod-without-email", "email-info")["slack_configs"]
    assert slack["channel"] == "#alerts-info"
    assert "email_configs" not in _receiver("prod-without-email", "email-info")
    # no PagerDuty: the paging receivers are empty, criticals still reach Slack
    assert set(_receiver("prod-without-pagerduty", "pagerduty-critical")) == {"name"}
    assert set(_receiver("prod-without-pagerduty", "pagerduty-database")) == {"name"}
    assert "slack_configs" in _receiver("prod-without-pagerduty", "slack-critical")


def test_shared_database_service_and_the_heartbeat_read_from_its_file() -> None:
    db = _receiver("prod-shared-pd", "pagerduty-database")["pagerduty_configs"][0]
    assert db["routing_key_file"].endswith("/pagerduty-routing-key")
    assert "pagerduty-database-routing-key" not in credential_secrets(VARIANTS["prod-shared-pd"])
    (prod_hook,) = _receiver("prod", "watchdog")["webhook_configs"]
    assert prod_hook == {"url_file": "/etc/alertmanager/secrets/heartbeat-url", "send_resolved": False, "max_alerts": 1}
    assert set(_receiver("dev", "watchdog")) == {"name"}


_FILES_OF_MODE = {
    "bot": {"slack-bot-token", "heartbeat-url", "pagerduty-routing-key", "pagerduty-database-routing-key",
            "smtp-password"},
    "webhook": {"slack-webhook-url", "heartbeat-url", "pagerduty-routing-key", "pagerduty-database-routing-key",
                "smtp-password"},
    "webhook-per-channel": {"slack-webhook-url-critical", "slack-webhook-url-warnings", "slack-webhook-url-info",
                            "heartbeat-url", "pagerduty-routing-key", "pagerduty-database-routing-key"},
    "webhook-critical-only": {"slack-webhook-url-critical", "slack-webhook-url", "heartbeat-url",
                              "pagerduty-routing-key", "pagerduty-database-routing-key"},
}
_KEY_OF_FILE = {
    "slack-bot-token": "alertmanagerSlackToken", "slack-webhook-url": "slackWebhookUrl",
    "slack-webhook-url-critical": "slackWebhookUrlCritical", "slack-webhook-url-warnings": "slackWebhookUrlWarnings",
    "slack-webhook-url-info": "slackWebhookUrlInfo", "pagerduty-routing-key": "pagerdutyRoutingKey",
    "pagerduty-database-routing-key": "pagerdutyDatabaseRoutingKey", "smtp-password": "smtpPassword",
    "heartbeat-url": "heartbeatUrl",
}
"""The secret config key each credential file holds (the provider's token in slack-bot-token only with
useProviderToken)."""
_SLACK_OF_MODE: dict[str, dict[str, Any]] = {
    "bot": {"slack": {"delivery": "bot"}},
    "webhook": {"slack": {"delivery": "webhook"}},
    "webhook-per-channel": {"slack": {"delivery": "webhook", "channelWebhooks": ["critical", "warnings", "info"]},
                            "email": {"enabled": False}},
    "webhook-critical-only": {"slack": {"delivery": "webhook", "channelWebhooks": ["critical"]},
                              "email": {"enabled": False}},
}


@pytest.mark.parametrize("mode", sorted(_FILES_OF_MODE))
def test_secret_files_hold_the_right_secrets_and_the_config_holds_none(mode: str) -> None:
    settings = variant("prod", _SLACK_OF_MODE[mode], **FAKE)
    files = credential_secrets(settings)
    assert set(files) == _FILES_OF_MODE[mode]
    for name, secret in files.items():
        assert isinstance(secret, Secret)
        assert secret.key == _KEY_OF_FILE[name]
        assert secret.value == FAKE[secret.key]
    documents = render_documents(settings)
    everything = "\n".join(documents.values())
    for value in FAKE.values():
        assert value not in everything
    text = documents["alertmanager/alertmanager.yml"]
    for name in files:
        assert f"/etc/alertmanager/secrets/{name}\n" in text
    assert set(redacted_secret_files(settings).values()) == {REDACTED + "\n"}


def test_unset_secret_is_listed_without_a_value() -> None:
    files = credential_secrets(VARIANTS["prod"])
    assert files["slack-bot-token"] == Secret("alertmanagerSlackToken", None)
    assert files["slack-bot-token"].value is None
    assert credential_secrets(VARIANTS["prod-slack-webhook"])["slack-webhook-url"].key == "slackWebhookUrl"


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("prod-slack-webhook", {"critical": "slack-webhook-url", "warnings": "slack-webhook-url"}),
        ("prod-slack-webhook-per-channel", {"critical": "slack-webhook-url-critical",
                                            "warnings": "slack-webhook-url-warnings",
                                            "info": "slack-webhook-url-info"}),
        ("prod-slack-webhook-critical-only", {"critical": "slack-webhook-url-critical",
                                              "warnings": "slack-webhook-url", "info": "slack-webhook-url"}),
    ],
)
def test_webhook_receivers_read_the_webhook_of_their_channel(name: str, files: dict[str, str]) -> None:
    receiver_of = {"critical": "slack-critical", "warnings": "slack-warnings", "info": "email-info"}
    for role, file_name in files.items():
        (slack,) = _receiver(name, receiver_of[role])["slack_configs"]
        assert slack["api_url_file"] == f"/etc/alertmanager/secrets/{file_name}"
        assert slack["channel"] == f"#alerts-{role}"
        assert not {"api_url", "http_config"} & set(slack)
    (default,) = _receiver(name, "default")["slack_configs"]
    assert default["api_url_file"] == f"/etc/alertmanager/secrets/{files['warnings']}"


def test_secrets_dir_is_a_setting() -> None:
    text = yaml.safe_dump(alertmanager_document(notifications_of("prod", {"secretsDir": "/run/test/secrets"})))
    assert "/run/test/secrets/slack-bot-token" in text
    assert "/etc/alertmanager" not in text




PAGERDUTY_KEYS = {"pagerdutyRoutingKey", "pagerdutyDatabaseRoutingKey"}


def chat_and_mail_secrets(settings: StackSettings) -> set[str]:
    """The secrets the Slack and e-mail channels need (the PagerDuty keys and the heartbeat are tested apart)."""
    return set(settings.notifications.required_secrets()) - PAGERDUTY_KEYS - {"heartbeatUrl"}


@pytest.mark.parametrize("stack", STACKS)
def test_required_secrets_follow_the_channels(stack: str) -> None:
    required = VARIANTS[stack].notifications.required_secrets()
    if stack == "dev":
        assert required == {}
    else:
        assert chat_and_mail_secrets(VARIANTS[stack]) == {"alertmanagerSlackToken", "smtpPassword"}
        assert "delivery is bot" in required["alertmanagerSlackToken"]
    assert chat_and_mail_secrets(VARIANTS["prod-email-no-auth"]) == {"alertmanagerSlackToken"}


def test_alertmanager_posts_with_its_own_token_unless_told_to_use_the_providers() -> None:
    """prod's incident.slack manages channels with slack:token; Alertmanager's file holds a chat:write token."""
    own = variant("prod", None, **{"alertmanagerSlackToken": "chat-write-only", "slack:token": "channels-manage"})
    assert credential_secrets(own)["slack-bot-token"].value == "chat-write-only"
    assert set(own.required_secrets()) >= {"alertmanagerSlackToken", "slack:token"}
    shared = variant("prod", {"slack": {"useProviderToken": True}}, **{"slack:token": "channels-manage"})
    assert credential_secrets(shared)["slack-bot-token"] == Secret("slack:token", None)
    assert credential_secrets(shared)["slack-bot-token"].value == "channels-manage"
    assert "alertmanagerSlackToken" not in shared.required_secrets()
    assert "useProviderToken is true" in shared.notifications.required_secrets()["slack:token"]
    with pytest.raises(SettingsError, match="useProviderToken applies to delivery: bot only"):
        variant("prod", {"slack": {"delivery": "webhook", "useProviderToken": True}})


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("dev", set()),
        ("prod", PAGERDUTY_KEYS),
        ("prod-without-pagerduty", set()),
        ("prod-shared-pd", {"pagerdutyRoutingKey"}),
    ],
)
def test_pagerduty_routing_keys_are_required_for_the_services_routed_to(name: str, keys: set[str]) -> None:
    assert set(VARIANTS[name].notifications.required_secrets()) & PAGERDUTY_KEYS == keys


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("prod-slack-webhook", {"slackWebhookUrl", "smtpPassword"}),
        ("staging-slack-webhook", {"slackWebhookUrl", "smtpPassword"}),
        ("prod-slack-webhook-per-channel", {"slackWebhookUrlCritical", "slackWebhookUrlWarnings",
                                            "slackWebhookUrlInfo"}),
        ("prod-slack-webhook-critical-only", {"slackWebhookUrlCritical", "slackWebhookUrl"}),
        ("prod-without-slack", {"smtpPassword"}),
    ],
)
def test_required_secrets_follow_the_slack_delivery(name: str, required: set[str]) -> None:
    assert chat_and_mail_secrets(VARIANTS[name]) == required


def test_per_channel_webhooks_make_the_shared_one_optional_only_when_every_posted_channel_has_one() -> None:
    # e-mail on: Slack posts to critical and warnings only, so two own webhooks are enough
    settings = variant("prod", {"slack": {"delivery": "webhook", "channelWebhooks": ["critical", "warnings"]}})
    assert chat_and_mail_secrets(settings) == {"slackWebhookUrlCritical", "slackWebhookUrlWarnings", "smtpPassword"}
    # e-mail off: info posts to Slack too and falls back to the shared webhook
    settings = variant("prod", {"slack": {"delivery": "webhook", "channelWebhooks": ["critical", "warnings"]},
                                "email": {"enabled": False}})
    assert chat_and_mail_secrets(settings) == {"slackWebhookUrlCritical", "slackWebhookUrlWarnings", "slackWebhookUrl"}


def test_missing_slack_secrets_are_named_when_secrets_are_required() -> None:
    config = stack_config("prod")
    config["internet-id-monitoring:notifications"]["slack"]["delivery"] = "webhook"
    config["internet-id-monitoring:notifications"]["slack"]["channelWebhooks"] = ["critical"]
    with pytest.raises(SettingsError) as error:
        settings_from_mapping("prod", config, require_secrets=True)
    assert "internet-id-monitoring:slackWebhookUrlCritical: required because" in str(error.value)
    assert "internet-id-monitoring:slackWebhookUrl: required because" in str(error.value)


@pytest.mark.parametrize(
    ("notifications", "problem"),
    [
        ({"email": {"to": None}}, "to not set"),
        ({"email": {"smarthost": "${SMTP_HOST}:587"}}, "host:port"),
        ({"email": {"from": "${ALERT_FROM}"}}, "not an e-mail address"),
        ({"pagerduty": {"url": "https://events.pagerduty.com/generic/2010-04-15/create_event.json"}}, "Events API v1"),
        ({"slack": {"channels": {"critical": "#alerts"}}}, "not a Slack channel name"),
        ({"timing": {"warning": {"groupWait": "1m", "groupInterval": "10m", "repeatInterval": "5m"}}}, "shorter"),
        ({"pagerduty": {"serviceKey": "x"}}, "unknown setting"),
        ({"slack": {"delivery": "legacy"}}, "delivery"),
        ({"slack": {"channelWebhooks": ["critical"]}}, "delivery: webhook only"),
        ({"slack": {"delivery": "webhook", "apiUrl": "https://slack.example/api"}}, "delivery: bot only"),
        ({"slack": {"delivery": "webhook", "channelWebhooks": ["incidents"]}}, "channelWebhooks"),
        ({"slack": {"apiUrl": "slack.com/api/chat.postMessage"}}, "not an http(s) URL"),
        ({"slack": {"apiUrl": "http://slack.com/api/chat.postMessage"}}, "carries a credential and must be https"),
        ({"pagerduty": {"url": "http://events.pagerduty.com/v2/enqueue"}}, "carries a credential and must be https"),
        ({"heartbeatUrl": "https://hc-ping.com/uuid"},
         "notifications.heartbeatUrl: the dead-man's switch's ping URL is a credential: remove it here and set it as "
         "a secret: pulumi config set --secret heartbeatUrl <url>"),
        ({"slack": {"username": "{{ .CommonLabels }}"}}, "which Prometheus and Alertmanager would expand"),
        ({"pagerduty": {"client": "x }} y"}}, "which Prometheus and Alertmanager would expand"),
        ({"email": {"to": "{{ .ExternalURL }}@example.com"}}, "is not an e-mail address such as ops@example.com"),
        ({"heartbeatOptOut": " "}, "heartbeatOptOut: give the reason"),
    ],
)
def test_bad_notification_settings_are_named(notifications: dict[str, Any], problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        variant("prod", notifications)
    assert problem in str(error.value)
    assert "notifications" in str(error.value)


def test_a_stack_that_notifies_people_opts_out_of_the_heartbeat_only_explicitly() -> None:
    """Slack alone needs the dead-man's switch too; a written reason opts out; e-mail only needs neither."""
    slack_only = variant("prod", {"pagerduty": {"enabled": False}})
    assert slack_only.required_secrets()["heartbeatUrl"].startswith("Slack notifies people")
    (watchdog,) = (r for r in alertmanager_document(slack_only.notifications)["receivers"] if r["name"] == "watchdog")
    assert watchdog == {"name": "watchdog", "webhook_configs": [
        {"url_file": "/etc/alertmanager/secrets/heartbeat-url", "send_resolved": False, "max_alerts": 1}]}
    opted_out = variant("prod", {"heartbeatOptOut": "Watchdog watched by the central Alertmanager"})
    assert "heartbeatUrl" not in opted_out.required_secrets()
    (watchdog,) = (r for r in alertmanager_document(opted_out.notifications)["receivers"] if r["name"] == "watchdog")
    assert watchdog == {"name": "watchdog"}
    email_only = variant("prod", {"pagerduty": {"enabled": False}, "slack": {"enabled": False}})
    assert "heartbeatUrl" not in email_only.required_secrets()


def test_the_heartbeat_url_is_a_required_secret_checked_without_being_shown() -> None:
    """The ping URL keeps the check green for whoever holds it: a secret, read by Alertmanager from its file, held
    to https, and never quoted in a message."""
    config = stack_config("prod")
    with pytest.raises(SettingsError) as missing:
        settings_from_mapping("prod", config, require_secrets=True)
    assert ("internet-id-monitoring:heartbeatUrl: required because PagerDuty and Slack notify people and only a "
            "dead-man's switch notices a dead Prometheus or Alertmanager") in str(missing.value)
    values = {key.partition(":")[2]: value for key, value in config.items()
              if key.startswith("internet-id-monitoring:")}
    for url in ("http://hc-ping.example.org/3f6a", "hc-ping.example.org/3f6a", "https://hc.example.org/{{ .x }}"):
        known = {"heartbeatUrl": Secret("heartbeatUrl", url, known=url)}  # as the engine hands it to the program
        with pytest.raises(SettingsError) as refused:
            load_settings("prod", values, known, require_secrets=False)
        assert str(refused.value) == ("stack 'prod': internet-id-monitoring:heartbeatUrl: not an https URL without "
                                      "templates or placeholders (plain http only on loopback); set the check's "
                                      "ping URL, e.g. https://hc-ping.com/<uuid>")
        assert "3f6a" not in str(refused.value) and "hc.example.org" not in str(refused.value)
    settings = variant("prod", heartbeatUrl="https://hc-ping.example.org/3f6a")
    assert credential_secrets(settings)["heartbeat-url"].key == "heartbeatUrl"
    assert "3f6a" not in render_documents(settings)["alertmanager/alertmanager.yml"]


def test_loopback_receivers_may_use_plain_http() -> None:
    """The live tests' stand-ins: the credential never leaves the host."""
    settings = variant("prod", {"pagerduty": {"url": "http://127.0.0.1:9/v2/enqueue"}},
                       heartbeatUrl="http://localhost:9/ping")
    assert settings.notifications.pagerduty.url == "http://127.0.0.1:9/v2/enqueue"


MATCHER = re.compile(r'([a-z_]+)(=|!=|=~|!~)"[^"]*"')


def _matcher_lists(document: dict[str, Any]) -> list[list[str]]:
    """Every matcher list of a rendered config: each route's, each inhibition's source and target."""
    lists = [route.get("matchers", []) for route in document["route"].get("routes", [])]
    for rule in document.get("inhibit_rules", []):
        lists += [rule["source_matchers"], rule["target_matchers"]]
    return lists


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_no_duplicate_matchers_text(name: str) -> None:
    """No matcher list names a label twice (a repeat, or two conditions where one is meant), no two routes
    are the same route, no two inhibitions the same inhibition; every matcher is ``label<op>"value"``."""
    document = _document(name)
    for matchers in _matcher_lists(document):
        parsed = [MATCHER.fullmatch(matcher) for matcher in matchers]
        assert all(parsed), matchers
        labels = [match.group(1) for match in parsed if match]
        assert len(labels) == len(set(labels)), f"a label matched twice: {matchers}"
    routes = [(route["receiver"], tuple(route.get("matchers", []))) for route in document["route"]["routes"]]
    assert len(routes) == len(set(routes)), routes
    rules = [yaml.safe_dump(rule, sort_keys=True) for rule in document.get("inhibit_rules", [])]
    assert len(rules) == len(set(rules)), "an inhibition is listed twice"


def test_one_timing_of_a_route_keeps_the_routes_other_defaults() -> None:
    settings = settings_from_mapping(
        "dev", {"internet-id-monitoring:notifications": {"timing": {"critical": {"groupWait": "15s"}}}},
        require_secrets=False)
    critical = settings.notifications.timing.critical
    assert (critical.group_wait, critical.group_interval, critical.repeat_interval) == ("15s", "5m", "1h")
    warning = settings.notifications.timing.warning
    assert (warning.group_wait, warning.group_interval, warning.repeat_interval) == ("30s", "5m", "4h")
    with pytest.raises(SettingsError, match="repeatInterval 1m is shorter than groupInterval 5m"):
        settings_from_mapping("dev", {"internet-id-monitoring:notifications": {
            "timing": {"critical": {"repeatInterval": "1m"}}}}, require_secrets=False)


@pytest.mark.parametrize(("notifications", "why"), [
    ({"heartbeatOptOut": "Watchdog watched by the central Alertmanager"},
     "notifications.heartbeatOptOut says this stack has none"),
    ({"pagerduty": {"enabled": False}, "slack": {"enabled": False}},
     "only a stack that notifies people (PagerDuty or Slack on) sends it"),
])
def test_a_heartbeat_url_no_heartbeat_uses_is_refused_not_ignored(notifications: dict[str, Any], why: str) -> None:
    with pytest.raises(SettingsError) as refused:
        variant("prod", notifications, heartbeatUrl="https://hc-ping.example.org/3f6a")
    assert str(refused.value) == (
        f"stack 'prod': internet-id-monitoring:heartbeatUrl: set, but no heartbeat is sent: {why}; remove it "
        "(`pulumi config rm internet-id-monitoring:heartbeatUrl`) or change that")
