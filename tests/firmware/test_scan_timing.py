"""The touch frame's scan timing, from the operations the board performs: the PIO program of
vitrine_fw/touch/pio.py, assembled here and run on a PIO emulator (rp2040-pio-emulator) with
the words the firmware builds for real plans. Every conversion must start where plan.Plan says
(the moments the simulator's board reads the glass at), on the beam the plan says, after the
multiplexer's settling time and no sooner than the last conversion has ended; every emitter must
go on and off where the plan says; a pass must last the plan's length. The report rate the
touch benchmark prints is built on these lengths (vitrine.bench.touch)."""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from pioemu import State, emulate

from vitrine.hardware import frame_config, load_frame
from vitrine_fw.touch import pio
from vitrine_fw.touch.geometry import Geometry
from vitrine_fw.touch.plan import Plan, Readings, Timing

# --- MicroPython's PIO assembler language, assembled ------------------------------------------
#
# rp2.asm_pio (ports/rp2/modules/rp2.py) runs the program's function with the instructions and
# operands as globals and encodes each instruction; the same here, with the encodings of the
# RP2040/RP2350 datasheets' PIO instruction set tables (3 bits of opcode, 5 of delay, then the
# instruction's fields). Only what the frame's program uses.

JMP_CONDITIONS = {"always": 0, "not_x": 1, "x_dec": 2, "not_y": 3, "y_dec": 4}
OUT_DESTINATIONS = {"pins": 0, "x": 1, "y": 2, "null": 3, "isr": 6}
MOV_REGISTERS = {"pins": 0, "x": 1, "y": 2, "null": 3, "isr": 6, "osr": 7}
SET_DESTINATIONS = {"pins": 0, "x": 1, "y": 2}


@dataclass
class Instruction:
    op: str
    args: tuple[Any, ...]
    delay: int = 0

    def __getitem__(self, delay: int) -> Instruction:
        self.delay = delay
        return self


@dataclass
class Assembler:
    program: list[Instruction] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    wrap_target: int = 0
    wrap: int = -1

    def names(self) -> dict[str, Any]:
        def emit(op: str):
            def instruction(*args: Any) -> Instruction:
                self.program.append(Instruction(op, args))
                return self.program[-1]

            return instruction

        def label(name: str) -> None:
            self.labels[name] = len(self.program)

        def wrap_target() -> None:
            self.wrap_target = len(self.program)

        def wrap() -> None:
            self.wrap = len(self.program) - 1

        names: dict[str, Any] = {
            op: emit(op) for op in ("pull", "out", "jmp", "mov", "push", "set")
        }
        names.update(label=label, wrap_target=wrap_target, wrap=wrap, block="block")
        names.update({n: n for n in (*JMP_CONDITIONS, *OUT_DESTINATIONS, *MOV_REGISTERS)})
        return names

    def encode(self, ins: Instruction) -> int:
        d = ins.delay << 8
        a = ins.args
        if ins.op == "jmp":
            cond, target = a if len(a) == 2 else ("always", a[0])
            return 0x0000 | d | JMP_CONDITIONS[cond] << 5 | self.labels[target]
        if ins.op == "out":
            return 0x6000 | d | OUT_DESTINATIONS[a[0]] << 5 | (a[1] & 31)
        if ins.op in ("push", "pull"):
            assert a == ("block",)
            return 0x8000 | d | (ins.op == "pull") << 7 | 1 << 5
        if ins.op == "mov":
            return 0xA000 | d | MOV_REGISTERS[a[0]] << 5 | MOV_REGISTERS[a[1]]
        if ins.op == "set":
            return 0xE000 | d | SET_DESTINATIONS[a[0]] << 5 | a[1]
        raise AssertionError(ins.op)


def assemble() -> tuple[list[int], Assembler]:
    asm = Assembler()
    program = pio.scan_program
    saved = dict(program.__globals__)
    program.__globals__.update(asm.names())
    try:
        program()
    finally:
        program.__globals__.clear()
        program.__globals__.update(saved)
    return [asm.encode(i) for i in asm.program], asm


def test_the_assembler_here_encodes_as_the_datasheet() -> None:
    # Encodings given in the RP2040 datasheet's examples and pioemu's quick start.
    asm = Assembler(labels={"top": 1})
    assert asm.encode(Instruction("set", ("x", 9))) == 0xE029
    assert asm.encode(Instruction("jmp", ("x_dec", "top"))) == 0x0041
    assert asm.encode(Instruction("pull", ("block",))) == 0x80A0
    assert asm.encode(Instruction("push", ("block",))) == 0x8020
    assert asm.encode(Instruction("out", ("pins", 1))) == 0x6001
    assert asm.encode(Instruction("mov", ("isr", "osr"))) == 0xA0C7


# --- the frames ---------------------------------------------------------------------------------

