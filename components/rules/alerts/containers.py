"""Containers on the Docker host (cAdvisor): memory against its limit (every container but the API's), and the app's
containers restarting in a loop.

cAdvisor 0.47 counts no restarts: ``container_start_time_seconds`` is Docker's ``Created`` (unchanged by a restart in
place) and ``container_oom_events_total`` needs ``/dev/kmsg`` and dies with the container's cgroup.  A restart in
place (Docker's restart policy after a crash or an OOM kill, ``docker restart``) keeps the container's id, so its
series, while its re-created cgroup counts CPU from zero again: a reset of that counter.  A deploy replaces the
container (a new id, a new series): no reset.
"""

from __future__ import annotations

from components.rules.model import Alert, area

AREA = area(
    "containers",
    Alert(
        name="ContainerMemoryNearLimit",
        severity="warning",
        service="containers",
        expr=(
            "max by (job, instance, environment, name) "
            '(container_memory_working_set_bytes{[[cadvisor]], name!="", name!~"[[api_containers]]"})\n'
            "/ on (job, instance, environment, name)\n"
            "max by (job, instance, environment, name) "
            '(container_spec_memory_limit_bytes{[[cadvisor]], name!="", name!~"[[api_containers]]"} > 0)\n'
            "> [[threshold]]"
        ),
        for_="10m",
        summary="Container {{ $labels.name }} near its memory limit",
        description=(
            "Container {{ $labels.name }} in {{ $labels.environment }} uses {{ $value | humanizePercentage }} "
            "of its memory limit (threshold [[threshold_pct]]); at 100% the kernel OOM-kills it."
        ),
        threshold=0.9,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="ContainerRestarting",
        severity="critical",
        service="{{ $labels.service }}",
        expr=(
            "max by (job, instance, environment, name) (\n"
            '  resets(container_cpu_usage_seconds_total{[[cadvisor]], name=~"[[app_containers]]"}[[[restart_window]]])'
            "\n)\n> [[threshold]]"
        ),
        for_="0m",
        summary="Container {{ $labels.name }} restarting in a loop",
        description=(
            "Container {{ $labels.name }} ({{ $labels.service }}, {{ $labels.environment }}) was restarted in place "
            "{{ $value }} times over the last [[restart_window]] (threshold [[threshold]]): a crash or OOM-kill "
            "loop that Docker's restart policy keeps alive. HostOomKills says whether the kernel killed it."
        ),
        threshold=2,
        threshold_kind="count",
        direction="above",
        identity=("job", "instance", "name"),
        service_from_name=True,
    ),
)
