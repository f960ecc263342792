# The beam scanner: one scan of every beam through the board seam (each receiver read dark and
# lit), turned into a per-beam attenuation against a baseline that adapts slowly while the
# beam is clear. Saturated readings (strong light) are "unknown" for that scan; a beam blocked
# far longer than any touch, or dark from the start, is marked failed and stays unknown until
# it reads clear again for a while. Unknown beams never create a touch; they only cost
# resolution where they are.
#
# Steady state allocates nothing: preallocated arrays, small integers (Q10 attenuation, Q3
# baselines; every product stays below 2**30).

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

UNKNOWN = const(32767)  # attenuation of a beam with no valid reading this scan
FAILED = const(1)  # state bit: excluded until it reads clear again

SATURATED = const(65000)  # an ADC reading at or above this is clipped
DEAD_SIGNAL = const(4000)  # a clear beam below this many counts is dead (about 10% of clear)
_CLEAR = const(51)  # attenuation below 5%: a failed beam reads clear again
BLOCKED = const(102)  # attenuation from 10%: the beam is in a shadow; below, it adapts
_BRIGHTER = const(-102)  # 10% brighter than its baseline: follow quickly (e.g. a finger at boot)
_SLOW = const(8)  # baseline time constant 2**8 scans while clear (about 2 s)
_FAST = const(3)  # ... 2**3 scans while clearly brighter
_START_SCANS = const(8)  # scans averaged for the first baseline


class Scanner:
    """Per-beam readings, baseline, attenuation and failure state."""

    def __init__(self, geometry, hw, fail_scans, recover_scans):
        n = geometry.beams
        self.n = n
        self.hw = hw
        self.fail_scans = min(fail_scans, 65000)
        self.recover_scans = min(recover_scans, 65000)
        self.on = array("H", bytes(2 * n))
        self.off = array("H", bytes(2 * n))
        self.base = array("i", bytes(4 * n))  # clear level (lit - dark), Q3
        self.att = array("h", bytes(2 * n))  # Q10, signed; UNKNOWN when not valid
        self.count = array("H", bytes(2 * n))  # scans blocked (or clear, while failed)
        self.state = bytearray(n)
        self.failed = 0
        self.saturated = 0
        self.changed = False  # the set of failed beams changed in the last scan

    def start(self):
        """Take the first baseline (average of a few scans); beams too dark are failed."""
        n = self.n
        base = self.base
        for b in range(n):
            base[b] = 0
        for _ in range(_START_SCANS):
            self.hw.read(self.on, self.off)
            for b in range(n):
                base[b] += self.on[b] - self.off[b]
        self.failed = 0
        for b in range(n):
            self.count[b] = 0
            self.att[b] = UNKNOWN
            if base[b] < DEAD_SIGNAL * _START_SCANS or self.on[b] >= SATURATED:
                self.state[b] = FAILED
                self.failed += 1
                base[b] = DEAD_SIGNAL * 8
            else:
                self.state[b] = 0
                base[b] = base[b] * 8 // _START_SCANS
        self.changed = True

    def scan(self):
        """Read every beam once and update attenuation, baselines and failures."""
        self.hw.read(self.on, self.off)
        on = self.on
        off = self.off
        base = self.base
        att = self.att
        count = self.count
        state = self.state
        fail_scans = self.fail_scans
        saturated = 0
        changed = False
        for b in range(self.n):
            lit = on[b]
            if lit >= SATURATED:
                att[b] = UNKNOWN
                saturated += 1
                continue
            level = base[b]
            a = 1024 - ((lit - off[b]) << 13) // level
            if a < -1024:
                a = -1024
            if state[b]:
                # Failed: comes back only after reading clear for recover_scans in a row.
                att[b] = UNKNOWN
                if a < _CLEAR:
                    count[b] += 1
                    if count[b] >= self.recover_scans:
                        state[b] = 0
                        count[b] = 0
                        self.failed -= 1
                        changed = True
                        if a < _BRIGHTER:  # dark at start, bright now: a new baseline
                            base[b] = (lit - off[b]) << 3
                else:
                    count[b] = 0
                continue
            att[b] = a
            if a < BLOCKED:  # clear, or nearly: follow drift (slowly)
                count[b] = 0
                signal = (lit - off[b]) << 3
                if a < _BRIGHTER:
                    base[b] = level + ((signal - level) >> _FAST)
                else:
                    level += (signal - level) >> _SLOW
                    if level < DEAD_SIGNAL << 3:  # faded out: the emitter is dying
                        state[b] = FAILED
                        att[b] = UNKNOWN
                        self.failed += 1
                        changed = True
                        continue
                    base[b] = level
            else:
                c = count[b] + 1
                count[b] = c
                if c >= fail_scans:
                    state[b] = FAILED
                    count[b] = 0
                    att[b] = UNKNOWN
                    self.failed += 1
                    changed = True
        self.saturated = saturated
        self.changed = changed
