# The touch firmware's compute per scan under real MicroPython, for `vitrine bench touch`'s
# report rate: run with tools/micropython.mjs (the WebAssembly build in Node.js), firmware/lib
# on sys.path and the bench's recorded run mounted at /run:
#
#   node tools/micropython.mjs --mount /lib=firmware/lib --mount /run=DIR --path /lib \
#       tools/touch_compute.py /run/run.json [--untimed]
#
# run.json: {"frame": {...}, "baseline": [PASS, ...], "steps": [[PASS, ...], ...], "warmup": W}
# (the first W steps are stepped through untimed: the fingers coming down) where a
# PASS is {"t0": ticks_us, "rows": base64 of u16 LE (beam, dark, lit, t_us) per reading}: the
# passes a simulated board handed the pipeline, in order. Here a board seam hands them out
# again, instantly, doing the core's work the board's seam does (vitrine_fw.hal.PioFrame):
# start() builds the words of a plan that is not fixed (pio.Words), finish() copies the
# conversions out (pio.collect). So what Pipeline.step() costs here is the firmware's own work.
#
# Prints one JSON line: {"steps", "us", "mismatches", "log", "log_cost_us"}: mismatches are
# passes whose beams are not those the plan asked for (0 when the pipeline took the same
# decisions as on the bench's CPython); log is, per timed step, its events in order as
# [name, µs, pass length µs]: "begin" of step(), "returned" from it and "end" once the touch
# task has sent its report on the link, "build P" / "start P" (start()
# called, and the pass started: its words built unless prepared), "build next P" / "built
# next P" (prepare(): the words of the next scan's pass built), "finish P" / "collected P"
# (finish() called: the core waits for the pass there, and its readings copied),
# "detect" / "detected" (the
# pipeline's probe), P being first, full, second or third. The moments come from Node's
# performance.now() (this build's ticks_us counts whole ms), log_cost_us is what taking one
# costs. vitrine/bench/touch_timeline.py builds the report rate's timeline from it. With
# --untimed it stops before the timed steps: the bench takes the difference of the two runs'
# CPU time (Node's), which a loaded machine does not inflate as it does the wall clock.
#
# The same seam as tests/firmware/mpy/touch_replay.py's ReplayHw, kept here so that the bench
# depends on nothing under tests/.

import binascii
import json
import struct
import sys
import time
from array import array

import js

from vitrine_fw import seam, wire
from vitrine_fw.link import Link
from vitrine_fw.touch import MARK_DETECT, Pipeline
from vitrine_fw.touch.pio import Words, collect

_TICKS_MASK = 0x3FFFFFFF
_TICKS_HALF = 0x20000000
_now = js.performance.now  # ms, a float with µs resolution


class Log:
    """The timed steps' events (the pipeline's probe too)."""

    def __init__(self):
        self.on = False
        self.steps = []
        self.events = None
        self.skew_ms = 0.0  # the seam's own bookkeeping, left out of the moments

    def add(self, name, length_us=0):
        if self.on:
            self.events.append([name, (_now() - self.skew_ms) * 1000.0, length_us])

    def mark(self, code):
        self.add("detect" if code == MARK_DETECT else "detected")


