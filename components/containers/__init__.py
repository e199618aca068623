"""The running components of the stack, one module each (its record), listed in ``records.py``.

A record (``model.Container``) holds every fact of one component: its pinned image, port, memory
default, healthcheck, networks and why, host access, the job that scrapes it and the selector of its
series.  The container specs (``specs.py``), the scrape jobs (``prometheus/scrape_jobs.py``), the rules'
selectors, Grafana's datasource URLs, TargetDown, ``versions.IMAGES`` and the README's "What runs"
table are derived from these records.
"""
