"""Fingers that the detector's second look (recheck(), after the fit) must keep: a real finger
dropped there for three scans is reported up and comes back as another contact (an id
switch). The scenes are the touch benchmark's (exact sets on the 32-inch frame, the bench's
seed):

- 5 fingers, its 26th scenario: an 8 mm finger whose shadow in a steep oblique family was
  measured 5 mm wide (its edges short of where the finger's are), with the finger's centre
  1.5 mm inside one of them, was taken for a place at the very edge of a shadow (no
  finger's);
- 10 fingers, its 25th: a finger at the right edge (no oblique x beam reaches there) whose
  straight shadows both lie in other fingers' (one at the same x, four in a row along y), seen
  in oblique y shadows of its own leaning either way, which pin its x together although each
  is steep along x, was taken for a place that other fingers' shadows make up."""

from __future__ import annotations

import math

import pytest

from vitrine.bench.touch import MODEL
from vitrine.hardware import frame_config, load_frame
from vitrine.sim.scenario import Scenario
from vitrine.sim.touch import replay

from .ghost_scenes import paths

MATCH_MM = 5.0

# the scene's seed, and its fingers: (diameter mm, (x, y) at 0 ms, (x, y) at 400 ms), rounded
# to 0.1 mm
SCENES = {
    "faint-oblique-shadow": (
        20300744,
        [
            (8.1, (555.1, 267.1), (558.6, 285.2)),
            (10.4, (15.1, 89.1), (12.0, 71.5)),
            (12.0, (644.6, 55.8), (634.0, 50.1)),
            (10.4, (183.7, 303.7), (170.8, 340.1)),
            (11.7, (286.4, 189.8), (267.3, 184.1)),
        ],
    ),
    "straight-shadows-in-others-at-the-right-edge": (
        20340338,
        [
            (11.1, (445.6, 56.0), (455.5, 64.5)),
            (9.6, (87.3, 259.3), (69.0, 246.1)),
            (8.6, (530.3, 253.2), (528.8, 240.0)),
            (13.9, (259.6, 308.9), (240.3, 321.0)),
            (10.6, (316.0, 180.2), (325.2, 167.9)),
            (12.0, (204.1, 71.2), (192.3, 63.0)),
            (13.9, (679.9, 207.7), (667.5, 236.5)),
            (8.3, (525.2, 283.4), (536.1, 276.5)),
            (13.0, (669.9, 260.4), (681.0, 276.5)),
            (12.4, (356.5, 284.0), (342.6, 300.9)),
        ],
    ),
}


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_a_finger_keeps_its_contact(scene: str) -> None:
    seed, fingers = SCENES[scene]
    frame = frame_config(load_frame("32in"))
    ids: dict[int, set[int]] = {}
    for scan in replay(Scenario(frame, MODEL, 400.0, paths(fingers, 400.0), seed)):
        for t in scan.truth:
            for c in scan.touches:
                if math.hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) < MATCH_MM:
                    ids.setdefault(t.id, set()).add(c.id)
    assert sorted(ids) == list(range(1, len(fingers) + 1))  # every finger reported
    assert all(len(v) == 1 for v in ids.values()), ids  # each by one contact throughout
