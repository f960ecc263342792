"""TouchFrame: touch reports to pointer and gesture events, contacts never left down, and
the bus loop with its timer."""

from __future__ import annotations

import asyncio
import time

import pytest

from vitrine.bus import EventBus
from vitrine.devices.touch.config import GestureConfig, TouchConfig
from vitrine.devices.touch.events import Gesture, LongPress, PointerEvent, Swipe, Tap
from vitrine.devices.touch.frame import TouchFrame
from vitrine.link.messages import (
    BoardLost,
    BoardRebooted,
    Contact,
    Hello,
    TouchHealth,
    TouchReport,
)
from vitrine_fw import wire

DOWN, MOVE, UP = wire.CONTACT_DOWN, wire.CONTACT_MOVE, wire.CONTACT_UP
MS = 1_000_000  # ns
T0 = 50_000 * MS


def report(
    t_ms: float, *contacts: tuple[int, int, float, float], board: str = "touch", scan: int = 0
) -> TouchReport:
    """contacts: (id, state, x_mm, y_mm), fingers 9 mm across; (id, state, x_mm, y_mm,
    size_mm) a palm that size."""
    return TouchReport(
        board=board,
        seq=scan,
        rx_ns=T0 + round(t_ms * MS),
        scan=scan,
        t_us=round(t_ms * 1000),
        contacts=tuple(_contact(*c) for c in contacts),
    )


def _contact(cid: int, st: int, x: float, y: float, palm_mm: float | None = None) -> Contact:
    if palm_mm is None:
        return Contact(cid, st, x, y, 9.0, 9.0)
    return Contact(cid, st, x, y, palm_mm, palm_mm, wire.CONTACT_PALM)


def frame(bus: EventBus | None = None, **config: object) -> TouchFrame:
    # The 32-inch frame's active area (700 x 400 mm) on a 1920 x 1080 display: 2.7429 px/mm
    # across, 2.7 px/mm down.
    return TouchFrame(bus or EventBus(), TouchConfig(**config), 700.0, 400.0)  # type: ignore[arg-type]


def pointers(events: list) -> list[tuple[str, int]]:
    return [(e.kind, e.id) for e in events if isinstance(e, PointerEvent)]


def test_down_is_mapped_to_display_pixels() -> None:
    f = frame()
    (ev,) = f.handle(report(0, (4, DOWN, 350.0, 200.0), scan=9))
    assert ev == PointerEvent(
        kind="down",
        id=4,
        x=960.0,
        y=540.0,
        x_mm=350.0,
        y_mm=200.0,
        diameter_mm=9.0,
        board="touch",
        t_ns=T0,
        scan=9,
    )
    assert set(f.contacts) == {4}


def test_rotated_mounting() -> None:
    f = frame(rotation=90, display_width_px=1080, display_height_px=1920)
    (ev,) = f.handle(report(0, (1, DOWN, 0.0, 0.0)))
    assert (ev.x, ev.y) == (1080.0, 0.0)


def test_positions_outside_the_display_are_clamped() -> None:
    calibration = [
        {"frame_mm": [50.0, 50.0], "display_px": [0.0, 0.0]},
        {"frame_mm": [650.0, 50.0], "display_px": [1920.0, 0.0]},
        {"frame_mm": [650.0, 350.0], "display_px": [1920.0, 1080.0]},
        {"frame_mm": [50.0, 350.0], "display_px": [0.0, 1080.0]},
    ]
    f = frame(calibration=calibration)
    a, b = f.handle(report(0, (1, DOWN, 10.0, 10.0), (2, DOWN, 690.0, 390.0)))
    assert (a.x, a.y) == (0.0, 0.0)
    assert (b.x, b.y) == (1920.0, 1080.0)
    assert (b.x_mm, b.y_mm) == (690.0, 390.0)


def test_move_only_when_the_contact_changed() -> None:
    f = frame()
    f.handle(report(0, (1, DOWN, 100.0, 100.0)))
    assert f.handle(report(5, (1, MOVE, 100.0, 100.0))) == []
    (ev,) = f.handle(report(10, (1, MOVE, 101.0, 100.0)))
    assert (ev.kind, ev.x_mm, ev.t_ns) == ("move", 101.0, T0 + 10 * MS)


