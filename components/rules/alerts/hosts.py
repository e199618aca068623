"""A stack over several hosts (rendered only with ``hosts``): a host lost, a Prometheus replica down, the
Alertmanager cluster short of peers, remote write to the long-term stores failing or lagging, a store down, no
store left.

Both replicas evaluate every rule and their alerts leave without the ``replica`` label, so one condition is one
alert in Alertmanager and one page.  Every target carries its ``host``: while HostDown fires, Alertmanager mutes
every other alert of that host (``alertmanager/inhibitions.py``), so a lost host pages once.
"""

from __future__ import annotations

from components.rules.model import Alert, area

HOST_DOWN = "HostDown"

AREA = area(
    "hosts",
    Alert(
        name=HOST_DOWN,
        severity="critical",
        service="host",
        expr="max by (host, environment) (up{[[host_agents]]}) == 0",
        for_="1m",
        summary="Host {{ $labels.host }} lost",
        description=(
            "Neither node-exporter nor cAdvisor on host {{ $labels.host }} ({{ $labels.environment }}) has answered a "
            "scrape of any Prometheus replica for [[for]]: the host, its Docker engine or its link is gone. Every "
            "other alert of that host is muted while this one fires; the others keep paging."
        ),
        identity=("host",),
    ),
    Alert(
        name="PrometheusReplicaDown",
        severity="warning",
        service="prometheus",
        expr="up{[[prometheus]]} == 0",
        for_="2m",
        summary="Prometheus replica on {{ $labels.host }} down",
        description=(
            "The Prometheus replica on {{ $labels.host }} ({{ $labels.environment }}) has not answered the other "
            "replica's scrapes for [[for]]: alerts and the long-term view rest on one replica."
        ),
        identity=("host",),
    ),
    Alert(
        name="AlertmanagerClusterDegraded",
        severity="warning",
        service="alertmanager",
        expr=(
            "min by (environment) (alertmanager_cluster_members{[[alertmanager]]}) < [[alertmanager_peers]]\n"
            "or\ncount by (environment) (up{[[alertmanager]]} == 1) < [[alertmanager_peers]]"
        ),
        for_="5m",
        summary="Alertmanager cluster has {{ $value }} of [[alertmanager_peers]] peers",
        description=(
            "An Alertmanager peer of {{ $labels.environment }} sees {{ $value }} members, or only {{ $value }} peers "
            "answer scrapes, of [[alertmanager_peers]] for [[for]]. A peer that is up but outside the cluster still "
            "reports ready, so this counts members: a peer advertising an address the others cannot reach, or one "
            "gone, leaves fewer peers to page through."
        ),
    ),
    Alert(
        name="RemoteWriteFailing",
        severity="warning",
        service="prometheus",
        expr="rate(prometheus_remote_storage_samples_failed_total{[[prometheus]]}[[[rate]]]) > 0",
        for_="5m",
        summary="Prometheus on {{ $labels.host }} fails to write to store {{ $labels.remote_name }}",
        description=(
            "The Prometheus replica on {{ $labels.host }} ({{ $labels.environment }}) had {{ $value | humanize }} "
            "samples per second refused by store {{ $labels.remote_name }} over the last [[rate]]; they are lost "
            "there (the other store still gets them)."
        ),
        identity=("host", "remote_name"),
    ),
    Alert(
        name="RemoteWriteLagging",
        severity="warning",
        service="prometheus",
        expr=(
            "prometheus_remote_storage_highest_timestamp_in_seconds{[[prometheus]]}\n"
            "- ignoring(remote_name, url) group_right\n"
            "prometheus_remote_storage_queue_highest_sent_timestamp_seconds{[[prometheus]]}\n"
            "> [[threshold]]"
        ),
        for_="5m",
        summary="Prometheus on {{ $labels.host }} is {{ $value | humanizeDuration }} behind writing to store "
                "{{ $labels.remote_name }}",
        description=(
            "The Prometheus replica on {{ $labels.host }} ({{ $labels.environment }}) has sent store "
            "{{ $labels.remote_name }} nothing newer than {{ $value | humanizeDuration }} ago (threshold "
            "[[threshold]]s) for [[for]]: the store or its link is gone or too slow. Prometheus keeps about two hours "
            "to resend; beyond that the store's copy has a gap."
        ),
        threshold=120,
        threshold_kind="seconds",
        direction="above",
        identity=("host", "remote_name"),
    ),
    Alert(
        name="StoreDown",
        severity="warning",
        service="victoria-metrics",
        expr="up{[[victoria_metrics]]} == 0",
        for_="2m",
        summary="Long-term store on {{ $labels.host }} down",
        description=(
            "VictoriaMetrics on {{ $labels.host }} ({{ $labels.environment }}) has not answered for [[for]]; "
            "dashboards read the other store, which both replicas keep writing."
        ),
        identity=("host",),
    ),
    Alert(
        name="LongTermViewDown",
        severity="critical",
        service="victoria-metrics",
        expr="max by (environment) (up{[[victoria_metrics]]}) == 0",
        for_="5m",
        summary="No long-term store answers",
        description=(
            "No VictoriaMetrics store of {{ $labels.environment }} has answered for [[for]]: dashboards have no data "
            "and the replicas buffer what they cannot write (about two hours) before it is lost."
        ),
    ),
)
