"""The second pass with tracked fingers (vitrine_fw.touch.Pipeline._choose): when every
straight shadow is a tracked contact's, it reads the oblique beams around each contact's
predicted place and only the middle beams of the ghost rectangles (where the straight shadows
of two fingers pair up the other way); a finger that lands on a ghost's place shows in those
and is found within a few scans; the ghosts are never reported."""

from __future__ import annotations

import math

from vitrine.hardware import frame_config, load_frame
from vitrine.link.messages import Contact, unpack_contacts
from vitrine.sim.board import SimIrFrame
from vitrine.sim.glass import Conditions, Finger, Glass
from vitrine.sim.touch import GAP_US, VirtualClock
from vitrine_fw import wire
from vitrine_fw.touch import Pipeline

FRAME = frame_config(load_frame("55in"))
A = Finger(300.0, 200.0, 10.0)
B = Finger(700.0, 450.0, 10.0)
GHOST = Finger(300.0, 450.0, 10.0)  # A's x, B's y: where their straight shadows also cross


class Rig:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.glass = Glass(FRAME, Conditions(), 3)
        self.ir = SimIrFrame(self.glass, FRAME, lambda: self.clock.us, gap_us=GAP_US)
        self.pipe = Pipeline(FRAME, self.ir, self.clock)
        self.pipe.start()

    def touches(self) -> list[Contact]:
        size = self.pipe.step()
        self.clock.us = self.ir.busy_until_us
        self.glass.t_s = self.clock.us / 1e6
        got = unpack_contacts(bytes(self.pipe.report[7:size])) if size else ()
        return [c for c in got if c.state != wire.CONTACT_UP]


def near(contacts: list[Contact], f: Finger, mm: float = 3.0) -> bool:
    return any(math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm) <= mm for c in contacts)


def two_fingers_tracked() -> Rig:
    rig = Rig()
    rig.glass.set_fingers([A, B])
    for _ in range(10):
        touches = rig.touches()
        assert len(touches) <= 2  # never a ghost
    assert near(touches, A) and near(touches, B)
    return rig


def test_the_second_pass_leaves_the_ghost_rectangles_out_but_their_middles() -> None:
    rig = two_fingers_tracked()
    for _ in range(8):
        touches = rig.touches()
        assert len(touches) == 2 and near(touches, A) and near(touches, B)
        plan = rig.pipe.second  # chosen in this step for the next
        if rig.pipe.next is not rig.pipe.first:
            continue  # a full scan next
        # the second pass reads no more than the two fingers' rectangles and the ghosts'
        # middles: well under the 5.8 ms that reading the four rectangles took
        assert 0 < plan.timing.us(plan.length_c) < 3300


def test_a_finger_landing_on_a_ghosts_place_is_found_within_a_few_scans() -> None:
    rig = two_fingers_tracked()
    rig.glass.set_fingers([A, B, GHOST])
    for scans in range(1, 6):  # noqa: B007 - the scans it took, below
        touches = rig.touches()
        if near(touches, GHOST):
            break
    else:
        raise AssertionError("the finger on the ghost's place was not found in 5 scans")
    assert len(touches) == 3 and near(touches, A) and near(touches, B)
    assert scans <= 4


def test_ghosts_whose_oblique_beams_were_not_read_are_not_reported() -> None:
    # Two fingers' scans with the oblique beams read only near the fingers (none within
    # 12 mm of the two ghosts' places): the ghost candidates have no oblique reading to refute
    # them, but the fingers' candidates explain every shadow (detect.py's cover) and, with
    # straight shadows that pair up two ways, a candidate needs two oblique families that saw
    # it (_CONFIRM): only the fingers are reported.
    from vitrine_fw.touch.plan import Plan, Readings

    rig = Rig()
    pipe = rig.pipe
    g = pipe.geometry
    ghosts = (GHOST, Finger(B.x_mm, A.y_mm, 10.0))
    near_mm, far_mm = 20.0, 12.0

    def beam_mm(f: int, j: int, f_at: Finger) -> float:
        return abs(g.beam_u(f, j) - g.u(f, int(f_at.x_mm * 32), int(f_at.y_mm * 32))) / 32

    oblique = Plan(g, pipe.timing)
    for b in range(g.beams):
        f = g.beam_family[b]
        j = b - g.fam_start[f]
        if not g.fam_shift[f]:
            continue
        if min(beam_mm(f, j, p) for p in (A, B)) <= near_mm and all(
            beam_mm(f, j, p) > far_mm for p in ghosts
        ):
            oblique.add(b)
    oblique.done()
    assert oblique.n > 0
    rig.glass.set_fingers([A, B])
    for k in range(12):
        readings = Readings(g.beams)
        for plan in (pipe.first, oblique):
            rig.ir.start(plan)
            rig.ir.finish(plan, readings)
        rig.clock.us = rig.ir.busy_until_us
        rig.glass.t_s = rig.clock.us / 1e6
        size = pipe.process(readings)
        got = unpack_contacts(bytes(pipe.report[7:size])) if size else ()
        touches = [c for c in got if c.state != wire.CONTACT_UP]
        assert not any(near(touches, p, 12.0) for p in ghosts), f"scan {k}: a ghost reported"
        assert len(touches) <= 2
    assert near(touches, A) and near(touches, B)


def test_a_finger_that_outruns_its_box_has_its_whole_rectangle_read() -> None:
    # A still finger's box reaches its radius and 3 mm beyond where it was; one that jumps
    # 10 mm (a shadow still overlapping the box, its middle outside) is a new shadow: the next
    # second pass reads all around it, not just the beams through its middle (a ghost's).
    rig = two_fingers_tracked()
    pipe = rig.pipe
    g = pipe.geometry
    moved = Finger(A.x_mm + 10.0, A.y_mm + 10.0, A.diameter_mm)
    rig.glass.set_fingers([moved, B])
    rig.touches()
    assert pipe.next is pipe.first  # (not a scan of every beam)
    plan = pipe.second  # chosen from this scan's straight shadows for the next
    read = {plan.beam[i] for i in range(plan.n)}
    for dx, dy in ((-5.0, 0.0), (5.0, 0.0), (0.0, -5.0), (0.0, 5.0)):
        x = int((moved.x_mm + dx) * 32)
        y = int((moved.y_mm + dy) * 32)
        for f in range(g.families):
            j = g.beam_at(f, g.u(f, x, y))
            if g.fam_shift[f] and j >= 0:
                assert g.fam_start[f] + j in read, f"family {f}: the beam at ({dx}, {dy}) mm"
