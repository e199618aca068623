"""The multi-host harness itself: three Docker hosts on a shared LAN, reached over mutual TLS, a
partition cut and healed, a host killed and brought back, and nothing left on the machine after.

The tests run in file order on one fleet (a module fixture); the last one stops it and looks for
leftovers.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TypeVar

import pytest

from tests.multihost.harness.fleet import API_PORT, Fleet, FleetError, FleetState, leftovers

T = TypeVar("T")
SERVER_PORT = 8080
BUSYBOX: dict[str, str] = {}


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    try:
        started = Fleet(3).start()
    except FleetError as error:
        pytest.fail(f"the multi-host suite needs its Docker hosts: {error}", pytrace=False)
    try:
        BUSYBOX.update(started.build_images(["busybox"]))
        yield started
    finally:
        started.stop()


def eventually(what: str, probe: Callable[[], T | None], timeout: float = 20) -> T:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.3)
    pytest.fail(f"{what} not within {timeout:.0f}s; last: {last!r}", pytrace=False)


def http_get(address: str, timeout: float = 3) -> str:
    with urllib.request.urlopen(f"http://{address}:{SERVER_PORT}/", timeout=timeout) as response:
        return str(response.read().decode())


def from_container(fleet: Fleet, host: str, address: str) -> str:
    """The page at ``address:8080`` fetched by a container on ``host`` (busybox nc: plain HTTP/1.0)."""
    request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {address} {SERVER_PORT}"
    return fleet.host(host).docker("run", "--rm", "--pull=never", "--label", fleet.label, BUSYBOX["busybox"],
                                   "sh", "-c", request, check=False).stdout


def unreachable(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=2).close()
    except OSError:
        return True
    return False


def test_each_host_is_its_own_engine_on_its_own_address(fleet: Fleet) -> None:
    names = {h.name: h.docker("info", "--format", "{{.Name}}").stdout.strip() for h in fleet.hosts}
    assert names == {"h1": "h1", "h2": "h2", "h3": "h3"}
    assert len(set(fleet.addresses().values())) == 3
    for host in fleet.hosts:  # the image was loaded, never pulled: no host has a route out
        assert host.docker("image", "inspect", BUSYBOX["busybox"], check=False).returncode == 0
        pulled = host.docker("pull", "busybox:latest", check=False, timeout=30)
        assert pulled.returncode != 0


def test_a_published_port_answers_from_the_machine_and_from_another_host(fleet: Fleet) -> None:
    h1 = fleet.host("h1")
    h1.docker("run", "-d", "--pull=never", "--name", "web", "--restart=always", "--label", fleet.label,
              "-p", f"{SERVER_PORT}:{SERVER_PORT}", BUSYBOX["busybox"], "sh", "-c",
              f"mkdir -p /www && echo served-by-h1 > /www/index.html && exec httpd -f -p {SERVER_PORT} -h /www")
    assert eventually("h1's page from the machine", lambda: http_get(h1.address)).strip() == "served-by-h1"
    assert "served-by-h1" in from_container(fleet, "h2", h1.address)


def test_the_docker_api_wants_a_client_certificate(fleet: Fleet) -> None:
    host = fleet.host("h2")
    request = b"GET /version HTTP/1.0\r\n\r\n"
    with socket.create_connection((host.address, API_PORT), timeout=5) as plain:
        plain.sendall(request)
        answer = plain.recv(4096)
    assert answer.startswith(b"HTTP/1.0 400") and b"ApiVersion" not in answer

    def over_tls(with_client_cert: bool) -> bytes:
        context = ssl.create_default_context(cafile=str(host.client.ca))
        if with_client_cert:
            context.load_cert_chain(str(host.client.cert), str(host.client.key))
        with socket.create_connection((host.address, API_PORT), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname=host.address) as tls:
            tls.sendall(request)
            received = b""
            while chunk := tls.recv(4096):
                received += chunk
            return received

    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        over_tls(with_client_cert=False)
    assert b"ApiVersion" in over_tls(with_client_cert=True)


def test_a_cut_link_makes_the_host_unreachable_until_healed(fleet: Fleet) -> None:
    h1 = fleet.host("h1")
    fleet.cut("h1")
    try:
        assert not fleet.linked("h1")
        assert unreachable(h1.address, SERVER_PORT)
        assert "served-by-h1" not in from_container(fleet, "h3", h1.address)
        assert unreachable(h1.address, API_PORT)
        # behind the cut the host runs on: its engine answers on its own socket
        assert "web" in h1.local_docker("ps", "--format", "{{.Names}}").stdout.split()
    finally:
        fleet.heal("h1")
    assert fleet.linked("h1")
    assert eventually("h1's page after the heal", lambda: http_get(h1.address)).strip() == "served-by-h1"


def test_a_killed_host_is_gone_and_comes_back_with_its_containers(fleet: Fleet) -> None:
    h1 = fleet.host("h1")
    fleet.kill("h1")
    assert unreachable(h1.address, API_PORT)
    fleet.heal("h1")  # the link alone does not bring it back: nothing runs there
    assert unreachable(h1.address, SERVER_PORT)
    fleet.cut("h1")
    fleet.revive("h1")
    assert eventually("h1's page after the restart", lambda: http_get(h1.address)).strip() == "served-by-h1"
    assert "served-by-h1" in from_container(fleet, "h2", h1.address)


def test_stop_leaves_nothing_behind(fleet: Fleet) -> None:
    assert fleet.state is not None
    state: FleetState = replace(fleet.state, hosts=list(fleet.state.hosts))
    fleet.stop()
    assert leftovers(state) == []
