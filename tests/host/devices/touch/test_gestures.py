"""The gesture recogniser's rules, one at a time, on synthetic pointer inputs."""

from __future__ import annotations

import math

import pytest

from vitrine.devices.touch.events import DoubleTap, LongPress, Pinch, Rotate, Swipe, Tap
from vitrine.devices.touch.gestures import GestureRecognizer, Thresholds

DT = 0.005


def tap(rec: GestureRecognizer, pid: int, x: float, y: float, t: float, hold: float = 0.1) -> list:
    return rec.down(pid, x, y, t) + rec.up(pid, x, y, t + hold)


def drag(
    rec: GestureRecognizer,
    pid: int,
    start: tuple[float, float],
    end: tuple[float, float],
    t: float,
    duration: float,
) -> list:
    out = rec.down(pid, *start, t)
    steps = round(duration / DT)
    for k in range(1, steps + 1):
        u = k / steps
        x = start[0] + (end[0] - start[0]) * u
        y = start[1] + (end[1] - start[1]) * u
        out += (rec.up if k == steps else rec.move)(pid, x, y, t + k * DT)
    return out


def two_fingers(
    rec: GestureRecognizer,
    a: tuple[float, float],
    b: tuple[float, float],
    at: callable,  # type: ignore[valid-type]
    t: float,
    duration: float,
) -> list:
    """Fingers 1 and 2 down at a and b, moved to at(u) = (a', b') for u in (0, 1], one report
    (and flush) per step, then both up."""
    out = rec.down(1, *a, t) + rec.down(2, *b, t) + rec.flush()
    steps = round(duration / DT)
    for k in range(1, steps + 1):
        pa, pb = at(k / steps)
        tk = t + k * DT
        out += rec.move(1, *pa, tk) + rec.move(2, *pb, tk) + rec.flush()
    tk = t + (steps + 1) * DT
    out += rec.up(1, *pa, tk) + rec.up(2, *pb, tk) + rec.flush()
    return out


def test_tap_is_reported_at_up_where_the_finger_went_down() -> None:
    rec = GestureRecognizer()
    assert rec.down(1, 100, 200, 10.0) == []
    out = rec.move(1, 105, 203, 10.05) + rec.up(1, 104, 202, 10.1)
    assert out == [Tap(id=1, x=100, y=200, t_ns=10_100_000_000)]


def test_a_touch_held_past_tap_max_is_no_tap() -> None:
    rec = GestureRecognizer()
    assert tap(rec, 1, 100, 100, 0.0, hold=0.35) == []
    assert tap(rec, 2, 100, 100, 1.0, hold=0.29)[0].TYPE == "tap"


def test_moving_past_the_slop_and_back_is_no_tap() -> None:
    rec = GestureRecognizer(Thresholds(tap_slop_px=10))
    out = rec.down(1, 100, 100, 0.0) + rec.move(1, 111, 100, 0.05) + rec.up(1, 100, 100, 0.1)
    assert out == []


def test_double_tap_replaces_the_second_tap_and_a_third_tap_starts_over() -> None:
    rec = GestureRecognizer()
    out = tap(rec, 1, 100, 100, 0.0) + tap(rec, 2, 110, 100, 0.3) + tap(rec, 3, 100, 100, 0.6)
    out += tap(rec, 4, 100, 100, 0.9)
    assert [e.TYPE for e in out] == ["tap", "double_tap", "tap", "double_tap"]
    assert out[1] == DoubleTap(id=2, x=100, y=100, t_ns=400_000_000)


@pytest.mark.parametrize(
    ("gap", "offset", "double"),
    [
        (0.03, 0, False),  # faster than double_tap_min_s: a bounce
        (0.05, 0, True),
        (0.29, 60, True),
        (0.31, 0, False),  # too late
        (0.1, 70, False),  # too far (double_tap_slop_px 64)
    ],
)
def test_double_tap_window(gap: float, offset: float, double: bool) -> None:
    rec = GestureRecognizer()
    out = tap(rec, 1, 500, 500, 0.0) + tap(rec, 2, 500 + offset, 500, 0.1 + gap)
    assert [e.TYPE for e in out] == ["tap", "double_tap" if double else "tap"]


def test_long_press_fires_on_tick_while_down_and_suppresses_the_tap() -> None:
    rec = GestureRecognizer(Thresholds(long_press_s=0.5))
    rec.down(1, 300, 300, 2.0)
    assert rec.next_deadline() == pytest.approx(2.5)
    assert rec.tick(2.49) == []
    assert rec.tick(2.51) == [LongPress(id=1, x=300, y=300, t_ns=2_500_000_000)]
    assert rec.next_deadline() is None
    assert rec.tick(3.0) == []
    assert rec.up(1, 300, 300, 3.1) == []


def test_long_press_fires_from_the_next_input_without_ticks() -> None:
    rec = GestureRecognizer()
    rec.down(1, 300, 300, 0.0)
    out = rec.up(1, 300, 300, 0.7)
    assert out == [LongPress(id=1, x=300, y=300, t_ns=500_000_000)]


def test_moving_cancels_the_long_press() -> None:
    rec = GestureRecognizer()
    rec.down(1, 300, 300, 0.0)
    rec.move(1, 340, 300, 0.2)
    assert rec.next_deadline() is None
    assert rec.tick(1.0) == []


@pytest.mark.parametrize(
    ("end", "direction"),
    [((600, 300), "right"), ((0, 300), "left"), ((300, 0), "up"), ((300, 600), "down")],
)
def test_swipe_directions(end: tuple[float, float], direction: str) -> None:
    rec = GestureRecognizer()
    (swipe,) = drag(rec, 1, (300, 300), end, 0.0, 0.15)
    assert isinstance(swipe, Swipe)
    assert swipe.direction == direction
    assert swipe.velocity == pytest.approx(2000, rel=0.01)
    assert swipe.distance == pytest.approx(300)
    assert (swipe.x, swipe.y) == (300, 300)