SMALL = {
    "width_mm": 100.0,
    "height_mm": 60.0,
    "x": {"count": 10, "pitch_mm": 10.0, "first_mm": 5.0, "fan": [0, -3, 3]},
    "y": {"count": 8, "pitch_mm": 7.5, "first_mm": 3.75, "fan": [0, 2]},
    "optics": {"bar_gap_mm": 8.0},
}


def small_frame(real: str) -> dict[str, Any]:
    """A frame with few beams (the emulator runs a few hundred thousand cycles a second) and
    a real frame's timing."""
    frame = copy.deepcopy(SMALL)
    frame["timing"] = frame_config(load_frame(real))["timing"]
    return frame


@dataclass
class Run:
    conversions: list[tuple[int, int]]  # (cycle of the push, pins then)
    pin_changes: list[tuple[int, int]]  # (cycle of each `out pins`, pins from then)
    cycles: int  # when the last word had ended (the program waits at its pull again)


def run(words: list[int], n_conversions: int) -> Run:
    opcodes, asm = assemble()
    state = State(transmit_fifo=deque(words))
    conversions: list[tuple[int, int]] = []
    pins: list[tuple[int, int]] = []
    out_pins = opcodes.index(0x6000 | pio.PINS)  # out pins, 18
    end = 0

    def stop(_opcode: int, s: State) -> bool:
        # the words are used up and the program waits for more at its first pull
        return not s.transmit_fifo and s.program_counter == asm.labels["top"] and s.clock > 0

    for before, after in emulate(
        opcodes,
        stop_when=stop,
        initial_state=state,
        shift_osr_right=True,
        out_count=pio.PINS,
        wrap_target=asm.wrap_target,
        wrap_top=asm.wrap,
    ):
        if before.program_counter == out_pins:
            pins.append((before.clock, after.pin_values))
        if after.receive_fifo:
            conversions.append((before.clock, after.pin_values))
            after.receive_fifo.popleft()  # the trigger DMA takes the word to the ADC
        end = after.clock
    assert len(conversions) == n_conversions
    return Run(conversions, pins, end)


def plan_of(frame: dict[str, Any], kind: str) -> Plan:
    g = Geometry(frame)
    plan = Plan(g, Timing(frame["timing"]))
    if kind == "straight":
        plan.straight()
    elif kind == "full":
        plan.full()
    else:  # a second pass: two emitters' fans
        fans = {0: [], 1: []}
        for f in range(g.families):
            for e in (4, 5):
                j = e - g.fam_e0[f]
                if g.fam_axis[f] == 0 and 0 <= j < g.fam_len[f]:
                    fans[e - 4].append(g.fam_start[f] + j)
        for k, beams in fans.items():
            if kind == "fans":
                plan.part_step(0, 4 + k, beams, 0, len(beams), (1 << len(beams)) - 1)
            else:  # part of each fan: its slots 2 and 4, then 1 (gaps waited through)
                plan.part_step(0, 4 + k, beams, 0, len(beams), 0b10100 if k == 0 else 0b10)
        plan.done()
    return plan


CS = [0xA000 | 5, 0xB000 | 5]  # EN | START_ONCE and the input, per axis (any distinct words)


@pytest.mark.parametrize("real", ["32in", "55in"])
@pytest.mark.parametrize("kind", ["straight", "full", "fans", "part fans"])
def test_the_pio_program_converts_where_the_plan_says(real: str, kind: str) -> None:
    frame = small_frame(real)
    plan = plan_of(frame, kind)
    timing = plan.timing
    g = plan.g
    words = [0] * (6 * plan.n + 2 * plan.n_steps)
    n = pio.Words(g, timing, CS).build(plan, words)
    result = run(words[:n], 2 * plan.n)

    expected = []  # (cycle, emitter, receiver, lit, axis) per conversion, in the words' order
    for s in range(plan.n_steps):
        first = plan.step_first[s]
        count = plan.step_count[s]
        axis = plan.step_axis[s]
        e = plan.step_emitter[s]
        for lit, moments in ((0, plan.dark_c), (1, plan.lit_c)):
            for i in range(first, first + count):
                expected.append((moments[i], e, g.beam_receiver[plan.beam[i]], lit, axis))
    assert len(expected) == len(result.conversions)
    for (cycle, pins), (at, e, r, lit, axis) in zip(result.conversions, expected, strict=True):
        assert cycle == at
        assert pins & 0xFF == e and (pins >> 8) & 0xFF == r
        assert (pins >> 16) & 3 == ((1 << axis) if lit else 0)

    # every emitter on and off where the plan says, and on all the while between (through
    # the slots a part step waits through too)
    changes = dict(result.pin_changes)
    for s in range(plan.n_steps):
        on = changes[plan.step_on_c[s]]
        assert on & (0x10000 << plan.step_axis[s]) and on & 0xFF == plan.step_emitter[s]
        assert not changes[plan.step_off_c[s]] & 0x30000
        for cycle, pins in result.pin_changes:
            if plan.step_on_c[s] <= cycle < plan.step_off_c[s]:
                assert pins & (0x10000 << plan.step_axis[s]), (s, cycle)
    # the multiplexer settles, the ADC converts: between a conversion and the pins before it,
    # and between it and the next change of the pins
    mux_c = frame["timing"]["mux_settle_us"] * timing.mhz
    conv_c = frame["timing"]["adc_conversion_us"] * timing.mhz
    times = [c for c, _ in result.pin_changes]
    for cycle, _ in result.conversions:
        before = max(t for t in times if t <= cycle)
        after = min((t for t in times if t > cycle), default=result.cycles + 1)
        assert cycle - before >= mux_c - 0.5
        assert after - cycle >= conv_c
    # the pass lasts what the plan says (it ends when the last word has)
    assert result.cycles == plan.length_c


