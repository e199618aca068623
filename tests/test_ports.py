"""The tests' loopback ports come from below the ephemeral range, where no outgoing connection takes them."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.live.harness.ports import free_port, listening_ports


def test_free_ports_lie_below_the_ephemeral_range_and_are_never_given_twice() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert all(port < low for port in ports) and len(set(ports)) == 50
    assert listening_ports().stop == low


def test_an_outgoing_connection_never_gets_a_port_from_that_range() -> None:
    """What the choice rests on: the kernel takes a connection's local port from the ephemeral range."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        clients = [socket.create_connection(server.getsockname()) for _ in range(20)]
        try:
            assert all(client.getsockname()[1] not in listening_ports() for client in clients)
        finally:
            for client in clients:
                client.close()
