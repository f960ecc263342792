"""The firmware's touch pipeline (scan -> detect -> track) under CPython, fed by the glass
model through the board seam: positions, multi-touch, ids, ghosts, failed beams."""

from __future__ import annotations

import math

import pytest

from vitrine.hardware import frame_config, load_frame
from vitrine.link.messages import unpack_contacts
from vitrine.sim.glass import Finger, Glass, Noise
from vitrine.sim.touch import VirtualClock
from vitrine_fw import wire
from vitrine_fw.touch import Pipeline
from vitrine_fw.touch.scan import FAILED, UNKNOWN

FRAME = frame_config(load_frame("32in"))


def make(noise: Noise | None = None, seed: int = 1, period_ms: int = 5) -> tuple[Glass, Pipeline]:
    glass = Glass(FRAME, noise or Noise(sigma=0.01, ambient=0.2), seed)
    pipe = Pipeline(FRAME, glass, VirtualClock(), period_ms)
    pipe.start()
    return glass, pipe


def step(pipe: Pipeline) -> list:
    size = pipe.step()
    return list(unpack_contacts(bytes(pipe.report[7:size]))) if size else []


@pytest.mark.parametrize(
    ("x", "y", "d"),
    [(100.0, 80.0, 9.0), (351.3, 200.7, 8.0), (12.0, 390.0, 12.0), (688.0, 11.0, 10.0)],
)
def test_a_single_finger_is_found_to_a_fraction_of_the_pitch(x: float, y: float, d: float) -> None:
    glass, pipe = make()
    glass.set_fingers([Finger(x, y, d)])
    (contact,) = step(pipe)
    assert contact.state == wire.CONTACT_DOWN  # reported in the very first scan
    assert math.hypot(contact.x_mm - x, contact.y_mm - y) < 0.5
    assert contact.diameter_mm == pytest.approx(d, abs=1.0)


def test_a_contact_keeps_its_id_while_it_moves_and_is_reported_up_once() -> None:
    glass, pipe = make()
    ids = set()
    states = []
    for k in range(40):
        glass.set_fingers([Finger(100 + 3 * k, 100 + k, 9)])
        (c,) = step(pipe)
        ids.add(c.id)
        states.append(c.state)
    glass.set_fingers([])
    lifted = [c for _ in range(3) for c in step(pipe)]
    assert len(ids) == 1
    assert states[0] == wire.CONTACT_DOWN and set(states[1:]) == {wire.CONTACT_MOVE}
    assert [c.state for c in lifted].count(wire.CONTACT_UP) == 1
    assert step(pipe) == []  # nothing more to say once all is up


def test_ten_fingers_are_all_found_without_ghosts() -> None:
    glass, pipe = make()
    fingers = [Finger(60 + 65 * i, 60 + (i * 137) % 280, 10) for i in range(10)]
    glass.set_fingers(fingers)
    contacts = step(pipe)
    assert len(contacts) == 10
    assert len({c.id for c in contacts}) == 10
    for f in fingers:
        assert min(math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm) for c in contacts) < 2.0


def test_two_fingers_side_by_side_on_one_axis_are_told_apart() -> None:
    # Same x (one merged x shadow), different y: the oblique beams place each one.
    glass, pipe = make()
    glass.set_fingers([Finger(300, 100, 10), Finger(306, 250, 10)])
    contacts = sorted(step(pipe), key=lambda c: c.y_mm)
    assert [(round(c.x_mm), round(c.y_mm)) for c in contacts] == [(300, 100), (306, 250)]


@pytest.mark.parametrize(
    "noise",
    [
        Noise(sigma=0.01, ambient=0.2),
        Noise(sigma=0.01, ambient=0.5, dead={"x": [17, 90], "y": [40]}),
        Noise(sigma=0.03, ambient=1.0),  # much of the frame saturated
    ],
    ids=["clean", "dead-beams-strong-light", "saturated"],
)
def test_an_untouched_frame_reports_nothing(noise: Noise) -> None:
    _, pipe = make(noise)
    assert not any(step(pipe) for _ in range(400))


def test_dead_emitters_are_failed_at_start_and_cost_no_touch() -> None:
    glass, pipe = make(Noise(sigma=0.01, ambient=0.2, dead={"x": [17]}))
    g = pipe.geometry
    dead = {b for b in range(g.beams) if pipe.scanner.state[b] & FAILED}
    expected = {
        b for b in range(g.beams) if g.fam_axis[g.beam_family[b]] == 0 and g.beam_emitter[b] == 17
    }
    assert dead == expected
    glass.set_fingers([Finger(2.5 + 17 * 5, 200, 9)])  # right on the dead straight beam
    (contact,) = step(pipe)
    assert math.hypot(contact.x_mm - 87.5, contact.y_mm - 200) < 2.5  # local loss of resolution


def test_a_beam_blocked_far_longer_than_a_touch_is_failed_then_recovers() -> None:
    # 50 ms scans: 30 s of blocking is 600 scans.
    glass, pipe = make(period_ms=50)
    sc = pipe.scanner
    glass.set_fingers([Finger(200, 200, 9)])
    reports = [step(pipe) for _ in range(610)]
    assert reports[0] and reports[500]  # a long press is still a touch
    assert sc.failed > 0 and not reports[-1]  # ... until its beams are failed: no touch stays
    assert all(sc.att[b] == UNKNOWN for b in range(sc.n) if sc.state[b] & FAILED)
    glass.set_fingers([])  # the obstruction is gone: beams come back after 2 s clear
    for _ in range(45):
        step(pipe)
    assert sc.failed == 0


def test_the_baseline_follows_a_slow_drift_without_phantoms() -> None:
    glass, pipe = make(Noise(sigma=0.01, ambient=0.2, drift_per_min=-0.3), period_ms=50)
    for k in range(600):  # 30 s in which the beams lose 15% of their light
        glass.t_s = k * 0.05
        assert step(pipe) == []
    glass.set_fingers([Finger(420, 150, 9)])
    (c,) = step(pipe)
    assert math.hypot(c.x_mm - 420, c.y_mm - 150) < 0.5
