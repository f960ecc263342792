# Contacts from one scan to the next: each detected touch is matched to the contact whose
# predicted position (last position plus velocity times the time since) is nearest, closest
# pairs first. An unmatched touch is a new contact; a contact unmatched for _MISSES scans in a
# row is reported UP at its last position; until then it is held where it would be, moving on
# as it moved, but at most _COAST a scan (a velocity from a scan of jitter, one finger seen at
# two places, must not carry it off to where nothing touches), and along an axis only as far
# as its velocity went that way both before and after its last move (the smaller of the two):
# a finger seen at one place and then another (a ghost beside it, or itself placed twice) has
# a velocity from one jump, or from jumps back and forth, and it is held where it was last
# seen, not carried off at the velocity of the jump. An id stays with its contact
# from down to up and is unique among the current contacts.
#
# A new contact is reported DOWN as soon as its shadows are solid (the finger or palm is in the
# beams' plane, not still coming down through it): in the very scan it appears when it lands at
# once, a few scans later when the beams see it come down (its shadow grows over 20-50 ms). Until
# then it is pending and not reported, so a palm or a sleeve is never first reported as the
# finger-sized shadow it casts on its way down. A new touch whose straight shadow along an axis
# could not be seen (its beams there saturated: the detector places it by oblique shadows instead)
# is reported down once it is solid in two scans in a row: one scan's oblique shadows may cross on a
# place where no finger is, and a finger stays. Its kind (finger or palm) is decided then, and a
# contact that is once a palm stays one until it lifts. A new touch that appears within the largest
# extent a palm on the glass has had (give or take _PALM_MARGIN) is a palm too: a hand or a sleeve
# breaks into finger-sized shadows as it lifts or turns, and those pieces are no pointers.
#
# Velocities come from the positions at the scans' report times; the detector uses them to
# bring every shadow of a moving finger to the same moment.
#
# Nothing is allocated per scan.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

from vitrine_fw import wire
from vitrine_fw.touch.detect import KIND_PALM

_SLOTS = const(10)
_DETECTIONS = const(16)  # touches one scan may give (the detector's MAX_TOUCHES, rounded up)
_MISSES = const(3)  # scans a contact may go undetected (hidden by others) before it is up
_GATE = const(1600)  # 50 mm: farther than this from its prediction is another finger
_SOLID = const(819)  # 80%: a touch whose straight shadows are this dark is down
_PENDING_MAX = const(6)  # ... and one seen this many scans is down however faint
_FREE = const(-1)
_PALM_MARGIN = const(384)  # 12 mm beyond a palm's largest extent, its pieces are still its
_COAST = const(256)  # 8 mm: the furthest a contact not seen moves on in a scan, per axis
_LONG_US = const(50000)  # positions older than this are not moved on by their velocity
_VMAX = const(12000)  # velocities are kept within 5.7 m/s (Q5 per 65536 µs)
_TICKS_MASK = const(0x3FFFFFFF)
_TICKS_HALF = const(0x20000000)


def _ticks_diff(a, b):
    return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def _agreed(a, b):
    """Of two velocities along an axis, the smaller if both go the same way, else 0."""
    if a > 0 and b > 0:
        return a if a < b else b
    if a < 0 and b < 0:
        return a if a > b else b
    return 0


