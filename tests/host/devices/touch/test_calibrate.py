"""Touch calibration without the daemon: steady touches judged from pointer-event sequences
(as /ws sends them), the four-target session, and the config file rewrite."""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vitrine.cli import main
from vitrine.cli.calibrate import MirrorTargets, default_url
from vitrine.config import HttpConfig
from vitrine.devices.touch.calibrate import (
    CORNERS,
    MAX_SHOWN_TEXT,
    EventStreamEnded,
    Hold,
    Rejected,
    Result,
    TouchReader,
    TouchTimeout,
    calibrate,
    report_uncalibrated,
    targets,
)
from vitrine.devices.touch.mapping import CalibrationError, Mapping
from vitrine.errors import VitrineError

Point = tuple[float, float]
W_MM, H_MM = 700.0, 400.0
TARGETS = targets(1920, 1080)
NOMINAL = Mapping.nominal((W_MM, H_MM), (1920, 1080))


# --- event sequences --------------------------------------------------------------------------


def pointer(kind: str, cid: int, t_ms: float, x_mm: float, y_mm: float) -> dict[str, Any]:
    x, y = NOMINAL.map(x_mm, y_mm)
    return {
        "type": "pointer",
        "kind": kind,
        "id": cid,
        "x": round(x, 2),
        "y": round(y, 2),
        "x_mm": round(x_mm, 2),
        "y_mm": round(y_mm, 2),
        "diameter_mm": 9.0,
        "board": "touch",
        "scan": int(t_ms / 5),
        "t_ms": round(t_ms, 3),
    }


