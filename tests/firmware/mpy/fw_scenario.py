# Shared by the firmware scenario scripts, on MicroPython and CPython alike: fakes at the
# hardware seam (a clock the test sets, a port that keeps what is written), frame helpers for
# the host's side, checks with readable messages, and a runner that reports every scenario's
# outcome as one JSON line (pytest parses it; see tests/firmware/conftest.py).
#
# A scenario is a module-level function named scenario_*; it raises AssertionError to fail.

import asyncio
import binascii
import json
import struct
import sys

from vitrine_fw import seam, wire

RESULT_MARK = "RESULT "
# MicroPython's ticks wrap at 2**30 on the ports we ship. The arithmetic uses the mask, never
# 2**30 itself: that is one past MicroPython's largest small int, so `x % 2**30` would allocate
# a long int on every call and the clock would spoil the heap_lock checks.
_TICKS_MASK = 0x3FFFFFFF
_TICKS_HALF = 0x20000000


class FakeClock(seam.BaseClock):
    """ticks_ms/ticks_us that move only when the test says (or a task sleeps), wrapping like
    MicroPython's."""

    def __init__(self, ms=0):
        self.ms = ms
        self.us = ms * 1000

    def ticks_ms(self):
        return self.ms & _TICKS_MASK

    def ticks_us(self):
        return self.us & _TICKS_MASK

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF

    def ticks_add(self, t, delta):
        return (t + delta) & _TICKS_MASK

    def sleep_ms(self, ms):
        """The sleep passes in the fake time; the task yields once."""
        self.advance_ms(ms)
        return asyncio.sleep(0)

    def advance_ms(self, ms):
        self.ms += ms
        self.us += ms * 1000


class FakePort(seam.BasePort):
    """A protocol port that keeps every byte written; accepts `accept` bytes per write if set."""

    def __init__(self, accept=None):
        self.data = bytearray()
        self.writes = 0
        self.accept = accept

    def write(self, buf, n):
        self.data.extend(bytes(buf[:n]))
        self.writes += 1
        return n if self.accept is None else min(n, self.accept)

    def take(self):
        """The frames written since the last take(), decoded; clears the port."""
        reader = wire.FrameReader()
        raw = reader.feed(bytes(self.data))
        eq(reader.crc_errors + reader.framing_errors, 0, "errors in what the board wrote")
        eq(reader.pending, 0, "bytes after the board's last delimiter")
        self.data = bytearray()
        return [Frame(f) for f in raw]


class Frame:
    """A frame the board wrote: header fields, payload and (for known types) decoded values."""

    def __init__(self, raw):
        self.version, self.flags, self.seq, self.type, self.payload, _ = raw
        self.name = wire.message_name(self.type)
        self.values = None
        if self.name is not None:
            self.values = wire.decode_payload(self.type, self.payload)

    def __repr__(self):
        return f"<{self.name} seq={self.seq} flags={self.flags} {self.values!r}>"


def host_frame(typ, seq, values=None, *, flags=wire.FLAG_ACK_REQ, payload=b"", version=None):
    """Wire bytes of a frame the host sends (values packed by the table, or a raw payload)."""
    if values is not None:
        payload = wire.encode_payload(typ, values)
    if version is None:
        return wire.encode_frame(typ, seq, flags, payload)
    raw = struct.pack("<BBHB", version, flags, seq, typ) + payload
    raw += struct.pack("<I", binascii.crc32(raw) & 0xFFFFFFFF)
    return b"\x00" + wire.cobs_encode(raw) + b"\x00"


def corrupt(frame, index=8):
    """The same frame with one byte of its decoded body flipped (its CRC no longer matches)."""
    raw = bytearray(wire.cobs_decode_bytes(frame[1:-1]))
    raw[index] ^= 0x10
    return b"\x00" + wire.cobs_encode(bytes(raw)) + b"\x00"


_RX = bytearray(64)  # like Link.rx: receive() gets a reused buffer and a byte count


def feed(link, data, chunk=64):
    """Give the link data the way rx_loop does: in pieces through a reused 64-byte buffer."""
    i = 0
    while i < len(data):
        piece = data[i : i + chunk]
        _RX[0 : len(piece)] = piece
        link.receive(_RX, len(piece))
        i += chunk


# --- checks ----------------------------------------------------------------------------------


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: got {actual!r}, expected {expected!r}")


def ok(condition, what):
    if not condition:
        raise AssertionError(what)


def contains(text, part, what):
    if part not in text:
        raise AssertionError(f"{what}: {part!r} not in {text!r}")


# --- runner ----------------------------------------------------------------------------------


def scenario_names(namespace):
    """Sorted names of the scenario_* functions in a module's namespace."""
    return sorted(k for k in namespace if k.startswith("scenario_"))


def run_all(namespace):
    """Run every scenario; print one RESULT line: {"results": {name: null or error}}."""
    results = {}
    for name in scenario_names(namespace):
        try:
            namespace[name]()
            results[name] = None
        except Exception as err:
            if hasattr(sys, "print_exception"):
                sys.print_exception(err)
            results[name] = f"{type(err).__name__}: {err}"
    print(RESULT_MARK + json.dumps({"results": results}))


_caught = [None]


def measure(fn, a=None, b=None, c=None, d=None):
    """Run fn(a, b, c, d) with the heap locked; None if it ran clean, else the error text.
    (MicroPython only; the heap-lock scripts use it.)"""
    import micropython

    _caught[0] = None
    micropython.heap_lock()
    try:
        fn(a, b, c, d)
    except Exception as err:  # MemoryError when it allocated
        _caught[0] = err
    finally:
        micropython.heap_unlock()
    err = _caught[0]
    if err is None:
        return None
    return type(err).__name__ + ": " + str(err)
