"""The Docker host (node_exporter): filesystems filling up, memory, CPU saturation."""

from __future__ import annotations

from components.rules.model import Alert, Tier, area

AREA = area(
    "host",
    Tier(
        Alert(
            name="HostFilesystemFillingUp",
            severity="warning",
            service="system",
            expr=(
                "node_filesystem_avail_bytes{[[fs]]} / node_filesystem_size_bytes{[[fs]]} < [[threshold]]\n"
                "and\npredict_linear(node_filesystem_avail_bytes{[[fs]]}[6h], 24 * 3600) < 0\n"
                "and\nnode_filesystem_readonly{[[fs]]} == 0"
            ),
            for_="1h",
            summary="Filesystem {{ $labels.mountpoint }} predicted to fill up within 24 hours",
            description=(
                "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has "
                "{{ $value | humanizePercentage }} of its space left and, at the rate of the last 6 hours, "
                "fills up within 24 hours."
            ),
            threshold=0.4,
            threshold_kind="ratio",
            direction="below",
            identity=("job", "instance", "mountpoint"),
        ),
        Alert(
            name="HostFilesystemAlmostFull",
            severity="critical",
            service="system",
            expr=(
                "node_filesystem_avail_bytes{[[fs]]} / node_filesystem_size_bytes{[[fs]]} < [[threshold]]\n"
                "and\nnode_filesystem_readonly{[[fs]]} == 0"
            ),
            for_="30m",
            summary="Filesystem {{ $labels.mountpoint }} almost full",
            description=(
                "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has only "
                "{{ $value | humanizePercentage }} of its space left (threshold [[threshold_pct]])."
            ),
            threshold=0.05,
            threshold_kind="ratio",
            direction="below",
            identity=("job", "instance", "mountpoint"),
        ),
    ),
    Alert(
        name="HostMemoryLow",
        severity="warning",
        service="system",
        expr=(
            "node_memory_MemAvailable_bytes{[[node_exporter]]}\n/\n"
            "node_memory_MemTotal_bytes{[[node_exporter]]}\n< [[threshold]]"
        ),
        for_="10m",
        summary="Host {{ $labels.instance }} low on memory",
        description=(
            "Only {{ $value | humanizePercentage }} of memory is available on {{ $labels.instance }} "
            "({{ $labels.environment }}) (threshold [[threshold_pct]])."
        ),
        threshold=0.1,
        threshold_kind="ratio",
        direction="below",
    ),
    Alert(
        name="HostCpuSaturation",
        severity="warning",
        service="system",
        expr=(
            "node_load1{[[node_exporter]]}\n/ on (job, instance) group_left\n"
            'count by (job, instance) (node_cpu_seconds_total{[[node_exporter]], mode="idle"})\n> [[threshold]]'
        ),
        for_="15m",
        summary="Host {{ $labels.instance }} CPU saturated",
        description=(
            "The 1-minute load average per core on {{ $labels.instance }} ({{ $labels.environment }}) is "
            '{{ printf "%.2f" $value }} (threshold [[threshold]]): runnable tasks wait for a CPU.'
        ),
        threshold=2,
        threshold_kind="positive",
        direction="above",
    ),
)
