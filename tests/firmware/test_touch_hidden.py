"""A finger hidden by the others (every shadow it casts also another finger's, so the fewest
touches that explain the shadows leave it out) is taken back by unexplained(), where a shadow
reaches beyond every touch in it: at the candidate most families saw in a shadow, among those
that reach that end, not merely the one nearest it. The scene is the touch benchmark's (exact
sets on the 32-inch frame, the bench's seed, 10 fingers, its 48th scenario): two fingers at the
right edge at the same x, 45 mm apart in y, in one straight x shadow. The one at the larger y,
hidden, was taken back at the candidate where that x shadow crosses the y shadow of three other
fingers, 0.8 mm nearer the shadow's end than its own, seen by two families fewer: a ghost 15 mm
from it, which then pushed the other finger to the shadow's other edge, where recheck() dropped
it for three scans: reported up, and back as another contact (an id switch)."""

from __future__ import annotations

import math

from vitrine.bench.touch import MODEL
from vitrine.hardware import frame_config, load_frame
from vitrine.sim.scenario import Scenario
from vitrine.sim.touch import replay

from .ghost_scenes import paths

MATCH_MM = 5.0
SEED = 20340361  # the bench's: 20261124 + 7919 * 10 + 47
# (diameter mm, (x, y) at 0 ms, (x, y) at 400 ms), rounded to 0.1 mm
FINGERS = [
    (11.1, (35.5, 342.2), (50.1, 355.2)),
    (10.9, (666.2, 319.3), (672.8, 319.4)),
    (10.0, (176.1, 371.6), (160.1, 380.6)),
    (13.3, (664.4, 357.3), (688.0, 377.5)),
    (9.9, (512.1, 342.9), (503.9, 348.8)),
    (12.7, (554.9, 318.7), (557.3, 319.5)),
    (9.3, (327.3, 157.7), (336.0, 159.1)),
    (11.5, (236.5, 341.4), (226.0, 321.1)),
    (10.5, (381.2, 85.7), (393.3, 95.1)),
    (10.4, (457.8, 163.9), (472.0, 167.6)),
]


def test_a_hidden_finger_is_taken_back_where_it_is() -> None:
    frame = frame_config(load_frame("32in"))
    ids: dict[int, set[int]] = {}
    misplaced = []  # (scan's time, finger) with no touch within MATCH_MM
    for scan in replay(Scenario(frame, MODEL, 400.0, paths(FINGERS, 400.0), SEED)):
        for t in scan.truth:
            near = [
                c.id
                for c in scan.touches
                if math.hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) < MATCH_MM
            ]
            if near:
                ids.setdefault(t.id, set()).update(near)
            else:
                misplaced.append((round(scan.t_ms, 1), t.id))
    assert sorted(ids) == list(range(1, len(FINGERS) + 1))  # every finger reported
    assert all(len(v) == 1 for v in ids.values()), ids  # each by one contact throughout
    assert misplaced == []
