"""The notification templates render with amtool, for firing and resolved groups."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.alertmanager.config import template_files
from components.alertmanager.receivers import render_receivers
from tests.alertmanager.variants import notifications_of
from tests.tools import run_tool

RUNBOOK = "https://github.com/internet-id/internet-id/blob/main/docs/ops/ALERTING_RUNBOOK.md#service-down"


def _alert(status: str = "firing", **labels: str) -> dict[str, Any]:
    base = {"alertname": "ServiceDown", "severity": "critical", "service": "api",
            "cluster": "internet-id-production", "environment": "production", "instance": "api-1:3001"}
    return {
        "status": status,
        "labels": {**base, **labels},
        "annotations": {"summary": "API replica api-1:3001 is down", "description": "No scrape succeeded for 2m.",
                        "runbook_url": RUNBOOK},
        "startsAt": "2026-11-26T10:00:00Z",
        "endsAt": "2026-11-26T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef",
    }


def _group(alerts: list[dict[str, Any]], status: str = "firing") -> dict[str, Any]:
    common_labels = dict.fromkeys(alerts[0]["labels"])
    for key in list(common_labels):
        values = {a["labels"].get(key) for a in alerts}
        if len(values) == 1:
            common_labels[key] = values.pop()
        else:
            del common_labels[key]
    common_annotations = {k: v for k, v in alerts[0]["annotations"].items()
                          if all(a["annotations"].get(k) == v for a in alerts)}
    return {
        "receiver": "slack-critical",
        "status": status,
        "alerts": alerts,
        "groupLabels": {k: common_labels[k] for k in ("alertname", "cluster", "service") if k in common_labels},
        "commonLabels": common_labels,
        "commonAnnotations": common_annotations,
        "externalURL": "http://alertmanager.example.com:9093",
    }


@pytest.fixture(scope="module")
def templates_glob(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("templates")
    for name, text in template_files().items():
        (directory / name).write_text(text)
    return str(directory / "*.tmpl")


def render(glob: str, tmp_path: Path, text: str, data: dict[str, Any], kind: str = "text") -> str:
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(data))
    result = run_tool("amtool", "template", "render", f"--template.glob={glob}", f"--template.text={text}",
                      f"--template.data={data_file}", f"--template.type={kind}")
    assert result.returncode == 0, result.stderr
    return result.stdout


def t(name: str) -> str:
    return f'{{{{ template "{name}" . }}}}'


def test_every_template_the_config_names_is_defined(templates_glob: str, tmp_path: Path) -> None:
    text = json.dumps(render_receivers(notifications_of("prod")))
    names = set(re.findall(r'template \\"([^\\"]+)\\"', text))
    assert names >= {"iid.slack.title", "iid.slack.text", "iid.pagerduty.severity", "iid.email.html"}
    data = _group([_alert()])
    for name in sorted(names):
        kind = "html" if name.endswith(".html") else "text"
        assert render(templates_glob, tmp_path, t(name), data, kind).strip(), name


def test_slack_firing_critical(templates_glob: str, tmp_path: Path) -> None:
    data = _group([_alert()])
    title = render(templates_glob, tmp_path, t("iid.slack.title"), data)
    assert title == ":rotating_light: CRITICAL: ServiceDown on api (internet-id-production)"
    body = render(templates_glob, tmp_path, t("iid.slack.text"), data)
    assert "*CRITICAL* API replica api-1:3001 is down" in body
    assert "*Service:* api" in body and "`api-1:3001`" in body
    assert "No scrape succeeded for 2m." in body
    assert f"*Runbook:* <{RUNBOOK}|{RUNBOOK}>" in body
    assert "Firing since 2026-11-26 10:00 UTC" in body
    assert render(templates_glob, tmp_path, t("iid.slack.color"), data) == "danger"


def test_label_values_the_app_controls_cannot_post_slack_markup(templates_glob: str, tmp_path: Path) -> None:
    """A queue name like ``<!channel>`` or ``<https://evil.example|login>`` reaches Slack as text, not a mention
    or a link; the template's own link (the runbook) stays a link."""
    alert = _alert(alertname="HighQueueDepth", severity="warning", service="<!channel>",
                   instance="<@U024BE7LH>", cluster="a&b")
    alert["annotations"].update(summary="Queue <!channel> has 5000 jobs",
                                description="Queue <https://evil.example/login|click to fix> & more")
    data = _group([alert])
    title = render(templates_glob, tmp_path, t("iid.slack.title"), data)
    assert title == ":warning: WARNING: HighQueueDepth on &lt;!channel&gt; (a&amp;b)"
    assert render(templates_glob, tmp_path, t("iid.slack.title_text"), data) == (
        "WARNING: HighQueueDepth on &lt;!channel&gt; (a&amp;b)")
    body = render(templates_glob, tmp_path, t("iid.slack.text"), data)
    assert "*WARNING* Queue &lt;!channel&gt; has 5000 jobs" in body
    assert "*Service:* &lt;!channel&gt;  *Instance:* `&lt;@U024BE7LH&gt;`  *Cluster:* a&amp;b" in body
    assert "Queue &lt;https://evil.example/login|click to fix&gt; &amp; more" in body
    assert f"*Runbook:* <{RUNBOOK}|{RUNBOOK}>" in body
    assert "<!channel>" not in body + title and "<https://evil" not in body