@pytest.mark.parametrize("real", ["32in", "55in"])
def test_a_part_steps_readings_are_taken_when_the_whole_fans_are(real: str) -> None:
    # A beam read in part of its fan is read as long after the last emitter went off, and
    # after its own went on, as in the whole fan (what it reads depends on both); the step
    # ends after its last slot read.
    frame = small_frame(real)
    whole = plan_of(frame, "fans")
    part = plan_of(frame, "part fans")
    assert 0 < part.n < whole.n
    assert part.length_c < whole.length_c
    at = {}
    t0 = 0
    for s in range(whole.n_steps):
        for i in range(whole.step_first[s], whole.step_first[s] + whole.step_count[s]):
            on = whole.step_on_c[s]
            at[whole.beam[i]] = (whole.dark_c[i] - t0, whole.lit_c[i] - on)
        t0 = whole.step_off_c[s] - 1 + whole.timing.off_c
    t0 = 0
    for s in range(part.n_steps):
        for i in range(part.step_first[s], part.step_first[s] + part.step_count[s]):
            on = part.step_on_c[s]
            assert (part.dark_c[i] - t0, part.lit_c[i] - on) == at[part.beam[i]]
        t0 = part.step_off_c[s] - 1 + part.timing.off_c


def test_a_wait_through_a_fans_slots_too_long_for_one_word_is_refused() -> None:
    frame = small_frame("55in")
    frame["timing"] = dict(frame["timing"], mux_settle_us=40.0)  # 6000 cycles a reading
    g = Geometry(frame)
    with pytest.raises(ValueError, match="slots of 6300 PIO cycles"):
        pio.Words(g, Timing(frame["timing"]), CS)


def word_cycles(word: int) -> int:
    """A word's cycles by pio.py's accounting (what the emulator shows above): a reading's
    word (and the CS word after it) or an emitter's."""
    wait = (word >> 18) & pio.WAIT_MAX
    if word >> 31:
        return pio.MUX_OVERHEAD + wait + pio.CONVERT_CYCLES
    return pio.OP_CYCLES + wait


@pytest.mark.parametrize("real", ["32in", "55in"])
def test_a_real_frames_passes_last_what_their_words_do(real: str) -> None:
    # The frames themselves are too large to emulate in a test; their words, counted with
    # the cycle costs shown above, must add up to the plans' lengths.
    frame = frame_config(load_frame(real))
    g = Geometry(frame)
    timing = Timing(frame["timing"])
    for kind in ("straight", "full"):
        plan = Plan(g, timing)
        getattr(plan, kind)()
        words = [0] * (4 * plan.n + 2 * plan.n_steps)
        n = pio.Words(g, timing, CS).build(plan, words)
        total = 0
        i = 0
        while i < n:
            total += word_cycles(words[i])
            i += 2 if words[i] >> 31 else 1
        assert total == plan.length_c, kind


def test_the_readings_come_back_in_the_plans_order() -> None:
    # pio.collect takes the conversions in the words' order (per step: dark, then lit).
    frame = small_frame("55in")
    plan = plan_of(frame, "full")
    results = []
    for s in range(plan.n_steps):
        first = plan.step_first[s]
        count = plan.step_count[s]
        results += [1000 + plan.beam[i] for i in range(first, first + count)]
        results += [3000 + plan.beam[i] for i in range(first, first + count)]
    readings = Readings(plan.n)
    pio.collect(plan, results, readings, 7, plan.timing.mhz)
    assert readings.n == plan.n
    for i in range(plan.n):
        b = readings.beam[i]
        assert b == plan.beam[i]
        assert (readings.dark[i], readings.lit[i]) == (1000 + b, 3000 + b)
        assert readings.t_us[i] == 7 + plan.lit_c[i] // plan.timing.mhz
