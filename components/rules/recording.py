"""Recording rules: the series several alerts and the custom dashboard read, computed once.

Names follow the Prometheus naming practice ``level:metric:operations`` (``job:http_requests:rate5m``);
the window in a name is the stack's ``rules.rateInterval``.  Each area's recording rules come first in
its rule group, so the alerts after them read values of the same evaluation.  Alerts name them with
``[[rate]]`` in the name (``job:http_requests_5xx:ratio_rate[[rate]]``); the dashboard through
``series``.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.rules.selectors import API, API_NO_HEALTH, BY_API, BY_PG, SEL_POSTGRES


@dataclass(frozen=True)
class Recording:
    """One recording rule; ``[[rate]]`` in ``name`` and ``expr`` is the stack's rate window."""

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
    Recording(API_REQUESTS, "api",
              f"sum by ({BY_API}) (rate(http_requests_total{{{API_NO_HEALTH}}}[[[rate]]]))",
              "API requests per second, /health excluded"),
    Recording(API_5XX, "api",
              f'sum by ({BY_API}) (rate(http_requests_total{{{API_NO_HEALTH}, status_code=~"5.."}}[[[rate]]]))\n'
              f"or\n0 * {API_REQUESTS}",
              "API 5xx responses per second, /health excluded (0 while the API answers without a 5xx: the "
              "counter of a status code has no series until it is first seen)"),
    Recording(API_5XX_RATIO, "api", f"{API_5XX}\n/\n({API_REQUESTS} > 0)",
              "share of API responses that are 5xx, /health excluded (0 without a 5xx, no value without "
              "traffic or while the API is down)"),
    Recording(API_LATENCY_BUCKETS, "api",
              f"sum by ({BY_API}, le) (rate(http_request_duration_seconds_bucket{{{API_NO_HEALTH}}}[[[rate]]]))",
              "API response-time histogram buckets per second, /health excluded (histogram_quantile reads it)"),
    Recording(DB_CONNECTIONS_RATIO, "database",
              f"sum by ({BY_PG}) (pg_stat_activity_count{{{SEL_POSTGRES}}})\n/ on ({BY_PG})\n"
              f"max by ({BY_PG}) (pg_settings_max_connections{{{SEL_POSTGRES}}})",
              "share of max_connections in use, idle connections included"),
    Recording(CACHE_HIT_RATIO, "cache",
              f"sum by ({BY_API}, cache_type) (rate(cache_hits_total{{{API}}}[[[rate]]]))\n/\n(\n"
              f"  sum by ({BY_API}, cache_type) (rate(cache_hits_total{{{API}}}[[[rate]]]))\n  +\n"
              f"  sum by ({BY_API}, cache_type) (rate(cache_misses_total{{{API}}}[[[rate]]]))\n  > 0\n)",
              "share of the API's cache lookups that hit, per cache (no value without lookups, never NaN)"),
)


def series(name: str, rate_interval: str) -> str:
    """The recorded series' name in a stack whose rate window is ``rate_interval``."""
    return name.replace("[[rate]]", rate_interval)
