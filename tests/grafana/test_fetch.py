"""Download path against a local stand-in for grafana.com: ok, checksum, 404, timeout, offline."""

from __future__ import annotations

import email.message
import hashlib
import io
import json
import re
import urllib.error
import urllib.request
import urllib.response
from http.client import HTTPMessage
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from components import cli
from components.grafana import community
from components.grafana.community import (
    MAX_DASHBOARD_BYTES,
    MAX_JSON_DEPTH,
    DashboardUnavailableError,
    download_url,
    fetch_dashboard,
    sha256_hex,
)
from components.grafana.dashboards import cached_community_specs, community_specs, render_dashboards
from components.grafana.fetch_command import fetch_all
from components.grafana.settings import CommunityDashboard, GrafanaSettings
from components.settings import SettingsError
from tests.contexts import stack_context
from tests.grafana.conftest import DEFAULT_FIXTURES, FIXTURES, FakeGrafanaCom, download_path

DATA = (FIXTURES / "inputs-string.json").read_bytes()
DIGEST = hashlib.sha256(DATA).hexdigest()


def pinned(sha256: str | None = DIGEST, **kwargs: object) -> CommunityDashboard:
    return CommunityDashboard.model_validate({"gnetId": 9628, "revision": 7, "sha256": sha256,
                                              "title": "PostgreSQL Database", **kwargs})


def test_download_url() -> None:
    assert download_url("https://grafana.com/", pinned()) == (
        "https://grafana.com/api/dashboards/9628/revisions/7/download")


def test_download_is_verified_and_cached_byte_for_byte(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    grafana_com.serve(9628, 7, DATA)
    fetched = fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert fetched.downloaded
    assert fetched.path == tmp_path / "9628-r7.json"
    assert fetched.path.read_bytes() == DATA
    assert fetched.sha256 == DIGEST
    assert [p.name for p in tmp_path.iterdir()] == ["9628-r7.json"], "no temporary file left behind"
    again = fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert not again.downloaded
    assert grafana_com.requests == [download_path(9628, 7)], "the cache is used without the network"


def test_checksum_mismatch_is_refused_and_not_cached(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    grafana_com.serve(9628, 7, DATA + b" ")
    with pytest.raises(DashboardUnavailableError) as error:
        fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=5)
    message = str(error.value)
    assert "\n" not in message
    assert "community dashboard 9628 revision 7" in message
    assert "Fixture: datasource as an __inputs string" in message, "the title of the download is named"
    assert f"expected {DIGEST}" in message
    assert "sha256" in message and "pin another revision" in message
    assert list(tmp_path.iterdir()) == []


def test_cached_file_with_wrong_checksum_is_refused(tmp_path: Path) -> None:
    (tmp_path / "9628-r7.json").write_bytes(DATA.replace(b"Connections", b"Sessions"))
    with pytest.raises(DashboardUnavailableError, match=r"cached file .* has sha256 .* expected"):
        fetch_dashboard(pinned(), tmp_path, base_url="http://127.0.0.1:9", timeout=1)


def test_not_found(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    with pytest.raises(DashboardUnavailableError) as error:
        fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=5)
    message = str(error.value)
    assert message.startswith("community dashboard 9628 revision 7 ('PostgreSQL Database'): not found")
    assert "HTTP 404" in message and "check gnetId and revision" in message
    assert list(tmp_path.iterdir()) == []


def test_timeout(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    grafana_com.serve(9628, 7, DATA, slow=True)
    with pytest.raises(DashboardUnavailableError) as error:
        fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=0.3)
    message = str(error.value)
    assert "download timed out after 0.3s and not cached" in message
    assert "dashboards fetch" in message
    assert list(tmp_path.iterdir()) == []


def test_offline_and_cached_uses_the_cache(offline_url: str, tmp_path: Path) -> None:
    (tmp_path / "9628-r7.json").write_bytes(DATA)
    fetched = fetch_dashboard(pinned(), tmp_path, base_url=offline_url, timeout=1)
    assert not fetched.downloaded and fetched.sha256 == DIGEST


def test_offline_and_not_cached(offline_url: str, tmp_path: Path) -> None:
    with pytest.raises(DashboardUnavailableError) as error:
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url=offline_url, timeout=1)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("community dashboard 9628 revision 7 ('PostgreSQL Database'): download failed")
    assert "python -m components dashboards fetch --stack" in message
    assert str(tmp_path / "9628-r7.json") in message


