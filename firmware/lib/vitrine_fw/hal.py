# The real board object: the one firmware module that touches machine, bluetooth and neopixel.
# Drivers receive this object (or the simulator's, or a test's fake) through their
# constructors; nothing hardware is built at import time. The interface every board object
# offers, with what each member does, is vitrine_fw/seam.py; this is the board's side of it.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio
import sys
import time
from array import array

import machine
import micropython

from vitrine_fw import bootflag, seam, wire


class Clock(seam.BaseClock):
    """MicroPython's ticks, wrapping at their port-specific period, and asyncio's sleep_ms
    (none of them allocates)."""

    def ticks_ms(self):
        return time.ticks_ms()

    def ticks_us(self):
        return time.ticks_us()

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

    def ticks_add(self, t, delta):
        return time.ticks_add(t, delta)

    def sleep_ms(self, ms):
        return asyncio.sleep_ms(ms)


class StreamPort(seam.BasePort):
    """The protocol port over a MicroPython stream (a UART, or USB-CDC stdio)."""

    def __init__(self, rx_stream, tx_stream, on_close=None):
        self._reader = asyncio.StreamReader(rx_stream)
        self._tx = tx_stream
        self._on_close = on_close

    async def read_into(self, buf, timeout_ms):
        """Read up to len(buf) bytes; 0 when nothing arrived within timeout_ms."""
        try:
            return await asyncio.wait_for_ms(self._reader.readinto(buf), timeout_ms)
        except asyncio.TimeoutError:
            return 0

    def write(self, buf, n):
        """Write buf[0:n] (a stream's write takes a length, so no slice is allocated)."""
        return self._tx.write(buf, n)

    def close(self):
        if self._on_close:
            self._on_close()


_BLE_SECRETS = "ble_secrets.json"  # the GATT link's bonds, on the board's flash (blelink)

# machine's reset causes, by name: a port has only some (the RP2040's MicroPython only
# PWRON_RESET and WDT_RESET). What each port reports (ports/esp32/modmachine.c,
# ports/rp2/modmachine.c): the reset button is PWRON_RESET on both (the ESP32-S3's EN pin is a
# chip power-on reset; the RP2040's RUN pin is no watchdog reboot); machine.reset() is
# WDT_RESET on the RP2040 (it reboots through the watchdog) and HARD_RESET on the ESP32 (as a
# panic is), so a reset the firmware asks for is told apart by bootflag's reset flag instead.
# No port has a brown-out cause: the ESP32's reports one as PWRON_RESET, so
# wire.RESET_BROWNOUT never comes from a board today.
_RESET_CAUSES = (
    ("PWRON_RESET", wire.RESET_POWER_ON),
    ("HARD_RESET", wire.RESET_HARD),
    ("WDT_RESET", wire.RESET_WDT),
    ("DEEPSLEEP_RESET", wire.RESET_DEEPSLEEP),
    ("SOFT_RESET", wire.RESET_SOFT),
)


