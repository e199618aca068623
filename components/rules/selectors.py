"""Label selectors and groupings shared by the alerts, the recording rules and the custom dashboard.

Built from the container records (each owns its job and selector) and the jobs without a container
(``components/prometheus/jobs.py``), never from job names written as text.
"""

from __future__ import annotations

from components.containers import alertmanager, cadvisor, node_exporter, postgres_exporter, prometheus, redis_exporter
from components.prometheus import jobs

API = f'job="{jobs.API}"'
SEL_POSTGRES = postgres_exporter.RECORD.selector
SEL_REDIS = redis_exporter.RECORD.selector
SEL_NODE = node_exporter.RECORD.selector
SEL_CADVISOR = cadvisor.RECORD.selector
SEL_PROMETHEUS = prometheus.RECORD.selector
SEL_ALERTMANAGER = alertmanager.RECORD.selector
SEL_WEB = f'job="{jobs.WEB}"'
SEL_PROBES = f'job="{jobs.PROBES}"'
API_NO_HEALTH = f'{API}, route!="/health"'
HEALTH = f'{SEL_PROBES}, service="api", instance=~".*/api/health"'
"""The plain probes of /api/health (module http_2xx or https_2xx: only 200 passes)."""
HEALTH_VERDICT = f"probe_http_status_code{{{HEALTH}}} != 200 > 0"
"""/api/health answered, with another status than 200: the API's own verdict (503 = degraded)."""
FS = f'{SEL_NODE}, fstype!~"tmpfs|ramfs|squashfs|nsfs|overlay|fuse.lxcfs"'
BY_API = "job, environment"
BY_PG = "job, instance, environment"
