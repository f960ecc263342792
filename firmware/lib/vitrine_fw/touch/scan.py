# The beam scanner: one scan's readings (each beam's receiver read dark and lit, for the beams
# the scan read) turned into per-beam attenuations against a baseline that adapts slowly
# while the beam is clear.
#
# The baseline comes from the first START_SCANS scans, taken with nothing on the glass (at
# power-on, after `calibrate`, or a capture's first scans): each beam's clear level (lit - dark)
# and how much it varies from scan to scan. A beam is in a shadow when it is attenuated by
# more than its threshold: 10%, or four times its own noise when that is more (an oblique beam
# gets little light and is noisy). Beams too dark or too noisy to tell a shadow are failed.
#
# Ambient light: the dark reading is subtracted from the lit one, beam by beam. A receiver at
# or near saturation cannot add a beam's light to what it already reads: when the dark reading
# plus the beam's clear level would pass NEAR_SATURATION of the ADC's range, or the lit
# reading does, the beam is unknown for that scan (no shadow, no ghost) and counted as
# saturated. An axis whose receivers are mostly saturated for a while is "blinded" (its bar
# is in strong light); the touch task reports it.
#
# Beams the scan did not read (an adaptive scan reads oblique beams only where shadows are)
# and saturated ones are UNKNOWN; a beam blocked far longer than any touch, or dark from the
# start, is marked failed and stays unknown until it reads clear again for a while (both
# counted in scans, by the scans since the beam's last reading, so that a beam read only in
# the occasional full scan counts its time the same). Unknown
# beams never create a touch; they only cost resolution where they are.
#
# Steady state allocates nothing: preallocated arrays, small integers (Q10 attenuation, Q3
# levels; every product stays below 2**30).

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

UNKNOWN = const(32767)  # attenuation of a beam with no valid reading this scan
FAILED = const(1)  # state bit: excluded until it reads clear again

START_SCANS = const(20)  # scans with nothing on the glass that the baseline is taken from
_SHADOW = const(102)  # 10%: the least attenuation a shadow has (Q10)
_NOISE_K = const(4)  # ... or this many times the beam's own noise
_NOISIEST = const(614)  # a beam whose threshold would pass 60% is too noisy to use: failed
_DEAD_PER_MILLE = const(15)  # a clear beam below 1.5% of the ADC's range is dark: failed
_BRIGHTER = const(-102)  # 10% brighter than its baseline: follow quickly (e.g. a finger at boot)
_SLOW = const(8)  # baseline time constant 2**8 scans while clear (a few seconds)
_FAST = const(3)  # ... 2**3 scans while clearly brighter
_BLIND_SCANS = const(20)  # scans an axis' saturation must last before its state changes


