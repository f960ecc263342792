# A fake `machine` module for the HAL tests under MicroPython: the ESP32 port's names,
# signatures and constants (its micropython-stubs package; tests/firmware/
# test_fakes_follow_stubs.py compares them), recording what the HAL builds. Only the HAL tests
# put this folder on sys.path. The reset-cause constants deliberately differ from the port's
# and from wire.RESET_*, so that a HAL passing machine's value through unmapped is caught.

PWRON_RESET = 11
HARD_RESET = 12
WDT_RESET = 13
DEEPSLEEP_RESET = 14
SOFT_RESET = 15

built = []  # every fake peripheral constructed, in order
mem32 = {}  # the words written to registers, by address
resets = []  # one entry per reset() call
_state = {"reset_cause": PWRON_RESET, "unique_id": b"\xe6\x61\x41\x03\xe7\x45\x2d\x2f"}


def set_reset_cause(cause):
    _state["reset_cause"] = cause


def reset_cause():
    return _state["reset_cause"]


def unique_id():
    return _state["unique_id"]


def reset():
    resets.append(True)  # a real board never returns from here


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self.id = id
        self.mode = mode
        self.pull = pull
        self._value = value
        built.append(self)

    def init(self, mode=-1, pull=-1, *, value=None):
        self.mode = mode

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = v
        return None


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
        self.baudrate = baudrate
        self.tx = tx
        self.rx = rx
        self.rxbuf = rxbuf
        self.txbuf = txbuf
        self.written = bytearray()
        built.append(self)

    def write(self, buf, n=None):
        # n: the stream protocol's max_len (py/stream.c), which the port's UART.write takes
        n = len(buf) if n is None else n
        self.written.extend(bytes(buf[:n]))
        return n

    def readinto(self, buf, n=None):
        return None


class ADC:
    def __init__(self, pin):
        self.pin = pin
        built.append(self)

    def read_u16(self):
        return 0x1234


class I2C:
    def __init__(self, id, *, scl=None, sda=None, freq=400000):
        self.id = id
        self.scl = scl
        self.sda = sda
        self.freq = freq
        built.append(self)

    def scan(self):
        return []


class WDT:
    def __init__(self, *, id=0, timeout=5000):
        self.timeout = timeout
        self.fed = 0
        built.append(self)

    def feed(self):
        self.fed += 1
