"""Before ``pulumi up`` touches a multi-host stack: can it reach every host's Docker engine?

A host that does not answer would stop the deploy half-way, after the other hosts' changes, with the Docker
provider's ``Error pinging Docker server`` deep in a traceback.  Asked first, all hosts at once, the answer is one
line per host naming it and the way to deploy the rest (``drain``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.hosts.settings import HostSettings

TIMEOUT_SECONDS = 3.0
"""How long one host's engine has to accept a connection (a LAN answers in milliseconds)."""
Connect = Callable[[str, int, float], bool]


def connects(host: str, port: int, timeout: float) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def unreachable(hosts: Sequence[HostSettings], connect: Connect = connects,
                timeout: float = TIMEOUT_SECONDS) -> list[str]:
    """One line per host that is not drained and whose Docker endpoint does not answer, in ``hosts`` order."""
    live = [(index, host) for index, host in enumerate(hosts) if not host.drain]
    with ThreadPoolExecutor(max_workers=max(1, len(live))) as pool:
        answers = list(pool.map(lambda item: connect(item[1].endpoint[0], item[1].endpoint[1], timeout), live))
    return [f"hosts.{index}.docker: host {host.name} ({host.docker}) does not answer; bring it back, or deploy the "
            f"rest without it: pulumi config set --path 'internet-id-monitoring:hosts[{index}].drain' true "
            "(docs/multi-host.md, \"Deploying while a host is down\")"
            for (index, host), answered in zip(live, answers, strict=True) if not answered]
