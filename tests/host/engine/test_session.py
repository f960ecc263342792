"""The session state machine on its own: every phase change and timeout, the screens each
phase shows, the help offer, and a snapshot taken and restored across clocks."""

from __future__ import annotations

import itertools

import pytest

from vitrine.engine.config import SessionConfig
from vitrine.engine.session import (
    THANKS_S,
    Closed,
    Ended,
    Engaged,
    HelpChanged,
    Screen,
    ScreenChanged,
    SessionMachine,
    Started,
)

CFG = (
    SessionConfig()
)  # approach 20, engaged idle 45, absent grace 8, rating 20, stall 30, greeting 4


def machine(config: SessionConfig = CFG) -> SessionMachine:
    ids = (f"s{n}" for n in itertools.count(1))
    return SessionMachine(config, new_id=lambda: next(ids))


def kinds(events: list) -> list[str]:
    return [type(e).__name__ for e in events]


def test_starts_idle_on_the_attract_screen() -> None:
    m = machine()
    assert (m.phase, m.screen.name, m.session_id, m.offer_help) == ("idle", "attract", None, None)
    assert m.tick(1e6) == []
    assert m.to_snapshot(0.0, 0.0) is None


def test_arrival_starts_an_approached_session_with_the_greeting() -> None:
    m = machine()
    events = m.presence(True, 100.0)
    assert events == [Started("s1", "approached"), ScreenChanged(Screen("greeting"))]
    assert (m.phase, m.screen.name) == ("approached", "greeting")
    # the greeting stays until the shopper interacts, past greeting_s
    assert m.tick(100.0 + CFG.greeting_s + 5) == []
    assert m.screen.name == "greeting"


def test_approached_without_interaction_times_out_to_idle() -> None:
    m = machine()
    m.presence(True, 0.0)
    assert m.tick(CFG.approach_timeout_s - 0.1) == []
    events = m.tick(CFG.approach_timeout_s)
    assert events == [Ended("s1", "timeout"), Closed("s1"), ScreenChanged(Screen("attract"))]
    assert (m.phase, m.session_id) == ("idle", None)


def test_approached_shopper_who_leaves_ends_after_the_grace() -> None:
    m = machine()
    m.presence(True, 0.0)
    assert m.presence(False, 2.0) == []
    assert m.tick(2.0 + CFG.absent_grace_s - 0.1) == []
    events = m.tick(2.0 + CFG.absent_grace_s)
    assert kinds(events) == ["Ended", "Closed", "ScreenChanged"]
    assert events[0] == Ended("s1", "left")


def test_coming_back_within_the_grace_keeps_the_session() -> None:
    m = machine()
    m.presence(True, 0.0)
    m.presence(False, 1.0)
    assert m.presence(True, 5.0) == []
    assert m.tick(12.0) == []
    assert m.phase == "approached"


def test_interaction_engages_an_approached_session_and_shows_home() -> None:
    m = machine()
    m.presence(True, 0.0)
    events = m.interact(3.0)
    assert events == [Engaged("s1"), ScreenChanged(Screen("home"))]
    assert (m.phase, m.screen.name, m.session_id) == ("engaged", "home", "s1")


def test_a_touch_while_idle_engages_at_once_then_greets_for_greeting_s() -> None:
    m = machine()
    events = m.interact(10.0)
    assert events == [Started("s1", "engaged"), ScreenChanged(Screen("greeting"))]
    assert m.tick(10.0 + CFG.greeting_s - 0.1) == []
    assert m.tick(10.0 + CFG.greeting_s) == [ScreenChanged(Screen("home"))]


def test_a_touch_on_the_greeting_goes_home_at_once() -> None:
    m = machine()
    m.interact(0.0)
    assert m.interact(1.0) == [ScreenChanged(Screen("home"))]
    assert m.tick(10.0) == []


def test_without_a_greeting_time_a_touch_goes_straight_home() -> None:
    m = machine(SessionConfig(greeting_s=0.0))
    assert m.interact(0.0) == [Started("s1", "engaged"), ScreenChanged(Screen("home"))]


def test_navigating_while_idle_starts_engaged_on_that_screen() -> None:
    m = machine()
    target = Screen("browse", "knitwear")
    assert m.navigate(target, 0.0) == [Started("s1", "engaged"), ScreenChanged(target)]
    assert m.navigate(target, 1.0) == []  # the same screen: nothing changes
    assert m.navigate(Screen("product", sku="KN-201"), 2.0) == [
        ScreenChanged(Screen("product", sku="KN-201"))
    ]


