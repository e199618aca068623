"""Redis and the API's caches: up, hit rate, memory against maxmemory, rejected connections."""

from __future__ import annotations

from components.rules.model import Alert, Flapping, area

AREA = area(
    "cache",
    Alert(
        name="RedisDown",
        severity="warning",
        service="cache",
        expr="redis_up{[[redis_exporter]]} == 0",
        for_="2m",
        summary="Redis down",
        description=(
            "redis_exporter ({{ $labels.instance }}) has not been able to reach Redis in "
            "{{ $labels.environment }} for [[for]] (redis_up == 0)."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state="redis_up{[[redis_exporter]]}", subject="Redis behind {{ $labels.instance }}"),
    ),
    Alert(
        name="LowCacheHitRate",
        severity="info",
        service="cache",
        expr="[[cache_hit_ratio]]\n< [[threshold]]",
        for_="10m",
        summary="Low hit rate of cache {{ $labels.cache_type }}",
        description=(
            "Only {{ $value | humanizePercentage }} of lookups in cache {{ $labels.cache_type }} "
            "({{ $labels.environment }}) hit over the last [[rate]] (threshold [[threshold_pct]])."
        ),
        threshold=0.5,
        threshold_kind="ratio",
        direction="below",
    ),
    Alert(
        name="RedisMemoryNearMaxmemory",
        severity="warning",
        service="cache",
        expr=(
            "redis_memory_used_bytes{[[redis_exporter]]}\n/\n(redis_memory_max_bytes{[[redis_exporter]]} > 0)\n"
            "> [[threshold]]"
        ),
        for_="5m",
        summary="Redis memory above [[threshold_pct]] of maxmemory",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) uses {{ $value | humanizePercentage }} "
            "of maxmemory (threshold [[threshold_pct]]); at 100% it evicts keys or rejects writes."
        ),
        threshold=0.9,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="RedisRejectedConnections",
        severity="warning",
        service="cache",
        expr="increase(redis_rejected_connections_total{[[redis_exporter]]}[[[rate]]]) > [[threshold]]",
        for_="0m",
        summary="Redis rejects connections",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) rejected {{ $value | humanize }} "
            "connections over the last [[rate]]: maxclients is reached."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
)
