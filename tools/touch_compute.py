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
# again, instantly, so Pipeline.step() costs only the firmware's own work (and the copying of
# the readings a board's pio.collect does too). Prints one JSON line: {"steps", "us",
# "mismatches"} (mismatches: passes whose beams are not those the plan asked for; 0 when the
# pipeline took the same decisions as on the bench's CPython). With --untimed it stops before
# the timed steps: the bench takes the difference of the two runs' CPU time (Node's), which a
# loaded machine does not inflate as it does the wall-clock ticks.
#
# The same seam as tests/firmware/mpy/touch_replay.py's ReplayHw, kept here so that the bench
# depends on nothing under tests/.

import binascii
import json
import struct
import sys
import time
from array import array

from vitrine_fw import seam
from vitrine_fw.touch import Pipeline

_TICKS_MASK = 0x3FFFFFFF
_TICKS_HALF = 0x20000000


class Hw:
    def __init__(self, passes):
        self.t0 = []
        self.rows = []
        for p in passes:
            raw = binascii.a2b_base64(p["rows"].encode())
            rows = array("H", bytes(len(raw)))
            for i in range(len(raw) // 2):
                rows[i] = struct.unpack_from("<H", raw, 2 * i)[0]
            self.t0.append(p["t0"])
            self.rows.append(rows)
        self.next = 0
        self.mismatches = 0

    def start(self, plan):
        pass

    def finish(self, plan, readings):
        k = self.next
        if k >= len(self.rows):
            k = len(self.rows) - 1
            self.mismatches += 1
        self.next = k + 1
        rows = self.rows[k]
        n = len(rows) // 4
        if n != plan.n:
            self.mismatches += 1
            n = min(n, plan.n)
        if readings.n == 0:
            readings.t0 = self.t0[k]
        for i in range(n):
            readings.add(rows[4 * i], rows[4 * i + 1], rows[4 * i + 2], rows[4 * i + 3])


class Clock(seam.BaseClock):
    def __init__(self):
        self.us = 0

    def ticks_us(self):
        return self.us & _TICKS_MASK

    def ticks_ms(self):
        return (self.us // 1000) & _TICKS_MASK

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def main(path):
    with open(path) as f:
        run = json.load(f)
    passes = list(run["baseline"])
    for step in run["steps"]:
        passes.extend(step)
    hw = Hw(passes)
    clock = Clock()
    pipe = Pipeline(run["frame"], hw, clock)
    pipe.start()
    for _ in range(run["warmup"]):
        pipe.step()
    steps = len(run["steps"]) - run["warmup"]
    if sys.argv[2:] == ["--untimed"]:
        steps = 0  # the same run without the timed steps: the caller's CPU-time reference
    t0 = time.ticks_us()
    for _ in range(steps):
        pipe.step()
    spent = time.ticks_diff(time.ticks_us(), t0)
    print(json.dumps({"steps": steps, "us": spent, "mismatches": hw.mismatches}))


main(sys.argv[1])
