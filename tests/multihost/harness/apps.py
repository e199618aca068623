"""The Internet-ID app spread over the fleet as the multi-host stack expects it: an API replica and the web app on
each ``app`` host (published on its address), PostgreSQL and Redis on theirs (on its app network only, where their
exporters reach them by name).  The services are the e2e suite's stand-ins (``tests/e2e/harness/app.py``), restarted
by Docker when their host comes back."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.harness import images
from tests.e2e.harness.app import API_CONTROL, BY_NAME, NETWORK, PROJECT
from tests.multihost.harness.fleet import Fleet, FleetError, Host

SERVICES_OF_ROLE = {"app": ("api", "web"), "postgres": ("db",), "redis": ("redis",)}
PUBLISHED = {"api", "web"}
"""Reached by the Prometheus replicas and the probes at their host's address."""


def container(service: str) -> str:
    return f"{PROJECT}-{service}-1"


def start(fleet: Fleet, roles: dict[str, list[str]], timeout: float = 120) -> None:
    """Each host's services by its roles, ready (their own readiness commands) before this returns."""
    started: list[tuple[Host, str]] = []
    for host in fleet.hosts:
        services = [s for role in roles[host.name] for s in SERVICES_OF_ROLE.get(role, ())]
        if not services:
            continue
        host.local_docker("network", "create", "--label", fleet.label, NETWORK)
        for name in services:
            service = BY_NAME[name]
            args = ["run", "-d", "--name", container(name), "--network", NETWORK, "--network-alias", name,
                    "--label", fleet.label, "--restart", "unless-stopped"]
            args += [item for key, value in sorted(service.env.items()) for item in ("--env", f"{key}={value}")]
            if name in PUBLISHED:
                args += ["-p", f"{host.address}:{service.port}:{service.port}"]
            if name == "api":
                args += ["--memory", "256m"]
            host.local_docker(*args, images.reference(service.image), *service.command)
            started.append((host, name))
    deadline = time.monotonic() + timeout
    for host, name in started:
        while host.local_docker("exec", container(name), *BY_NAME[name].ready, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise FleetError(f"{container(name)} on {host.name} did not answer within {timeout:.0f}s")
            time.sleep(0.5)


def api(host: Host, control: str, *args: Any) -> dict[str, Any]:
    """One control of the API stand-in on ``host`` (``set_error_ratio`` …, see tests/e2e/harness/app.py)."""
    result = host.local_docker("exec", container("api"), *API_CONTROL, control, *(json.dumps(a) for a in args))
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer
