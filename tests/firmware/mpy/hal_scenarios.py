# vitrine_fw.hal (the real board object) against the fake `machine` in fake_machine/, under
# MicroPython only (hal imports `micropython`, which CPython lacks). Run with fake_machine/ on
# sys.path; prints one RESULT line like the other scenario scripts, plus "notes".
#
# Two things the WebAssembly build cannot show directly, handled in this fake layer only:
# - its asyncio has no StreamReader, which hal.StreamPort needs to be constructed; a recording
#   stand-in is installed when (and only when) it is missing, and the NOTES line says so;
# - micropython.kbd_intr() has no getter and the builtin module's attributes are read-only,
#   so the real call is made once (it must not raise) and the calls themselves are observed
#   by pointing hal's `micropython` name at a recorder.

import asyncio
import json
import sys

import machine
from fw_scenario import FakeClock, contains, eq, ok, run_all

NOTES = {}

if not hasattr(asyncio, "StreamReader"):

    class _StreamReader:
        """Stand-in for asyncio.StreamReader: remembers the stream it wraps."""

        def __init__(self, stream):
            self.stream = stream

    asyncio.StreamReader = _StreamReader
    NOTES["stream_reader"] = "asyncio.StreamReader missing here; a recording stand-in was used"
else:
    NOTES["stream_reader"] = "asyncio.StreamReader present"

from vitrine_fw import hal, wire  # noqa: E402 (after the StreamReader stand-in)

UART_CFG = {"kind": "uart", "id": 1, "tx": 17, "rx": 18, "baud": 921600}


class KbdIntrRecorder:
    """Takes the place of the `micropython` module inside hal to record kbd_intr calls."""

    def __init__(self):
        self.calls = []

    def kbd_intr(self, chr):
        self.calls.append(chr)


def new_board():
    return hal.Board({"role": "touch", "link": {"kind": "usb-cdc"}})


def scenario_board_constructs_with_a_working_clock():
    before = len(machine.built)
    board = new_board()
    eq(len(machine.built), before, "peripherals built by the constructor")
    clock = board.clock
    t0 = clock.ticks_ms()
    ok(isinstance(t0, int), "ticks_ms is an int")
    eq(clock.ticks_diff(clock.ticks_add(t0, 1500), t0), 1500, "ticks_add/ticks_diff")
    eq(clock.ticks_diff(clock.ticks_add(t0, -7), t0), -7, "negative ticks_diff")
    ok(isinstance(clock.ticks_us(), int), "ticks_us is an int")


def scenario_reset_cause_maps_to_wire_codes():
    board = new_board()
    pairs = (
        (machine.PWRON_RESET, wire.RESET_POWER_ON),
        (machine.HARD_RESET, wire.RESET_HARD),
        (machine.WDT_RESET, wire.RESET_WDT),
        (machine.DEEPSLEEP_RESET, wire.RESET_DEEPSLEEP),
        (machine.SOFT_RESET, wire.RESET_SOFT),
        (99, wire.RESET_UNKNOWN),
    )
    try:
        for cause, code in pairs:
            machine.set_reset_cause(cause)
            eq(board.reset_cause(), code, f"reset_cause() for machine cause {cause}")
    finally:
        machine.set_reset_cause(machine.PWRON_RESET)


def scenario_a_reset_the_firmware_asks_for_leaves_the_flag_and_boots_soft():
    from vitrine_fw import bootflag

    bootflag.take_reset_request()  # whatever another scenario's reset() left
    board = new_board()
    before = len(machine.resets)
    board.reset()
    eq(len(machine.resets), before + 1, "reset() calls machine.reset()")
    ok(bootflag.take_reset_request(), "the reset flag is set before machine.reset()")
    ok(not bootflag.take_reset_request(), "the flag speaks for one boot only")
    try:
        # The RP2040 reports its machine.reset() as WDT_RESET, the ESP32 as HARD_RESET: a
        # boot that found the flag (main.py passes it) says soft whatever the port says.
        for cause in (machine.WDT_RESET, machine.HARD_RESET, machine.PWRON_RESET):
            machine.set_reset_cause(cause)
            asked = hal.Board({"role": "touch", "link": {"kind": "usb-cdc"}}, True)
            eq(asked.reset_cause(), wire.RESET_SOFT, f"after a requested reset, cause {cause}")
        machine.set_reset_cause(machine.WDT_RESET)
        eq(new_board().reset_cause(), wire.RESET_WDT, "without the flag: the watchdog")
    finally:
        machine.set_reset_cause(machine.PWRON_RESET)


