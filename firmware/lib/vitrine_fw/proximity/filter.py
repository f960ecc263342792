# What the presence board makes of its readings, in integers and allocating nothing:
#
# Track, one per time-of-flight sensor: the median of its last `size` valid readings (1, 3 or
# 5), so one stray reading moves nothing; a reading without a valid target (a status the ULD
# calls a failure, or farther than max_mm) counts as a miss, and once misses outnumber half
# the window the target is lost (filtered = NONE) and the window starts afresh. It also says
# when a reading is worth sending (DISTANCE's rule, protocol.md §10).
#
# Presence, one per board: the board's verdict from the nearest filtered target, with a
# hysteresis band and times:
#
#   ABSENT --(nearest < approach_mm)--> APPROACH --(stays < approach_mm for present_ms)--> PRESENT
#      ^                                    |                                               |
#      +---(no target < approach_mm + hysteresis_mm for leave_ms)-----------------------------+

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from vitrine_fw import wire

NONE = const(0xFFFF)  # no target (wire.DISTANCE_NONE)
_SEND_STEP_MM = const(10)  # a filtered distance that moved this much goes out
_SEND_EVERY_MS = const(1000)  # ... and every sensor's reading at least this often

# The ULD's statuses that carry a target's distance: valid, min range clipped, valid without
# the wrap check (the first ranging after a start), merged pulse.
_TARGET = bytearray(256)
for _code in (wire.RANGE_VALID, wire.RANGE_MIN_CLIPPED, wire.RANGE_NO_WRAP_CHECK,
              wire.RANGE_MERGED_PULSE):  # fmt: skip
    _TARGET[_code] = 1


def has_target(status):
    """Whether a ranging of this ULD status measured a target."""
    return _TARGET[status & 0xFF] == 1


class Track:
    """One sensor's filtered distance (see the module comment)."""

    def __init__(self, size, max_mm, min_interval_ms, clock):
        if size not in (1, 3, 5):
            raise ValueError("median=%r, allowed: 1, 3 or 5" % (size,))
        self.size = size
        self.max_mm = max_mm
        self.min_interval_ms = min_interval_ms  # 1000 / distance_rate_hz
        self.clock = clock  # (called as self.clock.ticks_diff: a bound method would allocate)
        self.window = [0] * size  # the last valid readings, oldest overwritten first
        self.sorted = [0] * size
        self.count = 0  # valid readings in the window
        self.next = 0
        self.misses = 0  # readings without a target since the last valid one
        self.filtered = NONE
        self.status = wire.RANGE_NONE
        self.raw = 0
        # what was last sent, and when
        self.sent_ms = 0
        self.sent_filtered = NONE
        self.sent_status = wire.RANGE_NONE
        self.sent_once = False

    def reset(self):
        self.count = 0
        self.next = 0
        self.misses = 0
        self.filtered = NONE
        self.status = wire.RANGE_NONE

    def add(self, status, distance_mm):
        """Take one reading; returns the filtered distance (NONE: no target)."""
        self.status = status
        self.raw = distance_mm
        if has_target(status) and distance_mm <= self.max_mm:
            self.misses = 0
            self.window[self.next] = distance_mm
            self.next = (self.next + 1) % self.size
            if self.count < self.size:
                self.count += 1
            self.filtered = self._median()
        else:
            self.misses += 1
            if self.misses > self.size // 2:
                self.count = 0
                self.next = 0
                self.filtered = NONE
        return self.filtered

    def _median(self):
        # an insertion sort of at most 5 values into a preallocated list
        s = self.sorted
        n = self.count
        w = self.window
        for i in range(n):
            v = w[i]
            j = i
            while j > 0 and s[j - 1] > v:
                s[j] = s[j - 1]
                j -= 1
            s[j] = v
        return s[n // 2]

    def due(self, now_ms):
        """Whether this reading should be sent now (DISTANCE's rule); marks it sent."""
        since = self.clock.ticks_diff(now_ms, self.sent_ms)
        if self.sent_once and since < self.min_interval_ms:
            return False
        f = self.filtered
        last = self.sent_filtered
        moved = (f == NONE) != (last == NONE) or (
            f != NONE and (f - last >= _SEND_STEP_MM or last - f >= _SEND_STEP_MM)
        )
        if (
            not self.sent_once
            or moved
            or self.status != self.sent_status
            or since >= _SEND_EVERY_MS
        ):
            self.sent_once = True
            self.sent_ms = now_ms
            self.sent_filtered = f
            self.sent_status = self.status
            return True
        return False


class Presence:
    """The board's presence verdict (see the module comment)."""

    def __init__(self, approach_mm, present_ms, leave_ms, hysteresis_mm, clock):
        self.clock = clock
        self.approach_mm = approach_mm
        self.present_ms = present_ms
        self.leave_ms = leave_ms
        self.hysteresis_mm = hysteresis_mm
        self.state = wire.PRESENCE_ABSENT
        self.since_ms = 0  # when the state began
        self.near_ms = 0  # the last time a target was within approach_mm + hysteresis_mm
        self.distance_mm = NONE
        self.sensor = 0

    def update(self, now_ms, nearest_mm, sensor):
        """The nearest filtered target now (NONE: none); True when the state changed."""
        self.distance_mm = nearest_mm
        self.sensor = sensor
        state = self.state
        if nearest_mm != NONE and nearest_mm < self.approach_mm + self.hysteresis_mm:
            self.near_ms = now_ms
        if state == wire.PRESENCE_ABSENT:
            if nearest_mm != NONE and nearest_mm < self.approach_mm:
                return self._to(wire.PRESENCE_APPROACH, now_ms)
            return False
        clock = self.clock
        if clock.ticks_diff(now_ms, self.near_ms) >= self.leave_ms:
            return self._to(wire.PRESENCE_ABSENT, now_ms)
        if state == wire.PRESENCE_APPROACH:
            if nearest_mm == NONE or nearest_mm >= self.approach_mm:
                self.since_ms = now_ms  # the dwell starts again
            elif clock.ticks_diff(now_ms, self.since_ms) >= self.present_ms:
                return self._to(wire.PRESENCE_PRESENT, now_ms)
        return False

    def _to(self, state, now_ms):
        self.state = state
        self.since_ms = now_ms
        return True
