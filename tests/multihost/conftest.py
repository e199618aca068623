"""The multi-host suite's world: several Docker hosts in network namespaces (``harness/fleet.py``).

Every test under tests/multihost is a ``multihost`` test (``-m multihost`` selects them, ``-m "not
multihost"`` leaves them out). Nothing here skips: a missing dockerd, openssl or image build fails
with a line that names what is missing and how to get it.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.multihost)