class Board(seam.BaseBoard):
    """The real board, built from config.json. reset_requested: this boot found bootflag's
    reset flag (main.py takes it), so the reset before it was one the firmware asked for."""

    def __init__(self, cfg, reset_requested=False):
        super().__init__(Clock())
        self.cfg = cfg
        self.reset_requested = reset_requested

    def uid(self):
        import binascii

        return binascii.hexlify(machine.unique_id()).decode()

    def reset_cause(self):
        if self.reset_requested:
            return wire.RESET_SOFT
        cause = machine.reset_cause()
        for name, code in _RESET_CAUSES:
            if getattr(machine, name, None) == cause:
                return code
        return wire.RESET_UNKNOWN

    def reset(self):
        bootflag.request_reset()  # the next boot reports RESET_SOFT, whatever the port says
        machine.reset()

    def reset_to_repl(self):
        # The watchdog cannot be stopped, so the REPL is reached through a boot that never
        # starts it (see bootflag.py).
        bootflag.request_repl()
        machine.reset()

    def watchdog(self, timeout_ms):
        return machine.WDT(timeout=timeout_ms)

    def open_link(self, link_cfg):
        if link_cfg["kind"] == "ble":  # no cable: the link's GATT service (vitrine_fw.blelink)
            import bluetooth

            from vitrine_fw.blelink import FileSecrets, GattPort

            return GattPort(self.ble(), self.clock, bluetooth.UUID, FileSecrets(_BLE_SECRETS))
        if link_cfg["kind"] == "uart":
            uart = machine.UART(
                link_cfg["id"],
                baudrate=link_cfg["baud"],
                tx=machine.Pin(link_cfg["tx"]),
                rx=machine.Pin(link_cfg["rx"]),
                rxbuf=1024,
                txbuf=1024,
            )
            return StreamPort(uart, uart)
        # USB-CDC: the protocol runs over stdio, so Ctrl-C must not interrupt it while it
        # runs; it is restored when the port closes.
        micropython.kbd_intr(-1)
        return StreamPort(sys.stdin.buffer, sys.stdout.buffer, lambda: micropython.kbd_intr(3))

    def pin(self, n, mode, pull=None):
        seam.check_pin(n, mode, pull)
        if pull == "up":
            pull = machine.Pin.PULL_UP
        elif pull == "down":
            pull = machine.Pin.PULL_DOWN
        return machine.Pin(n, machine.Pin.OUT if mode == "out" else machine.Pin.IN, pull)

    def adc(self, n):
        return machine.ADC(machine.Pin(n))

    def i2c(self, bus, scl, sda, freq=400000):
        return machine.I2C(bus, scl=machine.Pin(scl), sda=machine.Pin(sda), freq=freq)

    def pwm(self, pin, freq_hz):
        return machine.PWM(machine.Pin(pin), freq=freq_hz, duty_u16=0)

    def led_strip(self, pin, count, order="GRB"):
        import neopixel

        strip = neopixel.NeoPixel(machine.Pin(pin), count, bpp=len(order))
        # neopixel puts value i of a pixel (r, g, b, w) at byte ORDER[i] of the pixel
        strip.ORDER = tuple([order.index(c) for c in "RGBW"[: len(order)]])
        return strip

    def ir_frame(self, frame):
        # The touch board's scanner: the RP2350's PIO, DMA and ADC (PioFrame, below).
        return PioFrame(frame)

    def second_core(self):
        # Only the rp2 port runs a _thread thread on the other core without a GIL
        # (ports/rp2/mpconfigport.h: MICROPY_PY_THREAD 1, MICROPY_PY_THREAD_GIL 0, one thread
        # besides the main one); the ESP32 port's threads share one GIL.
        if sys.platform != "rp2":
            return None
        try:
            import _thread
        except ImportError:
            return None
        return _thread

    def ble(self):
        try:
            import bluetooth
        except ImportError:  # a port built without BLE (the RP2040 on a plain Pico)
            raise OSError("no BLE on this board: its MicroPython has no bluetooth module")
        ble = bluetooth.BLE()
        ble.active(True)
        return ble

    def mcu_temperature(self):
        # The ESP32-S2, -S3 and -C3 have esp32.mcu_temperature() (degC; ports/esp32/
        # modesp32.c), which the generic ESP32 stubs lack; the rp2 port (the RP2040's and the
        # RP2350's) has no esp32 module and reads none here.
        try:
            import esp32
        except ImportError:
            return None
        read = getattr(esp32, "mcu_temperature", None)
        return None if read is None else read()


# --- the touch frame (the touch board: an RP2350, hardware/boards/touch.toml) -----------------
#
# A pass of a scan plan (vitrine_fw.touch.plan.Plan) runs without the CPU:
#
#   ops DMA  --words-->  PIO state machine  --pins-->  emitter decoders, receiver multiplexers
#                           |  (a conversion's ADC CS word, pushed when the mux has settled)
#                           v
#   trigger DMA  --CS: EN | START_ONCE | AINSEL-->  ADC  --FIFO-->  results DMA  -->  RAM
#
# The program and its words: vitrine_fw/touch/pio.py (every wait a count of the state
# machine's cycles from the frame's "timing", so that a pass lasts what plan.Plan computes for
# it: the report rate is derived from these operations, hardware/README.md, Scan timing).
#
# Register addresses and DMA request numbers: RP2350 datasheet (ADC chapter: CS at 0x00, FCS
# at 0x08, FIFO at 0x0c of ADC_BASE 0x400a0000; CS bits EN 0, START_ONCE 2, AINSEL 12..15;
# FCS bits EN 0, DREQ_EN 3, THRESH 24..27) and pico-sdk's hardware/regs/dreq.h for RP2350
# (DREQ_PIO0_TX0 0, DREQ_PIO0_RX0 4, DREQ_ADC 48).

_ADC_CS = const(0x400A0000)
_ADC_FCS = const(0x400A0008)
_ADC_FIFO = const(0x400A000C)
_CS_EN = const(0x1)
_CS_START_ONCE = const(0x4)
_FCS_EN = const(0x1)
_FCS_DREQ_EN = const(0x8)
_FCS_THRESH_1 = const(0x1000000)
_DREQ_PIO0_TX0 = const(0)
_DREQ_PIO0_RX0 = const(4)
_DREQ_ADC = const(48)
_FIRST_ADC_GPIO = const(26)  # ADC input n is GPIO 26 + n on the RP2350A (Pico 2)