def test_quick_touch_is_a_tap_after_its_up() -> None:
    f = frame()
    f.handle(report(0, (1, DOWN, 350.0, 200.0)))
    f.handle(report(5, (1, MOVE, 350.5, 200.0)))
    events = f.handle(report(100, (1, UP, 350.5, 200.0)))
    assert pointers(events) == [("up", 1)]
    assert events[1] == Tap(id=1, x=960.0, y=540.0, t_ns=T0 + 100 * MS)
    assert f.contacts == {}


def test_gestures_use_the_configured_thresholds() -> None:
    def flick(f: TouchFrame) -> list[Swipe]:
        f.handle(report(0, (1, DOWN, 100.0, 200.0)))
        for k in range(1, 11):  # 30 mm (82 px) right in 50 ms
            f.handle(report(5 * k, (1, MOVE, 100.0 + 3 * k, 200.0)))
        return [e for e in f.handle(report(55, (1, UP, 130.0, 200.0))) if isinstance(e, Swipe)]

    (swipe,) = flick(frame(gestures=GestureConfig(swipe_min_distance_px=50.0)))
    assert swipe.direction == "right"
    assert flick(frame()) == []  # the default needs 100 px


def test_other_boards_are_ignored() -> None:
    f = frame()
    assert f.handle(report(0, (1, DOWN, 10.0, 10.0), board="touch2")) == []
    assert f.contacts == {}


def test_contact_missing_from_a_report_is_released() -> None:
    # Every report lists every current contact: one that is missing lost its up frame.
    f = frame()
    f.handle(report(0, (1, DOWN, 100.0, 100.0), (2, DOWN, 300.0, 100.0)))
    events = f.handle(report(5, (2, MOVE, 301.0, 100.0)))
    assert pointers(events) == [("move", 2), ("up", 1)]
    up = events[1]
    assert (up.x_mm, up.y_mm, up.t_ns) == (100.0, 100.0, T0 + 5 * MS)
    assert set(f.contacts) == {2}


def test_contact_missing_while_another_goes_down_is_released() -> None:
    f = frame()
    f.handle(report(0, (1, DOWN, 100.0, 100.0)))
    events = f.handle(report(5, (2, DOWN, 300.0, 100.0)))
    assert pointers(events) == [("down", 2), ("up", 1)]
    assert set(f.contacts) == {2}


def test_down_of_a_current_id_releases_the_old_contact_first() -> None:
    f = frame()
    f.handle(report(0, (1, DOWN, 100.0, 100.0)))
    events = f.handle(report(5, (1, DOWN, 500.0, 300.0)))
    assert pointers(events) == [("up", 1), ("down", 1)]
    assert events[0].x_mm == 100.0
    assert f.contacts[1].x_mm == 500.0


def test_move_of_an_unknown_id_is_a_down_and_unknown_up_is_dropped() -> None:
    f = frame()
    assert pointers(f.handle(report(0, (7, MOVE, 100.0, 100.0)))) == [("down", 7)]
    assert f.handle(report(5, (7, MOVE, 100.0, 100.0), (8, UP, 20.0, 20.0))) == []


def test_release_lifts_every_contact_without_recognising_a_tap() -> None:
    f = frame()
    f.handle(report(0, (1, DOWN, 100.0, 100.0), (2, DOWN, 300.0, 100.0)))
    f.handle(report(5, (1, MOVE, 100.0, 100.0), (2, MOVE, 400.0, 100.0)))  # a pinch begins
    events = f.release(T0 + 20 * MS)
    assert pointers(events) == [("up", 1), ("up", 2)]
    assert all(e.t_ns == T0 + 20 * MS for e in events)
    assert [(e.TYPE, e.phase) for e in events if isinstance(e, Gesture)] == [("pinch", "end")]  # type: ignore[attr-defined]
    assert f.contacts == {}
    assert f.recognizer.active == 0
    f.handle(report(30, (3, DOWN, 100.0, 100.0)))
    assert not any(isinstance(e, Tap) for e in f.release(T0 + 60 * MS))


