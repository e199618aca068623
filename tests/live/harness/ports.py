"""Free loopback ports, never handed out twice in one session, and never ones an outgoing connection may take.

A port the kernel hands out for ``bind(0)`` comes from the ephemeral range, which is also where every outgoing
connection on the machine gets its local port: between choosing such a port and the daemon binding it, another
suite running beside this one (``scripts/test`` runs three) may take it for a connection, and the daemon dies with
"address already in use". So the ports come from just below that range, where no outgoing connection lands.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

LOOPBACK = "127.0.0.1"
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
SPAN = 12000
"""How many ports below the ephemeral range to choose from."""

_lock = threading.Lock()
_given: set[int] = set()


def listening_ports() -> range:
    """The ports to choose from: the ``SPAN`` just below the kernel's ephemeral range (32768 unless set)."""
    try:
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(max(1024, low - SPAN), low)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing holds right now, that no fixture got before, and that no outgoing
    connection will take."""
    candidates = listening_ports()
    with _lock:
        for _ in range(200):
            port = random.choice(candidates)
            if port in _given:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind((LOOPBACK, port))
                except OSError:
                    continue
            _given.add(port)
            return port
    raise RuntimeError(f"no free loopback port in {candidates.start}-{candidates.stop - 1} after 200 attempts")


def address(port: int) -> str:
    return f"{LOOPBACK}:{port}"


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
