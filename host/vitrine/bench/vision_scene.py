"""The synthetic-scene parts of `vitrine bench vision`: the pipeline on the world of people
(vitrine.sim.people, seeded scenarios of vitrine.sim.crowds) seen by the synthetic camera,
judged against the world's own truth, never against the pipeline's output.

- counting: walk-bys and people walking straight up to the mirror, seen by a counting camera
  above the mirror (COUNTER_LENS) whose line is the floor 1.5 m from the glass. Truth:
  passers-by = every warm body whose middle enters the counting camera's picture; crossings
  = World.crossings(1.5 m) that the camera witnesses: the person's body in the picture across
  its whole width (both sides of its middle) for SEEN_S before and after the crossing.
  Someone who walks into the picture from the side already at the line, or leaves it there,
  was never seen on one side of it: no camera, nor anyone watching its footage, can tell
  that they crossed. Every crossing within the floor the picture spans at the line is
  reported beside (`crossings_in_picture_width`).
- attention: shoppers walking up, looking while they stand, leaving, and walkers glancing;
  per person, the seconds the world says they look while their face is in the picture, in
  spells of at least the dwell (shorter glances are no attention on either side), against
  the seconds of the track that follows their face.
- gestures: shoppers who stop and wave once (the world's waves: 0.8-2 s); a wave counts
  when the recogniser reports it during the wave or within 0.5 s after. The rate judged is
  over the waves whose hand the camera has in its picture the whole time (someone waving
  30 cm from the glass waves beside the camera's view); the rate over all waves is given too.
- false gestures: shoppers standing (and swaying, and now and then touching their collar:
  the renderer's addition) with no wave, GESTURE_IDLE_S seconds in all; every gesture counts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vitrine.sim import crowds
from vitrine.sim.people import Person, World, ZoneGeometry
from vitrine.vision.config import VisionConfig
from vitrine.vision.gestures import GestureRecognizer
from vitrine.vision.pipeline import CounterPipeline, Models, Pipeline
from vitrine.vision.synthetic import HEIGHT, WIDTH, Lens, SyntheticCamera

FPS = 30
COUNTER_LENS = Lens(height_m=2.4, tilt_deg=40.0)
LINE_M = 1.5
SEEN_S = 0.5  # a crossing is witnessed when the body is in the picture this long before
# and after it: at a walking pace of 1-1.5 m/s, a step or two on each side of the line
GESTURE_LATE_S = 0.5


def counter_line() -> float:
    """The counting line: the image row of the floor LINE_M from the glass, as a fraction."""
    return COUNTER_LENS.project(0.0, LINE_M, 0.0)[1] / HEIGHT


def _in_picture(lens: Lens, p: Person, x: float, y: float) -> bool:
    u, v = lens.project(x, y, p.height_m / 2)
    return 0 <= u < WIDTH and 0 <= v < HEIGHT and y > 0.3  # noqa: PLR2004


def body_in_picture(lens: Lens, p: Person, x: float, y: float) -> bool:
    """Whether the body standing at (x, y) is in the picture across its whole width: both
    sides of its middle (half its height, its radius either side), as the passers-by's truth
    asks its middle to be."""
    for side in (-1.0, 1.0):
        u, v = lens.project(x + side * p.radius_m, y, p.height_m / 2)
        if not (0 <= u < WIDTH and 0 <= v < HEIGHT):
            return False
    return True


def witnessed(lens: Lens, p: Person, t_s: float) -> bool:
    """Whether the camera sees the person whole from SEEN_S before t_s to SEEN_S after."""
    steps = round(2 * SEEN_S * FPS)
    for k in range(steps + 1):
        pos = p.at(t_s - SEEN_S + k / FPS)
        if pos is None or not body_in_picture(lens, p, *pos):
            return False
    return True


def counting(
    models: Models, seed: int, people: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    walkers = crowds.walk_by_set(seed, count=people)
    approaches = crowds.crossing_set(seed + 1, count=max(4, people // 3)).shifted(
        walkers.duration_s
    )
    world = World(
        people=walkers.people + approaches.people,
        duration_s=walkers.duration_s + approaches.duration_s,
        room=walkers.room,
    )
    camera = SyntheticCamera(world, lens=COUNTER_LENS, seed=seed)
    pipeline = CounterPipeline(models.people, counter_line())  # type: ignore[arg-type]
    seen: set[str] = set()
    frames = round(world.duration_s * FPS)
    for k in range(frames):
        t = k / FPS
        for p, x, y in world.present(t):
            if p.warm and _in_picture(COUNTER_LENS, p, x, y):
                seen.add(p.id)
        frame, _ = camera.frame(t)
        pipeline.process(frame, t)
        if k % (FPS * 60) == 0:
            progress(f"counting: {k // FPS} of {round(world.duration_s)} s")
    counts = pipeline.counter.counts
    geometry = ZoneGeometry(half_width_m=COUNTER_LENS.half_width(LINE_M))
    in_width = world.crossings(LINE_M, geometry)
    by_id = {p.id: p for p in world.people}
    crossings = [c for c in in_width if witnessed(COUNTER_LENS, by_id[c.person], c.t_s)]
    truth_in = sum(1 for c in crossings if c.direction == "in")
    truth_out = len(crossings) - truth_in
    return {
        "world_s": round(world.duration_s, 1),
        "passers_by": counts.passers_by,
        "passers_by_truth": len(seen),
        "stops": counts.stops,
        "line_in": counts.line_in,
        "line_in_truth": truth_in,
        "line_out": counts.line_out,
        "line_out_truth": truth_out,
        "crossings_in_picture_width": len(in_width),
        "passers_by_error": _error(counts.passers_by, len(seen)),
        "crossings_error": _error(counts.line_in + counts.line_out, len(crossings)),
    }


def _error(measured: int, truth: int) -> float:
    return round(abs(measured - truth) / truth, 4) if truth else float(measured)


def attention(
    models: Models, config: VisionConfig, seed: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    rng = random.Random(seed)
    people: list[Person] = []
    t = 1.0
    for k in range(4):
        p = crowds.approach_and_stay(f"s{k}", rng, t, stay_s=rng.uniform(12.0, 25.0))
        people.append(replace(p, waves=()))
        t = p.end_s + 2.0
        w = crowds.walk_by(f"w{k}", rng, t, distance_m=rng.uniform(0.8, 2.0))
        people.append(w)
        t = w.end_s + 2.0
    world = World(people=tuple(people), duration_s=t)
    camera = SyntheticCamera(world, seed=seed)
    pipeline = Pipeline(models, config)
    truth: dict[str, float] = {p.id: 0.0 for p in people}
    spell: dict[str, float] = {}
    measured: dict[str, dict[int, float]] = {p.id: {} for p in people}
    frames = round(world.duration_s * FPS)
    dt = 1 / FPS
    for k in range(frames):
        t = k * dt
        frame, seen = camera.frame(t)
        result = pipeline.process(frame, t)
        _truth_step(seen, truth, spell, dt, config.attention_dwell_s)
        for r in result.faces:  # which person each track's face is
            if r.track is None:
                continue
            owner = _owner(r.face.box, seen)
            if owner is not None:
                measured[owner][r.track] = pipeline.attention_by_track().get(r.track, 0.0)
        if k % (FPS * 30) == 0:
            progress(f"attention: {k // FPS} of {round(world.duration_s)} s")
    for pid in list(spell):
        _close(truth, spell, pid, config.attention_dwell_s)
    errors = {}
    for p in people:
        got = max(measured[p.id].values(), default=0.0)
        errors[p.id] = {"truth_s": round(truth[p.id], 2), "measured_s": round(got, 2)}
    worst = max(abs(e["truth_s"] - e["measured_s"]) for e in errors.values())
    return {"attention_per_person": errors, "attention_max_error_s": round(worst, 2)}


def _truth_step(
    seen: list[Any], truth: dict[str, float], spell: dict[str, float], dt: float, dwell: float
) -> None:
    # the truth: looking while the face is in the picture, in spells of at least the dwell
    for s in seen:
        if s.looking and s.face_box is not None:
            spell[s.person] = spell.get(s.person, 0.0) + dt
        else:
            _close(truth, spell, s.person, dwell)
    for pid in list(spell):
        if pid not in {s.person for s in seen}:
            _close(truth, spell, pid, dwell)


def _close(truth: dict[str, float], spell: dict[str, float], pid: str, dwell: float) -> None:
    seconds = spell.pop(pid, 0.0)
    if seconds >= dwell:
        truth[pid] += seconds


def _owner(box: tuple[float, float, float, float], seen: list[Any]) -> str | None:
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    best = None
    for s in seen:
        if s.face_box is None:
            continue
        x, y, w, h = s.face_box
        d = math.hypot(cx - (x + w / 2), cy - (y + h / 2))
        if d < w and (best is None or d < best[0]):
            best = (d, s.person)
    return best[1] if best else None


def _gesture_frames(
    models: Models, world: World, seed: int, every: int
) -> tuple[list[tuple[float, str]], dict[str, list[bool]]]:
    """The gestures recognised over a world, looking for hands on every n-th frame; and, per
    person, whether their hand was in the picture at each frame they waved (the truth)."""
    import cv2

    camera = SyntheticCamera(world, seed=seed)
    recogniser = GestureRecognizer()
    found = []
    in_view: dict[str, list[bool]] = {}
    for k in range(0, round(world.duration_s * FPS), every):
        t = k / FPS
        frame, seen = camera.frame(t)
        for s in seen:
            if s.waving:
                in_view.setdefault(s.person, []).append(s.hand_in_view)
        hands = models.hands.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))  # type: ignore[union-attr]
        found += [(t, g) for g in recogniser.update(t, hands)]
    return found, in_view


def gestures(
    models: Models,
    config: VisionConfig,
    seed: int,
    sizes: tuple[int, float],
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """sizes: how many waves, and how many seconds of people standing."""
    waves, idle_s = sizes
    rng = random.Random(seed)
    people = []
    t = 1.0
    for k in range(waves):
        p = crowds.approach_and_stay(f"v{k}", rng, t, stay_s=rng.uniform(6.0, 9.0))
        here, leave = p.path[1][0], p.path[2][0]
        start = rng.uniform(here + 1.0, leave - 3.0)
        people.append(replace(p, waves=((start, start + rng.uniform(0.8, 2.0)),)))
        t = p.end_s + 1.0
    world = World(people=tuple(people), duration_s=t)
    progress(f"gestures: {waves} waves over {round(world.duration_s)} s")
    found, in_view = _gesture_frames(models, world, seed, config.gestures_every)
    recognised = recognised_in_view = visible = 0
    for p in people:
        a, b = p.waves[0]
        hit = any(g == "wave" and a <= t <= b + GESTURE_LATE_S for t, g in found)
        recognised += hit
        if all(in_view.get(p.id, [False])):  # the hand in the picture the whole wave
            visible += 1
            recognised_in_view += hit
    wrong = [
        (round(t, 2), g)
        for t, g in found
        if not any(a <= t <= b + GESTURE_LATE_S for p in people for a, b in p.waves)
    ]
    # people just standing and moving: no waves at all
    stand: list[Person] = []
    t = 1.0
    total = 0.0
    k = 0
    while total < idle_s:
        p = crowds.approach_and_stay(f"i{k}", rng, t, stay_s=min(120.0, idle_s - total + 1))
        stand.append(replace(p, waves=()))
        total += p.path[2][0] - p.path[1][0]
        t = p.end_s + 1.0
        k += 1
    idle = World(people=tuple(stand), duration_s=t)
    progress(f"false gestures: {round(total)} s of people standing")
    false, _ = _gesture_frames(models, idle, seed + 7, config.gestures_every)
    return {
        "waves": waves,
        "waves_recognised": recognised,
        "waves_in_view": visible,
        "waves_in_view_recognised": recognised_in_view,
        "gesture_recognition_rate": round(recognised_in_view / visible, 4) if visible else 0.0,
        "gesture_recognition_rate_all_waves": round(recognised / waves, 4),
        "gestures_outside_waves": wrong,
        "standing_s": round(total, 1),
        "false_gestures": [(round(t, 1), g) for t, g in false],
        "false_gestures_per_10_min": round(len(false) * 600.0 / total, 2),
    }
