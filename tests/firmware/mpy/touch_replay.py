# Recorded IR-frame scan passes (tests/vectors/touch.json, written by tools/gen_touch_vectors.py)
# replayed through the firmware's touch Pipeline.step(), on MicroPython and CPython alike: a
# board seam that hands out the next recorded pass when the pipeline finishes one, and counts
# the passes whose beams are not the ones the pipeline's plan asked for. Neither it nor the
# clock allocates once built, so they can run under micropython.heap_lock().

import binascii
import struct
from array import array

from vitrine_fw import seam
from vitrine_fw.touch import Pipeline

_TICKS_MASK = 0x3FFFFFFF
_TICKS_HALF = 0x20000000


class ReplayHw:
    """The seam's start(plan) / finish(plan, readings) over recorded passes, in order; at pass
    `end` (after the last one unless set) it goes back to pass `loop_from`, so repeated steps
    never run dry. A pass whose beams differ from the plan's counts in `mismatches`."""

    def __init__(self):
        self.t0 = []  # per pass: the scan's t0
        self.rows = []  # per pass: array('H') of beam, dark, lit, t per reading
        self.next = 0
        self.loop_from = 0
        self.end = 0
        self.passes = 0
        self.mismatches = 0

    def add(self, recorded):
        raw = binascii.a2b_base64(recorded["rows"].encode())
        rows = array("H", bytes(len(raw)))
        for i in range(len(raw) // 2):
            rows[i] = struct.unpack_from("<H", raw, 2 * i)[0]
        self.t0.append(recorded["t0"])
        self.rows.append(rows)
        self.end = len(self.rows)

    def start(self, plan):
        pass  # the recorded pass is taken when it is finished

    def finish(self, plan, readings):
        k = self.next
        if k >= self.end:
            k = self.loop_from
        self.next = k + 1
        rows = self.rows[k]
        n = len(rows) // 4
        if n != plan.n:
            self.mismatches += 1
            n = min(n, plan.n)  # never more than the plan reads (the readings have room for it)
        if readings.n == 0:
            readings.t0 = self.t0[k]
        for i in range(n):
            b = rows[4 * i]
            if i < plan.n and plan.beam[i] != b:
                self.mismatches += 1
            readings.add(b, rows[4 * i + 1], rows[4 * i + 2], rows[4 * i + 3])
        self.passes += 1


class ReplayClock(seam.BaseClock):
    """ticks_us/ticks_ms at the time the replay sets (us), wrapping like MicroPython's."""

    def __init__(self):
        self.us = 0

    def ticks_us(self):
        return self.us & _TICKS_MASK

    def ticks_ms(self):
        return (self.us // 1000) & _TICKS_MASK

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def geometry_tables(g):
    """A frame's beam tables as plain lists (to compare the runtimes' Geometry)."""
    return {
        "beams": g.beams,
        "fam_axis": list(g.fam_axis),
        "fam_k": list(g.fam_k),
        "fam_start": list(g.fam_start),
        "fam_first": list(g.fam_first),
        "fam_sec": list(g.fam_sec),
        "beam_emitter": list(g.beam_emitter),
        "beam_receiver": list(g.beam_receiver),
    }


def load_hw(run):
    """A ReplayHw holding one run's baseline passes first, then every step's."""
    hw = ReplayHw()
    for recorded in run["baseline"]:
        hw.add(recorded)
    for step in run["steps"]:
        for recorded in step["passes"]:
            hw.add(recorded)
    return hw


def load(run):
    """(pipeline, hw, clock) for one run of the vectors, nothing read yet."""
    hw = load_hw(run)
    clock = ReplayClock()
    return Pipeline(run["frame"], hw, clock), hw, clock


def first_pass(run, step):
    """The index of a step's first pass among the hw's passes."""
    k = len(run["baseline"])
    for s in run["steps"][:step]:
        k += len(s["passes"])
    return k


def replay(run):
    """The run's TOUCH_REPORT payloads, one hex string per step ("" when step() returned 0),
    the failed beams after the baseline, and the passes that did not match their plans."""
    pipe, hw, _ = load(run)
    if pipe.geometry.beams != run["beams"]:
        raise ValueError(f"geometry has {pipe.geometry.beams} beams, vectors {run['beams']}")
    pipe.start()
    sc = pipe.scanner
    failed = [b for b in range(sc.n) if sc.state[b]]
    reports = []
    for _ in run["steps"]:
        size = pipe.step()
        reports.append(bytes(pipe.report[:size]).hex())
    if hw.passes != hw.end:
        raise ValueError(f"the pipeline read {hw.passes} passes of {hw.end}")
    return reports, failed, hw.mismatches
