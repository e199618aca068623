"""The generated cases share one seeded dashboard cache (the suite's own fixture seeds one per test, too slow for
two thousand cases)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import program
from components.config_source import settings_from_stack_file
from components.grafana.community import cache_path
from tests.conftest import DASHBOARD_FIXTURES, STACKS


@pytest.fixture(scope="session")
def seeded_dashboard_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("hostile-dashboard-cache")
    fixtures = itertools.cycle(sorted(DASHBOARD_FIXTURES.glob("*.json")))
    for stack_name in STACKS:
        for dashboard in settings_from_stack_file(stack_name).grafana.community_dashboards:
            target = cache_path(cache, dashboard)
            if not target.exists():
                shutil.copyfile(next(fixtures), target)
    return cache


@pytest.fixture(autouse=True)
def dashboard_cache(seeded_dashboard_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(program, "DASHBOARD_CACHE", seeded_dashboard_cache)
    monkeypatch.setattr(program, "DASHBOARD_SOURCE", "http://127.0.0.1:9")
    yield seeded_dashboard_cache
