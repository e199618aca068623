"""What runs where (the role table), and the reachability check before a deploy."""

from __future__ import annotations

import socket
import threading
import time

from components.hosts.placement import containers_of, placement
from components.hosts.reach import connects, unreachable
from components.hosts.settings import HostSettings
from tests.contexts import multi_host_context


def test_every_host_runs_its_agents_and_each_role_its_containers() -> None:
    assert placement(multi_host_context().hosts) == {
        "app-1": ("node-exporter", "cadvisor", "prometheus", "blackbox-exporter", "alertmanager", "victoria-metrics",
                  "grafana", "vmauth"),
        "app-2": ("node-exporter", "cadvisor", "prometheus", "blackbox-exporter", "alertmanager", "victoria-metrics"),
        "db-1": ("node-exporter", "cadvisor", "postgres-exporter", "redis-exporter", "alertmanager"),
    }


def test_a_host_without_roles_is_only_watched() -> None:
    host = HostSettings(name="spare", docker="ssh://ops@10.0.1.20", address="10.0.1.20")
    assert containers_of(host) == ("node-exporter", "cadvisor")


def _hosts() -> tuple[HostSettings, ...]:
    return tuple(HostSettings(name=f"h{i}", docker=f"tcp://10.9.0.{i}:2376", address=f"10.9.0.{i}",
                              drain=i == 3) for i in (1, 2, 3))


def test_one_line_per_host_that_does_not_answer_and_drained_hosts_are_not_asked() -> None:
    asked: list[tuple[str, int]] = []

    def connect(host: str, port: int, timeout: float) -> bool:
        asked.append((host, port))
        return host != "10.9.0.2"

    lines = unreachable(_hosts(), connect)
    assert sorted(asked) == [("10.9.0.1", 2376), ("10.9.0.2", 2376)]
    assert lines == ["hosts.1.docker: host h2 (tcp://10.9.0.2:2376) does not answer; bring it back, or deploy the rest "
                     "without it: pulumi config set --path 'internet-id-monitoring:hosts[1].drain' true "
                     "(docs/multi-host.md, \"Deploying while a host is down\")"]


def test_hosts_are_asked_at_once_not_one_after_the_other() -> None:
    def slow(host: str, port: int, timeout: float) -> bool:
        time.sleep(0.5)
        return False

    started = time.monotonic()
    assert len(unreachable(_hosts(), slow)) == 2
    assert time.monotonic() - started < 0.9


def test_connects_tells_an_open_port_from_a_closed_one() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        def accept_one() -> None:
            server.accept()[0].close()

        accepted = threading.Thread(target=accept_one, daemon=True)
        accepted.start()
        assert connects("127.0.0.1", port, 1.0)
        accepted.join(5)
    assert not connects("127.0.0.1", port, 1.0)
