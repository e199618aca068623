"""Shared fixtures: stack names and settings as committed."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import program
from components.config_source import settings_from_stack_file
from components.grafana.community import cache_path

DASHBOARD_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dashboards"

STACKS = ("dev", "staging", "prod")


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def dashboard_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A dashboard cache holding our own fixtures under every configured dashboard's name.

    The program never reaches grafana.com in tests; each community dashboard is played by one
    of the fixtures (one per datasource reference style).
    """
    cache = tmp_path_factory.mktemp("dashboard-cache")
    fixtures = itertools.cycle(sorted(DASHBOARD_FIXTURES.glob("*.json")))
    for stack_name in STACKS:
        for dashboard in settings_from_stack_file(stack_name).grafana.community_dashboards:
            target = cache_path(cache, dashboard)
            if not target.exists():
                shutil.copyfile(next(fixtures), target)
    monkeypatch.setattr(program, "DASHBOARD_CACHE", cache)
    monkeypatch.setattr(program, "DASHBOARD_SOURCE", "http://127.0.0.1:9")  # discard port: refused at once
    yield cache
