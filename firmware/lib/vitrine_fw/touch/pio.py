# The touch frame's PIO program and the words it runs: how a scan plan (plan.Plan) becomes
# what the RP2350's PIO state machine does, cycle by cycle. vitrine_fw.hal.PioFrame loads the
# program and feeds it the words by DMA; tests/firmware/test_scan_timing.py runs the same
# program and words on a PIO emulator and checks every moment plan.Plan gives.
#
# One word: bits 0..17 the pins (emitter address 0..7, receiver address 8..15, x enable 16,
# y enable 17), 18..30 a wait in cycles, 31 "a conversion follows" (the next word is then the
# ADC's CS word, which the program pushes for the trigger DMA to write to the ADC). From a
# word's first cycle (its pull):
#
#   a word without a conversion (an emitter on or off): the pins change at cycle 1 and the
#     next word starts at OP_CYCLES + wait;
#   a reading: the pins change at cycle 1, the conversion starts (the push) at
#     1 + MUX_OVERHEAD + wait, and the next word starts CONVERT_CYCLES after that, its pins
#     at cycle 1 of it: the multiplexer settles MUX_OVERHEAD + wait cycles, the ADC converts
#     CONVERT_CYCLES before anything changes.
#
# The ADC's DMA request and the trigger channel add a few system cycles between the push and
# the conversion's start, the same for every reading.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


PINS = const(18)  # emitter address (8), receiver address (8), x enable, y enable
WAIT_MAX = const(8191)  # 13 bits of wait
OP_CYCLES = const(6)  # pull, 3 x out, the wait loop's exit, jmp
MUX_OVERHEAD = const(7)  # a reading's cycles from its pins to its push, besides the wait
# From a conversion's push to the next word's pins: set (1 + 9), 32 loops of 9, pull, out.
# 300 cycles: 2.0 µs at 150 MHz, the RP2350 ADC's 96 cycles of its 48 MHz clock.
CONVERT_CYCLES = const(300)
_CONVERT = const(1 << 31)
_MAX_SCAN_US = const(65535)  # as plan._MAX_SCAN_US: a reading's time after t0 is a u16
_X_ENABLE = const(1 << 16)


def scan_program():
    # In MicroPython's PIO assembler language: rp2.asm_pio runs this with its instructions
    # and operands put in the function's globals (only the rp2 port has the assembler).
    wrap_target()  # noqa: F821 PIO
    label("top")  # noqa: F821 PIO
    pull(block)  # noqa: F821 PIO
    out(pins, 18)  # noqa: F821 PIO
    out(y, 13)  # noqa: F821 PIO
    out(x, 1)  # noqa: F821 PIO
    label("wait")  # noqa: F821 PIO
    jmp(y_dec, "wait")  # noqa: F821 PIO
    jmp(not_x, "top")  # noqa: F821 PIO
    pull(block)  # noqa: F821 PIO
    mov(isr, osr)  # noqa: F821 PIO
    push(block)  # noqa: F821 PIO
    set(y, 31)[9]  # noqa: F821 PIO
    label("conv")  # noqa: F821 PIO
    jmp(y_dec, "conv")[8]  # noqa: F821 PIO
    wrap()  # noqa: F821 PIO


class Words:
    """Builds the state machine's words for plans of one frame: `cs` is the ADC's CS word per
    axis (which input to convert), the waits from the plan's Timing."""

    def __init__(self, geometry, timing, cs):
        self.g = geometry
        self.cs = cs
        self.read = ((timing.mux_c - MUX_OVERHEAD) << 18) | _CONVERT
        self.gap = timing.read_c  # a slot left out: a reading's cycles, waited
        # the longest wait: all of a fan's slots but the last one read
        fan = 0
        for axis in range(2):
            n = 0
            for f in range(geometry.families):
                if geometry.fam_axis[f] == axis:
                    n += 1
            fan = n if n > fan else fan
        if (fan - 1) * self.gap - OP_CYCLES > WAIT_MAX:
            raise ValueError(
                "frame timing: %d slots of %d PIO cycles to wait through in a step; allowed "
                "at most %d cycles (a shorter mux_settle_us or a smaller fan)"
                % (fan - 1, self.gap, WAIT_MAX + OP_CYCLES)
            )
        self.on = (timing.on_c - OP_CYCLES) << 18
        self.off = (timing.off_c - OP_CYCLES) << 18

    def build(self, plan, words):
        """The words for a plan into `words` (4 a beam, 2 a step, and one per run of slots
        a step leaves out before a reading, dark and lit: at most 6 a beam); returns how
        many."""
        g = self.g
        receiver = g.beam_receiver
        beam = plan.beam
        slot = plan.slot
        read = self.read
        gap = self.gap
        w = 0
        for s in range(plan.n_steps):
            axis = plan.step_axis[s]
            e = plan.step_emitter[s]
            cs = self.cs[axis]
            first = plan.step_first[s]
            last = first + plan.step_count[s]
            enable = _X_ENABLE << axis
            for half in range(2):  # dark: the emitter addressed, off; then lit
                lit = enable if half else 0
                at = 0  # the slot the next word starts at
                for i in range(first, last):
                    pins = e | (receiver[beam[i]] << 8) | lit
                    if slot[i] > at:  # slots left out: waited through, the pins already set
                        words[w] = pins | ((gap * (slot[i] - at) - OP_CYCLES) << 18)
                        w += 1
                    words[w] = pins | read
                    words[w + 1] = cs
                    w += 2
                    at = slot[i] + 1
                words[w] = e | (self.off if half else enable | self.on)
                w += 1
        return w


def collect(plan, results, readings, offset_us, mhz):
    """Append a finished pass's readings: `results` holds its conversions in the words' order
    (per step its dark readings, then its lit ones); their times are offset_us after the
    scan's t0 plus the plan's moments (at most plan._MAX_SCAN_US, as Readings.add keeps them).
    The core runs this for every beam of a pass, so the loop writes the readings' arrays
    itself, with everything it reads a local (a method call per beam cost as much again)."""
    beam = plan.beam
    lit_c = plan.lit_c
    step_first = plan.step_first
    step_count = plan.step_count
    r_beam = readings.beam
    r_dark = readings.dark
    r_lit = readings.lit
    r_t = readings.t_us
    n = readings.n
    end = readings.end_us
    k = 0
    for s in range(plan.n_steps):
        first = step_first[s]
        count = step_count[s]
        j = k
        for i in range(first, first + count):
            t_us = offset_us + lit_c[i] // mhz
            if t_us > _MAX_SCAN_US:
                t_us = _MAX_SCAN_US
            if t_us > end:
                end = t_us
            r_beam[n] = beam[i]
            r_dark[n] = results[j]
            r_lit[n] = results[j + count]
            r_t[n] = t_us
            n += 1
            j += 1
        k += 2 * count
    readings.n = n
    readings.end_us = end