def scenario_the_reset_flag_cannot_stop_a_reset():
    from vitrine_fw import bootflag

    # A filesystem that cannot take the file (here: a folder that does not exist).
    bootflag.request_reset("/no/such/folder/" + bootflag.RESET_FLAG)
    ok(not bootflag.take_reset_request("/no/such/folder/" + bootflag.RESET_FLAG), "no flag")


def scenario_uid_is_hex():
    eq(new_board().uid(), "e6614103e7452d2f", "uid()")


def scenario_watchdog_and_reset_use_machine():
    board = new_board()
    wdt = board.watchdog(4000)
    ok(isinstance(wdt, machine.WDT), "a machine.WDT")
    eq(wdt.timeout, 4000, "WDT timeout (ms)")
    wdt.feed()
    eq(wdt.fed, 1, "feed() reaches the WDT")
    before = len(machine.resets)
    board.reset()
    eq(len(machine.resets), before + 1, "reset() calls machine.reset()")


def scenario_reset_to_repl_sets_the_boot_flag_then_resets():
    from vitrine_fw import bootflag

    ok(not bootflag.take_repl_request(), "no flag before the request")
    before = len(machine.resets)
    new_board().reset_to_repl()
    eq(len(machine.resets), before + 1, "reset_to_repl() calls machine.reset()")
    ok(bootflag.take_repl_request(), "the next boot sees the flag")
    ok(not bootflag.take_repl_request(), "the flag holds for one boot only")


def scenario_uart_link_uses_configured_id_baud_pins():
    del machine.built[:]
    port = new_board().open_link(UART_CFG)
    uarts = [o for o in machine.built if isinstance(o, machine.UART)]
    eq(len(uarts), 1, "UARTs built")
    uart = uarts[0]
    eq((uart.id, uart.baudrate), (1, 921600), "UART id, baud")
    eq((uart.tx.id, uart.rx.id), (17, 18), "UART tx, rx pins")
    ok(isinstance(uart.tx, machine.Pin) and isinstance(uart.rx, machine.Pin), "pins are Pins")
    if hasattr(port._reader, "stream"):  # the stand-in StreamReader records its stream
        ok(port._reader.stream is uart, "the port reads the UART")
    frame = bytearray(wire.encode_frame(wire.HEARTBEAT, 1, 0, bytes(28)) + b"junk")
    eq(port.write(frame, len(frame) - 4), len(frame) - 4, "write() returns the count")
    eq(bytes(uart.written), bytes(frame[:-4]), "write(buf, n) sends buf[0:n] only")


def scenario_usb_cdc_link_disables_ctrl_c_while_open():
    board = new_board()
    real = hal.micropython
    # The real call must be accepted by this MicroPython (it returns nothing to check).
    port = board.open_link({"kind": "usb-cdc"})
    port.close()
    recorder = KbdIntrRecorder()
    hal.micropython = recorder
    try:
        port = board.open_link({"kind": "usb-cdc"})
        eq(recorder.calls, [-1], "kbd_intr calls after open")
        if hasattr(port._reader, "stream"):
            ok(port._reader.stream is sys.stdin.buffer, "reads stdin's binary stream")
        eq(port._tx, sys.stdout.buffer, "writes stdout's binary stream")
        port.close()
        eq(recorder.calls, [-1, 3], "kbd_intr calls after close (Ctrl-C restored)")
    finally:
        hal.micropython = real


def scenario_pins_adc_i2c():
    board = new_board()
    out = board.pin(5, "out")
    eq((out.id, out.mode, out.pull), (5, machine.Pin.OUT, None), "output pin")
    inp = board.pin(6, "in", "up")
    eq((inp.mode, inp.pull), (machine.Pin.IN, machine.Pin.PULL_UP), "input pin with pull-up")
    down = board.pin(7, "in", "down")
    eq(down.pull, machine.Pin.PULL_DOWN, "pull-down")
    adc = board.adc(26)
    eq((adc.pin.id, adc.read_u16()), (26, 0x1234), "ADC on pin 26")
    bus = board.i2c(0, 9, 8)
    eq((bus.id, bus.scl.id, bus.sda.id, bus.freq), (0, 9, 8, 400000), "I2C bus")


