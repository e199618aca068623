"""A real Alertmanager with prod's routing and inhibitions, shared by the tests of one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.alertmanager.inhibitions import INHIBITIONS
from tests.alertmanager.running import request, running_alertmanager
from tests.alertmanager.variants import variant, write_config


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The prod routing and inhibitions with every channel off (nothing leaves the machine)."""
    directory = tmp_path_factory.mktemp("alertmanager")
    settings = variant("prod", {"pagerduty": {"enabled": False}, "slack": {"enabled": False},
                                "email": {"enabled": False}})
    with running_alertmanager(write_config(settings, directory), directory) as url:
        status = request(f"{url}/api/v2/status")
        assert status["config"]["original"].count("source_matchers") == len(INHIBITIONS)
        yield url
