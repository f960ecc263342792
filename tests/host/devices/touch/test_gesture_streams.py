"""Gesture recognition replayed from recorded pointer streams (streams/*.json).

Each stream has its inputs ([t, kind, id, x, y] or [t, "tick"], t in seconds) and the gestures
expected from it, pinch/rotate updates left out (their count depends on the report rate).
An expected value is either exact (text) or a [low, high] range; "t_ms" counts from the
stream's first input.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from vitrine.devices.touch.events import GestureEvent
from vitrine.devices.touch.gestures import GestureRecognizer, Thresholds

STREAMS = sorted((Path(__file__).parent / "streams").glob("*.json"))


def replay(inputs: list[list[Any]], recognizer: GestureRecognizer) -> list[GestureEvent]:
    """Feed the inputs, flushing after each group of inputs with the same time (a report)."""
    out: list[GestureEvent] = []
    last_t = None
    for row in inputs:
        t, kind = row[0], row[1]
        if last_t is not None and t != last_t:
            out += recognizer.flush()
        last_t = t
        if kind == "tick":
            out += recognizer.tick(t)
        else:
            out += getattr(recognizer, kind)(row[2], row[3], row[4], t)
    out += recognizer.flush()
    return out


def matches(event: GestureEvent, expected: dict[str, Any], t0: float) -> list[str]:
    problems = []
    for key, want in expected.items():
        if key == "type":
            got: Any = event.TYPE
        elif key == "t_ms":
            got = event.t_ns / 1e6 - t0 * 1000
        else:
            got = getattr(event, key)
        if isinstance(want, list):
            low, high = want
            if not low - 0.01 <= got <= high + 0.01:
                problems.append(f"{key} = {got!r}, expected within {want}")
        elif got != want:
            problems.append(f"{key} = {got!r}, expected {want!r}")
    return problems


def test_there_are_streams() -> None:
    names = {p.stem for p in STREAMS}
    assert {"tap", "double_tap", "long_press", "fast_left_swipe", "pinch_out"} <= names
    assert {"slow_drag", "resting_jitter", "two_taps_far", "rotate_45"} <= names


@pytest.mark.parametrize("path", STREAMS, ids=[p.stem for p in STREAMS])
def test_stream(path: Path) -> None:
    stream = json.loads(path.read_text())
    inputs = stream["input"]
    events = replay(inputs, GestureRecognizer(Thresholds(**stream.get("thresholds", {}))))
    t0 = inputs[0][0]
    shown = [e for e in events if getattr(e, "phase", None) != "update"]
    described = "\n".join(repr(e) for e in shown)
    assert len(shown) == len(stream["expect"]), f"{stream['description']}\ngot:\n{described}"
    for event, expected in zip(shown, stream["expect"], strict=True):
        assert not matches(event, expected, t0), (
            f"{stream['description']}\n{event!r}: {matches(event, expected, t0)}"
        )
    # two-finger gestures: begin, at least one update, end; times never go back
    for kind in ("pinch", "rotate"):
        phases = "".join(e.phase[0] for e in events if kind == e.TYPE)  # type: ignore[union-attr]
        assert re.fullmatch(r"(bu+e)*", phases), f"{kind} phases {phases}"
    times = [e.t_ns for e in events]
    assert times == sorted(times)
