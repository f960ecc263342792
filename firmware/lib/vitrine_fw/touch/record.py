# Recording a capture for the technicians' console (`beams --record N`): the touch task takes
# its baseline afresh, then streams each scan's raw readings to the host as TOUCH_RAW frames
# (protocol.md §8), the baseline's START_SCANS scans first and N more after them. The host
# writes them as a capture (docs/touch.md), which `vitrine touch replay` runs through this
# same firmware: the baseline it takes from the capture's first scans is the one the board
# took, so the replay reports what the board reported.
#
# One payload buffer, filled in place: recording allocates nothing per scan.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct

from vitrine_fw import wire

_HEAD = const(11)  # scan u16, t_us u32, count u16, first u16, rows length u8


class Recorder:
    """Streams `scans` scans' readings as TOUCH_RAW, then is done."""

    def __init__(self, link, scans):
        self.link = link
        self.left = scans
        self.scan_no = 0
        self.done = scans <= 0
        self.payload = bytearray(_HEAD + wire.RAW_ROWS * wire.RAW_ROW)

    def scan(self, readings):
        """Send one scan's readings (plan.Readings)."""
        if self.done:
            return
        p = self.payload
        n = readings.n
        first = 0
        while True:
            rows = n - first
            if rows > wire.RAW_ROWS:
                rows = wire.RAW_ROWS
            struct.pack_into(
                "<HIHHB",
                p,
                0,
                self.scan_no,
                readings.t0,
                n,
                first,
                rows * wire.RAW_ROW,
            )
            o = _HEAD
            for i in range(first, first + rows):
                struct.pack_into(
                    "<HHHH",
                    p,
                    o,
                    readings.beam[i],
                    readings.dark[i],
                    readings.lit[i],
                    readings.t_us[i],
                )
                o += wire.RAW_ROW
            self.link.send(wire.TOUCH_RAW, p, o)
            first += rows
            if first >= n:
                break
        self.scan_no = (self.scan_no + 1) & 0xFFFF
        self.left -= 1
        if self.left <= 0:
            self.done = True
