"""VictoriaMetrics single-node: one half of a multi-host stack's long-term view (role ``store``).

Both Prometheus replicas remote-write to every store; each store keeps one sample per series and scrape interval
(``-dedup.minScrapeInterval``), so the two replicas' identical series become one and the view has no gap while
either replica is down.  It serves HTTPS with the host's certificate and the stack's credential on the host's
address (every path but ``/health``), and plain HTTP on loopback inside its container for the healthcheck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import SECRETS_DIR, Container, Healthcheck, Runtime, ScrapeJob, SecretFile
from components.hosts.tls import CERT_FILE, KEY_FILE, host_tls_files
from components.secret_keys import WEB_AUTH_PASSWORD

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings, StoreSettings

CONFIG_DIR = "/etc/victoria-metrics"
PASSWORD_FILE = f"{SECRETS_DIR}/store-password"
PORT = 8428
"""HTTPS with the stack's credential, published on the host's address."""
HEALTH_PORT = 8429
"""Plain HTTP on the container's loopback only: the healthcheck (busybox wget speaks no client certificates)."""
IN_MEMORY_FLUSH = "1s"
"""How long recent samples may sit in memory only (default 5s): a store killed uncleanly loses at most this much,
which the other store holds."""


def runtime(store: StoreSettings, context: StackContext, *, host: HostSettings, scrape_interval: str,
            user: str) -> Runtime:
    """``scrape_interval``: the replicas' (``prometheus.scrapeInterval``), the deduplication window; ``user``: the
    stack's credential (``webAuth.user``), the password read from a file."""
    tls = host_tls_files(CONFIG_DIR, host.name)
    return Runtime(
        command=[
            "-storageDataPath=/storage",
            f"-retentionPeriod={store.retention}",
            f"-dedup.minScrapeInterval={scrape_interval}",
            f"-inmemoryDataFlushInterval={IN_MEMORY_FLUSH}",
            f"-httpListenAddr=:{PORT}", f"-httpListenAddr=127.0.0.1:{HEALTH_PORT}", "-tls=true,false",
            f"-tlsCertFile={CONFIG_DIR}/{CERT_FILE}", f"-tlsKeyFile={CONFIG_DIR}/{KEY_FILE}",
            f"-httpAuth.username={user}", f"-httpAuth.password=file://{PASSWORD_FILE}",
        ],
        secret_uploads={**tls, PASSWORD_FILE: SecretFile(WEB_AUTH_PASSWORD.key)},
        volumes={"victoria-metrics-data": "/storage"},
        publish=((host.address, PORT, PORT),),
    )


RECORD = Container(
    name="victoria-metrics",
    description="keeps the deduplicated long-term view, written by both Prometheus replicas (multi-host stacks)",
    image="victoriametrics/victoria-metrics:v1.151.0",
    port=PORT,
    memory_mb=1024,
    healthcheck=Healthcheck("/health", port=HEALTH_PORT),
    scrape=ScrapeJob("victoria-metrics", "victoria-metrics"),
    user="",  # the image sets no USER: root
)