class Scanner:
    """Per-beam baseline, noise, attenuation and failure state, and per-axis saturation."""

    def __init__(self, geometry, adc_bits, fail_scans, recover_scans):
        g = geometry
        n = g.beams
        self.g = g
        self.n = n
        full = (1 << adc_bits) - 1
        self.full = full
        self.near = full * 7 // 8  # NEAR_SATURATION: 7/8 of the ADC's range
        self.dead = full * _DEAD_PER_MILLE // 1000
        self.fail_scans = min(fail_scans, 65000)
        self.recover_scans = min(recover_scans, 65000)
        self.base = array("i", bytes(4 * n))  # clear level (lit - dark), Q3
        self.noise = array("i", bytes(4 * n))  # its standard deviation, Q3
        self.thr = array("h", bytes(2 * n))  # attenuation a shadow starts at, Q10
        # Two banks of what detection reads (att, t_us) and of the beams each scan read,
        # scans alternating between them: detection of one scan (on the board's second core,
        # vitrine_fw/touch/__init__.py) reads its bank while the next scan fills the other.
        self.atts = (array("h", [UNKNOWN] * n), array("h", [UNKNOWN] * n))
        self.t_uss = (array("H", bytes(2 * n)), array("H", bytes(2 * n)))
        self.lasts = (array("H", bytes(2 * n)), array("H", bytes(2 * n)))
        self.n_lasts = array("H", bytes(4))
        self.bank = 0
        self.att = self.atts[0]  # Q10, signed; UNKNOWN when not valid (this scan's bank)
        self.last_att = array("h", [UNKNOWN] * n)  # as at its last reading (the console's)
        self.t_us = self.t_uss[0]  # when it was read in this scan, after t0 (its bank)
        self.dark = array("H", bytes(2 * n))  # the last readings (for the console)
        self.lit = array("H", bytes(2 * n))
        self.count = array("H", bytes(2 * n))  # scans blocked (or clear, while failed)
        self.when = array("H", bytes(2 * n))  # the scan it was last read in (mod 2**16)
        self.scan_no = 0  # scans since the baseline, mod 2**16
        self.state = bytearray(n)
        self.beam_axis = bytearray(n)  # each beam's axis (0: x, 1: y)
        self.straight = bytearray(n)  # 1: a straight beam (update()'s `only`)
        for b in range(n):
            self.beam_axis[b] = g.fam_axis[g.beam_family[b]]
            self.straight[b] = 0 if g.fam_shift[g.beam_family[b]] else 1
        self.last = self.lasts[0]  # the beams this scan read (its bank's)
        self.n_last = 0
        self.read = bytearray(n)  # read in this scan (a beam read twice keeps its first)
        self.first = array("i", bytes(4 * n))  # baseline: the first scan's level ...
        self.sum = array("i", bytes(4 * n))  # ... and sums of the others' differences
        self.sum2 = array("i", bytes(4 * n))
        self.seen = array("H", bytes(2 * n))  # baseline: scans that read the beam
        self.baseline_scans = 0
        self.failed = 0
        self.saturated = 0  # beams saturated in the last scan
        self.axis_read = array("H", bytes(4))  # per axis: beams read in the last scan
        self.axis_saturated = array("H", bytes(4))  # ... of them saturated
        self.blinded = 0  # bit per axis (1: x, 2: y): its receivers saturated for a while
        self.blind_count = bytearray(2)
        self.changed = False  # the failed set or the blinded axes changed in the last scan

    # --- the baseline ---------------------------------------------------------------------

    def begin_baseline(self):
        """Start a new baseline: the next START_SCANS scans go to baseline_add()."""
        for b in range(self.n):
            self.seen[b] = 0
            self.sum[b] = 0
            self.sum2[b] = 0
        self.baseline_scans = 0

    def baseline_add(self, readings):
        """One scan with nothing on the glass; returns True once the baseline is complete."""
        for i in range(readings.n):
            b = readings.beam[i]
            lit = readings.lit[i]
            level = lit - readings.dark[i]
            if lit >= self.near:
                level = -1  # saturated: no level from this beam
            if self.seen[b] == 0:
                self.first[b] = level
            else:
                d = level - self.first[b]
                self.sum[b] += d
                self.sum2[b] += d * d
            self.seen[b] += 1
        self.baseline_scans += 1
        if self.baseline_scans < START_SCANS:
            return False
        self._baseline_end()
        return True

    def _baseline_end(self):
        self.failed = 0
        self.n_last = 0
        self.n_lasts[0] = 0
        self.n_lasts[1] = 0
        for b in range(self.n):
            self.count[b] = 0
            self.read[b] = 0  # a live scan before a new baseline read it; begin_scan won't clear it
            self.when[b] = self.scan_no
            self.atts[0][b] = UNKNOWN
            self.atts[1][b] = UNKNOWN
            m = self.seen[b]
            if m == 0:
                self._fail(b)
                continue
            s = self.sum[b]
            mean8 = self.first[b] * 8 + s * 8 // m
            # the variance of the m - 1 differences about their mean, in Q6 (counts**2 * 64)
            var64 = 0
            if m > 2:
                k = m - 1
                var64 = (self.sum2[b] * 64 - s * s * 64 // k) // k
            sd8 = _isqrt(var64) if var64 > 0 else 0
            self.base[b] = mean8
            self.noise[b] = sd8
            if mean8 < self.dead * 8 or not self._threshold(b):
                self._fail(b)
            else:
                self.state[b] = 0
                self.last_att[b] = 0  # clear, as the baseline saw it
        self.changed = True

    def _threshold(self, b):
        # The beam's shadow threshold from its level and noise; False when it is too noisy.
        t = _NOISE_K * self.noise[b] * 1024 // self.base[b]
        if t > _NOISIEST:
            return False
        self.thr[b] = t if t > _SHADOW else _SHADOW
        return True

    def _fail(self, b):
        self.state[b] = FAILED
        self.failed += 1
        self.atts[0][b] = UNKNOWN
        self.atts[1][b] = UNKNOWN
        if self.base[b] < self.dead * 8:
            self.base[b] = self.dead * 8
        self.thr[b] = _SHADOW

    # --- every scan ---------------------------------------------------------------------------

    def begin_scan(self):
        """Forget the last scan: the beams it read are unknown until read again. The scan
        fills the other bank (see __init__), whose attenuations from the scan before last
        are cleared."""
        read = self.read
        last = self.last
        for i in range(self.n_last):
            read[last[i]] = 0
        prev = self.bank
        self.n_lasts[prev] = self.n_last
        bank = prev ^ 1
        self.bank = bank
        att = self.atts[bank]
        last = self.lasts[bank]
        for i in range(self.n_lasts[bank]):
            att[last[i]] = UNKNOWN
        self.att = att
        self.t_us = self.t_uss[bank]
        self.last = last
        self.n_last = 0
        self.scan_no = (self.scan_no + 1) & 0xFFFF
        self.saturated = 0
        self.axis_read[0] = 0
        self.axis_read[1] = 0
        self.axis_saturated[0] = 0
        self.axis_saturated[1] = 0
        self.changed = False

    def update(self, readings, i0, i1, only=None):
        """Readings i0..i1-1 of this scan: attenuation, baselines and failures. A beam's
        blocked (or, failed, clear) count is the scans since its first reading so, counted by
        the scans between its readings: an oblique beam far from any finger is read only in
        the full scans, and its time counts the same. With `only` (a flag per beam, e.g.
        self.straight) just those beams' readings; the others' in a later call (each beam's
        state is its own: the order makes no difference)."""
        # (everything the loop reads through an attribute is a local: the loop runs for every
        # beam read, 1476 of them in the 55-inch frame's full scan)
        when = self.when
        now = self.scan_no
        base = self.base
        att = self.att
        last_att = self.last_att
        count = self.count
        state = self.state
        thr = self.thr
        near = self.near
        last = self.last
        n_last = self.n_last
        read = self.read
        beam_axis = self.beam_axis
        axis_read = self.axis_read
        r_beam = readings.beam
        r_dark = readings.dark
        r_lit = readings.lit
        r_t = readings.t_us
        s_dark = self.dark
        s_lit = self.lit
        s_t = self.t_us
        for i in range(i0, i1):
            b = r_beam[i]
            if read[b]:
                continue  # read again in the same scan: the first reading stands
            if only is not None and not only[b]:
                continue
            read[b] = 1
            dark = r_dark[i]
            lit = r_lit[i]
            s_dark[b] = dark
            s_lit[b] = lit
            s_t[b] = r_t[i]
            last[n_last] = b
            n_last += 1
            elapsed = (now - when[b]) & 0xFFFF
            when[b] = now
            axis = beam_axis[b]
            axis_read[axis] += 1
            level = base[b]
            if lit >= near or dark + (level >> 3) >= near:
                att[b] = UNKNOWN  # the receiver is (nearly) saturated: no valid reading
                last_att[b] = UNKNOWN
                self.saturated += 1
                self.axis_saturated[axis] += 1
                continue
            signal = lit - dark
            a = 1024 - (signal << 13) // level
            if a < -1024:
                a = -1024
            elif a > 2047:
                a = 2047
            last_att[b] = a
            if state[b]:
                # Failed: comes back after reading clear (below its shadow threshold) for
                # recover_scans; a reading past twice its threshold (clearly blocked) starts
                # the count again, one just past it (noise: an oblique beam read once in a
                # full scan's while would otherwise lose that while to one noisy reading)
                # holds it.
                att[b] = UNKNOWN
                t = thr[b]
                if -t < a < t:
                    c = count[b] + elapsed if count[b] else 1
                    count[b] = c if c < 65000 else 65000
                    if c >= self.recover_scans:
                        state[b] = 0
                        count[b] = 0
                        self.failed -= 1
                        self.changed = True
                elif a >= t << 1 or a <= -(t << 1):
                    count[b] = 0
                continue
            att[b] = a
            if a < thr[b]:  # clear, or nearly: follow drift (slowly)
                count[b] = 0
                s8 = signal << 3
                if a < _BRIGHTER:
                    base[b] = level + ((s8 - level) >> _FAST)
                else:
                    # time constant 2**_SLOW scans, whichever scans read it: a beam read
                    # after `elapsed` scans moves that many steps' worth
                    if elapsed < 1 << _SLOW:
                        level += ((s8 - level) * elapsed) >> _SLOW
                    else:
                        level = s8
                    if level < self.dead << 3:  # faded out: the emitter is dying
                        state[b] = FAILED
                        att[b] = UNKNOWN
                        self.failed += 1
                        self.changed = True
                        continue
                    base[b] = level
            else:
                c = count[b] + elapsed if count[b] else 1
                count[b] = c if c < 65000 else 65000
                if c >= self.fail_scans:
                    state[b] = FAILED
                    count[b] = 0
                    att[b] = UNKNOWN
                    self.failed += 1
                    self.changed = True
        self.n_last = n_last

    def end_scan(self):
        """After the scan's last readings: which axes are blinded (their receivers mostly
        saturated for _BLIND_SCANS scans in a row)."""
        for axis in range(2):
            read = self.axis_read[axis]
            blind = read > 0 and self.axis_saturated[axis] * 4 > read
            bit = 1 << axis
            if blind == bool(self.blinded & bit):
                self.blind_count[axis] = 0
                continue
            c = self.blind_count[axis] + 1
            if c >= _BLIND_SCANS:
                self.blinded ^= bit
                self.changed = True
                c = 0
            self.blind_count[axis] = c


def _isqrt(n):
    x = n
    y = (x + 1) // 2
    while y < x:
        x = y
        y = (x + n // x) // 2
    return x