class Tracker:
    """Contacts with stable ids, and the TOUCH_REPORT payload of each scan."""

    def __init__(self, offset=0):
        # The report's contacts start at payload[offset] (the caller's header goes before).
        self.offset = offset
        self.id = array("h", [_FREE] * _SLOTS)  # _FREE, or the contact's id (pending: its slot)
        self.shown = bytearray(_SLOTS)  # reported down (0: pending)
        self.x = array("i", bytes(4 * _SLOTS))  # at time t
        self.y = array("i", bytes(4 * _SLOTS))
        self.t = array("i", bytes(4 * _SLOTS))  # ticks_us of the report the position is for
        self.vx = array("i", bytes(4 * _SLOTS))  # Q5 per 65536 µs
        self.vy = array("i", bytes(4 * _SLOTS))
        # the velocity before the last move (a contact not seen moves on as both went)
        self.vx0 = array("i", bytes(4 * _SLOTS))
        self.vy0 = array("i", bytes(4 * _SLOTS))
        self.w = array("i", bytes(4 * _SLOTS))
        self.h = array("i", bytes(4 * _SLOTS))
        self.kind = bytearray(_SLOTS)
        self.w_max = array("i", bytes(4 * _SLOTS))  # the largest extent seen (Q5 mm)
        self.h_max = array("i", bytes(4 * _SLOTS))
        self.seen = bytearray(_SLOTS)  # scans seen while pending
        self.miss = bytearray(_SLOTS)
        self.fresh = bytearray(_SLOTS)  # matched or new in this scan
        self.px = array("i", bytes(4 * _SLOTS))  # predictions, compact (for the detector)
        self.py = array("i", bytes(4 * _SLOTS))
        self.pvx = array("i", bytes(4 * _SLOTS))
        self.pvy = array("i", bytes(4 * _SLOTS))
        self.pd = array("i", bytes(4 * _SLOTS))  # ... their sizes (a palm's: 0)
        self.n_pred = 0
        self.used = bytearray(_DETECTIONS)  # detections taken, this scan
        self.dist = array("i", bytes(4 * _SLOTS * _DETECTIONS))
        self.next_id = 0
        self.payload = bytearray(offset + wire.MAX_CONTACTS * wire.CONTACT_SIZE)
        self.size = offset  # end of the contacts written by the last update
        self.active = 0  # contacts reported on the glass
        self.now = 0  # ticks_us of this scan's report time

    def predict(self, now):
        """Predicted positions of the contacts at ticks_us `now` (the scan's report time),
        their velocities and sizes, into px, py, pvx, pvy, pd (n_pred of them)."""
        self.now = now
        n = 0
        for i in range(_SLOTS):
            if self.id[i] != _FREE:
                dt = _ticks_diff(now, self.t[i])
                if dt > _LONG_US or dt < 0:
                    dt = 0  # a gap in the scans: no use guessing
                self.px[n] = self.x[i] + (self.vx[i] * dt >> 16)
                self.py[n] = self.y[i] + (self.vy[i] * dt >> 16)
                self.pvx[n] = self.vx[i]
                self.pvy[n] = self.vy[i]
                w = self.w[i]
                h = self.h[i]
                self.pd[n] = 0 if self.kind[i] == KIND_PALM else (w if w > h else h)
                n += 1
        self.n_pred = n

    def _new_id(self):
        while True:
            cid = self.next_id
            self.next_id = (cid + 1) & 0xFF
            taken = False
            for i in range(_SLOTS):
                if self.id[i] == cid and self.shown[i]:
                    taken = True
            if not taken:
                return cid

    def _emit(self, i, state):
        p = self.payload
        o = self.size
        if o + wire.CONTACT_SIZE > len(p):
            return
        x = self.x[i]
        y = self.y[i]
        x = 0 if x < 0 else 65535 if x > 65535 else x
        y = 0 if y < 0 else 65535 if y > 65535 else y
        w = self.w[i] >> 4  # Q5 -> 1/2 mm
        h = self.h[i] >> 4
        p[o] = self.id[i]
        p[o + 1] = state
        p[o + 2] = x & 0xFF
        p[o + 3] = (x >> 8) & 0xFF
        p[o + 4] = y & 0xFF
        p[o + 5] = (y >> 8) & 0xFF
        p[o + 6] = w if w < 255 else 255
        p[o + 7] = h if h < 255 else 255
        p[o + 8] = self.kind[i]
        self.size = o + wire.CONTACT_SIZE

    def _show(self, i, solid):
        # A pending contact is reported down once solid, or after _PENDING_MAX scans; one
        # whose straight shadow along an axis could not be seen (solid < 0: the other one's
        # darkness, negated) once solid in two scans in a row.
        self.seen[i] += 1
        if solid < 0:
            solid = -solid if self.seen[i] >= 2 else 0
        if solid >= _SOLID or self.seen[i] >= _PENDING_MAX:
            self.shown[i] = 1
            self.id[i] = self._new_id()
            self._emit(i, wire.CONTACT_DOWN)

    def _in_palm(self, x, y):
        # Whether (x, y) lies within the largest extent of a palm on the glass, give or take
        # _PALM_MARGIN.
        for i in range(_SLOTS):
            if self.id[i] == _FREE or self.kind[i] != KIND_PALM:
                continue
            dx = x - self.x[i]
            dy = y - self.y[i]
            if dx < 0:
                dx = -dx
            if dy < 0:
                dy = -dy
            if (
                dx <= (self.w_max[i] >> 1) + _PALM_MARGIN
                and dy <= (self.h_max[i] >> 1) + _PALM_MARGIN
            ):
                return True
        return False

    def update(self, tx, ty, tw, th, kind, solid, n):
        """Match this scan's n touches (Q5 mm at the report time given to predict()) and fill
        the report payload (self.size)."""
        self.size = self.offset
        used = self.used
        dist = self.dist
        now = self.now
        if n > _DETECTIONS:
            n = _DETECTIONS
        for k in range(n):
            used[k] = 0
        for i in range(_SLOTS):
            self.fresh[i] = 0
            if self.id[i] == _FREE:
                continue
            dt = _ticks_diff(now, self.t[i])
            if dt > _LONG_US or dt < 0:
                dt = 0
            ex = self.x[i] + (self.vx[i] * dt >> 16)
            ey = self.y[i] + (self.vy[i] * dt >> 16)
            gate = _GATE
            if self.w[i] > gate:
                gate = self.w[i]
            for k in range(n):
                dx = tx[k] - ex
                dy = ty[k] - ey
                if dx < 0:
                    dx = -dx
                if dy < 0:
                    dy = -dy
                dist[i * _DETECTIONS + k] = dx + dy if dx < gate and dy < gate else -1
        # Closest pairs first.
        while True:
            best = -1
            bi = 0
            bk = 0
            for i in range(_SLOTS):
                if self.id[i] == _FREE or self.fresh[i]:
                    continue
                for k in range(n):
                    if used[k]:
                        continue
                    v = dist[i * _DETECTIONS + k]
                    if v >= 0 and (best < 0 or v < best):
                        best = v
                        bi = i
                        bk = k
            if best < 0:
                break
            used[bk] = 1
            self.fresh[bi] = 1
            dt = _ticks_diff(now, self.t[bi])
            if 0 < dt < _LONG_US:
                # velocity from the move since the last report, smoothed a little
                vx = (tx[bk] - self.x[bi]) * 65536 // dt
                vy = (ty[bk] - self.y[bi]) * 65536 // dt
                self.vx0[bi] = self.vx[bi]
                self.vy0[bi] = self.vy[bi]
                vx = (self.vx[bi] + 3 * vx) >> 2
                vy = (self.vy[bi] + 3 * vy) >> 2
                self.vx[bi] = _VMAX if vx > _VMAX else -_VMAX if vx < -_VMAX else vx
                self.vy[bi] = _VMAX if vy > _VMAX else -_VMAX if vy < -_VMAX else vy
            self.x[bi] = tx[bk]
            self.y[bi] = ty[bk]
            self.t[bi] = now
            self.w[bi] = tw[bk]
            self.h[bi] = th[bk]
            if tw[bk] > self.w_max[bi]:
                self.w_max[bi] = tw[bk]
            if th[bk] > self.h_max[bi]:
                self.h_max[bi] = th[bk]
            if kind[bk] == KIND_PALM:
                self.kind[bi] = KIND_PALM
            self.miss[bi] = 0
            if self.shown[bi]:
                self._emit(bi, wire.CONTACT_MOVE)
            else:
                self._show(bi, solid[bk])
        # Contacts not seen: held for a scan or two, then up (a pending one just goes).
        for i in range(_SLOTS):
            if self.id[i] == _FREE or self.fresh[i]:
                continue
            self.miss[i] += 1
            if not self.shown[i]:
                self.id[i] = _FREE
            elif self.miss[i] >= _MISSES:
                self._emit(i, wire.CONTACT_UP)
                self.id[i] = _FREE
                self.shown[i] = 0
            else:
                # where it would be now, moving on as it did: hidden or missed for a scan
                dt = _ticks_diff(now, self.t[i])
                if 0 < dt < _LONG_US:
                    # at most _COAST a scan: a velocity from a scan or two of jitter (a
                    # finger seen twice, one place then the other) must not carry the
                    # contact off to where nothing touches
                    # ... and with the velocity it had both before and after its last
                    # move (kept: the detector moves shadows with it, and the next
                    # prediction follows it)
                    vx = _agreed(self.vx[i], self.vx0[i])
                    vy = _agreed(self.vy[i], self.vy0[i])
                    self.vx[i] = vx
                    self.vy[i] = vy
                    dx = vx * dt >> 16
                    dy = vy * dt >> 16
                    self.x[i] += _COAST if dx > _COAST else -_COAST if dx < -_COAST else dx
                    self.y[i] += _COAST if dy > _COAST else -_COAST if dy < -_COAST else dy
                    self.t[i] = now
                self._emit(i, wire.CONTACT_MOVE)
        # New touches: pending, or down now when solid.
        for k in range(n):
            if used[k]:
                continue
            for i in range(_SLOTS):
                if self.id[i] == _FREE:
                    self.id[i] = 255 + i  # pending: no id yet (none on the wire is above 255)
                    self.shown[i] = 0
                    self.seen[i] = 0
                    self.x[i] = tx[k]
                    self.y[i] = ty[k]
                    self.t[i] = now
                    self.vx[i] = 0
                    self.vy[i] = 0
                    self.vx0[i] = 0
                    self.vy0[i] = 0
                    self.w[i] = tw[k]
                    self.h[i] = th[k]
                    self.w_max[i] = tw[k]
                    self.h_max[i] = th[k]
                    self.kind[i] = KIND_PALM if self._in_palm(tx[k], ty[k]) else kind[k]
                    self.miss[i] = 0
                    self.fresh[i] = 1
                    self._show(i, solid[k])
                    break
        active = 0
        for i in range(_SLOTS):
            if self.id[i] != _FREE and self.shown[i]:
                active += 1
        self.active = active