class Hw:
    def __init__(self, passes, frame_pipe, log):
        self.t0 = []
        self.results = []  # per pass: its conversions in the words' order
        self.offset = []  # ... and its first reading's time after the scan's t0, less its plan's
        self.beams = []
        for p in passes:
            raw = binascii.a2b_base64(p["rows"].encode())
            n = len(raw) // 8
            rows = [struct.unpack_from("<4H", raw, 8 * i) for i in range(n)]
            self.t0.append(p["t0"])
            self.beams.append(array("H", [r[0] for r in rows]))
            self.results.append(rows)
            self.offset.append(0)
        self.next = 0
        self.mismatches = 0
        self.log = log
        self.pipe = frame_pipe
        self.builder = None
        self.words = None
        self.ahead = None  # the plan prepare() built the words of

    def attach(self, pipe):
        self.pipe = pipe
        # the ADC's CS words: any two values cost the same to build
        self.builder = Words(pipe.geometry, pipe.timing, [1, 2])
        g = pipe.geometry
        self.words = array("I", bytes(4 * (6 * g.beams + 2 * (g.counts[0] + g.counts[1]))))

    def _name(self, plan):
        p = self.pipe
        if plan is p.first:
            return "first"
        if plan is p.full:
            return "full"
        if plan is p.seconds[0] or plan is p.seconds[1]:
            return "second"
        return "third"

    def prepare(self, plan):
        log = self.log
        if log.on:
            log.add("build next " + self._name(plan))
        if not plan.fixed:
            self.builder.build(plan, self.words)
            self.ahead = plan
        if log.on:
            log.add("built next " + self._name(plan))

    def start(self, plan):
        log = self.log
        if log.on:
            log.add("build " + self._name(plan))
        if plan is self.ahead:
            self.ahead = None  # built by prepare()
        elif not plan.fixed:  # a fixed plan's words are built once, on a board too
            self.builder.build(plan, self.words)
        if log.on:
            log.add("start " + self._name(plan), plan.timing.us(plan.length_c))

    def finish(self, plan, readings):
        log = self.log
        t_ms = _now()
        k = self.next
        if k >= len(self.results):
            k = len(self.results) - 1
            self.mismatches += 1
        self.next = k + 1
        rows = self.results[k]
        if len(rows) != plan.n:
            self.mismatches += 1
        else:
            for i in range(plan.n):
                if plan.beam[i] != rows[i][0]:
                    self.mismatches += 1
                    break
        if isinstance(rows, list):  # first use: the conversions in the words' order
            rows = self._results(plan, rows, k)
        log.skew_ms += _now() - t_ms  # (a board's results are there: none of this is its work)
        if log.on:
            log.add("finish " + self._name(plan))
        if readings.n == 0:
            readings.t0 = self.t0[k]
        collect(plan, rows, readings, self.offset[k], plan.timing.mhz)
        if log.on:
            log.add("collected " + self._name(plan))

    def _results(self, plan, rows, k):
        # The recorded readings as a board's results array: per step its dark conversions,
        # then its lit ones; the pass's offset in the scan from its first reading's time.
        out = array("H", bytes(4 * len(rows)))
        j = 0
        n = min(len(rows), plan.n)
        for s in range(plan.n_steps):
            first = plan.step_first[s]
            count = plan.step_count[s]
            for i in range(first, min(first + count, n)):
                out[j + i - first] = rows[i][1]
                out[j + count + i - first] = rows[i][2]
            j += 2 * count
        if n:
            self.offset[k] = rows[0][3] - plan.lit_c[0] // plan.timing.mhz
        self.results[k] = out
        return out


class Port(seam.BasePort):
    """The link's port: what the touch task writes goes nowhere (the write is the UART's or
    USB's DMA on a board)."""

    def write(self, buf, n):
        return n


IDENTITY = {
    "role": "touch",
    "fw_version": "0.0.0",
    "build_hash": "bench",
    "uid": "00",
    "reset_cause": 0,
    "capabilities": 1,
}


class Clock(seam.BaseClock):
    def __init__(self):
        self.us = 0

    def ticks_us(self):
        return self.us & _TICKS_MASK

    def ticks_ms(self):
        return (self.us // 1000) & _TICKS_MASK

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def log_cost_us():
    # What one event costs the log (taken in the segments it falls in; the bench subtracts it).
    log = Log()
    log.on = True
    log.events = []
    t0 = _now()
    for _ in range(200):
        log.add("x")
    return (_now() - t0) * 1000.0 / 200


def main(path):
    with open(path) as f:
        run = json.load(f)
    passes = list(run["baseline"])
    for step in run["steps"]:
        passes.extend(step)
    log = Log()
    hw = Hw(passes, None, log)
    clock = Clock()
    pipe = Pipeline(run["frame"], hw, clock)
    hw.attach(pipe)
    pipe.start()
    for _ in range(run["warmup"]):
        pipe.step()
    steps = len(run["steps"]) - run["warmup"]
    if sys.argv[2:] == ["--untimed"]:
        steps = 0  # the same run without the timed steps: the caller's CPU-time reference
    link = Link(Port(), clock, IDENTITY)
    link.host_up = True  # as after the handshake
    cost = log_cost_us()
    pipe.probe = log
    log.on = True
    t0 = time.ticks_us()
    for _ in range(steps):
        log.events = []
        log.add("begin")
        size = pipe.step()
        log.add("returned")
        if size:  # the touch task sends the report (vitrine_fw/touch/__init__.py, Touch.run)
            link.send(wire.TOUCH_REPORT, pipe.report, size)
        log.add("end")
        log.steps.append(log.events)
    spent = time.ticks_diff(time.ticks_us(), t0)
    out = {"steps": steps, "us": spent, "mismatches": hw.mismatches}
    out["log"] = log.steps
    out["log_cost_us"] = cost
    print(json.dumps(out))


main(sys.argv[1])
