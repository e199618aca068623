"""vmauth: Grafana's reader of a multi-host stack's long-term view, on Grafana's host (role ``grafana``).

It sends each query to its own host's VictoriaMetrics first and to the other store only when that one fails, so
losing another host never slows a dashboard (a query to an unreachable store would wait for vmauth's fixed 30 s
dial timeout).  It also proxies Grafana's Alertmanager datasource to the peers (its own host's first), and, on
the host's address over HTTPS, the view for people and Grafana's metrics for the Prometheus replicas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.containers.model import SECRETS_DIR, Container, Healthcheck, Runtime, SecretFile
from components.hosts.tls import CERT_FILE, KEY_FILE, host_tls_files
from components.secret_keys import VMAUTH_CONFIG, WEB_AUTH_PASSWORD

if TYPE_CHECKING:
    from components.context import StackContext
    from components.hosts.settings import HostSettings, StoreSettings

CONFIG_DIR = "/etc/vmauth"
CONFIG_FILE = f"{SECRETS_DIR}/vmauth.yml"
PASSWORD_FILE = f"{SECRETS_DIR}/vmauth-password"
READ_PORT = 8427
"""HTTPS with the stack's credential, published on the host's address."""
PLAIN_PORT = 8426
"""Plain HTTP, on the host's monitoring network only: Grafana's datasources (the same host) and the healthcheck."""
FAIL_TIMEOUT = "1m"
"""How long vmauth skips a store that failed before trying it again (default 3s)."""


def runtime(store: StoreSettings, context: StackContext, *, host: HostSettings) -> Runtime:
    tls = host_tls_files(CONFIG_DIR, host.name)
    password = f"file://{PASSWORD_FILE}"
    return Runtime(
        command=[
            f"-auth.config={CONFIG_FILE}",
            f"-httpListenAddr=:{READ_PORT}", f"-httpListenAddr=:{PLAIN_PORT}", "-tls=true,false",
            f"-tlsCertFile={CONFIG_DIR}/{CERT_FILE}", f"-tlsKeyFile={CONFIG_DIR}/{KEY_FILE}",
            f"-failTimeout={FAIL_TIMEOUT}", "-loadBalancingPolicy=first_available",
            # vmauth's own pages answer only with the stack's password (as VictoriaMetrics' do with -httpAuth).
            f"-metricsAuthKey={password}", f"-flagsAuthKey={password}", f"-pprofAuthKey={password}",
        ],
        secret_uploads={**tls, CONFIG_FILE: SecretFile(VMAUTH_CONFIG.key),
                        PASSWORD_FILE: SecretFile(WEB_AUTH_PASSWORD.key)},
        publish=((host.address, READ_PORT, READ_PORT),),
    )


RECORD = Container(
    name="vmauth",
    description="Grafana's reader of the long-term view, its own host's store first (multi-host stacks)",
    image="victoriametrics/vmauth:v1.151.0",
    port=PLAIN_PORT,
    memory_mb=128,
    healthcheck=Healthcheck("/health"),
    user="",  # the image sets no USER: root
)
