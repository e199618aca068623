"""Shared fixtures: stack names and settings as committed."""

from __future__ import annotations

import pytest

STACKS = ("dev", "staging", "prod")


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)
