"""Fingers held on the 55-inch glass with one bar in sunlight (the y receivers' bar: their
straight y beams saturated over most of the glass): a place on one finger's straight x shadow
where another finger's oblique y shadows cross it is no finger when it does not fit in them.
A scene of the touch benchmark's full run (`measure_ghosts`, its sunlight seed) gave such a
ghost for three scans: a finger (106, 363, 8.1 mm) whose straight y beams are saturated, and
its nearest beam in one oblique y family too, was placed along y by one oblique family only
(too vaguely) and dropped; a place on the straight x shadow of a finger at the left edge (57,
310; no oblique x beam reaches there, and its own y beams are saturated: not found either)
took the first one's two oblique y shadows as its own, 1.9 mm inside an edge of one of them
(7.4 mm wide), where a finger as wide as the narrowest shadow it has to itself would reach
beyond that edge.

Replayed whole as the benchmark does (its Scenario seed, positions rounded to 0.1 mm)."""

from __future__ import annotations

import pytest

from vitrine.bench.touch import GHOST_SCENE_MS

from .ghost_scenes import count

# the scene's seed, and its fingers: (diameter mm, (x, y) at 0 ms, (x, y) at its end)
SCENES = {
    "obliques-on-an-edge-finger-s-x-shadow": (
        20261276,
        [
            (11.7, (1010.6, 505.1), (1011.4, 504.4)),
            (9.2, (1037.3, 80.6), (1037.3, 82.7)),
            (9.3, (100.4, 167.4), (98.7, 167.5)),
            (10.6, (57.6, 309.4), (59.4, 315.5)),
            (12.5, (989.8, 208.9), (992.0, 211.7)),
            (11.7, (977.4, 368.3), (980.7, 367.9)),
            (10.4, (100.0, 42.8), (99.6, 45.2)),
            (9.4, (887.2, 260.1), (888.0, 255.8)),
            (8.1, (106.4, 361.7), (106.5, 368.1)),
        ],
    ),
}


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_a_place_too_wide_for_the_oblique_shadows_it_takes_is_no_finger(scene: str) -> None:
    seed, fingers = SCENES[scene]
    got = count("55in", "sun", seed, GHOST_SCENE_MS, fingers)
    assert got.seen == got.scans  # the fingers are seen (not a frame that reports nothing)
    assert got.ghosts == []
