# Scan plans: what one hardware pass of the frame does, step by step, and when each reading is
# taken; and one scan's readings.
#
# A pass is a list of steps. A step switches one emitter on: first the receivers of the
# step's beams are read with every emitter off (dark), then the emitter goes on, and once the
# receivers have risen (led_on_settle) the same receivers are read lit, in the same order;
# then the emitter goes off and the receivers fall (led_off_settle) before the next step's
# dark readings. A reading is one multiplexer switch (mux_settle) and one ADC conversion; its
# moment is when the conversion starts.
#
# Times are counted in cycles of the board's PIO (the frame's timing.pio_mhz), because that is
# what the board runs: each step of a pass is words of the PIO program in vitrine_fw/touch/
# pio.py, whose waits are these costs rounded to whole cycles (the ADC's conversion is the
# program's fixed CONVERT_CYCLES, at least the frame's adc_conversion_us). The simulator's board
# (vitrine/sim/board.py) takes its readings at the same moments. A pass lasts
#     sum over its steps of (2 * slots * (mux + convert) + on + off)   cycles
# where a step's slots are its readings, or, for a step that reads only part of an emitter's
# fan (plan.part_step), its fan's slots up to the last it reads (the others waited through).
# (hardware/README.md, Scan timing; tests/firmware/test_scan_timing.py runs the words on a PIO
# emulator and finds every moment where the plan puts it).
#
# Readings' times are in µs after the scan's first reading. Nothing here allocates once built.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

from vitrine_fw.touch.geometry import AXIS_X
from vitrine_fw.touch.pio import CONVERT_CYCLES, MUX_OVERHEAD, OP_CYCLES, WAIT_MAX

_MAX_SCAN_US = const(65535)  # a scan's readings lie within this of its first one (u16 times)


class Timing:
    """One frame's scan costs in whole cycles of its PIO, from the frame's "timing"."""

    def __init__(self, timing):
        mhz = timing["pio_mhz"]
        if mhz != int(mhz) or mhz <= 0:
            raise ValueError("frame timing: pio_mhz %r; allowed a whole number of MHz" % mhz)
        mhz = int(mhz)
        self.mhz = mhz
        self.mux_c = _cycles(timing["mux_settle_us"], mhz, MUX_OVERHEAD)
        if timing["adc_conversion_us"] * mhz > CONVERT_CYCLES:
            raise ValueError(
                "frame timing: adc_conversion_us %g is more than the PIO program's %d cycles "
                "at %d MHz" % (timing["adc_conversion_us"], CONVERT_CYCLES, mhz)
            )
        self.read_c = self.mux_c + CONVERT_CYCLES
        self.on_c = _cycles(timing["led_on_settle_us"], mhz, OP_CYCLES)
        self.off_c = _cycles(timing["led_off_settle_us"], mhz, OP_CYCLES)
        self.adc_bits = timing["adc_bits"]

    def step_c(self, beams):
        """The length of one step reading `beams` beams."""
        return 2 * beams * self.read_c + self.on_c + self.off_c

    def us(self, cycles):
        """Cycles in whole µs, rounded up."""
        return (cycles + self.mhz - 1) // self.mhz


def _cycles(us, mhz, least):
    # A wait in whole cycles (rounded to nearest), and no less than the program spends anyway.
    c = int(us * mhz + 0.5)
    if c < least:
        c = least
    if c - least > WAIT_MAX:
        raise ValueError(
            "frame timing: %g µs is %d PIO cycles at %d MHz; allowed at most %d"
            % (us, c, mhz, WAIT_MAX + least)
        )
    return c