def test_navigating_while_approached_engages() -> None:
    m = machine()
    m.presence(True, 0.0)
    events = m.navigate(Screen("help"), 1.0)
    assert events == [Engaged("s1"), ScreenChanged(Screen("help"))]


def test_engaged_without_interaction_times_out_to_the_rating_screen() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.interact(10.0)
    assert kinds(m.tick(10.0 + CFG.engaged_idle_s - 0.1)) == ["HelpChanged"]  # stalled first
    events = m.tick(10.0 + CFG.engaged_idle_s)
    assert events == [
        Ended("s1", "timeout"),
        HelpChanged(None),
        ScreenChanged(Screen("rating")),
    ]
    assert (m.phase, m.session_id, m.end_reason) == ("ended", "s1", "timeout")


def test_rating_screen_then_thanks_then_idle() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.end(5.0)
    assert m.screen.name == "rating"
    assert m.tick(5.0 + CFG.rating_s - 0.1) == []
    assert m.tick(5.0 + CFG.rating_s) == [ScreenChanged(Screen("thanks"))]
    assert m.tick(5.0 + CFG.rating_s + THANKS_S - 0.1) == []
    end = 5.0 + CFG.rating_s + THANKS_S
    assert m.tick(end) == [Closed("s1"), ScreenChanged(Screen("attract"))]
    assert (m.phase, m.session_id) == ("idle", None)


def test_rating_shows_thanks_for_two_seconds() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.end(1.0)
    assert m.rate(3.0) == [ScreenChanged(Screen("thanks"))]
    assert m.rated
    assert m.tick(3.0 + THANKS_S) == [Closed("s1"), ScreenChanged(Screen("attract"))]


def test_rating_while_engaged_ends_the_session_by_the_shopper() -> None:
    m = machine()
    m.navigate(Screen("rating"), 0.0)
    events = m.rate(2.0)
    assert events == [Ended("s1", "ended_by_shopper"), ScreenChanged(Screen("thanks"))]
    assert m.phase == "ended"


def test_rating_or_ending_outside_a_session_does_nothing() -> None:
    m = machine()
    assert m.rate(1.0) == []
    assert m.end(1.0) == []
    assert m.phase == "idle"


def test_ending_an_approached_session_goes_to_the_rating_screen() -> None:
    m = machine()
    m.presence(True, 0.0)
    events = m.end(1.0)
    assert events == [
        Engaged("s1"),
        Ended("s1", "ended_by_shopper"),
        ScreenChanged(Screen("rating")),
    ]


def test_shopper_who_walks_away_while_engaged_has_left() -> None:
    m = machine()
    m.presence(True, 0.0)
    m.interact(1.0)
    m.presence(False, 10.0)
    assert m.tick(10.0 + CFG.absent_grace_s - 0.1) == []
    events = m.tick(10.0 + CFG.absent_grace_s)
    assert events[0] == Ended("s1", "left")
    assert m.screen.name == "rating"


def test_touching_while_not_detected_keeps_the_session() -> None:
    # a shopper the sensor misses is still there when they touch the glass
    m = machine()
    m.presence(True, 0.0)
    m.interact(1.0)
    m.presence(False, 2.0)
    m.interact(9.0)
    assert m.tick(16.9) == []
    assert m.phase == "engaged"
    assert m.tick(17.0)[0] == Ended("s1", "left")


def test_a_touch_only_mirror_never_ends_a_session_for_absence() -> None:
    m = machine()
    m.interact(0.0)
    for t in range(1, 44):
        m.interact(float(t))
    assert m.phase == "engaged"


def test_stalled_shopper_is_offered_help_which_goes_on_interaction() -> None:
    m = machine()
    m.navigate(Screen("product", sku="X"), 0.0)
    assert m.tick(CFG.stall_s - 0.1) == []
    assert m.tick(CFG.stall_s) == [HelpChanged("stalled")]
    assert m.offer_help == "stalled"
    assert m.tick(CFG.stall_s + 1) == []  # offered once
    assert m.interact(CFG.stall_s + 2) == [HelpChanged(None)]
    assert m.offer_help is None


def test_no_stall_offer_for_someone_who_is_not_detected() -> None:
    m = machine(SessionConfig(absent_grace_s=40.0))
    m.presence(True, 0.0)
    m.interact(0.0)
    m.presence(False, 1.0)
    assert [e for e in m.tick(CFG.stall_s + 1) if isinstance(e, HelpChanged)] == []