@pytest.mark.parametrize("runbook", [
    "https://runbook.example/x><!channel>",
    "https://evil.example/a|click here <!here",
    "https://runbook.example/a?x=1&y=<@U024BE7LH>",
])
def test_a_url_in_a_slack_link_cannot_close_it_or_mention_anyone(templates_glob: str, tmp_path: Path,
                                                                  runbook: str) -> None:
    """Settings refuse such URLs (``rules.runbookBaseUrl`` is RFC 3986 characters only); the template escapes
    them anyway, so an annotation from anywhere stays inside its link."""
    alert = _alert()
    alert["annotations"]["runbook_url"] = runbook
    group = _group([alert for _ in range(11)])
    group["externalURL"] = "http://alertmanager.example.com:9093/a|b<!channel>"
    body = render(templates_glob, tmp_path, t("iid.slack.text"), group)
    assert "<!channel>" not in body and "<!here" not in body and "<@U024BE7LH>" not in body
    links = re.findall(r"<([^<>]*)>", body)
    assert links and all(link.count("|") == 1 for link in links), links


def test_slack_resolved_differs(templates_glob: str, tmp_path: Path) -> None:
    data = _group([_alert("resolved")], status="resolved")
    title = render(templates_glob, tmp_path, t("iid.slack.title"), data)
    assert title == ":white_check_mark: RESOLVED: ServiceDown on api (internet-id-production)"
    assert render(templates_glob, tmp_path, t("iid.slack.color"), data) == "good"
    assert "Resolved 2026-11-26 10:30 UTC" in render(templates_glob, tmp_path, t("iid.slack.text"), data)


def test_warning_and_unknown_severity(templates_glob: str, tmp_path: Path) -> None:
    warning = _group([_alert(alertname="HighErrorRate", severity="warning")])
    title = render(templates_glob, tmp_path, t("iid.slack.title"), warning)
    assert title.startswith(":warning: WARNING: HighErrorRate")
    assert render(templates_glob, tmp_path, t("iid.slack.color"), warning) == "warning"
    unknown = _group([_alert(alertname="Odd", severity="")])
    assert render(templates_glob, tmp_path, t("iid.slack.title"), unknown).startswith(
        ":grey_question: UNKNOWN SEVERITY: Odd")
    assert render(templates_glob, tmp_path, t("iid.pagerduty.severity"), unknown) == "error"


def test_many_alerts_are_counted(templates_glob: str, tmp_path: Path) -> None:
    data = _group([_alert(instance=f"api-{i}:3001") for i in range(12)])
    assert render(templates_glob, tmp_path, t("iid.title"), data).endswith("[12 firing]")
    body = render(templates_glob, tmp_path, t("iid.slack.text"), data)
    assert body.count("*CRITICAL*") == 10
    assert "12 alerts in this group" in body


def test_pagerduty_fields(templates_glob: str, tmp_path: Path) -> None:
    data = _group([_alert(alertname="DatabaseDown", service="database")])
    assert render(templates_glob, tmp_path, t("iid.pagerduty.severity"), data) == "critical"
    assert render(templates_glob, tmp_path, t("iid.pagerduty.description"), data) == (
        "[Database] DatabaseDown: API replica api-1:3001 is down")
    assert render(templates_glob, tmp_path, t("iid.runbook_href"), data) == RUNBOOK
    assert "service=database" in render(templates_glob, tmp_path, t("iid.labels"), data)


def test_runbook_link_never_empty(templates_glob: str, tmp_path: Path) -> None:
    alert = _alert()
    alert["annotations"].pop("runbook_url")
    data = _group([alert])
    assert render(templates_glob, tmp_path, t("iid.runbook_href"), data) == (
        "http://alertmanager.example.com:9093/#/alerts?receiver=slack-critical")


def test_email(templates_glob: str, tmp_path: Path) -> None:
    data = _group([_alert(alertname="ServiceHealthDegraded", severity="info")])
    subject = render(templates_glob, tmp_path, t("iid.email.subject"), data)
    assert subject == "[Internet-ID production] INFO: ServiceHealthDegraded on api (internet-id-production)"
    text = render(templates_glob, tmp_path, t("iid.email.text"), data)
    assert "INFO: API replica api-1:3001 is down" in text and f"Runbook:  {RUNBOOK}" in text
    html = render(templates_glob, tmp_path, t("iid.email.html"), data, "html")
    assert f'<a href="{RUNBOOK}">' in html
    assert "No scrape succeeded for 2m." in html
    resolved = _group([_alert("resolved", severity="info")], status="resolved")
    assert render(templates_glob, tmp_path, t("iid.email.subject"), resolved).startswith(
        "[Internet-ID production] RESOLVED:")
