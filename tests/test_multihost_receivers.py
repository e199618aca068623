"""How the multi-host suite counts pages: an incident is a trigger for a dedup key with no open incident."""

from __future__ import annotations

from tests.multihost.harness.stack import PAGERDUTY_PATH, Event, Receivers


def receivers(*events: tuple[float, str, str]) -> Receivers:
    recorded = Receivers(address="127.0.0.1")
    for at, action, key in events:
        recorded.events.append(Event(at, PAGERDUTY_PATH, {"event_action": action, "dedup_key": key,
                                                           "payload": {"class": "HostDown"}}))
    return recorded


def test_a_duplicate_firing_of_an_incident_opened_before_the_window_is_merged_not_a_page() -> None:
    seen = receivers((10, "trigger", "k"), (50, "trigger", "k"), (60, "resolve", "k"))
    assert seen.incidents("HostDown", since=40) == []
    assert [e.at for e in seen.triggers("HostDown", since=40)] == [50]


def test_a_firing_after_the_resolve_opens_a_second_incident() -> None:
    seen = receivers((10, "trigger", "k"), (60, "resolve", "k"), (70, "trigger", "k"))
    assert seen.incidents("HostDown", since=40) == ["k"]
    assert seen.incidents("HostDown") == ["k", "k"]


def test_other_alerts_and_other_paths_are_not_counted() -> None:
    seen = receivers((50, "trigger", "k"))
    seen.events.append(Event(51, "/heartbeat", {"event_action": "trigger", "dedup_key": "h"}))
    assert seen.incidents("CriticalErrorRate") == []
    assert seen.incidents("HostDown") == ["k"]


def test_an_incident_is_open_from_its_first_trigger_to_its_resolve() -> None:
    seen = receivers((10, "trigger", "k"), (20, "trigger", "j"), (30, "resolve", "k"), (40, "trigger", "k"))
    assert seen.open_incidents("HostDown") == {"j", "k"}
    seen.events.append(Event(50, PAGERDUTY_PATH, {"event_action": "resolve", "dedup_key": "k",
                                                  "payload": {"class": "HostDown"}}))
    assert seen.open_incidents("HostDown") == {"j"}


def test_the_timeline_names_each_event_s_sender() -> None:
    seen = receivers((10, "trigger", "abcdef0123"))
    seen.events[0].sender = "10.0.0.3"
    assert seen.timeline("HostDown", 5, {"10.0.0.3": "h3"}) == "+5.0s trigger key abcdef01 from h3"
