"""Redis and the API's caches: up, hit rate, memory, evictions, clients, persistence.

Internet-ID's queues (BullMQ) keep job state in Redis: an evicted key is lost work, not a cache miss, and a Redis
that refuses writes stops every job from being queued.  Metric names are redis_exporter 1.55's (1.45's alike).
"""

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
    Alert(
        name="RedisEvictingKeys",
        severity="warning",
        service="cache",
        expr="increase(redis_evicted_keys_total{[[redis_exporter]]}[[[rate]]]) > [[threshold]]",
        for_="0m",
        summary="Redis evicts keys",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) evicted {{ $value | printf \"%.0f\" }} keys "
            "over the last [[rate]]: it is at maxmemory with an evicting policy, and BullMQ job state is lost, "
            "not cached."
        ),
        threshold=0,
        threshold_kind="nonnegative",
        direction="above",
    ),
    Alert(
        name="RedisClientsNearMaxclients",
        severity="warning",
        service="cache",
        expr=(
            "redis_connected_clients{[[redis_exporter]]}\n/\nredis_config_maxclients{[[redis_exporter]]}\n"
            "> [[threshold]]"
        ),
        for_="5m",
        summary="Redis clients above [[threshold_pct]] of maxclients",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) has {{ $value | humanizePercentage }} of "
            "maxclients connected (threshold [[threshold_pct]]), for [[for]]: at 100% it refuses new connections."
        ),
        threshold=0.8,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="RedisPersistenceFailing",
        severity="critical",
        service="cache",
        expr=(
            'label_replace(redis_rdb_last_bgsave_status{[[redis_exporter]]} == 0, "persistence", "rdb", "", "")\n'
            "or\n"
            'label_replace(redis_aof_last_write_status{[[redis_exporter]]} == 0, "persistence", "aof", "", "")'
        ),
        for_="2m",
        summary="Redis {{ $labels.persistence }} persistence failing",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) failed its last "
            '{{ if eq $labels.persistence "rdb" }}background save (RDB){{ else }}append-only-file write{{ end }} '
            "and has not succeeded since, for [[for]]: with its defaults it now refuses writes (MISCONF), so jobs "
            "cannot be queued."
        ),
        identity=("job", "instance", "persistence"),
    ),
    Alert(
        name="RedisMemoryHighWithoutMaxmemory",
        severity="warning",
        service="cache",
        expr=(
            "redis_memory_used_bytes{[[redis_exporter]]}\n/\nredis_total_system_memory_bytes{[[redis_exporter]]}\n"
            "> [[threshold]]\nand on (job, instance, environment)\nredis_memory_max_bytes{[[redis_exporter]]} == 0"
        ),
        for_="15m",
        summary="Redis without maxmemory uses {{ $value | humanizePercentage }} of the host's memory",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) has no maxmemory and uses "
            "{{ $value | humanizePercentage }} of the host's memory (threshold [[threshold_pct]]), for [[for]]: "
            "nothing stops it before the kernel OOM-kills it or a neighbour."
        ),
        threshold=0.25,
        threshold_kind="ratio",
        direction="above",
    ),
    Alert(
        name="RedisMaxmemoryPolicyEvicts",
        severity="info",
        service="cache",
        expr=(
            "max by (job, instance, environment, maxmemory_policy) "
            '(redis_instance_info{[[redis_exporter]], maxmemory_policy!="noeviction"})\n'
            "and on (job, instance, environment)\nredis_memory_max_bytes{[[redis_exporter]]} > 0"
        ),
        for_="10m",
        summary="Redis would evict job state ({{ $labels.maxmemory_policy }})",
        description=(
            "Redis ({{ $labels.instance }}, {{ $labels.environment }}) has a maxmemory and the eviction policy "
            "{{ $labels.maxmemory_policy }}: at the limit it deletes keys, BullMQ's queues included. BullMQ needs "
            "noeviction (writes then fail loudly instead)."
        ),
    ),
)
