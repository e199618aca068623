"""Every document each committed stack renders, kept as golden files (kube-prometheus' generate-and-diff).

A change to what any stack deploys shows as a diff of ``tests/golden/<stack>/`` in review; a test
fails until the golden files are regenerated (``python -m tests.golden``).  Community dashboards
are played by our fixtures, one per datasource reference style (nothing third-party is kept).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

from components.config_source import settings_from_stack_file
from components.grafana.community import cache_path, sha256_hex
from components.render import cached_dashboards, redacted_secret_files, render_documents

GOLDEN = Path(__file__).resolve().parent
FIXTURES = GOLDEN.parent / "fixtures" / "dashboards"
STACKS = ("dev", "staging", "prod")


def rendered(stack: str) -> dict[str, str]:
    """What ``render`` writes for ``stack``, with the fixture dashboards in the cache, pinned (as an operator pins
    them after ``dashboards fetch``: prod and staging refuse unpinned ones, and render shows what a deploy
    uploads)."""
    settings = settings_from_stack_file(stack)
    fixtures = itertools.cycle(sorted(FIXTURES.glob("*.json")))
    with tempfile.TemporaryDirectory() as directory:
        cache = Path(directory)
        pinned = []
        for dashboard in settings.grafana.community_dashboards:
            cached = cache_path(cache, dashboard)
            shutil.copyfile(next(fixtures), cached)
            pinned.append(dashboard.model_copy(update={"sha256": sha256_hex(cached.read_bytes())}))
        settings = settings.model_copy(update={"grafana": settings.grafana.model_copy(
            update={"community_dashboards": pinned})})
        documents = render_documents(settings, cached_dashboards(settings, cache))
    return {**documents, **redacted_secret_files(settings)}


def golden(stack: str) -> dict[str, str]:
    root = GOLDEN / stack
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def regenerate() -> dict[str, int]:
    counts = {}
    for stack in STACKS:
        root = GOLDEN / stack
        shutil.rmtree(root, ignore_errors=True)
        documents = rendered(stack)
        for relative, text in documents.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        counts[stack] = len(documents)
    return counts
