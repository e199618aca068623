"""What every stack deploys is exactly what ``tests/golden`` holds (regenerate with ``python -m tests.golden``)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden.documents import STACKS, golden, rendered


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_documents_match_the_golden_files(stack: str) -> None:
    expected, actual = golden(stack), rendered(stack)
    assert sorted(actual) == sorted(expected), "files added or removed: run `python -m tests.golden` and review"
    changed = [path for path in expected if actual[path] != expected[path]]
    diff = "".join(
        line for path in changed[:3]
        for line in difflib.unified_diff(expected[path].splitlines(True), actual[path].splitlines(True),
                                         f"golden/{stack}/{path}", f"rendered/{stack}/{path}", n=1)
    )
    assert not changed, f"{len(changed)} file(s) differ (regenerate with `python -m tests.golden`):\n{diff[:4000]}"
