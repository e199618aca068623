"""The jobs without a container of the stack: the ``job`` label of the API, the web probe and the blackbox probes.

Today's names, so existing queries keep working.  Every container names the job that scrapes it in its own
record (``components/containers/<name>.py``, ``ScrapeJob``).
"""

API = "internet-id-api"
WEB = "internet-id-web"
PROBES = "blackbox"
