"""Recording rules: the series several alerts and the custom dashboard read, computed once.

Names follow the Prometheus naming practice ``level:metric:operations`` (``job:http_requests:rate5m``);
the window in a name is the stack's ``rules.rateInterval``.  Each area's recording rules come first in
its rule group, so the alerts after them read values of the same evaluation.  Alerts name a recorded series by
its token (``[[api_5xx_ratio]]``, ``vocabulary.TOKENS``); the dashboard through ``series``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recording:
    """One recording rule; ``name`` and ``expr`` are templates (``[[rate]]`` is the stack's rate window)."""

    token: str
    """How alerts name the series (``[[<token>]]``)."""
    name: str
    area: str
    expr: str
    help: str
    """What the series is, for the runbook and the dashboard's panel descriptions."""


API_REQUESTS = "job:http_requests:rate[[rate]]"
API_5XX = "job:http_requests_5xx:rate[[rate]]"
API_5XX_RATIO = "job:http_requests_5xx:ratio_rate[[rate]]"
API_LATENCY_BUCKETS = "job_le:http_request_duration_seconds_bucket:rate[[rate]]"
DB_CONNECTIONS_RATIO = "instance:pg_connections:ratio"
CACHE_HIT_RATIO = "job_cache_type:cache_hits:ratio_rate[[rate]]"

RECORDINGS: tuple[Recording, ...] = (
    Recording("api_requests", API_REQUESTS, "api",
              "sum by ([[by_api]]) (rate(http_requests_total{[[api_no_health]]}[[[rate]]]))",
              "API requests per second, /health excluded"),
    Recording("api_5xx", API_5XX, "api",
              'sum by ([[by_api]]) (rate(http_requests_total{[[api_no_health]], status_code=~"5.."}[[[rate]]]))\n'
              "or\n0 * [[api_requests]]",
              "API 5xx responses per second, /health excluded (0 while the API answers without a 5xx: the "
              "counter of a status code has no series until it is first seen)"),
    Recording("api_5xx_ratio", API_5XX_RATIO, "api", "[[api_5xx]]\n/\n([[api_requests]] > 0)",
              "share of API responses that are 5xx, /health excluded (0 without a 5xx, no value without "
              "traffic or while the API is down)"),
    Recording("api_latency_buckets", API_LATENCY_BUCKETS, "api",
              "sum by ([[by_api]], le) (rate(http_request_duration_seconds_bucket{[[api_no_health]]}[[[rate]]]))",
              "API response-time histogram buckets per second, /health excluded (histogram_quantile reads it)"),
    Recording("db_connections_ratio", DB_CONNECTIONS_RATIO, "database",
              "sum by ([[by_pg]]) (pg_stat_activity_count{[[postgres_exporter]]})\n/ on ([[by_pg]])\n(\n"
              "  max by ([[by_pg]]) (pg_settings_max_connections{[[postgres_exporter]]})\n"
              + "".join(f"  - on ([[by_pg]])\n  (max by ([[by_pg]]) ({setting}{{[[postgres_exporter]]}}) "
                        "or 0 * max by ([[by_pg]]) (pg_settings_max_connections{[[postgres_exporter]]}))\n"
                        for setting in ("pg_settings_superuser_reserved_connections",
                                        "pg_settings_reserved_connections"))
              + ")",
              "share of the connections open to ordinary roles in use (max_connections less "
              "superuser_reserved_connections and PostgreSQL 16's reserved_connections), idle connections included"),
    Recording("cache_hit_ratio", CACHE_HIT_RATIO, "cache",
              "sum by ([[by_api]], cache_type) (rate(cache_hits_total{[[api]]}[[[rate]]]))\n/\n(\n"
              "  sum by ([[by_api]], cache_type) (rate(cache_hits_total{[[api]]}[[[rate]]]))\n  +\n"
              "  sum by ([[by_api]], cache_type) (rate(cache_misses_total{[[api]]}[[[rate]]]))\n  > 0\n)",
              "share of the API's cache lookups that hit, per cache (no value without lookups, never NaN)"),
)


def series(name: str, rate_interval: str) -> str:
    """The recorded series' name in a stack whose rate window is ``rate_interval``."""
    return name.replace("[[rate]]", rate_interval)
