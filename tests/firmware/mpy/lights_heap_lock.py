# The lighting task's step under MicroPython's heap lock, where any heap allocation raises
# MemoryError: the fade's integer steps and the latch on two strips (GRBW and GRB), a whole
# fade up and then down, in one locked call. MicroPython only.
#
# Same rules as mpy/heap_lock.py: the locked region is one call inside measure(); every name it
# stores to exists beforehand; the heap is always unlocked in `finally`; outcomes are data. The
# fake strips copy the pixel with an index loop into a preallocated bytearray, as MicroPython's
# neopixel.fill does into its buffer, so they allocate nothing themselves; a strip whose fill()
# allocates is the control that proves the lock is on.
#
# Prints one RESULT line: {"checks": {...}, "controls": {...}, "values": {...}}.

import json

from fw_scenario import RESULT_MARK, FakeClock, measure

from vitrine_fw import seam
from vitrine_fw.lights import Lights

STEPS = 60  # 20 ms each: a 1000 ms fade and a little more


class Strip:
    def __init__(self, pin, count, order):
        self.bpp = len(order)
        self.buf = bytearray(count * self.bpp)
        self.writes = 0

    def fill(self, pixel):
        buf = self.buf
        bpp = self.bpp
        for i in range(len(buf)):
            buf[i] = pixel[i % bpp]

    def write(self):
        self.writes += 1


class AllocatingStrip(Strip):
    def fill(self, pixel):
        self.buf = bytearray(self.buf)  # a new buffer: must raise under the lock


class Board(seam.BaseBoard):
    def __init__(self, strip_class):
        super().__init__(FakeClock(1000))
        self.strip_class = strip_class

    def led_strip(self, pin, count, order="GRB"):
        return self.strip_class(pin, count, order)


class NoLink:
    host_up = True

    def on(self, typ, handler):
        pass

    def on_up(self, callback):
        pass

    def send(self, typ, payload, n):
        return 0

    def log(self, level, subsystem, text):
        pass


CFG = {
    "strips": [
        {"pin": 16, "pixels": 60, "order": "GRBW"},
        {"pin": 17, "pixels": 60, "order": "GRB"},
    ]
}


def fade_steps(lights, clock, n, counts):
    for _ in range(n):
        clock.advance_ms(20)
        if lights.tick():
            counts[0] += 1


def main():
    checks = {}
    controls = {}
    values = {}

    board = Board(Strip)
    lights = Lights(board, CFG, NoLink())
    lights.begin()
    clock = board.clock
    counts = [0]
    lights.start(255, 190, 120, 60, 150, 1000)
    fade_steps(lights, clock, 2, counts)  # warm-up
    lights.start(200, 100, 50, 25, 255, 1000)
    counts[0] = 0
    checks["fade_up"] = measure(fade_steps, lights, clock, STEPS, counts)
    values["fade_up"] = [counts[0], list(lights.fade.shown), list(lights.strips[0].driver.buf[:4])]
    lights.start(0, 0, 0, 0, 0, 1000)
    counts[0] = 0
    checks["fade_down"] = measure(fade_steps, lights, clock, STEPS, counts)
    values["fade_down"] = [counts[0], list(lights.fade.shown), lights.strips[1].writes]
    lights.start(1, 2, 3, 4, 255, 0)
    counts[0] = 0
    checks["fade_at_once"] = measure(fade_steps, lights, clock, 3, counts)
    values["fade_at_once"] = [counts[0], list(lights.strips[1].driver.buf[:3])]

    bad = Board(AllocatingStrip)
    alloc = Lights(bad, CFG, NoLink())
    alloc.start(9, 9, 9, 9, 9, 100)
    controls["allocating_strip"] = measure(fade_steps, alloc, bad.clock, 2, [0])

    print(RESULT_MARK + json.dumps({"checks": checks, "controls": controls, "values": values}))


main()