class Plan:
    """One pass: steps in order (an emitter each) and the beams read in each, with when each
    step's emitter goes on and off and when each beam's receiver is read dark and lit, in PIO
    cycles from the pass's start."""

    def __init__(self, geometry, timing, capacity=0):
        n = capacity or geometry.beams
        self.g = geometry
        self.timing = timing
        self.n_steps = 0
        self.n = 0  # beams read
        self.length_c = 0
        self.fixed = False  # made once (straight(), full()): a board may keep what it built
        self.step_axis = bytearray(n)
        self.step_emitter = array("H", bytes(2 * n))
        self.step_first = array("H", bytes(2 * n))  # the step's first reading
        self.step_count = array("H", bytes(2 * n))  # its readings
        self.step_on_c = array("I", bytes(4 * n))  # its emitter goes on
        self.step_off_c = array("I", bytes(4 * n))  # ... and off
        self.beam = array("H", bytes(2 * n))  # per reading: the beam
        self.slot = bytearray(n)  # ... its slot in its step (see done())
        self.dark_c = array("I", bytes(4 * n))  # ... its dark reading's moment
        self.lit_c = array("I", bytes(4 * n))  # ... its lit reading's moment

    def clear(self):
        self.n_steps = 0
        self.n = 0
        self.length_c = 0
        self.fixed = False

    def add(self, b):
        """Read beam b in this pass: in the current step when it has b's emitter, else in a
        new one. Call done() after the last."""
        g = self.g
        axis = g.fam_axis[g.beam_family[b]]
        e = g.beam_emitter[b]
        s = self.n_steps - 1
        if s < 0 or self.step_emitter[s] != e or self.step_axis[s] != axis:
            s += 1
            self.n_steps = s + 1
            self.step_axis[s] = axis
            self.step_emitter[s] = e
            self.step_first[s] = self.n
            self.step_count[s] = 0
        self.beam[self.n] = b
        self.slot[self.n] = self.step_count[s]
        self.n += 1
        self.step_count[s] += 1

    def part_step(self, axis, emitter, beams, k, n, mask):  # noqa: PLR0913 - a step's parts
        """A step of its own reading those of beams[k:k + n] (one emitter's whole fan, in the
        full scan's order) whose bit is set in `mask` (bit p: beams[k + p]), each in its own
        slot p: when it is read, dark and lit, is then what it is in the full scan (done()),
        the slots before the last one read waited through. Call done() after the last."""
        s = self.n_steps
        self.n_steps = s + 1
        self.step_axis[s] = axis
        self.step_emitter[s] = emitter
        i = self.n
        self.step_first[s] = i
        out = self.beam
        slot = self.slot
        for p in range(n):
            if mask & (1 << p):
                out[i] = beams[k + p]
                slot[i] = p
                i += 1
        self.step_count[s] = i - self.n
        self.n = i

    def done(self):
        """Work out every moment of the pass (see the module comment and pio.py: an emitter
        goes on or off, and a reading's pins change, one cycle into its word; a conversion
        starts mux cycles after that). A reading in slot p of its step is read p readings'
        time after the step's dark readings begin, and p after its lit ones: a step that
        leaves slots out (part_step) waits through them, so each reading is taken as long
        after the last emitter went off, and after its own went on, as in a step that reads
        every slot (how far a receiver has fallen and risen depends on it)."""
        tm = self.timing
        t = 0
        read = tm.read_c
        convert_at = tm.mux_c + 1
        slot = self.slot
        for s in range(self.n_steps):
            first = self.step_first[s]
            count = self.step_count[s]
            slots = slot[first + count - 1] + 1 if count else 0
            for i in range(first, first + count):
                self.dark_c[i] = t + slot[i] * read + convert_at
            t += slots * read
            self.step_on_c[s] = t + 1
            t += tm.on_c
            for i in range(first, first + count):
                self.lit_c[i] = t + slot[i] * read + convert_at
            t += slots * read
            self.step_off_c[s] = t + 1
            t += tm.off_c
        self.length_c = t

    def straight(self):
        """The pass that reads every straight beam: the x emitters in order, then the y."""
        self.clear()
        g = self.g
        for axis in (AXIS_X, 1 - AXIS_X):
            f = g.straight[axis]
            start = g.fam_start[f]
            for j in range(g.fam_len[f]):
                self.add(start + j)
        self.done()
        self.fixed = True

    def full(self):
        """The pass that reads every beam: each emitter once, against its whole fan."""
        self.clear()
        g = self.g
        for axis in (AXIS_X, 1 - AXIS_X):
            for e in range(g.counts[axis]):
                for f in range(g.families):
                    if g.fam_axis[f] != axis:
                        continue
                    j = e - g.fam_e0[f]
                    if 0 <= j < g.fam_len[f]:
                        self.add(g.fam_start[f] + j)
        self.done()
        self.fixed = True


class Readings:
    """One scan's readings, pass after pass: per reading its beam, the ADC counts dark and lit,
    and when the lit one was taken, in µs after the scan's first reading (t0, in ticks_us)."""

    def __init__(self, capacity):
        self.beam = array("H", bytes(2 * capacity))
        self.dark = array("H", bytes(2 * capacity))
        self.lit = array("H", bytes(2 * capacity))
        self.t_us = array("H", bytes(2 * capacity))
        self.n = 0
        self.t0 = 0  # ticks_us of the scan's first reading
        self.end_us = 0  # the last reading, after t0

    def clear(self):
        self.n = 0
        self.end_us = 0

    def add(self, b, dark, lit, t_us):
        """Append one reading (t_us after t0, at most _MAX_SCAN_US)."""
        i = self.n
        self.beam[i] = b
        self.dark[i] = dark
        self.lit[i] = lit
        if t_us > _MAX_SCAN_US:
            t_us = _MAX_SCAN_US
        self.t_us[i] = t_us
        if t_us > self.end_us:
            self.end_us = t_us
        self.n = i + 1
