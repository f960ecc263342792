# Where the tracked contacts can be: core 0's copy of the tracker's contacts (the second core
# writes the tracker while core 0 scans; the copy is taken at the hand-over, while it is idle)
# and, for a moment ahead, each contact's box: its last place moved on by its velocity, give
# or take its speed times the time since, its radius and _SLACK. The pipeline chooses the
# second pass from them (vitrine_fw/touch/__init__.py, Pipeline._choose). Positions in Q5 mm,
# times in ticks_us, velocities in Q5 mm per 65536 µs (as the tracker's). Nothing is allocated
# once built.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

_TRACKS = const(10)  # contacts kept at most (the tracker's slots)
_REACH_US = const(80000)  # a contact reported longer ago than this is not predicted (and
# velocity x time stays a small int: the tracker's velocities stay within 12000, x 80000 < 2**30)
_SLACK = const(96)  # 3 mm: a finger's predicted place is trusted to this, beyond its speed's
_TICKS_MASK = const(0x3FFFFFFF)
_TICKS_HALF = const(0x20000000)


class Reach:
    """The tracked contacts' copy and their boxes (see the module comment)."""

    def __init__(self):
        self.n = 0
        self.x = array("i", bytes(4 * _TRACKS))  # at ticks_us t
        self.y = array("i", bytes(4 * _TRACKS))
        self.t = array("i", bytes(4 * _TRACKS))
        self.vx = array("i", bytes(4 * _TRACKS))
        self.vy = array("i", bytes(4 * _TRACKS))
        self.r = array("i", bytes(4 * _TRACKS))  # half its larger extent
        self.x0 = array("i", bytes(4 * _TRACKS))  # its box (boxes())
        self.x1 = array("i", bytes(4 * _TRACKS))
        self.y0 = array("i", bytes(4 * _TRACKS))
        self.y1 = array("i", bytes(4 * _TRACKS))

    def copy(self, tr):
        """Take the contacts of tracker `tr` (pending ones too: real fingers)."""
        k = 0
        for i in range(len(tr.id)):
            if tr.id[i] < 0 or k >= _TRACKS:
                continue
            self.x[k] = tr.x[i]
            self.y[k] = tr.y[i]
            self.t[k] = tr.t[i]
            self.vx[k] = tr.vx[i]
            self.vy[k] = tr.vy[i]
            w = tr.w[i]
            h = tr.h[i]
            self.r[k] = (w if w > h else h) >> 1
            k += 1
        self.n = k

    def boxes(self, t0, ahead_us):
        """Each contact's box ahead_us after ticks_us t0; False (boxes unset) when a contact
        was last reported more than _REACH_US before that moment, or after it."""
        for i in range(self.n):
            # t0 - t in ticks, wrapped (every step stays a small int: no allocation)
            dt = (t0 - self.t[i]) & _TICKS_MASK
            if dt >= _TICKS_HALF:
                dt = dt - _TICKS_MASK - 1
            dt += ahead_us
            if dt < 0 or dt > _REACH_US:
                return False
            vx = self.vx[i]
            vy = self.vy[i]
            x = self.x[i] + (vx * dt >> 16)
            y = self.y[i] + (vy * dt >> 16)
            r = self.r[i] + _SLACK
            hx = ((vx if vx > 0 else -vx) * dt >> 16) + r
            hy = ((vy if vy > 0 else -vy) * dt >> 16) + r
            self.x0[i] = x - hx
            self.x1[i] = x + hx
            self.y0[i] = y - hy
            self.y1[i] = y + hy
        return True

    def holds(self, x, y):
        """(x, y) lies in a contact's box (boxes())."""
        for i in range(self.n):
            if self.x0[i] <= x <= self.x1[i] and self.y0[i] <= y <= self.y1[i]:
                return True
        return False

    def holds_along(self, u, x_axis):
        """A contact's box holds u along x (x_axis) or y."""
        for i in range(self.n):
            a = self.x0[i] if x_axis else self.y0[i]
            b = self.x1[i] if x_axis else self.y1[i]
            if a <= u <= b:
                return True
        return False
