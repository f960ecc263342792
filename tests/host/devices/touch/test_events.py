"""The touch events: immutable, and their WebSocket form."""

from __future__ import annotations

import dataclasses
import json

import pytest

from vitrine.devices.touch.events import (
    DoubleTap,
    Gesture,
    LongPress,
    Pinch,
    PointerEvent,
    Rotate,
    Swipe,
    Tap,
)

POINTER = PointerEvent(
    kind="down",
    id=3,
    x=960.123,
    y=540.456,
    x_mm=350.03125,
    y_mm=200.0,
    diameter_mm=9.25,
    board="touch",
    t_ns=1_234_567_891,
    scan=77,
)


def test_pointer_json() -> None:
    assert POINTER.to_json() == {
        "type": "pointer",
        "kind": "down",
        "id": 3,
        "x": 960.12,
        "y": 540.46,
        "x_mm": 350.03,
        "y_mm": 200.0,
        "diameter_mm": 9.25,
        "board": "touch",
        "scan": 77,
        "t_ms": 1234.568,
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            Tap(id=1, x=10.0, y=20.0, t_ns=5_000_000),
            {"type": "tap", "id": 1, "x": 10.0, "y": 20.0, "t_ms": 5.0},
        ),
        (
            DoubleTap(id=2, x=10.0, y=20.0, t_ns=5_000_000),
            {"type": "double_tap", "id": 2, "x": 10.0, "y": 20.0, "t_ms": 5.0},
        ),
        (
            LongPress(id=3, x=10.0, y=20.0, t_ns=5_000_000),
            {"type": "long_press", "id": 3, "x": 10.0, "y": 20.0, "t_ms": 5.0},
        ),
        (
            Swipe(id=4, direction="left", velocity=1999.96, distance=300.04, x=1, y=2, t_ns=7_000),
            {
                "type": "swipe",
                "id": 4,
                "direction": "left",
                "velocity": 2000.0,
                "distance": 300.0,
                "x": 1,
                "y": 2,
                "t_ms": 0.007,
            },
        ),
        (
            Pinch(phase="begin", scale=1.23456, x=5.0, y=6.0, t_ns=1_000_000),
            {"type": "pinch", "phase": "begin", "scale": 1.2346, "x": 5.0, "y": 6.0, "t_ms": 1.0},
        ),
        (
            Rotate(phase="end", angle=-45.678, x=5.0, y=6.0, t_ns=1_000_000),
            {"type": "rotate", "phase": "end", "angle": -45.68, "x": 5.0, "y": 6.0, "t_ms": 1.0},
        ),
    ],
)
def test_gesture_json(event: Gesture, expected: dict[str, object]) -> None:
    assert isinstance(event, Gesture)
    assert event.to_json() == expected
    assert expected["type"] == event.TYPE
    json.dumps(event.to_json())


def test_events_are_frozen_and_slotted() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        POINTER.x = 0.0  # type: ignore[misc]
    assert not hasattr(POINTER, "__dict__")
    tap = Tap(id=1, x=1.0, y=2.0, t_ns=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tap.x = 0.0  # type: ignore[misc]
    assert not hasattr(tap, "__dict__")
