"""The multi-host suite's world: several Docker hosts in network namespaces (``harness/fleet.py``).

Every test under tests/multihost is a ``multihost`` test and an ``e2e`` test: ``-m multihost`` selects
them alone, and the quick form ``-m "not live and not e2e"`` leaves them out with the rest of the
end-to-end suite (they need root and dockerd). Nothing here skips: a missing dockerd, openssl or image build fails
with a line that names what is missing and how to get it.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.multihost)
            item.add_marker(pytest.mark.e2e)
