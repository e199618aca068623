"""The running components of the stack, one module each (its record and its runtime), listed in ``records.py``.

A record (``model.Container``) holds every fact of one component: its pinned image, port, memory
default, healthcheck, networks and why, host access, the job that scrapes it and the selector of its
series.  Its ``runtime`` computes command, environment, uploads and volumes from the component's own
settings and the stack context.  The container specs (``specs.py``), the scrape jobs
(``prometheus/scrape_jobs.py``), the rules' selectors (``rules/vocabulary.py``), TargetDown, Grafana's
datasource URLs, ``versions.IMAGES``, the image and memory-limit checks of the settings and the "What runs"
table of docs/design.md are derived from the records.

Adding an exporter takes, in the product:

- its module here: the record and its ``runtime``;
- one line in ``records.py`` (where it stands among the scrape jobs);
- one line in ``render.container_runtimes``, naming the settings its runtime reads;
- its alerts in ``rules/alerts/<area>.py`` (its series through its record's token, ``[[<name>]]``); a new
  area is a new module there and one entry in ``rules/catalogue.py``;
- its runbook sections in docs/runbook.md;
- if it has settings: their model (e.g. in ``settings.py`` here) and a field of ``StackSettings``;
- if it has a dashboard: an entry of ``grafana.communityDashboards``' defaults (``grafana/settings.py``) or a
  row of the custom dashboard (``grafana/custom_dashboard.py``).

Then regenerate docs/alerts.md (and docs/configuration.md with settings), the "What runs" table in
docs/design.md and the golden files; the tests name every container (add it to their inventories) and want
promtool cases of its alerts, and the end-to-end suite a stand-in image of it.
"""
