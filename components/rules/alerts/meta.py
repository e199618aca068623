"""The monitoring itself: the heartbeat, Prometheus' and Alertmanager's reloads, rule evaluation, its storage and
alert queue, scrape limits, the discovery of the API replicas, alert delivery, and every exporter's scrape
(TargetDown) and collectors (ExporterCollectorFailing)."""

from __future__ import annotations

from components.rules.model import Alert, Flapping, area

NODE_COLLECTORS_READ = ("cpu", "filesystem", "loadavg", "meminfo", "timex", "vmstat")
"""The node_exporter collectors whose series the host alerts read.  Others report failure on ordinary hosts for
lack of hardware (``rapl`` on a VM, ``hwmon`` without sensors) and blind no alert: not watched."""

TSDB_MAINTENANCE: tuple[tuple[str, str], ...] = (
    ("prometheus_tsdb_compactions_failed_total", "compaction"),
    ("prometheus_tsdb_head_truncations_failed_total", "head truncation"),
    ("prometheus_tsdb_wal_truncations_failed_total", "WAL truncation"),
    ("prometheus_tsdb_checkpoint_creations_failed_total", "WAL checkpoint"),
    ("prometheus_tsdb_reloads_failures_total", "block reload"),
    ("prometheus_tsdb_wal_corruptions_total", "WAL replay (corruption repaired)"),
)
"""Prometheus' counters of failed TSDB housekeeping (2.48), with the operation each names."""

TSDB_MAINTENANCE_WINDOW = "3h"
"""Compaction and head truncation run about every 2 hours: a 3-hour window holds one attempt and keeps a single
failure visible until the next attempt could have succeeded."""

