"""Durations: Prometheus style in settings, Go style where Docker reads them back."""

from __future__ import annotations

import pytest

from components.durations import format_duration, go_duration, seconds


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("5s", "5s"), ("30s", "30s"), ("60s", "1m0s"), ("1m", "1m0s"), ("90s", "1m30s"), ("1h", "1h0m0s"),
     ("1h1m1s", "1h1m1s"), ("2h30m", "2h30m0s")],
)
def test_go_duration_prints_as_docker_reports_it(duration: str, expected: str) -> None:
    assert go_duration(duration) == expected
    assert seconds(go_duration(duration)) == seconds(duration)


def test_go_duration_refuses_fractions_of_a_second() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        go_duration("1500ms")


def test_format_duration_is_the_shortest_prometheus_duration() -> None:
    assert [format_duration(s) for s in (0, 6, 90, 120, 3600, 5400)] == ["0s", "6s", "1m30s", "2m", "1h", "1h30m"]
