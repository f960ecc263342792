# The hardware seam: what a board object offers the firmware, written as base classes that the
# real board (vitrine_fw.hal), the simulator's (vitrine.sim.board) and the tests' fakes derive
# from. micropython-lib's lora driver is the model (lora/modem.py's BaseModem): the interface
# and what every board shares sit in one base class, each board supplies the hardware.
#
# A board overrides what it has. A method it does not override raises NotImplementedError
# naming the board's class and the method, so a fake that lacks something a code path needs
# says so, instead of an AttributeError from deep inside a driver. tests/firmware/
# test_board_seam.py holds every board, clock and port to these signatures.
#
# The parts a board hands out (pins, ADC, I2C, PWM, LED strips, the watchdog, BLE) are MicroPython's
# own objects on a real board, checked against the port's stubs (tools/firmware_typecheck.py);
# the simulator's stand-ins and the tests' fake `machine` modules are compared with the same
# stubs (tests/firmware/test_fakes_follow_stubs.py).

PIN_MODES = ("in", "out")
PIN_PULLS = (None, "up", "down")


def _missing(obj, name):
    return NotImplementedError("%s has no %s()" % (type(obj).__name__, name))


def check_pin(n, mode, pull):
    """Raise ValueError naming the pin when mode or pull is not one the seam knows."""
    if mode not in PIN_MODES:
        raise ValueError("pin %r: mode=%r, allowed: 'in', 'out'" % (n, mode))
    if pull not in PIN_PULLS:
        raise ValueError("pin %r: pull=%r, allowed: None, 'up', 'down'" % (n, pull))


class BaseClock:
    """MicroPython's clock: ticks in ms and µs that wrap at the port's period (compare them
    only with ticks_diff), and asyncio's sleep in whole milliseconds."""

    def ticks_ms(self):
        """Milliseconds, wrapping."""
        raise _missing(self, "ticks_ms")

    def ticks_us(self):
        """Microseconds, wrapping."""
        raise _missing(self, "ticks_us")

    def ticks_diff(self, a, b):
        """a - b in ticks, signed, across the wrap."""
        raise _missing(self, "ticks_diff")

    def ticks_add(self, t, delta):
        """The tick delta (signed) after t, wrapped."""
        raise _missing(self, "ticks_add")

    def sleep_ms(self, ms):
        """An awaitable that pauses the task for ms milliseconds (an int: on a board this is
        asyncio.sleep_ms, which allocates nothing; asyncio.sleep(ms / 1000) would allocate the
        float in every loop that waits)."""
        raise _missing(self, "sleep_ms")


class BasePort:
    """The protocol port a board's open_link() returns."""

    async def read_into(self, buf, timeout_ms):
        """Read up to len(buf) bytes into buf; how many, 0 when none came within timeout_ms."""
        raise _missing(self, "read_into")

    def write(self, buf, n):
        """Write buf[0:n]; returns the bytes accepted (fewer when the port drops data)."""
        raise _missing(self, "write")

    def close(self):
        """Give the port back (a USB-CDC board restores Ctrl-C)."""
        raise _missing(self, "close")


class BaseBoard:
    """One board: its clock, identity, resets, watchdog, link port and peripherals."""

    def __init__(self, clock):
        self.clock = clock  # the board's BaseClock

    def uid(self):
        """The MCU's unique id, as hex."""
        raise _missing(self, "uid")

    def reset_cause(self):
        """Why the board last started: a wire.RESET_* code; RESET_SOFT after a reset() (the
        firmware asked for it), else what the port says (vitrine_fw/hal.py lists it)."""
        raise _missing(self, "reset_cause")

    def reset(self):
        """Reset the board because the firmware asks to; does not return on a board. It sets
        bootflag's reset flag, then resets as machine.reset() does, whose own cause would be
        the port's WDT_RESET on the RP2040 (it reboots through the watchdog) and HARD_RESET on
        the ESP32; with the flag the next boot's reset_cause() is RESET_SOFT on both (the
        simulator does the same, vitrine.sim.board)."""
        raise _missing(self, "reset")

    def reset_to_repl(self):
        """Reset into MicroPython's REPL: the next boot leaves the firmware stopped
        (vitrine_fw/bootflag.py); does not return on a board."""
        raise _missing(self, "reset_to_repl")

    def watchdog(self, timeout_ms):
        """The started hardware watchdog (feed() it within timeout_ms; it cannot be stopped)."""
        raise _missing(self, "watchdog")

    def open_link(self, link_cfg):
        """The protocol port (a BasePort) for config.json's "link": usb-cdc or uart."""
        raise _missing(self, "open_link")

    def pin(self, n, mode, pull=None):
        """Digital pin n: mode "in" or "out", pull None, "up" or "down" (see check_pin)."""
        raise _missing(self, "pin")

    def adc(self, n):
        """Analogue input on pin n, with read_u16()."""
        raise _missing(self, "adc")

    def i2c(self, bus, scl, sda, freq=400000):
        """I2C bus `bus` on pins scl and sda at freq Hz."""
        raise _missing(self, "i2c")

    def pwm(self, pin, freq_hz):
        """A PWM output on pin at freq_hz, with duty_u16(0..65535): machine.PWM on a board."""
        raise _missing(self, "pwm")

    def led_strip(self, pin, count, order="GRB"):
        """A WS2812/SK6812 strip of count pixels on pin whose chips take the colours in
        `order` ("GRB", "GRBW", ...: R, G, B and optionally W once each, as config.check
        makes sure): strip[i] = (r, g, b[, w]) or
        strip.fill(pixel), then strip.write()."""
        raise _missing(self, "led_strip")

    def ir_frame(self, frame):
        """The IR touch frame's scanner: start(plan) begins one pass of a scan plan
        (vitrine_fw.touch.plan.Plan) and returns at once; finish(plan, readings) waits for it
        and appends each beam's receiver readings, dark and lit, with when the lit one was
        taken (plan.Readings; the first pass of a scan sets readings.t0)."""
        raise _missing(self, "ir_frame")

    def second_core(self):
        """MicroPython's _thread module where a thread runs on a second core of its own, in
        parallel and with no GIL (the rp2 port: the touch board's detection runs there), else
        None: the work runs serially on the one core (every other board, the simulator's)."""
        return None

    def ble(self):
        """The active bluetooth.BLE; OSError on a board without a radio."""
        raise _missing(self, "ble")

    def mcu_temperature(self):
        """The chip's own temperature in degC (an int), or None where the port reads none."""
        raise _missing(self, "mcu_temperature")
