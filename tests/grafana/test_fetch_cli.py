"""``python -m components dashboards fetch``: fills the cache, or fails with exit 2 and clear lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.cli import main
from tests.grafana.conftest import DEFAULT_FIXTURES, FIXTURES, FakeGrafanaCom


def test_fetch_fills_the_cache(grafana_com: FakeGrafanaCom, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    for (gnet_id, revision), name in DEFAULT_FIXTURES.items():
        grafana_com.serve(gnet_id, revision, (FIXTURES / name).read_bytes())
    argv = ["dashboards", "fetch", "--stack", "dev", "--cache-dir", str(tmp_path), "--base-url", grafana_com.base_url]
    assert main(argv) == 0
    assert len(list(tmp_path.glob("*.json"))) == 4
    assert main(argv) == 0, "second run: everything cached"
    assert len(grafana_com.requests) == 4
    assert capsys.readouterr().out.count("cached 1860 r37") == 1


def test_fetch_offline_exits_2(offline_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dashboards", "fetch", "--stack", "dev", "--cache-dir", str(tmp_path), "--base-url", offline_url,
            "--timeout", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: stack 'dev': 4 community dashboards unavailable:")
    assert "community dashboard 1860 revision 37 ('Node Exporter Full'): download failed" in err
    assert "python -m components dashboards fetch --stack dev" in err
    assert "Traceback" not in err


def test_fetch_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboards"]) == 2
    assert "error:" in capsys.readouterr().err