def scenario_pin_arguments_are_checked_before_anything_is_built():
    board = new_board()
    before = len(machine.built)
    for mode, pull, part in (("input", None, "mode='input'"), ("in", "UP", "pull='UP'")):
        try:
            board.pin(6, mode, pull)
        except ValueError as err:
            contains(str(err), "pin 6: " + part, "the error names the pin and the value")
            contains(str(err), "allowed", "the error says what is allowed")
        else:
            raise AssertionError(f"pin(6, {mode!r}, {pull!r}) was accepted")
    eq(len(machine.built), before, "pins built")


def scenario_ble_without_a_bluetooth_module_is_an_oserror():
    # The fake layer has no `bluetooth` (nor has the WebAssembly port): a port built without
    # BLE, as MicroPython for the plain Raspberry Pi Pico is.
    try:
        new_board().ble()
    except OSError as err:
        contains(str(err), "no BLE on this board", "the error")
    else:
        raise AssertionError("ble() returned on a port without bluetooth")


def scenario_led_strip_wraps_neopixel_in_the_strips_colour_order():
    import neopixel

    board = new_board()
    grbw = board.led_strip(16, 3, "GRBW")
    ok(isinstance(grbw, neopixel.NeoPixel), "a neopixel.NeoPixel")
    eq((grbw.pin.id, grbw.pin.mode, grbw.n, grbw.bpp), (16, machine.Pin.OUT, 3, 4), "GRBW")
    grbw.fill(bytearray((10, 20, 30, 40)))  # r, g, b, w, as the lighting subsystem gives it
    grbw.write()
    eq(grbw.written[-1], bytes((20, 10, 30, 40)) * 3, "GRBW on the wire: g, r, b, w")
    rgb = board.led_strip(17, 2, "RGB")
    eq(rgb.bpp, 3, "three channels")
    rgb[1] = (1, 2, 3)
    rgb.write()
    eq(rgb.written[-1], bytes((0, 0, 0, 1, 2, 3)), "RGB on the wire: r, g, b")
    bgr = board.led_strip(18, 1, "BGR")
    bgr.fill((1, 2, 3))
    bgr.write()
    eq(bgr.written[-1], bytes((3, 2, 1)), "BGR on the wire: b, g, r")
    eq(board.led_strip(19, 1).bpp, 3, "GRB unless told")


SMALL_FRAME = {
    "width_mm": 100.0,
    "height_mm": 60.0,
    "x": {"count": 10, "pitch_mm": 10.0, "first_mm": 5.0, "fan": [0, -3, 3]},
    "y": {"count": 8, "pitch_mm": 7.5, "first_mm": 3.75, "fan": [0, 2]},
    "wiring": {
        "emitter_address": [2, 3, 4, 5, 6, 7, 8, 9],
        "x": {"emitter_enable": 18, "receiver_address": list(range(10, 18)), "adc": 26},
        "y": {"emitter_enable": 19, "receiver_address": list(range(10, 18)), "adc": 27},
    },
    "timing": {
        "pio_mhz": 150,
        "adc_bits": 12,
        "adc_conversion_us": 2.0,
        "mux_settle_us": 0.75,
        "led_on_settle_us": 3.0,
        "led_off_settle_us": 6.0,
    },
}


