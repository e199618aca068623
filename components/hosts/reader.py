"""vmauth's configuration on Grafana's host of a multi-host stack: who may read, and from where.

One user, the stack's credential, which vmauth also passes on to the stores and peers (they require the same one).
Its own host's store and Alertmanager peer come first (``first_available``): another host lost is never on the
read path; its own store down, reads go to the other store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components import yamltext
from components.containers import alertmanager, grafana, victoria_metrics
from components.containers.vmauth import CONFIG_DIR
from components.hosts.tls import CA_FILE

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings

ALERTMANAGER_PATH = "/alertmanager"
"""Grafana's Alertmanager datasource reads the peers below this path."""
GRAFANA_METRICS_PATH = "/grafana/metrics"
"""The Prometheus replicas scrape Grafana (published on loopback only) through this path."""
RETRY_STATUS_CODES = [502, 503, 504]
"""A backend answering these (or not answering) sends the request to the next one."""


def local_first(hosts: tuple[HostSettings, ...], here: HostSettings) -> list[HostSettings]:
    """``hosts`` with ``here`` first when it is one of them."""
    return sorted(hosts, key=lambda host: host.name != here.name)


def render_reader_config(context: StackContext, here: HostSettings, *, user: str, password: str) -> str:
    """vmauth.yml on Grafana's host ``here`` (a credential file: it holds the password)."""
    stores = [f"https://{h.address}:{victoria_metrics.PORT}/" for h in local_first(context.with_role("store"), here)]
    peers = [f"https://{h.address}:{alertmanager.RECORD.port}/"
             for h in local_first(context.with_role("alertmanager"), here)]
    backends: dict[str, Any] = {"load_balancing_policy": "first_available", "retry_status_codes": RETRY_STATUS_CODES}
    document = {"users": [{
        "username": user,
        "password": password,
        "url_map": [
            {"src_paths": [f"{ALERTMANAGER_PATH}/.*"], "url_prefix": peers, "drop_src_path_prefix_parts": 1,
             **backends},
            {"src_paths": [GRAFANA_METRICS_PATH], "drop_src_path_prefix_parts": 1,
             "url_prefix": f"http://{context.container_name(grafana.RECORD.name)}:{grafana.RECORD.port}/"},
        ],
        "url_prefix": stores,
        **backends,
        "tls_ca_file": f"{CONFIG_DIR}/{CA_FILE}",
    }]}
    return yamltext.dump(document, header=f"{context.rendered_by}: who reads the long-term view through vmauth "
                                          "(a credential file).")
