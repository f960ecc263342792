# Recorded IR-frame scans (tests/vectors/touch.json, written by tools/gen_touch_vectors.py)
# replayed through the firmware's touch Pipeline, on MicroPython and CPython alike: a board
# seam that copies the next recorded scan into the scanner's arrays, and a clock the replay
# sets. Neither allocates once built, so they can run under micropython.heap_lock().

from array import array

from vitrine_fw import seam
from vitrine_fw.touch import Pipeline

_TICKS_MASK = 0x3FFFFFFF
_TICKS_HALF = 0x20000000


class ReplayHw:
    """hw.read(on, off) over recorded scans, in order; at scan `end` (after the last one
    unless set) it goes back to scan `loop_from`, so repeated steps never run dry."""

    def __init__(self, beams):
        self.n = beams
        self.on = []  # one array('H') per scan
        self.off = []
        self.next = 0
        self.loop_from = 0
        self.end = 0
        self.reads = 0

    def add(self, on, off):
        self.on.append(array("H", on))
        self.off.append(array("H", off))
        self.end = len(self.on)

    def read(self, on, off):
        k = self.next
        if k >= self.end:
            k = self.loop_from
        src_on = self.on[k]
        src_off = self.off[k]
        for b in range(self.n):
            on[b] = src_on[b]
            off[b] = src_off[b]
        self.next = k + 1
        self.reads += 1


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


def load(run):
    """(pipeline, hw, clock) for one run of the vectors, nothing read yet; the hw holds the
    run's start-up scans first, then one scan per step."""
    hw = ReplayHw(run["beams"])
    for scan in run["start"]:
        hw.add(scan["on"], scan["off"])
    for scan in run["steps"]:
        hw.add(scan["on"], scan["off"])
    clock = ReplayClock()
    return Pipeline(run["frame"], hw, clock), hw, clock


def replay(run):
    """The run's TOUCH_REPORT payloads, one hex string per step ("" when step() returned 0),
    and the failed beams after start-up."""
    pipe, hw, clock = load(run)
    if pipe.geometry.beams != run["beams"]:
        raise ValueError(f"geometry has {pipe.geometry.beams} beams, vectors {run['beams']}")
    pipe.start()
    sc = pipe.scanner
    failed = [b for b in range(sc.n) if sc.state[b]]
    reports = []
    for step in run["steps"]:
        clock.us = step["t_us"]
        size = pipe.step()
        reports.append(bytes(pipe.report[:size]).hex())
    if hw.reads != len(run["start"]) + len(run["steps"]):
        raise ValueError(f"the pipeline read {hw.reads} scans")
    return reports, failed