AREA = area(
    "meta",
    Alert(
        name="Watchdog",
        severity="none",
        service="prometheus",
        expr="vector(1) and on () count(up{[[prometheus]]}) > 0",
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
        name="PrometheusRuleEvaluationsMissed",
        severity="warning",
        service="prometheus",
        expr="increase(prometheus_rule_group_iterations_missed_total{[[prometheus]]}[[[rate]]]) > [[threshold]]",
        for_="15m",
        summary="Prometheus skips evaluations of rule group {{ $labels.rule_group }}",
        description=(
            "Prometheus ({{ $labels.environment }}) skipped {{ $value | printf \"%.0f\" }} evaluations of rule group "
            "{{ $labels.rule_group }} over the last [[rate]], for [[for]]: one evaluation takes longer than the "
            "group's interval, so its alerts fire late."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
        identity=("job", "instance", "rule_group"),
    ),
    Alert(
        name="PrometheusRuleEvaluationSlow",
        severity="warning",
        service="prometheus",
        expr=(
            "prometheus_rule_group_last_duration_seconds{[[prometheus]]}\n/\n"
            "prometheus_rule_group_interval_seconds{[[prometheus]]}\n> [[threshold]]"
        ),
        for_="15m",
        summary="Rule group {{ $labels.rule_group }} takes most of its interval",
        description=(
            "Evaluating rule group {{ $labels.rule_group }} ({{ $labels.environment }}) takes "
            "{{ $value | humanizePercentage }} of its interval (threshold [[threshold_pct]]), for [[for]]: above "
            "100% Prometheus skips evaluations."
        ),
        threshold=0.8,
        threshold_kind="ratio",
        direction="above",
        identity=("job", "instance", "rule_group"),
    ),
    Alert(
        name="PrometheusStorageWritesFailing",
        severity="critical",
        service="prometheus",
        expr="increase(prometheus_tsdb_wal_writes_failed_total{[[prometheus]]}[[[rate]]]) > [[threshold]]",
        for_="0m",
        summary="Prometheus fails to write its WAL",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) failed {{ $value | printf \"%.0f\" }} "
            "writes to its write-ahead log over the last [[rate]]: the samples of those scrapes and rule "
            "evaluations are lost."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    Alert(
        name="PrometheusStorageMaintenanceFailing",
        severity="warning",
        service="prometheus",
        expr="\nor\n".join(
            f"label_replace(increase({counter}{{[[prometheus]]}}[{TSDB_MAINTENANCE_WINDOW}]) > [[threshold]], "
            f'"operation", "{operation}", "", "")'
            for counter, operation in TSDB_MAINTENANCE
        ),
        for_="0m",
        summary="Prometheus TSDB {{ $labels.operation }} failing",
        description=(
            "Prometheus ({{ $labels.instance }}, {{ $labels.environment }}) failed {{ $value | printf \"%.0f\" }} "
            f"time(s) at {{{{ $labels.operation }}}} over the last {TSDB_MAINTENANCE_WINDOW}: left alone, the "
            "in-memory head and the disk grow until Prometheus is OOM-killed or the disk is full."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
        identity=("job", "instance", "operation"),
    ),
    Alert(
        name="PrometheusNotificationQueueFilling",
        severity="warning",
        service="prometheus",
        expr=(
            "predict_linear(prometheus_notifications_queue_length{[[prometheus]]}[[[rate]]], 30 * 60)\n>\n"
            "min_over_time(prometheus_notifications_queue_capacity{[[prometheus]]}[[[rate]]])"
        ),
        for_="15m",
        summary="Prometheus' alert queue to Alertmanager filling up",
        description=(
            "At the rate of the last [[rate]], Prometheus' queue of alerts for Alertmanager "
            "({{ $labels.environment }}) will hold {{ $value | printf \"%.0f\" }} alerts in 30m, more than its "
            "capacity, for [[for]]: once full, alerts are dropped."
        ),
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
    Alert(
        name="ExporterCollectorFailing",
        severity="warning",
        service="{{ $labels.service }}",
        expr=(
            "(\n  max by (job, instance, service, environment, collector) "
            "(pg_scrape_collector_success{[[postgres_exporter]]}) == 0\n  or\n"
            "  label_replace(max by (job, instance, service, environment) "
            '(pg_exporter_last_scrape_error{[[postgres_exporter]]}) > 0, "collector", "default queries", "", "")\n'
            ")\nunless on (job, instance, environment)\n"
            "max by (job, instance, environment) (pg_up{[[postgres_exporter]]}) == 0\nor\n"
            "max by (job, instance, service, environment, collector) "
            f'(node_scrape_collector_success{{[[node_exporter]], collector=~"{"|".join(NODE_COLLECTORS_READ)}"}}) == 0'
        ),
        for_="15m",
        summary="{{ $labels.job }} collector {{ $labels.collector }} failing",
        description=(
            "The {{ $labels.collector }} collector of {{ $labels.instance }} (job {{ $labels.job }}, "
            "{{ $labels.environment }}) has failed every scrape for [[for]] while the exporter answers: the "
            "series it reports are missing, and the alerts built on them cannot fire."
        ),
        identity=("job", "instance", "collector"),
    ),
    Alert(
        name="ApiDiscoveryFailing",
        severity="warning",
        service="prometheus",
        expr=(
            "rate(prometheus_sd_dns_lookup_failures_total{[[prometheus]]}[[[rate]]])\n/\n"
            "rate(prometheus_sd_dns_lookups_total{[[prometheus]]}[[[rate]]])\n> [[threshold]]\nor\n"
            "increase(prometheus_sd_dns_lookups_total{[[prometheus]]}[[[rate]]]) == 0\nand\n"
            "prometheus_sd_dns_lookups_total{[[prometheus]]} > 0"
        ),
        for_="10m",
        summary="DNS discovery of the API replicas failing",
        description=(
            "{{ if eq $value 0.0 }}Prometheus ({{ $labels.environment }}) has made no DNS lookup for the API "
            "replicas over the last [[rate]]{{ else }}{{ $value | humanizePercentage }} of the DNS lookups "
            "Prometheus ({{ $labels.environment }}) made for the API replicas over the last [[rate]] failed "
            "(threshold [[threshold_pct]]){{ end }}, for [[for]]: it scrapes the replicas it found before, so a "
            "replica added or moved since is not watched and one removed since reads as down."
        ),
        threshold=0.5,
        threshold_kind="ratio",
        direction="above",
    ),
)
