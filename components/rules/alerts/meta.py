"""The monitoring itself: the heartbeat, Prometheus' and Alertmanager's reloads, rule evaluation, scrape limits,
alert delivery, and every exporter's scrape (TargetDown)."""

from __future__ import annotations

from components.rules.model import Alert, Flapping, area

AREA = area(
    "meta",
    Alert(
        name="Watchdog",
        severity="none",
        service="prometheus",
        expr="vector(1)",
        for_="0m",
        summary="Alerting pipeline heartbeat",
        description=(
            "Always firing, so the whole alerting pipeline is proven to work. A dead-man's switch "
            "outside this stack must page when this alert stops arriving."
        ),
    ),
    Alert(
        name="PrometheusConfigReloadFailed",
        severity="critical",
        service="prometheus",
        expr="max_over_time(prometheus_config_last_reload_successful{[[prometheus]]}[[[rate]]]) == 0",
        for_="10m",
        summary="Prometheus configuration reload failed",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) failed to load its configuration "
            "and keeps running the previous one; rule and scrape changes are not applied."
        ),
    ),
    Alert(
        name="PrometheusRuleEvaluationFailures",
        severity="critical",
        service="prometheus",
        expr="increase(prometheus_rule_evaluation_failures_total{[[prometheus]]}[[[rate]]]) > [[threshold]]",
        for_="15m",
        summary="Prometheus fails to evaluate rules",
        description=(
            "Prometheus ({{ $labels.environment }}) failed {{ $value | humanize }} evaluations of rule group "
            "{{ $labels.rule_group }} over the last [[rate]]: its alerts may not fire."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    Alert(
        name="ScrapeLimitExceeded",
        severity="warning",
        service="prometheus",
        expr=(
            "label_replace(increase(prometheus_target_scrapes_exceeded_sample_limit_total"
            '{[[prometheus]]}[[[rate]]]), "limit", "sampleLimit", "", "") > 0\nor\n'
            "label_replace(increase(prometheus_target_scrapes_exceeded_body_size_limit_total"
            '{[[prometheus]]}[[[rate]]]), "limit", "bodySizeLimit", "", "") > 0\nor\n'
            "label_replace(increase(prometheus_target_scrape_pool_exceeded_label_limits_total"
            '{[[prometheus]]}[[[rate]]]), "limit", "labelLimit or labelValueLengthLimit", "", "") > 0'
        ),
        for_="0m",
        summary="Prometheus refuses scrapes over prometheus.scrapeLimits.{{ $labels.limit }}",
        description=(
            "Prometheus ({{ $labels.environment }}) refused {{ $value | humanize }} scrapes over the last [[rate]] "
            "for exceeding prometheus.scrapeLimits.{{ $labels.limit }}: a target the monitoring does not control "
            "(the API by default) serves more than it accepts, and that target's scrapes fail whole (up is 0)."
        ),
    ),
    Alert(
        name="PrometheusNotConnectedToAlertmanager",
        severity="warning",
        service="prometheus",
        expr="max_over_time(prometheus_notifications_alertmanagers_discovered{[[prometheus]]}[[[rate]]]) < 1",
        for_="10m",
        summary="Prometheus not connected to Alertmanager",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) has discovered no Alertmanager "
            "for [[for]]: no alert is delivered (only a missing Watchdog shows this)."
        ),
    ),
    Alert(
        name="PrometheusErrorSendingAlerts",
        severity="critical",
        service="prometheus",
        expr=(
            "rate(prometheus_notifications_errors_total{[[prometheus]]}[[[rate]]])\n/\n"
            "rate(prometheus_notifications_sent_total{[[prometheus]]}[[[rate]]])\n> [[threshold]]"
        ),
        for_="15m",
        summary="Prometheus fails to send alerts to Alertmanager",
        description=(
            "{{ $value | humanizePercentage }} of the alerts Prometheus ({{ $labels.environment }}) sent to "
            "{{ $labels.alertmanager }} over the last [[rate]] failed (threshold [[threshold_pct]])."
        ),
        threshold=0.03,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="AlertmanagerConfigReloadFailed",
        severity="critical",
        service="alertmanager",
        expr="max_over_time(alertmanager_config_last_reload_successful{[[alertmanager]]}[[[rate]]]) == 0",
        for_="10m",
        summary="Alertmanager configuration reload failed",
        description=(
            "Alertmanager ({{ $labels.instance }}, {{ $labels.environment }}) failed to load its configuration "
            "and keeps running the previous one; routing and receiver changes are not applied."
        ),
    ),
    Alert(
        name="AlertmanagerFailedToSendAlerts",
        severity="warning",
        service="alertmanager",
        expr=(
            "sum by (job, instance, environment, integration) "
            "(rate(alertmanager_notifications_failed_total{[[alertmanager]]}[[[rate]]]))\n/\n"
            "sum by (job, instance, environment, integration) "
            "(rate(alertmanager_notifications_total{[[alertmanager]]}[[[rate]]]))\n> [[threshold]]"
        ),
        for_="5m",
        summary="Alertmanager fails to send {{ $labels.integration }} notifications",
        description=(
            "{{ $value | humanizePercentage }} of Alertmanager's {{ $labels.integration }} notifications in "
            "{{ $labels.environment }} failed over the last [[rate]] (threshold [[threshold_pct]])."
        ),
        threshold=0.01,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="TargetDown",
        severity="warning",
        service="{{ $labels.service }}",
        expr='up{job=~"[[target_down_jobs]]"} == 0',
        for_="5m",
        summary="Scrape target {{ $labels.job }} down",
        description=(
            "Prometheus has failed to scrape {{ $labels.instance }} of job {{ $labels.job }} "
            "({{ $labels.environment }}) for [[for]]; alerts that rely on its metrics cannot fire."
        ),
        identity=("job", "instance"),
        flapping=Flapping(
            state='up{job=~"[[target_down_jobs]]"}', restarts='process_start_time_seconds{job=~"[[target_down_jobs]]"}',
            subject="Scrape target {{ $labels.instance }} of job {{ $labels.job }}",
        ),
    ),
)
