"""What the host makes of a board's resets: errors or not, and whether a board that was away
restarted meanwhile (vitrine.link.resets)."""

from __future__ import annotations

import pytest

from vitrine.link.resets import (
    UPTIME_WRAP_MS,
    BoardReset,
    meaning,
    restarted_while_away,
)
from vitrine_fw import wire


@pytest.mark.parametrize(
    ("cause", "error"),
    [
        ("wdt", True),  # the firmware hung
        ("hard", True),  # an ESP32 reset the firmware did not ask for: a crash
        ("brownout", True),
        ("soft", False),  # asked for: the reset flag makes every port say soft
        ("power_on", False),  # switched on, or the reset button
        ("deepsleep", False),
        ("unknown", False),
    ],
)
def test_which_resets_are_errors(cause: str, error: bool) -> None:
    assert BoardReset(cause, 0.0, "while up").error is error


def test_every_cause_has_a_meaning() -> None:
    for name in wire.RESET_CAUSES.values():
        assert meaning(name) != "a cause this host does not know"
    assert meaning("wdt").startswith("the watchdog")
    assert meaning("code 99") == "a cause this host does not know"


def test_a_board_up_for_longer_than_it_was_away_kept_running() -> None:
    # last heard at t=100 s with 60 s of uptime; 5 s later it says 65 s
    assert not restarted_while_away(100.0, 60_000, 105.0, 65_000)
    # the heartbeat that arrived late (latency) looks a little younger: still no restart
    assert not restarted_while_away(100.0, 60_000, 105.0, 64_990)


def test_a_board_up_for_less_than_it_was_away_restarted() -> None:
    assert restarted_while_away(100.0, 60_000, 105.0, 1_500)
    assert restarted_while_away(100.0, 60_000, 100.4, 100)  # even a quick reset
    # A board heard just after it started (30 ms up), then reset: up 100 ms half a second on.
    assert restarted_while_away(100.0, 30, 100.5, 100)


def test_an_uptime_that_wrapped_is_no_restart() -> None:
    last = UPTIME_WRAP_MS - 2_000  # 49.7 days up, 2 s before the wrap
    assert not restarted_while_away(100.0, last, 105.0, 3_000)
    assert restarted_while_away(100.0, last, 105.0, 1_000)  # but a real one is seen


def test_a_board_heard_only_in_a_handshake_is_judged_by_that_time() -> None:
    # No HEARTBEAT before the link went: the handshake at t=100 s is the last sign of life.
    assert restarted_while_away(100.0, None, 103.0, 1_000)
    assert not restarted_while_away(100.0, None, 103.0, 3_500)