def test_tick_fires_the_long_press_and_releases_stale_contacts() -> None:
    f = frame(release_after_s=0.25)
    f.handle(report(0, (1, DOWN, 100.0, 100.0)))
    assert f.next_deadline_ns() == T0 + 250 * MS  # release comes before the long press (500)
    f.handle(report(240, (1, MOVE, 100.0, 100.0)))
    f.handle(report(480, (1, MOVE, 100.0, 100.0)))
    assert f.next_deadline_ns() == T0 + 500 * MS
    assert f.tick(T0 + 499 * MS) == []
    (press,) = f.tick(T0 + 500 * MS)
    assert press == LongPress(id=1, x=f.contacts[1].x, y=f.contacts[1].y, t_ns=T0 + 500 * MS)
    assert f.next_deadline_ns() == T0 + 730 * MS
    assert f.tick(T0 + 729 * MS) == []
    assert pointers(f.tick(T0 + 730 * MS)) == [("up", 1)]
    assert f.contacts == {}
    assert f.next_deadline_ns() is None


# --- on the bus ---------------------------------------------------------------------------------


def live(t_ms_ago: float, *contacts: tuple[int, int, float, float], board: str = "touch"):
    r = report(0, *contacts, board=board)
    return TouchReport(
        board=r.board,
        seq=r.seq,
        rx_ns=time.monotonic_ns() - round(t_ms_ago * MS),
        scan=r.scan,
        t_us=r.t_us,
        contacts=r.contacts,
    )


async def started(f: TouchFrame) -> asyncio.Task[None]:
    task = asyncio.create_task(f.run())
    for _ in range(10):  # until it has subscribed
        await asyncio.sleep(0)
    return task


async def test_run_publishes_pointer_events_and_releases_on_board_lost() -> None:
    bus = EventBus()
    out = bus.subscribe(PointerEvent, Gesture)
    f = frame(bus)
    task = await started(f)
    try:
        bus.publish(live(0, (1, DOWN, 100.0, 100.0), (2, DOWN, 200.0, 100.0)))
        assert (await out.get(1.0)).kind == "down"
        assert (await out.get(1.0)).kind == "down"
        bus.publish(BoardLost(board="lights", port="/dev/ttyACM1", reason="unplugged"))
        bus.publish(BoardLost(board="touch", port="/dev/ttyACM0", reason="unplugged"))
        ups = [await out.get(1.0), await out.get(1.0)]
        assert [(e.kind, e.id) for e in ups] == [("up", 1), ("up", 2)]
        assert f.contacts == {}
        await asyncio.sleep(0.05)
        assert out.drain() == []
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_run_releases_on_reboot() -> None:
    bus = EventBus()
    out = bus.subscribe(PointerEvent)
    f = frame(bus)
    task = await started(f)
    try:
        bus.publish(live(0, (5, DOWN, 100.0, 100.0)))
        assert (await out.get(1.0)).kind == "down"
        hello = Hello(
            board="touch",
            seq=0,
            rx_ns=0,
            schema_rev=wire.SCHEMA_REV,
            schema_hash=wire.SCHEMA_HASH,
            role="touch",
            fw_version="1.0",
            build_hash="abc",
            uid="00",
            reset_cause=0,
            capabilities=0,
        )
        bus.publish(BoardRebooted(board="touch", port="/dev/ttyACM0", hello=hello))
        ev = await out.get(1.0)
        assert (ev.kind, ev.id) == ("up", 5)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_run_fires_a_long_press_and_releases_a_silent_board_by_timer() -> None:
    bus = EventBus()
    out = bus.subscribe(PointerEvent, Gesture)
    f = frame(bus, release_after_s=0.3, gestures=GestureConfig(long_press_s=0.1, tap_max_s=0.05))
    task = await started(f)
    try:
        bus.publish(live(0, (1, DOWN, 100.0, 100.0)))
        assert (await out.get(1.0)).kind == "down"
        start = time.monotonic()
        press = await out.get(1.0)
        assert isinstance(press, LongPress)
        assert 0.08 <= time.monotonic() - start < 0.25
        up = await out.get(1.0)  # no more reports: released after release_after_s
        assert (up.kind, up.id) == ("up", 1)
        assert 0.28 <= time.monotonic() - start < 0.6
        assert f.contacts == {}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


