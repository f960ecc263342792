# Link test: on PROBE_START the board streams PROBE frames at the requested rate, each with
# its ticks_us timestamp and a running index, so the host can measure latency, loss and
# throughput of the whole chain. Technicians use it to qualify a cable; the benchmarks use it
# to measure the link.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio
import struct

from vitrine_fw import wire
from vitrine_fw.link import Refused

MAX_RATE_HZ = const(1000)
_FIXED = const(9)  # t_us (4) + index (4) + pad length (1)
# Not const(): MicroPython's compiler takes only literals and this module's own constants there
# (const(wire.MAX_PAYLOAD) is a SyntaxError on the board).
MAX_SIZE = wire.MAX_PAYLOAD
_IDLE_MS = const(50)  # poll period while no stream is running


class Probe:
    """The PROBE_START command and the PROBE stream task."""

    def __init__(self, link, clock):
        self.link = link
        self.clock = clock
        self.rate_hz = 0
        self.count = 0  # frames to send; 0 = until stopped
        self.size = _FIXED
        self.index = 0
        self.payload = bytearray(MAX_SIZE)
        link.on(wire.PROBE_START, self.start)

    def start(self, values):
        """PROBE_START(rate_hz, count, size): rate 0 stops; size is the payload size."""
        rate_hz, count, size = values
        if rate_hz > MAX_RATE_HZ:
            raise Refused("rate_hz=%d, allowed 0..%d" % (rate_hz, MAX_RATE_HZ))
        if not _FIXED <= size <= MAX_SIZE:
            raise Refused("size=%d, allowed %d..%d" % (size, _FIXED, MAX_SIZE))
        self.rate_hz = rate_hz
        self.count = count
        self.size = size
        self.index = 0

    def fill(self):
        """Write the next PROBE payload into self.payload; returns its length."""
        p = self.payload
        struct.pack_into("<II", p, 0, self.clock.ticks_us() & 0x3FFFFFFF, self.index)
        p[8] = self.size - _FIXED
        return self.size

    async def run(self, alive):
        """Task: send PROBE frames while a stream is requested and the host is up."""
        clock = self.clock
        due = clock.ticks_us()
        while True:
            alive()
            running = self.rate_hz and (self.count == 0 or self.index < self.count)
            if not (running and self.link.host_up):
                await asyncio.sleep(_IDLE_MS / 1000)
                due = clock.ticks_us()
                continue
            self.link.send(wire.PROBE, self.payload, self.fill())
            self.index += 1
            # Schedule by deadline so the rate does not drift with the send time.
            due = clock.ticks_add(due, 1000000 // self.rate_hz)
            wait_us = clock.ticks_diff(due, clock.ticks_us())
            if wait_us < -100000:  # fell far behind (e.g. host flow control): start afresh
                due = clock.ticks_us()
                wait_us = 0
            await asyncio.sleep(max(wait_us, 0) / 1000000)