def test_not_json_is_refused(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    grafana_com.serve(9628, 7, b"<html>maintenance</html>")
    with pytest.raises(DashboardUnavailableError, match="is not dashboard JSON"):
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(grafana_com: FakeGrafanaCom, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    grafana_com.serve(9628, 7, DATA)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("components.grafana.community.os.replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        fetch_dashboard(pinned(), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_fetch_command_fills_the_cache(grafana_com: FakeGrafanaCom, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    for (gnet_id, revision), name in DEFAULT_FIXTURES.items():
        grafana_com.serve(gnet_id, revision, (FIXTURES / name).read_bytes())
    settings = GrafanaSettings(allow_unpinned_dashboards=True)
    assert fetch_all(settings, stack_context("dev"), tmp_path, base_url=grafana_com.base_url, timeout=5) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["11835-r1.json", "179-r10.json", "1860-r37.json",
                                                          "9628-r7.json"]
    out = capsys.readouterr().out
    assert out.count("downloaded") == 4 and "set sha256" in out
    rendered = render_dashboards(cached_community_specs(settings, stack_context("dev"), cache_dir=tmp_path))
    assert sorted(rendered) == ["community-11835.json", "community-179.json", "community-1860.json",
                                "community-9628.json"]
    for text in rendered.values():
        assert "${" not in text
        json.loads(text)


def test_fetch_command_reports_required_failures_and_warns_for_optional(
    grafana_com: FakeGrafanaCom, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = GrafanaSettings.model_validate({"communityDashboards": [
        {"gnetId": 1, "revision": 1, "optional": True}, {"gnetId": 2, "revision": 3}]})
    with pytest.raises(SettingsError) as error:
        fetch_all(settings, stack_context("dev"), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert error.value.problems == [
        f"community dashboard 2 revision 3: not found at {grafana_com.base_url}/api/dashboards/2/revisions/3/"
        "download (HTTP 404); check gnetId and revision in grafana.communityDashboards"]
    assert "warning: skipping optional community dashboard 1 revision 1" in capsys.readouterr().err


def test_render_uses_only_the_cache(offline_url: str, seeded_cache: Path) -> None:
    settings = GrafanaSettings(allow_unpinned_dashboards=True)
    (seeded_cache / "179-r10.json").unlink()
    notes: list[str] = []
    rendered = render_dashboards(cached_community_specs(settings, stack_context("dev"), seeded_cache, notes.append))
    assert "community-179.json" not in rendered and len(rendered) == 3
    assert notes == ["community dashboards not rendered: 179 (not cached: `python -m components dashboards fetch "
                     "--stack dev`)"]
    assert render_dashboards(cached_community_specs(settings, stack_context("dev"), seeded_cache)) == rendered, (
        "byte-stable")


def test_render_leaves_out_what_a_deploy_refuses(seeded_cache: Path) -> None:
    """prod without pins: a deploy refuses every community dashboard, so render shows none of them (a cached file
    a deploy would refuse, too deep or not pinned, never reaches the golden files either)."""
    notes: list[str] = []
    assert cached_community_specs(GrafanaSettings(), stack_context("prod"), seeded_cache, notes.append) == []
    assert notes == ["community dashboards not rendered: 1860 (a deploy refuses it: not pinned); 9628 (a deploy "
                     "refuses it: not pinned); 11835 (a deploy refuses it: not pinned); 179 (a deploy refuses it: not "
                     "pinned)"]
    pinned = GrafanaSettings.model_validate({"communityDashboards": [
        {"gnetId": 179, "revision": 10, "sha256": sha256_hex((seeded_cache / "179-r10.json").read_bytes())}]})
    assert [spec.uid for spec in cached_community_specs(pinned, stack_context("prod"), seeded_cache)] == [
        "community-179"]


def test_deploy_specs_error_names_the_stack(offline_url: str, tmp_path: Path) -> None:
    settings = GrafanaSettings(allow_unpinned_dashboards=True)
    with pytest.raises(SettingsError) as error:
        community_specs(settings, stack_context("staging"), cache_dir=tmp_path, base_url=offline_url, timeout=1,
                        warn=print)
    assert "python -m components dashboards fetch --stack staging" in error.value.problems[0]
    assert error.value.message().startswith("stack 'staging': community dashboard 1860 revision 37")


def test_a_deploy_refuses_unpinned_dashboards_unless_the_stack_allows_them(
    grafana_com: FakeGrafanaCom, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Trust on first use is for a developer's machine: elsewhere nothing unpinned is even downloaded."""
    grafana_com.serve(1860, 37, (FIXTURES / "datasource-variable.json").read_bytes())
    grafana_com.serve(179, 10, (FIXTURES / "datasource-name.json").read_bytes())
    pinned_sha = hashlib.sha256((FIXTURES / "datasource-name.json").read_bytes()).hexdigest()
    dashboards: list[dict[str, Any]] = [{"gnetId": 1860, "revision": 37, "title": "Node Exporter Full"},
                  {"gnetId": 179, "revision": 10, "sha256": pinned_sha},
                  {"gnetId": 2, "revision": 1, "optional": True}]
    settings = GrafanaSettings.model_validate({"communityDashboards": dashboards})
    with pytest.raises(SettingsError) as error:
        community_specs(settings, stack_context("prod"), cache_dir=tmp_path, base_url=grafana_com.base_url,
                        timeout=5, warn=print)
    assert error.value.message() == (
        "stack 'prod': community dashboard 1860 revision 37 ('Node Exporter Full'): not pinned "
        "(grafana.communityDashboards[0].sha256 is unset), so whatever is downloaded would be uploaded unchecked; "
        "run `python -m components dashboards fetch --stack prod` where grafana.com is reachable, review the file, "
        "and set that sha256 to the value it prints")
    assert grafana_com.requests == [] and list(tmp_path.iterdir()) == []

    warnings: list[str] = []
    dashboards[0]["optional"] = True
    settings = GrafanaSettings.model_validate({"communityDashboards": dashboards})
    specs = community_specs(settings, stack_context("prod"), cache_dir=tmp_path, base_url=grafana_com.base_url,
                            timeout=5, warn=warnings.append)
    assert [spec.uid for spec in specs] == ["community-179"]
    assert [w.split(":")[0] for w in warnings] == [
        "skipping optional community dashboard 1860 revision 37 ('Node Exporter Full')",
        "skipping optional community dashboard 2 revision 1"]
    assert grafana_com.requests == ["/api/dashboards/179/revisions/10/download"]

    allowed = GrafanaSettings.model_validate({"allowUnpinnedDashboards": True, "communityDashboards": dashboards[:1]})
    specs = community_specs(allowed, stack_context("dev"), cache_dir=tmp_path, base_url=grafana_com.base_url,
                            timeout=5, warn=print)
    assert [spec.uid for spec in specs] == ["community-1860"]


# ----------------------------------------------------------------- hostile downloads and cached files

def test_a_download_larger_than_the_cap_is_refused_unread(grafana_com: FakeGrafanaCom, tmp_path: Path) -> None:
    big = b'{"panels": [], "pad": "' + b" " * MAX_DASHBOARD_BYTES + b'"}'
    grafana_com.serve(9628, 7, big)
    with pytest.raises(DashboardUnavailableError) as error:
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url=grafana_com.base_url, timeout=5)
    assert str(error.value).endswith(f"is larger than {MAX_DASHBOARD_BYTES // 2**20} MiB; not a dashboard")
    assert list(tmp_path.iterdir()) == []


def test_a_download_without_a_length_is_read_no_further_than_the_cap(tmp_path: Path) -> None:
    class Endless(io.RawIOBase):
        read_so_far = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            self.read_so_far += len(buffer)
            buffer[:] = b" " * len(buffer)
            return len(buffer)

    endless = Endless()

    def answer(request: Any, timeout: float) -> Any:
        return urllib.response.addinfourl(io.BufferedReader(endless), email.message.Message(), request.full_url, 200)

    with mock.patch.object(community._OPENER, "open", answer), pytest.raises(DashboardUnavailableError,
                                                                            match="larger than"):
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url="https://grafana.com", timeout=5)
    assert endless.read_so_far <= MAX_DASHBOARD_BYTES + 2 * io.DEFAULT_BUFFER_SIZE


def test_a_cached_file_larger_than_the_cap_or_nested_too_deep_is_no_dashboard(tmp_path: Path) -> None:
    path = tmp_path / "9628-r7.json"
    path.write_bytes(b'{"panels": [], "pad": "' + b" " * MAX_DASHBOARD_BYTES + b'"}')
    with pytest.raises(DashboardUnavailableError, match=r"is larger than 4 MiB; not a dashboard"):
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url="http://127.0.0.1:9", timeout=1)
    for depth in (MAX_JSON_DEPTH, 200_000):  # deeper than the limit; deeper than Python's recursion
        path.write_bytes(b'{"panels": [], "x": ' + b"[" * depth + b"]" * depth + b"}")
        with pytest.raises(DashboardUnavailableError) as error:
            fetch_dashboard(pinned(sha256=None), tmp_path, base_url="http://127.0.0.1:9", timeout=1)
        assert "\n" not in str(error.value)
        assert "nests deeper than 64 levels" in str(error.value) or "is not dashboard JSON" in str(error.value)
    path.write_bytes(b'{"panels": [], "x": ' + b"[" * (MAX_JSON_DEPTH - 2) + b"]" * (MAX_JSON_DEPTH - 2) + b"}")
    assert fetch_dashboard(pinned(sha256=None), tmp_path, base_url="http://127.0.0.1:9", timeout=1).path == path


def test_render_leaves_a_cached_dashboard_a_deploy_refuses_out_instead_of_failing(seeded_cache: Path) -> None:
    (seeded_cache / "1860-r37.json").write_bytes(b'{"panels": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    notes: list[str] = []
    specs = cached_community_specs(GrafanaSettings(allow_unpinned_dashboards=True), stack_context("dev"),
                                   seeded_cache, notes.append)
    assert [spec.uid for spec in specs] == ["community-9628", "community-11835", "community-179"]
    assert notes[0].startswith("community dashboards not rendered: 1860 (a deploy refuses it: the cached file")


@pytest.mark.parametrize("base", ["http://grafana.com", "http://10.0.0.5:8080", "ftp://grafana.com"])
def test_dashboards_are_downloaded_over_https_only(tmp_path: Path, base: str) -> None:
    with pytest.raises(DashboardUnavailableError, match=r"which is not https \(plain http only on loopback\)"):
        fetch_dashboard(pinned(sha256=None), tmp_path, base_url=base, timeout=1)
    assert list(tmp_path.iterdir()) == []


def test_the_fetch_command_refuses_a_plain_http_base_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dashboards", "fetch", "--stack", "dev", "--base-url", "http://grafana.example.com"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'http://grafana.example.com' which is not https" in err


def test_a_redirect_to_plain_http_is_refused() -> None:
    redirect = urllib.request.Request("https://grafana.com/api/dashboards/9628/revisions/7/download")
    with pytest.raises(urllib.error.URLError, match=re.escape("redirected to http://mirror.example/x")):
        community._HttpsOnlyRedirect().redirect_request(redirect, io.BytesIO(), 302, "Found", HTTPMessage(),
                                                        "http://mirror.example/x")
    kept = community._HttpsOnlyRedirect().redirect_request(redirect, io.BytesIO(), 302, "Found", HTTPMessage(),
                                                           "https://mirror.example/x")
    assert kept is not None and kept.full_url == "https://mirror.example/x"