class FakeUInput:
    def __init__(self, fail: bool = False) -> None:
        self.written: list[list[PointerEvent]] = []
        self.fail = fail
        self.closed = False

    def write(self, events: object) -> None:
        if self.fail:
            raise OSError(19, "No such device")
        self.written.append(list(events))  # type: ignore[call-overload]

    def close(self) -> None:
        self.closed = True


async def test_run_feeds_pointer_events_to_uinput_and_drops_it_when_it_fails() -> None:
    bus = EventBus()
    out = bus.subscribe(PointerEvent, Gesture)
    f = frame(bus)
    fake = FakeUInput()
    f.uinput = fake  # type: ignore[assignment]
    task = await started(f)
    try:
        bus.publish(live(200, (1, DOWN, 100.0, 100.0)))
        bus.publish(live(100, (1, UP, 100.0, 100.0)))
        assert [(await out.get(1.0)).kind, (await out.get(1.0)).kind] == ["down", "up"]
        assert isinstance(await out.get(1.0), Tap)
        assert [[e.kind for e in batch] for batch in fake.written] == [["down"], ["up"]]
        fake.fail = True
        bus.publish(live(0, (2, DOWN, 100.0, 100.0)))
        assert (await out.get(1.0)).kind == "down"  # still published on the bus
        assert fake.closed
        assert f.uinput is None
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert fake.closed


async def test_run_without_uinput_where_it_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from vitrine.devices.touch import frame as frame_module
    from vitrine.devices.touch.uinput import UinputUnavailable

    def unavailable(*args: object, **kwargs: object) -> None:
        raise UinputUnavailable("uinput touch device: /dev/uinput does not exist")

    monkeypatch.setattr(frame_module, "open_uinput", unavailable)
    bus = EventBus()
    out = bus.subscribe(PointerEvent)
    f = frame(bus, uinput=True)
    task = await started(f)
    try:
        bus.publish(live(0, (1, DOWN, 100.0, 100.0)))
        assert (await out.get(1.0)).kind == "down"
        assert f.uinput is None
        assert "/dev/uinput does not exist; continuing without it" in caplog.text
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_palm_is_no_pointer_and_no_gesture() -> None:
    # A palm comes down, stays, and lifts within a tap's time: nothing on the bus.
    f = frame()
    events = f.handle(report(0, (1, DOWN, 300.0, 200.0, 60.0)))
    events += f.handle(report(50, (1, MOVE, 301.0, 201.0, 60.0)))
    events += f.handle(report(100, (1, UP, 301.0, 201.0, 60.0)))
    assert events == []
    assert f.contacts == {}


def test_a_finger_beside_a_palm_is_a_pointer_and_taps() -> None:
    f = frame()
    events = f.handle(report(0, (1, DOWN, 300.0, 200.0, 60.0), (2, DOWN, 100.0, 100.0)))
    events += f.handle(report(60, (1, MOVE, 300.0, 200.0, 60.0), (2, UP, 100.0, 100.0)))
    assert pointers(events) == [("down", 2), ("up", 2)]
    assert [e.id for e in events if isinstance(e, Tap)] == [2]


def test_a_finger_that_becomes_a_palm_ends_its_pointer() -> None:
    f = frame()
    events = f.handle(report(0, (5, DOWN, 300.0, 200.0)))
    events += f.handle(report(10, (5, MOVE, 300.0, 200.0, 45.0)))
    assert pointers(events) == [("down", 5), ("up", 5)]
    assert f.contacts == {}


def _health(ready: int) -> TouchHealth:
    return TouchHealth(
        board="touch",
        seq=0,
        rx_ns=0,
        beams=890,
        failed=0,
        saturated=0,
        blinded=0,
        ready=ready,
        failed_beams=(),
    )


def test_status_says_the_frame_is_taking_its_baseline_until_it_is_ready() -> None:
    f = frame()
    assert f.status() == {"board": "touch", "reported": False}
    f.health = _health(0)
    taking = f.status()
    assert taking["ready"] is False
    assert any("taking its baseline" in p for p in taking["problems"])
    f.health = _health(1)
    ready = f.status()
    assert ready["ready"] is True
    assert ready["problems"] == []