def test_frustration_offers_help_only_while_engaged() -> None:
    m = machine()
    assert m.frustrated(0.0) == []
    m.presence(True, 0.0)
    assert m.frustrated(1.0) == []
    m.interact(2.0)
    assert m.frustrated(3.0) == [HelpChanged("frustrated")]
    assert m.frustrated(4.0) == []
    assert m.navigate(Screen("help"), 5.0) == [ScreenChanged(Screen("help")), HelpChanged(None)]


def test_navigating_from_an_ended_session_starts_a_new_one() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.end(1.0)
    events = m.navigate(Screen("browse"), 2.0)
    assert events == [
        Closed("s1"),
        ScreenChanged(Screen("attract")),
        Started("s2", "engaged"),
        ScreenChanged(Screen("browse")),
    ]
    assert (m.phase, m.session_id, m.rated) == ("engaged", "s2", False)


def test_taps_on_the_rating_screen_do_not_start_a_session() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.end(1.0)
    assert m.interact(2.0) == []
    assert (m.phase, m.session_id) == ("ended", "s1")


def test_someone_arriving_during_the_rating_screen_is_greeted_after_it() -> None:
    m = machine()
    m.presence(True, 0.0)
    m.interact(1.0)
    m.presence(False, 2.0)
    m.tick(2.0 + CFG.absent_grace_s)  # the first shopper left
    assert m.presence(True, 15.0) == []  # the next one arrives while "rating" shows
    events = m.tick(15.0 + CFG.rating_s + THANKS_S)
    assert Closed("s1") in events
    assert Started("s2", "approached") in events
    assert (m.phase, m.screen.name) == ("approached", "greeting")


def test_a_long_gap_applies_every_timeout_in_order() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    events = m.tick(10_000.0)
    assert kinds(events) == [
        "HelpChanged",  # stalled at 30
        "Ended",
        "HelpChanged",
        "ScreenChanged",  # rating
        "ScreenChanged",  # thanks
        "Closed",
        "ScreenChanged",  # attract
    ]
    assert m.phase == "idle"


def test_timeouts_come_from_the_config() -> None:
    cfg = SessionConfig(approach_timeout_s=3.0, engaged_idle_s=6.0, rating_s=2.0, stall_s=5.0)
    m = machine(cfg)
    m.presence(True, 0.0)
    assert m.tick(3.0)[0] == Ended("s1", "timeout")
    m.navigate(Screen("home"), 10.0)
    assert m.tick(15.0) == [HelpChanged("stalled")]
    assert m.tick(16.0)[0] == Ended("s2", "timeout")
    assert m.tick(18.0) == [ScreenChanged(Screen("thanks"))]


def test_snapshot_restores_the_session_on_another_clock() -> None:
    m = machine()
    m.presence(True, 100.0)
    m.navigate(Screen("product", "shirts", "SH-101"), 110.0)
    data = m.to_snapshot(now=120.0, wall=1_700_000_000.0)
    assert data is not None
    assert data["last_interaction"] == pytest.approx(1_700_000_000.0 - 10.0)

    # the daemon restarted: its monotonic clock starts elsewhere; 5 s of wall time passed
    r = machine()
    r.restore(data, now=7.0, wall=1_700_000_005.0)
    assert (r.session_id, r.phase, r.screen) == (
        "s1",
        "engaged",
        Screen("product", "shirts", "SH-101"),
    )
    assert r.present is None
    # 45 s after the last interaction (at wall -10 s) the session times out: 30 s from now
    assert r.tick(7.0 + 29.9)[-1] == HelpChanged("stalled")
    assert r.tick(7.0 + 30.0)[0] == Ended("s1", "timeout")


def test_snapshot_of_an_ended_session_keeps_the_rating_screen() -> None:
    m = machine()
    m.navigate(Screen("home"), 0.0)
    m.end(1.0)
    data = m.to_snapshot(now=2.0, wall=1000.0)
    r = machine()
    r.restore(data, now=50.0, wall=1001.0)
    assert (r.phase, r.screen.name, r.end_reason) == ("ended", "rating", "ended_by_shopper")
    assert r.tick(50.0 + CFG.rating_s - 2.0) == [ScreenChanged(Screen("thanks"))]


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"phase": "idle", "id": "x", "screen": {"name": "home"}},
        {"phase": "engaged", "id": "x"},
        {"phase": "engaged", "id": "x", "screen": {"name": "home"}, "end_reason": "bored"},
        {"phase": "engaged", "id": "x", "screen": {"name": "home"}, "started_at": "soon"},
    ],
)
def test_a_malformed_snapshot_is_refused(broken: dict) -> None:
    with pytest.raises((KeyError, ValueError, TypeError)):
        machine().restore(broken, now=0.0, wall=0.0)