def scenario_pio_frame_runs_a_pass_on_the_pio_dma_and_adc():
    # The scanner's set-up (ADC FIFO, state machine, the three DMA channels) and one pass: the
    # fake hardware answers each conversion with the pins of the word before its CS word
    # (emitter, receiver, enable), and every reading must come back on its beam.
    import rp2

    from vitrine_fw.touch.geometry import Geometry
    from vitrine_fw.touch.plan import Plan, Readings, Timing

    board = new_board()
    frame = board.ir_frame(SMALL_FRAME)
    eq(machine.mem32.get(0x400A0008), 0x1000009, "ADC FCS: EN, DREQ_EN, THRESH 1")
    sm = frame.sm
    eq(sm.freq, 150000000, "state machine clock")
    eq(sm.out_base.id, 2, "out pins from the first emitter address line")
    ok(sm.active(), "state machine running")
    program = sm.program
    eq(len(program["settings"]["out_init"]), 18, "18 out pins, all low at start")
    eq(program["settings"]["out_shiftdir"], rp2.PIO.SHIFT_RIGHT, "words read from bit 0")
    ops = [i.op for i in program["program"]]
    eq(ops, ["pull", "out", "out", "out", "jmp", "jmp", "pull", "mov", "push", "set", "jmp"],
       "the program")  # fmt: skip
    eq(program["labels"]["<wrap>"], len(ops) - 1, "wraps after its last instruction")
    eq(program["program"][5].args, ("not_x", "top"), "a word without a conversion: next word")
    eq(program["labels"]["top"], program["labels"]["<wrap_target>"], "... from the top")

    g = Geometry(SMALL_FRAME)
    timing = Timing(SMALL_FRAME["timing"])
    for kind in ("straight", "full", "fans", "prepared fans"):
        plan = Plan(g, timing)
        if kind == "straight":
            plan.straight()
        elif kind == "full":
            plan.full()
        else:
            fan = [
                b
                for b in range(g.beams)
                if g.beam_emitter[b] == 4 and g.fam_axis[g.beam_family[b]] == 1
            ]
            plan.part_step(1, 4, fan, 0, len(fan), (1 << len(fan)) - 1)  # the whole fan
            plan.done()
        if kind == "prepared fans":
            frame.prepare(plan)  # the words built now (while another pass would run) ...
            ahead = frame.words_ahead
            frame.start(plan)
            ok(frame.ops.configs[-1]["read"] is ahead, "... and start() sends those")
            ok(frame.words_ahead is not ahead, "the next prepare() builds into the other buffer")
        else:
            frame.start(plan)
        feed = frame.ops.configs[-1]
        words = feed["read"]
        n_words = 4 * plan.n + 2 * plan.n_steps
        eq(
            (feed["write"] is sm, feed["count"]),
            (True, n_words),
            kind + ": words to the state machine",
        )
        eq(
            (feed["ctrl"]["inc_write"], feed["ctrl"]["treq_sel"]),
            (False, 0),
            "paced by its TX FIFO",
        )
        trig = frame.trigger.configs[-1]
        eq((trig["read"] is sm, trig["write"], trig["count"]), (True, 0x400A0000, 2 * plan.n),
           "CS words from the RX FIFO to the ADC's CS")  # fmt: skip
        eq(trig["ctrl"]["treq_sel"], 4, "paced by the RX FIFO")
        res = frame.dma.configs[-1]
        eq((res["read"], res["write"] is frame.results, res["count"]),
           (0x400A000C, True, 2 * plan.n), "the ADC's FIFO to the results")  # fmt: skip
        eq((res["ctrl"]["size"], res["ctrl"]["inc_read"], res["ctrl"]["treq_sel"]), (1, False, 48),
           "16-bit results paced by the ADC")  # fmt: skip
        # the hardware: each conversion reads what the pins select
        k = 0
        i = 0
        while i < n_words:
            w = words[i]
            if w >> 31:
                cs = words[i + 1]
                ok(cs & 5 == 5, "CS: EN | START_ONCE")
                frame.results[k] = (((w >> 16) & 3) << 10) | ((w & 0xFF) << 5) | ((w >> 8) & 0xFF)
                frame.results[k] |= ((cs >> 12) & 1) << 13  # the input converted
                k += 1
                i += 2
            else:
                i += 1
        eq(k, 2 * plan.n, "a conversion per reading, dark and lit")
        frame.dma.busy = False
        readings = Readings(plan.n)
        frame.finish(plan, readings)
        eq(readings.n, plan.n, "readings")
        for j in range(plan.n):
            b = readings.beam[j]
            axis = g.fam_axis[g.beam_family[b]]
            where = (g.beam_emitter[b] << 5) | g.beam_receiver[b] | (axis << 13)
            eq(readings.dark[j], where, f"dark reading of beam {b}")
            eq(readings.lit[j], where | (1 << (10 + axis)), f"lit reading of beam {b}")
    plan = Plan(g, timing)
    plan.straight()
    frame.start(plan)
    first = frame.ops.configs[-1]["read"]
    frame.start(plan)
    ok(frame.ops.configs[-1]["read"] is first, "a fixed plan's words are built once")


def scenario_fake_clock_matches_hal_clock_arithmetic():
    # The fake clock the other scenarios use must wrap the way the board's clock does.
    real = hal.Clock()
    fake = FakeClock()
    for a, b in ((5, 3), (0, 0x3FFFFFFF), (0x3FFFFFFF, 0), (0x1FFFFFFF, 0x20000000)):
        eq(fake.ticks_diff(a, b), real.ticks_diff(a, b), f"ticks_diff({a}, {b})")
        eq(fake.ticks_add(a, 1000), real.ticks_add(a, 1000), f"ticks_add({a}, 1000)")


if __name__ == "__main__":
    run_all(globals())
    print("NOTES " + json.dumps(NOTES))
