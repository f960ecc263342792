"""Bench scenes replayed for the touch ghost tests: fingers on the glass under the benchmark's
light, what the firmware reports scan by scan, counted as the benchmark counts them
(vitrine.bench.touch: a touch farther than GHOST_MM beyond every finger's edge is a ghost).

A scene is (diameter mm, (x, y) at 0 ms, (x, y) at its end) per finger, each moving in a
straight line, replayed whole with the benchmark's Scenario seeds (positions rounded as the
test that lists it says)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from vitrine.bench.touch import AMBIENT, GHOST_MM, SUN
from vitrine.hardware import frame_config, load_frame
from vitrine.sim.scenario import PathFinger, Scenario
from vitrine.sim.touch import replay

LIGHT = {"ambient": AMBIENT, "sun": SUN}  # the benchmark's: ambient 0.6, sun across one bar

Fingers = list[tuple[float, tuple[float, float], tuple[float, float]]]


@dataclass
class Count:
    scans: int = 0
    seen: int = 0  # scans in which a touch lies near a finger
    found: int = 0  # touches near a finger, over every scan
    ghosts: list[tuple[float, int, int]] = field(default_factory=list)  # (ms, x mm, y mm)


def paths(fingers: Fingers, ms: float) -> tuple[PathFinger, ...]:
    return tuple(PathFinger(i + 1, d, ((0.0, *a), (ms, *b))) for i, (d, a, b) in enumerate(fingers))


def count(frame: str | dict[str, Any], light: str, seed: int, ms: float, fingers: Fingers) -> Count:
    """Replay a scene of `ms` on the frame (a name in hardware/frames/, or a frame as
    frame_config gives it) under LIGHT[light]."""
    if isinstance(frame, str):
        frame = frame_config(load_frame(frame))
    out = Count()
    for scan in replay(Scenario(frame, LIGHT[light], ms, paths(fingers, ms), seed)):
        out.scans += 1
        found = 0
        for c in scan.touches:
            far = [
                math.hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) - t.diameter_mm / 2 for t in scan.truth
            ]
            if min(far) > GHOST_MM:
                out.ghosts.append((round(scan.t_ms, 1), round(c.x_mm), round(c.y_mm)))
            else:
                found += 1
        out.found += found
        out.seen += 1 if found else 0
    return out