class PioFrame:
    """The touch frame's scanner on the RP2350's PIO, DMA and ADC: start(plan) and
    finish(plan, readings) (the seam, vitrine_fw/touch/__init__.py)."""

    def __init__(self, frame):
        import rp2  # the rp2 port's (the touch board's); no other board builds a frame

        from vitrine_fw.touch import pio
        from vitrine_fw.touch.geometry import Geometry
        from vitrine_fw.touch.plan import Timing

        self.pio = pio
        g = Geometry(frame)
        timing = Timing(frame["timing"])
        self.mhz = timing.mhz
        wiring = frame["wiring"]
        # The ADC inputs: built as machine.ADC, which sets up their pads and powers the ADC.
        self.adc = [machine.ADC(machine.Pin(wiring[key]["adc"])) for key in ("x", "y")]
        cs = [
            _CS_EN | _CS_START_ONCE | ((wiring[key]["adc"] - _FIRST_ADC_GPIO) << 12)
            for key in ("x", "y")
        ]
        self.builder = pio.Words(g, timing, cs)
        machine.mem32[_ADC_FCS] = _FCS_EN | _FCS_DREQ_EN | _FCS_THRESH_1
        program = rp2.asm_pio(
            out_init=[rp2.PIO.OUT_LOW] * pio.PINS,
            out_shiftdir=rp2.PIO.SHIFT_RIGHT,
            in_shiftdir=rp2.PIO.SHIFT_RIGHT,
        )(pio.scan_program)
        self.sm = rp2.StateMachine(
            0,
            program,
            freq=timing.mhz * 1000000,
            out_base=machine.Pin(wiring["emitter_address"][0]),
        )
        self.sm.active(1)
        n = g.beams
        # a changing plan's words: 4 a beam, 2 a step, and a wait before a reading whose
        # slots before it are left out, dark and lit (pio.Words.build): at most 6 a beam and
        # 2 an emitter (a step per emitter at most)
        size = 6 * n + 2 * (g.counts[0] + g.counts[1])
        self.words = array("I", bytes(4 * size))
        self.words_ahead = array("I", bytes(4 * size))  # ... built by prepare() for later
        self.ahead_plan = None  # the plan whose words words_ahead holds
        self.ahead_count = 0
        self.results = array("H", bytes(4 * n))  # dark and lit per reading, in the words' order
        self.ops = rp2.DMA()
        self.trigger = rp2.DMA()
        self.dma = rp2.DMA()
        self.static = []  # (plan, words, count) of the fixed plans
        self.t_start = 0  # ticks_us when the running pass started

    def _words(self, plan):
        # (words, count): built once for a fixed plan (the straight pass, the full scan) and
        # kept, built afresh into self.words for the others.
        if plan.fixed:
            for entry in self.static:
                if entry[0] is plan:
                    return entry[1], entry[2]
            words = array("I", bytes(4 * (4 * plan.n + 2 * plan.n_steps)))
            count = self.builder.build(plan, words)
            self.static.append((plan, words, count))
            return words, count
        if plan is self.ahead_plan:
            # built ahead: the buffers change places, so that the next prepare() does not
            # write the words this pass is reading
            self.ahead_plan = None
            words = self.words_ahead
            self.words_ahead = self.words
            self.words = words
            return words, self.ahead_count
        return self.words, self.builder.build(plan, self.words)

    def prepare(self, plan):
        """Build a changing plan's words now (while a pass runs), for its start() next; the
        plan must not change in between."""
        if not plan.fixed:
            self.ahead_count = self.builder.build(plan, self.words_ahead)
            self.ahead_plan = plan

    def start(self, plan):
        """Begin a pass: its words go to the state machine, its results to self.results."""
        words, count = self._words(plan)
        n_conv = 2 * plan.n
        self.dma.config(
            read=_ADC_FIFO,
            write=self.results,
            count=n_conv,
            ctrl=self.dma.pack_ctrl(size=1, inc_read=False, treq_sel=_DREQ_ADC),
            trigger=True,
        )
        self.trigger.config(
            read=self.sm,
            write=_ADC_CS,
            count=n_conv,
            ctrl=self.trigger.pack_ctrl(inc_read=False, inc_write=False, treq_sel=_DREQ_PIO0_RX0),
            trigger=True,
        )
        self.t_start = time.ticks_us()
        self.ops.config(
            read=words,
            write=self.sm,
            count=count,
            ctrl=self.ops.pack_ctrl(inc_write=False, treq_sel=_DREQ_PIO0_TX0),
            trigger=True,
        )

    def finish(self, plan, readings):
        """Wait for the pass to end; append its readings (the first pass of a scan sets t0)."""
        while self.dma.active():
            pass
        if readings.n == 0:
            readings.t0 = self.t_start
            offset = 0
        else:
            offset = time.ticks_diff(self.t_start, readings.t0)
        self.pio.collect(plan, self.results, readings, offset, self.mhz)
