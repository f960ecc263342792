# The virtual board's `time` module: the built-in one, except sleep_us(), which in the
# WebAssembly port sleeps for whole milliseconds. Waits shorter than a millisecond return at
# once here (the board has no real timing to keep: its pins settle instantly).
from time import *  # noqa: F403
from time import sleep_ms as _sleep_ms

_US_PER_MS = 1000


def sleep_us(us):
    if us >= _US_PER_MS:
        _sleep_ms(us // _US_PER_MS)
