"""The Docker host (node_exporter): filesystems filling up (space and inodes), memory, OOM kills, CPU saturation and
the clock.

One disk holds PostgreSQL (data and WAL), Redis' dumps, Prometheus' TSDB and every container's log: the space tiers
are judged for that disk.
"""

from __future__ import annotations

from components.rules.model import Alert, Tier, area

FILLING_UP = Alert(
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
)

INODES = "node_filesystem_files_free{[[fs]]} / node_filesystem_files{[[fs]]} < [[threshold]]"
"""A filesystem without inode counts (btrfs reports 0 of 0) divides to NaN: never below a threshold."""

AREA = area(
    "host",
    Tier(
        FILLING_UP,
        Alert(
            name="HostFilesystemAlmostFull",
            severity="critical",
            service="system",
            expr=(
                "node_filesystem_avail_bytes{[[fs]]} / node_filesystem_size_bytes{[[fs]]} < [[threshold]]\n"
                "and\nnode_filesystem_readonly{[[fs]]} == 0"
            ),
            for_="5m",
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
    Tier(
        FILLING_UP,
        Alert(
            name="HostFilesystemFillingUpFast",
            severity="critical",
            service="system",
            expr=(
                "node_filesystem_avail_bytes{[[fs]]} / node_filesystem_size_bytes{[[fs]]} < [[threshold]]\n"
                "and\npredict_linear(node_filesystem_avail_bytes{[[fs]]}[1h], 4 * 3600) < 0\n"
                "and\nnode_filesystem_readonly{[[fs]]} == 0"
            ),
            for_="15m",
            summary="Filesystem {{ $labels.mountpoint }} predicted to fill up within 4 hours",
            description=(
                "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has "
                "{{ $value | humanizePercentage }} of its space left and, at the rate of the last hour, fills up "
                "within 4 hours (threshold [[threshold_pct]])."
            ),
            threshold=0.2,
            threshold_kind="ratio",
            direction="below",
            identity=("job", "instance", "mountpoint"),
        ),
    ),
    Tier(
        Alert(
            name="HostInodesFillingUp",
            severity="warning",
            service="system",
            expr=(
                f"{INODES}\nand\npredict_linear(node_filesystem_files_free{{[[fs]]}}[6h], 24 * 3600) < 0\n"
                "and\nnode_filesystem_readonly{[[fs]]} == 0"
            ),
            for_="1h",
            summary="Filesystem {{ $labels.mountpoint }} predicted to run out of inodes within 24 hours",
            description=(
                "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has "
                "{{ $value | humanizePercentage }} of its inodes left and, at the rate of the last 6 hours, runs out "
                "within 24 hours (threshold [[threshold_pct]]): then no file can be created although space is left."
            ),
            threshold=0.4,
            threshold_kind="ratio",
            direction="below",
            identity=("job", "instance", "mountpoint"),
        ),
        Alert(
            name="HostInodesAlmostExhausted",
            severity="critical",
            service="system",
            expr=f"{INODES}\nand\nnode_filesystem_readonly{{[[fs]]}} == 0",
            for_="10m",
            summary="Filesystem {{ $labels.mountpoint }} almost out of inodes",
            description=(
                "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has only "
                "{{ $value | humanizePercentage }} of its inodes left (threshold [[threshold_pct]]): PostgreSQL, "
                "Redis, Prometheus and Docker fail to create files."
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
        name="HostOomKills",
        severity="warning",
        service="system",
        expr="increase(node_vmstat_oom_kill{[[node_exporter]]}[[[restart_window]]]) > [[threshold]]",
        for_="0m",
        summary="The kernel OOM-killed processes on {{ $labels.instance }}",
        description=(
            "The kernel of {{ $labels.instance }} ({{ $labels.environment }}) killed "
            "{{ $value | printf \"%.0f\" }} process(es) for lack of memory over the last [[restart_window]] "
            "(a container at its memory limit, or the host out of memory)."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
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
    Alert(
        name="HostClockNotSynchronising",
        severity="warning",
        service="system",
        expr=(
            "min_over_time(node_timex_sync_status{[[node_exporter]]}[[[rate]]]) == 0\nand\n"
            "node_timex_maxerror_seconds{[[node_exporter]]} >= 16"
        ),
        for_="10m",
        summary="Clock of {{ $labels.instance }} not synchronising",
        description=(
            "The kernel of {{ $labels.instance }} ({{ $labels.environment }}) reports its clock unsynchronised, "
            "with the maximum error at its 16 s cap: no NTP daemon has disciplined it for about 9 hours, and it "
            "drifts."
        ),
    ),
    Alert(
        name="HostClockSkew",
        severity="warning",
        service="system",
        expr=(
            "node_timex_offset_seconds{[[node_exporter]]} > [[threshold]]\nand\n"
            "deriv(node_timex_offset_seconds{[[node_exporter]]}[[[rate]]]) >= 0\nor\n"
            "node_timex_offset_seconds{[[node_exporter]]} < -[[threshold]]\nand\n"
            "deriv(node_timex_offset_seconds{[[node_exporter]]}[[[rate]]]) <= 0"
        ),
        for_="10m",
        summary="Clock of {{ $labels.instance }} off by more than [[threshold]]s",
        description=(
            "The NTP daemon of {{ $labels.instance }} ({{ $labels.environment }}) measures the clock "
            "{{ $value | humanizeDuration }} off its time source, and the offset is not shrinking "
            "(threshold [[threshold]]s)."
        ),
        threshold=0.05,
        threshold_kind="seconds",
        direction="above",
    ),
)
