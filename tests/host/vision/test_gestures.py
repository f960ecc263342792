"""The gesture recogniser on scripted hands: a wave, swipes both ways, an open palm held up,
and what must not count (a hand at the collar, a closed hand, the first swing of a wave)."""

from __future__ import annotations

import math

import numpy as np

from vitrine.vision.gestures import GestureRecognizer
from vitrine.vision.hands import Hand, Palm

PALM_PX = 40.0  # wrist to the middle finger's base
DT = 1 / 15  # gestures are looked for on every other frame at 30 frames/s


def hand(
    cx: float,
    cy: float,
    *,
    open_: bool = True,
    angle_deg: float = 0.0,
    presence: float = 0.95,
    scale: float = 1.0,
) -> Hand:
    """An open (or closed) hand centred near (cx, cy), fingers up (angle 0) or turned, its
    palm PALM_PX * scale long."""
    pts = np.zeros((21, 2), np.float32)
    pts[0] = (0, 40)  # wrist
    bases = {1: (-15, 30), 5: (-12, 0), 9: (0, 0), 13: (10, 2), 17: (18, 6)}
    for k, (x, y) in bases.items():
        pts[k] = (x, y)
    reach = 30.0 if open_ else 8.0
    for base, pip, tip in ((5, 6, 8), (9, 10, 12), (13, 14, 16), (17, 18, 20)):
        bx, by = pts[base]
        pts[pip] = (bx, by - 12)
        pts[pip + 1] = (bx, by - 20)
        pts[tip] = (bx, by - reach) if open_ else (bx, by + 5)
    pts[2], pts[3] = (-22, 22), (-28, 14)
    pts[4] = (-36, 4) if open_ else (-10, 20)
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)
    pts = scale * pts @ rot.T + np.array([cx, cy - 15], np.float32)
    palm = Palm((cx - 30, cy - 30, 60, 60), 0.9, np.zeros((7, 2), np.float32))
    return Hand(pts, presence, palm)


def run(xs_ys, every=DT, scales=None, **kw) -> list[tuple[float, str]]:
    rec = GestureRecognizer()
    out = []
    for k, pos in enumerate(xs_ys):
        t = k * every
        if scales is not None:
            kw["scale"] = scales[k % len(scales)]
        hands = [] if pos is None else [hand(*pos, **kw)]
        out += [(round(t, 2), g) for g in rec.update(t, hands)]
    return out


def test_a_wave_is_recognised_once() -> None:
    # 2.2 Hz, 2 palm lengths from side to side, for 1.5 s
    frames = [(300 + PALM_PX * math.sin(2 * math.pi * 2.2 * k * DT), 200) for k in range(23)]
    found = run(frames)
    assert [g for _, g in found] == ["wave"]


def test_a_wave_whose_hand_the_detector_loses_now_and_then_is_still_a_wave() -> None:
    # the palm detector misses the hand on two samples in every six (0.2 s, shorter than
    # GAP_S): the swings before and after a miss belong to the same wave
    frames = [(300 + PALM_PX * math.sin(2 * math.pi * 2.2 * k * DT), 200) for k in range(30)]
    lost = [None if k % 6 in (3, 4) else pos for k, pos in enumerate(frames)]
    assert [g for _, g in run(lost)] == ["wave"]


def test_swipes_both_ways_are_judged_when_the_sweep_is_over() -> None:
    sweep = [(100 + 45 * k, 200) for k in range(8)]  # 315 px = 8 palms in half a second
    found = run([*[(100, 200)] * 3, *sweep, *[sweep[-1]] * 5])
    assert [g for _, g in found] == ["swipe_left"]  # the image's right is the shopper's left
    back = [(500 - 45 * k, 200) for k in range(8)]
    assert [g for _, g in run([*back, None, None, None, None])] == ["swipe_right"]


def test_an_open_palm_held_still_is_stop() -> None:
    found = run([(300 + (k % 2), 200) for k in range(40)])
    assert [g for _, g in found] == ["open_palm"]  # once, however long it is held


def test_what_is_not_a_gesture() -> None:
    wave = [(300 + PALM_PX * math.sin(2 * math.pi * 2.2 * k * DT), 200) for k in range(30)]
    assert run(wave, open_=False) == []  # a closed hand going side to side
    assert run(wave, angle_deg=90) == []  # a hand across the chest (at the collar)
    assert run(wave, presence=0.4) == []  # the model unsure it is a hand
    small = [(300 + 6 * math.sin(2 * math.pi * 1.3 * k * DT), 200 + 3 * k % 5) for k in range(60)]
    assert run(small, angle_deg=80) == []


def test_a_short_wave_is_recognised_before_it_ends() -> None:
    # the shortest wave the world has, 0.8 s, at 2.2 swings a second, from the end of a swing:
    # two turns within it, a third only as it ends
    frames = [
        (300 + PALM_PX * math.cos(2 * math.pi * 2.2 * k * DT), 200) for k in range(round(0.8 / DT))
    ]
    found = run([*frames, None, None, None])
    assert [g for _, g in found] == ["wave"]
    assert found[0][0] <= 0.8


def test_a_swipe_with_its_wind_up_and_the_way_back_is_no_wave() -> None:
    back = [(300 - 8 * k, 200) for k in range(4)]  # a wind-up of 0.8 palm lengths
    sweep = [(276 + 50 * k, 200) for k in range(1, 6)]  # 6 palm lengths in a third of a second
    home = [(526 - 50 * k, 200) for k in range(1, 6)]  # and straight back
    found = run([*back, *sweep, *[sweep[-1]] * 4, *home, None, None, None])
    assert "wave" not in [g for _, g in found]


def test_a_palm_length_that_changes_as_the_hand_turns_moves_no_hand() -> None:
    # the landmarks' palm length changes by a tenth from frame to frame as the hand turns
    # (measured on the synthetic wave: 25 to 31 px): a hand held still is still an open palm
    # and no wave, and a wave is one wave
    jitter = [1.0, 0.9, 1.1, 0.95, 1.05]
    held = run([(300, 200)] * 40, scales=jitter)
    assert [g for _, g in held] == ["open_palm"]
    frames = [(300 + PALM_PX * math.sin(2 * math.pi * 2.2 * k * DT), 200) for k in range(23)]
    assert [g for _, g in run(frames, scales=jitter)] == ["wave"]