def test_swipe_needs_distance_and_velocity() -> None:
    rec = GestureRecognizer()
    assert drag(rec, 1, (300, 300), (380, 300), 0.0, 0.04) == []  # 2000 px/s but 80 px
    assert drag(rec, 2, (300, 300), (600, 300), 1.0, 0.5) == []  # 300 px at 600 px/s


def test_a_second_finger_turns_off_one_finger_gestures() -> None:
    rec = GestureRecognizer()
    out = rec.down(1, 100, 100, 0.0) + rec.down(2, 400, 100, 0.02)
    out += rec.up(2, 400, 100, 0.08) + rec.up(1, 100, 100, 0.1)
    assert out == []
    assert rec.tick(5.0) == []
    assert tap(rec, 3, 100, 100, 6.0)[0].TYPE == "tap"  # a new sequence


def test_pinch_scale_is_relative_to_the_second_finger_down_and_centre_follows() -> None:
    rec = GestureRecognizer(Thresholds(pinch_slop_px=32))

    def at(u: float) -> tuple[tuple[float, float], tuple[float, float]]:
        return (400 - 100 * u, 300), (600 + 100 * u, 300)

    out = two_fingers(rec, (400, 300), (600, 300), at, 0.0, 0.2)
    pinches = [e for e in out if isinstance(e, Pinch)]
    assert [e.phase for e in pinches[:2]] == ["begin", "update"]
    assert pinches[-1].phase == "end"
    assert pinches[0].scale >= 1 + 32 / 200
    assert pinches[-1].scale == pytest.approx(2.0)
    assert all((e.x, e.y) == (500, 300) for e in pinches)
    assert not any(isinstance(e, Rotate) for e in out)
    # one update per report, not per finger
    assert len([e for e in pinches if e.phase == "update"]) < round(0.2 / DT)


def test_rotate_accumulates_past_half_a_turn() -> None:
    rec = GestureRecognizer()

    def at(u: float) -> tuple[tuple[float, float], tuple[float, float]]:
        a = math.radians(270 * u)
        return (500 - 100 * math.cos(a), 500 - 100 * math.sin(a)), (
            500 + 100 * math.cos(a),
            500 + 100 * math.sin(a),
        )

    out = two_fingers(rec, (400, 500), (600, 500), at, 0.0, 0.9)
    rotates = [e for e in out if isinstance(e, Rotate)]
    assert rotates[0].phase == "begin"
    assert 10 <= rotates[0].angle < 12
    assert rotates[-1].phase == "end"
    assert rotates[-1].angle == pytest.approx(270)
    assert not any(isinstance(e, Pinch) for e in out)


def test_counter_clockwise_is_negative() -> None:
    rec = GestureRecognizer()

    def at(u: float) -> tuple[tuple[float, float], tuple[float, float]]:
        a = math.radians(-30 * u)
        return (500 - 100 * math.cos(a), 500 - 100 * math.sin(a)), (
            500 + 100 * math.cos(a),
            500 + 100 * math.sin(a),
        )

    out = two_fingers(rec, (400, 500), (600, 500), at, 0.0, 0.3)
    assert [e for e in out if isinstance(e, Rotate)][-1].angle == pytest.approx(-30)


def test_third_finger_does_not_disturb_the_pair_and_a_new_pair_forms() -> None:
    rec = GestureRecognizer()
    rec.down(1, 400, 300, 0.0)
    rec.down(2, 600, 300, 0.0)
    rec.down(3, 500, 600, 0.01)
    out = rec.move(3, 500, 900, 0.02) + rec.flush()
    assert out == []
    out = rec.move(2, 700, 300, 0.03) + rec.flush()
    assert [(e.TYPE, e.phase) for e in out] == [("pinch", "begin")]  # type: ignore[union-attr]
    out = rec.up(1, 400, 300, 0.04)
    assert [(e.TYPE, e.phase) for e in out] == [("pinch", "end")]  # type: ignore[union-attr]
    # fingers 2 and 3 are the new pair: 2 at (700, 300), 3 at (500, 900)
    out = rec.move(3, 500, 1200, 0.05) + rec.flush()
    assert [(e.TYPE, e.phase) for e in out] == [("pinch", "begin")]  # type: ignore[union-attr]


def test_unflushed_pair_moves_are_emitted_by_the_next_report() -> None:
    rec = GestureRecognizer()
    rec.down(1, 400, 300, 0.0)
    rec.down(2, 600, 300, 0.0)
    assert rec.move(2, 700, 300, 0.01) == []
    out = rec.move(2, 710, 300, 0.02)  # a new report: the previous one is complete
    assert out == [Pinch(phase="begin", scale=1.5, x=550, y=300, t_ns=10_000_000)]


def test_cancel_ends_two_finger_gestures_and_recognises_nothing() -> None:
    rec = GestureRecognizer()
    rec.down(1, 400, 300, 0.0)
    rec.down(2, 600, 300, 0.0)
    rec.move(2, 700, 300, 0.01)
    out = rec.cancel(0.02)
    assert [(e.TYPE, e.phase) for e in out] == [("pinch", "begin"), ("pinch", "end")]  # type: ignore[union-attr]
    assert rec.active == 0
    rec.down(5, 100, 100, 1.0)
    assert rec.cancel(1.05) == []
    assert rec.next_deadline() is None
    assert tap(rec, 6, 100, 100, 1.1)[0].TYPE == "tap"  # no double tap with the cancelled one
