# Contacts from one scan to the next: each detected touch is matched to the contact whose
# predicted position (last position plus last velocity) is nearest, closest pairs first. An
# unmatched touch is a new contact, reported DOWN in the very scan it appeared (no filtering
# delay); a contact unmatched for _MISSES scans in a row is reported UP at its last position.
# An id stays with its contact from down to up and is unique among the current contacts.
#
# Nothing is allocated per scan.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

from vitrine_fw import wire

_SLOTS = const(10)
_MISSES = const(3)  # scans a contact may go undetected (hidden by others) before it is up
_GATE = const(1600)  # 50 mm: farther than this from its prediction is another finger
_FREE = const(-1)


class Tracker:
    """Contacts with stable ids, and the TOUCH_REPORT payload of each scan."""

    def __init__(self, offset=0):
        # The report's contacts start at payload[offset] (the caller's header goes before).
        self.offset = offset
        self.id = array("h", [_FREE] * _SLOTS)
        self.x = array("i", bytes(4 * _SLOTS))
        self.y = array("i", bytes(4 * _SLOTS))
        self.vx = array("i", bytes(4 * _SLOTS))
        self.vy = array("i", bytes(4 * _SLOTS))
        self.d = array("i", bytes(4 * _SLOTS))
        self.miss = bytearray(_SLOTS)
        self.fresh = bytearray(_SLOTS)  # matched or new in this scan
        self.px = array("i", bytes(4 * _SLOTS))  # predictions, compact (for the detector)
        self.py = array("i", bytes(4 * _SLOTS))
        self.n_pred = 0
        self.used = bytearray(16)  # detections taken, this scan
        self.dist = array("i", bytes(4 * _SLOTS * 16))
        self.next_id = 0
        self.payload = bytearray(offset + wire.MAX_CONTACTS * wire.CONTACT_SIZE)
        self.size = offset  # end of the contacts written by the last update
        self.active = 0  # contacts on the glass

    def predict(self):
        """Predicted positions of the current contacts into px, py (n_pred of them)."""
        n = 0
        for i in range(_SLOTS):
            if self.id[i] != _FREE:
                self.px[n] = self.x[i] + self.vx[i]
                self.py[n] = self.y[i] + self.vy[i]
                n += 1
        self.n_pred = n

    def _new_id(self):
        while True:
            cid = self.next_id
            self.next_id = (cid + 1) & 0xFF
            taken = False
            for i in range(_SLOTS):
                if self.id[i] == cid:
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
        d = self.d[i] >> 3  # Q5 -> 1/4 mm
        p[o] = self.id[i]
        p[o + 1] = state
        p[o + 2] = x & 0xFF
        p[o + 3] = (x >> 8) & 0xFF
        p[o + 4] = y & 0xFF
        p[o + 5] = (y >> 8) & 0xFF
        p[o + 6] = d if d < 255 else 255
        self.size = o + wire.CONTACT_SIZE

    def update(self, tx, ty, td, n):
        """Match this scan's n touches (Q5 mm) and fill the report payload (self.size)."""
        self.size = self.offset
        used = self.used
        dist = self.dist
        for k in range(n):
            used[k] = 0
        for i in range(_SLOTS):
            self.fresh[i] = 0
            if self.id[i] == _FREE:
                continue
            ex = self.x[i] + self.vx[i]
            ey = self.y[i] + self.vy[i]
            for k in range(n):
                dx = tx[k] - ex
                dy = ty[k] - ey
                if dx < 0:
                    dx = -dx
                if dy < 0:
                    dy = -dy
                dist[i * 16 + k] = dx + dy if dx < _GATE and dy < _GATE else -1
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
                    v = dist[i * 16 + k]
                    if v >= 0 and (best < 0 or v < best):
                        best = v
                        bi = i
                        bk = k
            if best < 0:
                break
            used[bk] = 1
            self.fresh[bi] = 1
            self.vx[bi] = tx[bk] - self.x[bi]
            self.vy[bi] = ty[bk] - self.y[bi]
            self.x[bi] = tx[bk]
            self.y[bi] = ty[bk]
            self.d[bi] = td[bk]
            self.miss[bi] = 0
            self._emit(bi, wire.CONTACT_MOVE)
        # Contacts not seen: held for a scan or two, then up.
        for i in range(_SLOTS):
            if self.id[i] == _FREE or self.fresh[i]:
                continue
            self.miss[i] += 1
            if self.miss[i] >= _MISSES:
                self._emit(i, wire.CONTACT_UP)
                self.id[i] = _FREE
            else:
                self.vx[i] = 0
                self.vy[i] = 0
                self._emit(i, wire.CONTACT_MOVE)
        # New touches: down now.
        for k in range(n):
            if used[k]:
                continue
            for i in range(_SLOTS):
                if self.id[i] == _FREE:
                    self.id[i] = self._new_id()
                    self.x[i] = tx[k]
                    self.y[i] = ty[k]
                    self.vx[i] = 0
                    self.vy[i] = 0
                    self.d[i] = td[k]
                    self.miss[i] = 0
                    self.fresh[i] = 1
                    self._emit(i, wire.CONTACT_DOWN)
                    break
        active = 0
        for i in range(_SLOTS):
            if self.id[i] != _FREE:
                active += 1
        self.active = active
