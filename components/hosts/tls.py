"""A host's TLS identity inside its containers: where the files go, and how the documents name them.

Every daemon of a multi-host stack that serves or calls another host gets its host's certificate and key (one
pair per host: serverAuth and clientAuth, subject alternative name = its address) and the hosts' CA as
credential files in a ``tls`` directory beside its web config, which names them relative to itself
(exporter-toolkit and Alertmanager's cluster TLS config resolve paths against the config file's directory).
"""

from __future__ import annotations

from typing import Any

from components.containers.model import SecretFile
from components.secret_keys import HOST_TLS_CA, HOST_TLS_CERT, HOST_TLS_KEY

TLS_DIR = "tls"
CA_FILE = f"{TLS_DIR}/ca.pem"
CERT_FILE = f"{TLS_DIR}/cert.pem"
KEY_FILE = f"{TLS_DIR}/key.pem"


def host_tls_files(directory: str, host: str) -> dict[str, SecretFile]:
    """Container path -> secret of ``host``'s CA, certificate and key, below ``directory``."""
    base = directory.rstrip("/")
    return {
        f"{base}/{CA_FILE}": SecretFile(HOST_TLS_CA.key),
        f"{base}/{CERT_FILE}": SecretFile(HOST_TLS_CERT.of_host(host)),
        f"{base}/{KEY_FILE}": SecretFile(HOST_TLS_KEY.of_host(host)),
    }


def server_tls(directory: str = "") -> dict[str, str]:
    """exporter-toolkit's ``tls_server_config``: the host's pair (paths relative to the config file)."""
    prefix = f"{directory.rstrip('/')}/" if directory else ""
    return {"cert_file": prefix + CERT_FILE, "key_file": prefix + KEY_FILE}


def client_tls(directory: str, *, identify: bool = False) -> dict[str, Any]:
    """A client's ``tls_config`` verifying the other host against the CA; ``identify``: it also presents the
    host's own pair (mutual TLS, for servers that require a client certificate)."""
    base = directory.rstrip("/")
    config: dict[str, Any] = {"ca_file": f"{base}/{CA_FILE}"}
    if identify:
        config.update(cert_file=f"{base}/{CERT_FILE}", key_file=f"{base}/{KEY_FILE}")
    return config


BUSYBOX_TLS_CLIENTS = {"GODEBUG": "tlssha1=1"}
"""The environment of a server the images' own busybox probes over HTTPS (healthchecks, reload jobs): busybox's TLS
1.2 sends no signature_algorithms, which Go 1.25 and later refuse unless ``tlssha1=1`` (its handshake then signs with
SHA-1 for such a client).  Clients that send the extension (every Prometheus, Alertmanager, browser, curl)
negotiate as before; servers built with an older Go ignore the setting."""
