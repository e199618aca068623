"""Label selectors and groupings shared by the alerts, the recording rules and the custom dashboard.

Built from the job constants (``components/prometheus/jobs.py``), never from job names written as text.
"""

from __future__ import annotations

from components.prometheus import jobs

API = f'job="{jobs.API}"'
SEL_POSTGRES = f'job="{jobs.POSTGRES}"'
SEL_REDIS = f'job="{jobs.REDIS}"'
SEL_NODE = f'job="{jobs.NODE}"'
SEL_CADVISOR = f'job="{jobs.CADVISOR}"'
SEL_PROMETHEUS = f'job="{jobs.PROMETHEUS}"'
SEL_ALERTMANAGER = f'job="{jobs.ALERTMANAGER}"'
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