def touch(
    cid: int,
    at: Point,
    t0_ms: float,
    held_ms: float,
    *,
    noise_mm: float = 0.05,
    seed: int = 0,
    settle: Point = (0.0, 0.0),
    lift: Point = (0.0, 0.0),
    drift: Point = (0.0, 0.0),
) -> list[dict[str, Any]]:
    """One contact as the daemon reports it: a down, a move every 5 ms (a small jitter around
    `at`, plus `drift` spread over the hold), an up. settle: offset for the first 30 ms; lift:
    offset for the last 30 ms (a finger rolling as it lands and lifts)."""
    rng = random.Random(seed)
    events = []
    steps = int(held_ms // 5)
    for n in range(steps + 1):
        t = n * 5.0 if n < steps else held_ms
        dx, dy = drift[0] * t / held_ms, drift[1] * t / held_ms
        if t < 30:
            dx, dy = dx + settle[0], dy + settle[1]
        elif t > held_ms - 30:
            dx, dy = dx + lift[0], dy + lift[1]
        kind = "down" if n == 0 else "up" if n == steps else "move"
        x = at[0] + dx + rng.uniform(-noise_mm, noise_mm)
        y = at[1] + dy + rng.uniform(-noise_mm, noise_mm)
        events.append(pointer(kind, cid, t0_ms + t, x, y))
    return events


async def stream(*parts: Iterable[dict[str, Any]], then_wait: bool = False) -> AsyncIterator[Any]:
    """The events in order; then the stream ends, or (then_wait) stays open with nothing new."""
    for part in parts:
        for event in part:
            yield event
    if then_wait:
        await asyncio.Event().wait()


async def holds(*parts: Iterable[dict[str, Any]], count: int = 1) -> list[Hold | Rejected]:
    reader = TouchReader(stream(*parts))
    return [await reader.hold() for _ in range(count)]


# --- one steady touch -------------------------------------------------------------------------


async def test_steady_hold_gives_the_median_without_landing_and_lift_off() -> None:
    # A finger that lands 6 mm off and rolls 8 mm as it lifts: both left out, and the median
    # of the jittery positions in between is where the finger was held.
    events = touch(3, (70.3, 40.7), 1000.0, 450.0, settle=(6.0, -2.0), lift=(0.0, 8.0))
    [hold] = await holds(events)
    assert isinstance(hold, Hold), hold
    assert hold.frame_mm == pytest.approx((70.3, 40.7), abs=0.06)
    assert hold.held_s == pytest.approx(0.45)
    assert hold.spread_mm < 0.2
    assert hold.samples >= 60


async def test_a_still_finger_reporting_nothing_between_down_and_up() -> None:
    # The daemon sends a move only when a contact changed: a perfectly still finger is a down
    # and, much later, an up.
    events = [pointer("down", 1, 0.0, 630.06, 41.16), pointer("up", 1, 600.0, 630.06, 41.16)]
    [hold] = await holds(events)
    assert hold == Hold((630.06, 41.16), 0.6, 0.0, 1)


async def test_the_median_is_over_time_not_reports() -> None:
    # Three quick reports just after landing, then the finger settles 2 mm on and stays there,
    # still, with nothing new to report until it lifts: it was there nearly all the time.
    events = [
        pointer("down", 1, 0.0, 100.0, 100.0),
        pointer("move", 1, 55.0, 100.0, 100.01),
        pointer("move", 1, 60.0, 100.01, 100.0),
        pointer("move", 1, 65.0, 102.0, 100.0),
        pointer("up", 1, 600.0, 102.0, 100.0),
    ]
    [hold] = await holds(events)
    assert isinstance(hold, Hold)
    assert (hold.frame_mm, hold.held_s, hold.samples) == ((102.0, 100.0), 0.6, 4)
    assert hold.spread_mm == pytest.approx(2.0, abs=0.01)


async def test_too_short() -> None:
    [hold] = await holds(touch(1, (300.0, 200.0), 0.0, 200.0))
    assert isinstance(hold, Rejected)
    assert "too short: held 0.20 s" in hold.reason
    assert "at least 0.3 s" in hold.reason


async def test_wobbly() -> None:
    [hold] = await holds(touch(1, (300.0, 200.0), 0.0, 600.0, drift=(5.0, 3.0)))
    assert isinstance(hold, Rejected)
    assert "moved" in hold.reason
    assert "hold it still" in hold.reason


async def test_thresholds_are_the_readers() -> None:
    events = touch(1, (300.0, 200.0), 0.0, 600.0, drift=(5.0, 3.0))
    reader = TouchReader(stream(events), max_spread_mm=5.0)
    assert isinstance(await reader.hold(), Hold)
    reader = TouchReader(stream(touch(1, (300.0, 200.0), 0.0, 200.0)), min_hold_s=0.15)
    assert isinstance(await reader.hold(), Hold)


async def test_second_finger_rejects_the_touch_and_waits_for_all_to_lift() -> None:
    first = touch(1, (100.0, 100.0), 0.0, 500.0)
    second = touch(2, (400.0, 300.0), 100.0, 500.0)
    both = sorted(first + second, key=lambda e: e["t_ms"])
    # Once both are down nothing counts until every finger is off the glass: a third finger
    # landing while the second is still down is ignored too.
    third = touch(3, (500.0, 300.0), 520.0, 400.0)
    late = sorted([e for e in both if e["t_ms"] > 100.0] + third, key=lambda e: e["t_ms"])
    after = touch(4, (200.0, 150.0), 2000.0, 400.0)
    reader = TouchReader(stream([e for e in both if e["t_ms"] <= 100.0], late, after))
    rejected = await reader.hold()
    assert isinstance(rejected, Rejected)
    assert rejected.reason.startswith("one finger only")
    hold = await reader.hold()
    assert isinstance(hold, Hold)
    assert hold.frame_mm == pytest.approx((200.0, 150.0), abs=0.06)


async def test_a_finger_already_resting_on_the_glass() -> None:
    # A contact that was down before the reader started (first seen as a move) keeps every
    # other touch from counting until it lifts.
    resting = [pointer("move", 7, 0.0, 10.0, 390.0)]
    ignored = touch(8, (350.0, 200.0), 50.0, 500.0)
    lifted = [pointer("up", 7, 700.0, 10.0, 390.0)]
    used = touch(9, (650.0, 350.0), 900.0, 400.0)
    [hold] = await holds(resting, ignored, lifted, used)
    assert isinstance(hold, Hold)
    assert hold.frame_mm == pytest.approx((650.0, 350.0), abs=0.06)


async def test_other_events_and_malformed_ones_are_skipped() -> None:
    noise: list[Any] = [
        {"type": "tap", "id": 1, "x": 5.0, "y": 5.0, "t_ms": 1.0},
        {"type": "error", "error": "this socket only sends events; ignored"},
        {"type": "pointer", "kind": "down", "id": 5},  # no position
        {"type": "pointer", "kind": "hover", "id": 5, "x_mm": 1, "y_mm": 1, "t_ms": 2},
        ["not", "an", "object"],
    ]
    [hold] = await holds(noise, touch(2, (123.4, 321.9), 10.0, 400.0))
    assert isinstance(hold, Hold)
    assert hold.frame_mm == pytest.approx((123.4, 321.9), abs=0.06)


async def test_end_of_stream() -> None:
    reader = TouchReader(stream(touch(1, (1.0, 1.0), 0.0, 400.0)[:10]))
    with pytest.raises(EventStreamEnded, match="event stream ended"):
        await reader.hold()


# --- the session: four targets ---------------------------------------------------------------

# The frame mounted off nominal: shifted by (12, -7) mm and turned 1 degree about its centre.
_A = math.radians(1.0)
_MOUNT = np.array(
    [
        [math.cos(_A), -math.sin(_A), 12.0],
        [math.sin(_A), math.cos(_A), -7.0],
        [0.0, 0.0, 1.0],
    ]
)
_C = np.array([[1.0, 0.0, -350.0], [0.0, 1.0, -200.0], [0.0, 0.0, 1.0]])
H_TRUE = np.array(NOMINAL.matrix) @ np.linalg.inv(_C) @ _MOUNT @ _C  # frame mm -> display px


def apply(h: np.ndarray, p: Point) -> Point:
    x, y, w = h @ np.array([p[0], p[1], 1.0])
    return (float(x / w), float(y / w))


def frame_point(target_px: Point) -> Point:
    return apply(np.linalg.inv(H_TRUE), target_px)


def session(*touches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for t in touches for e in t]


async def run_session(
    events: list[dict[str, Any]], timeout: float = 5.0
) -> tuple[Result, list[str]]:
    said: list[str] = []
    result = await calibrate(
        stream(events, then_wait=True), TARGETS, timeout=timeout, say=said.append
    )
    report_uncalibrated(result, NOMINAL, said.append)
    return result, said


def test_targets() -> None:
    assert [(t.number, t.name, t.x, t.y) for t in TARGETS] == [
        (1, "top-left", 192.0, 108.0),
        (2, "top-right", 1728.0, 108.0),
        (3, "bottom-right", 1728.0, 972.0),
        (4, "bottom-left", 192.0, 972.0),
    ]
    assert [t.display_px for t in targets(3840, 2160, 0.05)] == [
        (192.0, 108.0),
        (3648.0, 108.0),
        (3648.0, 2052.0),
        (192.0, 2052.0),
    ]
    for inset in (0.0, 0.5, -0.1):
        with pytest.raises(ValueError, match="inset"):
            targets(1920, 1080, inset)


async def test_session_solves_the_mounting() -> None:
    touches = [
        touch(n, frame_point(t.display_px), 1000.0 * n, 450.0, seed=n)
        for n, t in enumerate(TARGETS, 1)
    ]
    result, said = await run_session(session(*touches))
    assert [display for _, display in result.pairs] == [t.display_px for t in TARGETS]
    mapping = result.calibration.mapping()
    rng = random.Random(1)
    for _ in range(20):
        p = (rng.uniform(0, W_MM), rng.uniform(0, H_MM))
        assert math.dist(mapping.map(*p), apply(H_TRUE, p)) < 1.0
    assert said[0].startswith("Touch and hold target 1 of 4 (top-left) at (192, 108) px")
    assert sum(s.startswith("Touch and hold") for s in said) == 4
    assert any(s.startswith("Calibration solved") for s in said)
    # Where the nominal map puts the touches: the 12 mm shift alone is 33 px on this display.
    nominal_lines = [s for s in said if s.startswith("  target ")]
    assert len(nominal_lines) == 4
    assert "px from (192, 108)" in nominal_lines[0]
    worst = re.fullmatch(r"The calibration corrects up to ([\d.]+) px at the targets\.", said[-1])
    assert worst is not None, said[-1]
    assert 33 < float(worst[1]) < 60


async def test_session_asks_again_for_a_target_until_its_touch_is_usable() -> None:
    t1, t2, t3, t4 = (frame_point(t.display_px) for t in TARGETS)
    events = session(
        touch(1, t1, 0.0, 400.0),
        touch(2, t2, 1000.0, 150.0),  # too short
        touch(3, t1, 2000.0, 400.0),  # where target 1 was touched
        touch(4, t2, 3000.0, 500.0, drift=(0.0, 6.0)),  # wobbly
        touch(5, t2, 4000.0, 400.0),
        touch(6, t3, 5000.0, 400.0),
        touch(7, t4, 6000.0, 400.0),
    )
    result, said = await run_session(events)
    prompts = [s[:32] for s in said if s.startswith("Touch and hold")]
    assert prompts == [
        "Touch and hold target 1 of 4 (to",
        *["Touch and hold target 2 of 4 (to"] * 4,
        "Touch and hold target 3 of 4 (bo",
        "Touch and hold target 4 of 4 (bo",
    ]
    refusals = [s for s in said if s.startswith("  Not used")]
    assert "too short" in refusals[0]
    assert "that is where target 1 was touched" in refusals[1]
    assert "moved" in refusals[2]
    assert result.pairs[1][0] == pytest.approx(t2, abs=0.06)


async def test_session_times_out_waiting_for_a_touch() -> None:
    t1 = frame_point(TARGETS[0].display_px)
    with pytest.raises(TouchTimeout, match=r"target 2 \(top-right\) within 0.2 s"):
        await run_session(touch(1, t1, 0.0, 400.0), timeout=0.2)


async def test_session_refuses_touches_that_give_no_map() -> None:
    # Three of the touches on one line (the frame's top edge): no usable calibration.
    line = [(100.0, 50.0), (350.0, 50.0), (600.0, 50.0), (100.0, 350.0)]
    events = session(*(touch(n, p, 1000.0 * n, 400.0) for n, p in enumerate(line, 1)))
    with pytest.raises(CalibrationError, match="no usable calibration: frame_mm points 1, 2"):
        await run_session(events)


# --- the targets drawn on the mirror ---------------------------------------------------------

ASK = "Touch and hold the centre of the target with one finger, still, then lift it."


class Log:
    """What calibrate() does, in order: lines said, targets shown and hidden, and each touch's
    down as the reader takes it from the stream."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []

    def say(self, line: str) -> None:
        self.entries.append(("say", line))

    async def show(self, step: int, of: int, x: float, y: float, text: str) -> None:
        self.entries.append(("show", step, of, x, y, text))

    async def hide(self) -> None:
        self.entries.append(("hide",))

    async def stream(self, events: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        for event in events:
            if event["kind"] == "down":
                self.entries.append(("down", event["id"]))
            yield event
        await asyncio.Event().wait()

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.entries if e[0] == kind]

    async def session(self, events: list[dict[str, Any]], timeout: float = 5.0) -> Result:
        return await calibrate(
            self.stream(events), TARGETS, timeout=timeout, say=self.say, mirror=self
        )


async def test_each_target_is_shown_before_its_touch_and_hidden_at_the_end() -> None:
    t1, t2, t3, t4 = (frame_point(t.display_px) for t in TARGETS)
    log = Log()
    await log.session(
        session(
            touch(1, t1, 0.0, 400.0),
            touch(2, t2, 1000.0, 150.0),  # too short
            touch(3, t1, 2000.0, 400.0),  # where target 1 was touched
            touch(4, t2, 3000.0, 400.0),
            touch(5, t3, 4000.0, 400.0),
            touch(6, t4, 5000.0, 400.0),
        )
    )
    shown = log.of("show")
    assert [s[1:5] for s in shown] == [
        (1, 4, 192.0, 108.0),
        (2, 4, 1728.0, 108.0),
        (2, 4, 1728.0, 108.0),
        (2, 4, 1728.0, 108.0),
        (3, 4, 1728.0, 972.0),
        (4, 4, 192.0, 972.0),
    ]
    texts = [s[5] for s in shown]
    assert texts[0] == texts[1] == texts[4] == texts[5] == ASK
    assert texts[2].startswith("Not used: too short: held 0.15 s;")
    assert texts[2].endswith(". Touch and hold the target again.")
    assert texts[3] == (
        "Not used: that is where target 1 was touched. Touch and hold the target again."
    )
    assert all(len(t) <= MAX_SHOWN_TEXT for t in texts)
    # Each touch is read only once its target is on the mirror, after its terminal prompt.
    kinds = [e[0] for e in log.entries if e[0] in ("show", "down", "hide")]
    assert kinds == ["show", "down"] * 6 + ["hide"]
    for n, entry in enumerate(log.entries):
        if entry[0] == "show":
            assert log.entries[n - 1][1].startswith(f"Touch and hold target {entry[1]} of 4")
    # Hidden once, before the result is reported.
    hide_at = log.entries.index(("hide",))
    assert log.of("hide") == [("hide",)]
    assert log.entries[hide_at + 1][1].startswith("Calibration solved")


async def test_the_targets_are_hidden_when_no_touch_comes_in_time() -> None:
    log = Log()
    with pytest.raises(TouchTimeout):
        await log.session(touch(1, frame_point(TARGETS[0].display_px), 0.0, 400.0), timeout=0.2)
    assert [e[0] for e in log.entries if e[0] != "say"] == ["show", "down", "show", "hide"]


async def test_the_targets_are_hidden_when_the_daemon_goes_away() -> None:
    log = Log()
    events = touch(1, frame_point(TARGETS[0].display_px), 0.0, 400.0)
    with pytest.raises(EventStreamEnded):
        await calibrate(stream(events), TARGETS, say=log.say, mirror=log, timeout=5)
    assert log.of("show")[-1][1] == 2
    assert log.entries[-1] == ("hide",)


async def test_the_targets_are_hidden_when_the_calibration_is_stopped() -> None:
    log = Log()
    task = asyncio.create_task(log.session([]))
    for _ in range(100):
        if log.of("show"):
            break
        await asyncio.sleep(0.01)
    task.cancel()  # Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e[0] for e in log.entries if e[0] != "say"] == ["show", "hide"]


async def test_the_targets_are_hidden_before_touches_that_give_no_map_are_refused() -> None:
    line = [(100.0, 50.0), (350.0, 50.0), (600.0, 50.0), (100.0, 350.0)]
    log = Log()
    with pytest.raises(CalibrationError):
        await log.session(session(*(touch(n, p, 1000.0 * n, 400.0) for n, p in enumerate(line, 1))))
    assert len(log.of("show")) == 4
    assert log.entries[-1] == ("hide",)


async def test_nothing_to_hide_when_nothing_was_shown() -> None:
    log = Log()
    with pytest.raises(ValueError, match="4 targets"):
        await calibrate(stream([]), TARGETS[:3], mirror=log)
    assert not log.of("show") and not log.of("hide")


class FakeSocket:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[Any] = []
        self.error = error

    async def send(self, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(json.loads(text))


async def test_the_command_sends_the_targets_as_the_daemon_takes_them() -> None:
    from vitrine.web.app import CalibrationDone, CalibrationMessage

    ws = FakeSocket()
    mirror = MirrorTargets(ws)
    await mirror.show(1, 4, 192.0, 108.0, ASK)
    await mirror.hide()
    assert ws.sent == [
        {"type": "calibration", "step": 1, "of": 4, "x": 192.0, "y": 108.0, "text": ASK},
        {"type": "calibration_done"},
    ]
    CalibrationMessage.model_validate(ws.sent[0])
    CalibrationDone.model_validate(ws.sent[1])


async def test_the_command_goes_on_when_a_target_cannot_be_sent() -> None:
    from websockets.exceptions import ConnectionClosedError

    ws = FakeSocket(ConnectionClosedError(None, None))
    mirror = MirrorTargets(ws)
    await mirror.show(1, 4, 192.0, 108.0, ASK)  # no exception: the prompts still say where
    await mirror.hide()
    assert ws.sent == []


# --- the command, before it reaches the daemon -------------------------------------------------


def test_default_url() -> None:
    assert default_url(HttpConfig()) == "ws://127.0.0.1:8080/ws"
    assert default_url(HttpConfig(host="0.0.0.0", port=9000)) == "ws://127.0.0.1:9000/ws"
    assert default_url(HttpConfig(host="::", port=9000)) == "ws://[::1]:9000/ws"
    assert default_url(HttpConfig(host="mirror7.local", port=80)) == "ws://mirror7.local:80/ws"
    with pytest.raises(VitrineError, match="--url"):
        default_url(HttpConfig(port=0))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "missing.toml: cannot read"),
        (["--inset", "0.6"], "--inset 0.6: allowed more than 0, at most 0.4"),
        (["--timeout", "0"], "--timeout 0: allowed"),
        (["--url", "http://127.0.0.1:8080/ws"], "not a WebSocket address"),
    ],
)
def test_command_errors_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    config = tmp_path / ("missing.toml" if not args else "vitrine.toml")
    if args:
        config.write_text('[touch]\nframe = "32in"\n')
    assert main(["calibrate", "touch", "--config", str(config), *args]) == 2
    assert message in capsys.readouterr().err


def test_corner_names_go_around() -> None:
    assert CORNERS == ("top-left", "top-right", "bottom-right", "bottom-left")
