"""Every container but the API's (cAdvisor): memory against its limit."""

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
)
