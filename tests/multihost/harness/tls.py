"""Mutual-TLS material for one fleet run: a throwaway CA, a certificate per host and one for the client.

Made with the ``openssl`` CLI (Debian's; the project's venv has no ``cryptography``) into a private
directory of the run (mode 0700, keys 0600) and removed with it: nothing here is ever committed or
logged.  Host certificates carry both ``serverAuth`` and ``clientAuth`` so the same pair serves the
Docker API and peer-to-peer gossip (Alertmanager's ``--cluster.tls-config`` is mutual).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"
"""Validity of every certificate: one run, with slack for a clock that moves."""
CURVE = "prime256v1"


class TlsError(RuntimeError):
    """The material cannot be made; the message is one line naming the fix."""


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its key, plus the CA that signed it (paths)."""

    cert: Path
    key: Path
    ca: Path

    def docker_cert_path(self) -> Path:
        """The directory the docker CLI reads with ``DOCKER_CERT_PATH`` (ca.pem, cert.pem, key.pem)."""
        return self.cert.parent


def _openssl(*args: str, cwd: Path) -> None:
    binary = shutil.which("openssl")
    if not binary:
        raise TlsError("openssl not found: apt-get install openssl")
    result = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        # openssl's stderr names files and options, never key material.
        raise TlsError(f"openssl {args[0]} failed: {' '.join(result.stderr.split())[:300]}")


def _new_key(path: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{CURVE}", "-out", str(path),
             cwd=path.parent)
    path.chmod(0o600)


class Authority:
    """A CA of one run, under ``root`` (created 0700), that signs host and client certificates."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self.ca_key = root / "ca-key.pem"
        self.ca = root / "ca.pem"
        _new_key(self.ca_key)
        _openssl("req", "-x509", "-new", "-key", str(self.ca_key), "-out", str(self.ca), "-days", DAYS,
                 "-subj", f"/CN={name} test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=root)

    def issue(self, name: str, *, addresses: tuple[str, ...] = (), dns: tuple[str, ...] = (),
              server: bool = True) -> KeyPair:
        """A key pair for ``name`` in ``root/name/`` (ca.pem, cert.pem, key.pem: docker's names)."""
        directory = self.root / name
        directory.mkdir(mode=0o700, exist_ok=True)
        key, csr, cert = directory / "key.pem", directory / "request.csr", directory / "cert.pem"
        _new_key(key)
        _openssl("req", "-new", "-key", str(key), "-out", str(csr), "-subj", f"/CN={name}", cwd=directory)
        alt = [f"IP:{ipaddress.ip_address(a)}" for a in addresses] + [f"DNS:{d}" for d in dns]
        usage = "serverAuth,clientAuth" if server else "clientAuth"
        extensions = directory / "extensions.cnf"
        lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                 f"extendedKeyUsage={usage}"]
        if alt:
            lines.append(f"subjectAltName={','.join(alt)}")
        extensions.write_text("\n".join(lines) + "\n")
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(self.ca_key),
                 "-CAcreateserial", "-out", str(cert), "-days", DAYS, "-extfile", str(extensions), cwd=directory)
        shutil.copyfile(self.ca, directory / "ca.pem")
        for leftover in (csr, extensions):
            leftover.unlink()
        for path in directory.iterdir():
            os.chmod(path, 0o600 if path.name == "key.pem" else 0o644)
        return KeyPair(cert=cert, key=key, ca=directory / "ca.pem")
