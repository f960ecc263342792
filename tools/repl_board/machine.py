# The virtual board's `machine` module: the parts of MicroPython's machine API the Vitrine
# firmware uses, answered by the virtual board (tools/repl_board.mjs) instead of silicon, with
# the ESP32 port's signatures and constants (its micropython-stubs package; tests/firmware/
# test_fakes_follow_stubs.py compares them).
#
#   unique_id, reset_cause, reset, soft_reset, freq, idle   as on the ESP32 port
#   WDT(timeout=ms).feed()     a real timer in the board: not fed in time, the board resets
#                              with reset cause WDT_RESET and boots main.py again
#   Pin                        a level per pin number (outputs keep what was written)
#   ADC(Pin(n)).read_u16()     an idle IR touch frame: when n is a receiver multiplexer's output
#                              in /config.json's frame wiring, it reads "lit" (about 52000)
#                              while that axis's emitters are enabled and "dark" (about 1500)
#                              otherwise; any other input reads 0 (the touch board's scans go
#                              through its PIO and DMA instead: this folder's rp2.py)
#   mem32[address] = value     kept, and read back, per address (no register does anything)
#   UART(id, ...)              the board's one port (as on a board whose USB-serial bridge is
#                              wired to the UART): reads what the host writes, writes to the
#                              host; while one is open, Ctrl-C on the port is data
import sys

import _vboard

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


def unique_id():
    return bytes.fromhex(_vboard.uid())


def reset_cause():
    return _vboard.cause()


def reset():
    # As on the ESP32 port: machine.reset() is esp_restart(), which it reports as HARD_RESET
    # (the firmware tells its own resets apart by vitrine_fw/bootflag.py's reset flag).
    _vboard.reset(HARD_RESET)
    raise SystemExit


def soft_reset():
    _vboard.reset(SOFT_RESET)
    raise SystemExit


def freq(hz=None):
    return 240000000


def idle():
    pass


class WDT:
    def __init__(self, *, id=0, timeout=5000):
        _vboard.wdt(timeout)

    def feed(self):
        _vboard.feed()


_levels = {}
mem32 = {}


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self.id = id
        if value is not None:
            _levels[id] = 1 if value else 0

    def value(self, v=None):
        if v is None:
            return _levels.get(self.id, 0)
        _levels[self.id] = 1 if v else 0

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        _levels[self.id] = 1

    def off(self):
        _levels[self.id] = 0


_frame = None  # adc pin -> emitter-enable pin of its axis, from /config.json


def _frame_inputs():
    global _frame
    if _frame is None:
        _frame = {}
        try:
            import json

            with open("/config.json") as f:
                wiring = json.load(f)["frame"]["wiring"]
            for axis in ("x", "y"):
                _frame[wiring[axis]["adc"]] = wiring[axis]["emitter_enable"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return _frame


class ADC:
    def __init__(self, id, *, atten=None):
        self.enable = _frame_inputs().get(id.id if isinstance(id, Pin) else id)

    def read_u16(self):
        if self.enable is None:
            return 0
        return 52000 if _levels.get(self.enable, 0) else 1500


class UART:
    def __init__(
        self,
        id,
        baudrate=9600,
        bits=8,
        parity=None,
        stop=1,
        *,
        tx=None,
        rx=None,
        txbuf=None,
        rxbuf=None,
        timeout=None,
        timeout_char=None,
        invert=None,
        flow=None,
        rts=None,
        cts=None,
    ):
        self.id = id
        _vboard.kbd(-1)

    def write(self, buf, n=None):
        # n: the stream protocol's max_len (py/stream.c), which the port's UART.write takes
        return sys.stdout.buffer.write(buf, len(buf) if n is None else n)

    def any(self):
        return _vboard.available()
