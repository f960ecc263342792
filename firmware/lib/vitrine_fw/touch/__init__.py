# The touch subsystem: scans the IR frame, finds the fingers, tracks them and streams a
# TOUCH_REPORT per scan while anything touches (and one more with the last contacts up).
# Failed beams and blinded bars are reported in TOUCH_HEALTH (and a LOG line) whenever they
# change.
#
#   plan (plan.py) -> the board scans -> scan (scan.py) -> detect (detect.py)
#                                                       -> track (track.py) -> TOUCH_REPORT
#
# A scan is two hardware passes. The first reads every straight beam; the shadows it finds say
# where fingers may be, and the second pass reads the oblique beams across those places only
# (an adaptive scan: on an untouched frame the second pass is empty). The next scan's first
# pass runs on the board's PIO and DMA while the core works out this one's touches. One scan in
# _FULL_EVERY reads every beam instead, so that oblique beams far from any finger still follow
# their drift and show failures and saturation. Shadows the second pass did not cover (fingers
# just come down) get a third pass over their fans in the same scan; more than _BUSY straight
# shadows on an axis with no oblique pass read (many fingers landing at once), a third pass
# over every beam.
#
# The board seam: board.ir_frame(frame) returns the frame's scanner hardware, with
#   start(plan)            begin one pass (returns at once; the hardware runs it)
#   finish(plan, readings) wait for it and append its readings (plan.Readings), the first
#                          pass of a scan setting readings.t0
# Pipeline.process() takes a whole scan's readings from elsewhere instead (a capture replayed:
# vitrine touch replay), and gives the same reports as the live board for the same readings.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct
from array import array

from vitrine_fw import wire
from vitrine_fw.touch.detect import Detector
from vitrine_fw.touch.geometry import Geometry
from vitrine_fw.touch.plan import Plan, Readings, Timing
from vitrine_fw.touch.scan import FAILED, START_SCANS, Scanner
from vitrine_fw.touch.track import Tracker

PERIOD_MS = const(5)  # the touch task yields to the others between scans at least this often
_FAIL_MS = const(30000)  # a beam blocked this long is failed (no touch lasts that long)
_RECOVER_MS = const(2000)  # a failed beam clear this long is back
_SCAN_MS = const(10)  # a scan's length, for the two above (about 100 scans a second)
_HEADER = const(7)  # TOUCH_REPORT: scan u16, t_us u32, contacts length u8
_HEALTH_LIST = const(100)  # failed beams listed in TOUCH_HEALTH at most
_MARGIN = const(512)  # 16 mm: oblique beams are read this far beyond where fingers were
_FULL_EVERY = const(128)  # one scan in so many reads every beam (health, oblique baselines)
_BUSY = const(3)  # more straight shadows than this on an axis: the next scan reads every beam
_FAN = const(8)  # a fan's beams at most (7 offsets)
_TICKS_MASK = const(0x3FFFFFFF)


class Pipeline:
    """One frame's scan -> detect -> track chain; step() (live) or process() (given readings)
    fills `report` with a TOUCH_REPORT payload."""

    def __init__(self, frame, hw, clock, adaptive=True):
        g = Geometry(frame)
        self.geometry = g
        self.timing = Timing(frame["timing"])
        self.hw = hw
        self.clock = clock
        self.adaptive = adaptive
        self.scanner = Scanner(
            g, self.timing.adc_bits, _FAIL_MS // _SCAN_MS, _RECOVER_MS // _SCAN_MS
        )
        self.detector = Detector(g)
        self.tracker = Tracker(_HEADER)
        self.report = self.tracker.payload
        # a scan reads every beam at most once, and the straight ones three times at most
        self.readings = Readings(g.beams + 2 * (g.counts[0] + g.counts[1]))
        self.first = Plan(g, self.timing)  # every straight beam
        self.first.straight()
        self.second = Plan(g, self.timing)  # the oblique beams across the shadows
        self.third = Plan(g, self.timing)  # ... across shadows the second did not cover
        self.full = Plan(g, self.timing)  # every beam (the baseline; not adaptive)
        self.full.full()
        self.mark = bytearray(2 * 256)  # per axis and emitter: read its fan in the second pass
        # per axis and emitter, its fan's beams in the full scan's order (for the second pass)
        self.fan = array("H", bytes(2 * 2 * 256 * _FAN))
        self.fan_n = bytearray(2 * 256)
        for axis in range(2):
            for e in range(g.counts[axis]):
                k = 0
                for f in range(g.families):
                    j = e - g.fam_e0[f]
                    if g.fam_axis[f] == axis and 0 <= j < g.fam_len[f]:
                        self.fan[((axis << 8) + e) * _FAN + k] = g.fam_start[f] + j
                        k += 1
                self.fan_n[(axis << 8) + e] = k
        self.next = self.first  # the next scan's first pass: the straight one, or every beam
        self.scans = 0
        self.was_active = False
        self.ahead = False  # the next scan's first pass is already running
        self.baselining = False  # process() feeds the baseline (a capture's first scans)
        self.ready = False  # a baseline is taken and none is being taken: touches are found
        self.recorder = None  # a capture being recorded (vitrine_fw.touch.record.Recorder)

    # --- the baseline ------------------------------------------------------------------------

    def start(self):
        """Take the baseline from START_SCANS full scans of the (untouched) glass, now."""
        self.begin_baseline()
        while self.baselining:
            self.step()

    def begin_baseline(self):
        """The next START_SCANS scans (step()'s, or those given to process(): a capture's
        first scans) are the baseline; each returns 0."""
        self.scanner.begin_baseline()
        self.baselining = True
        self.ready = False

    def _baseline(self, readings):
        if self.scanner.baseline_add(readings):
            self.baselining = False
            self.ready = True
            self.detector.set_weights(self.scanner)
        self._record(readings)
        return 0

    def record_with(self, recorder):
        """Give every scan's readings, from the next on, to recorder.scan() until its `done`
        (a capture: vitrine_fw.touch.record.Recorder, or the simulator's collector)."""
        self.recorder = recorder

    def _record(self, readings):
        rec = self.recorder
        if rec is not None:
            rec.scan(readings)
            if rec.done:
                self.recorder = None

    # --- one scan ------------------------------------------------------------------------------

    def step(self):
        """One live scan; returns the TOUCH_REPORT payload length, 0 when there is nothing to
        say (nothing touched now nor in the previous scan, or a baseline scan)."""
        hw = self.hw
        r = self.readings
        r.clear()
        if self.baselining:
            if self.ahead:  # a pass started ahead: finished and dropped
                hw.finish(self.next, r)
                self.ahead = False
                r.clear()
            hw.start(self.full)
            hw.finish(self.full, r)
            return self._baseline(r)
        self.read_scan()
        self._choose()
        hw.start(self.next)  # the next scan's first pass, while this one is worked out
        self.ahead = True
        return self._conclude()

    def read_scan(self):
        """The scan's passes, into self.readings and the scanner (see the module comment)."""
        hw = self.hw
        sc = self.scanner
        r = self.readings
        plan = self.next
        if not self.ahead:
            hw.start(plan)
        hw.finish(plan, r)
        self.ahead = False
        second = plan is self.first and self.second.n
        if second:
            hw.start(self.second)  # the oblique pass runs while the first is worked on
        sc.begin_scan()
        sc.update(r, 0, r.n)
        if second:
            n1 = r.n
            hw.finish(self.second, r)
            sc.update(r, n1, r.n)
        if plan is self.first:
            third = self._uncovered(second)
            if third is not None:
                # shadows the oblique pass did not cover (fingers that have just come down):
                # their oblique beams now, so that they need not wait a scan
                n1 = r.n
                hw.start(third)
                hw.finish(third, r)
                sc.update(r, n1, r.n)

    def process(self, readings):
        """One scan's readings from elsewhere (a capture): as step(), or a baseline scan
        while begin_baseline()'s scans last."""
        self.readings = readings
        if self.baselining:
            return self._baseline(readings)
        sc = self.scanner
        sc.begin_scan()
        sc.update(readings, 0, readings.n)
        return self._conclude()

    def _conclude(self):
        # Touches of the scan now in the scanner, tracked; the report payload.
        sc = self.scanner
        sc.end_scan()
        r = self.readings
        self._record(r)
        report_us = r.end_us >> 1  # the positions are placed halfway through the scan
        now = (r.t0 + report_us) & _TICKS_MASK
        tr = self.tracker
        tr.predict(now)
        det = self.detector
        det.begin(sc.att, sc.thr, sc.t_us, report_us)
        n = det.detect(tr.px, tr.py, tr.pvx, tr.pvy, tr.n_pred)
        tr.update(det.t_x, det.t_y, det.t_w, det.t_h, det.t_kind, det.t_solid, n)
        self.scans = (self.scans + 1) & 0xFFFF
        size = tr.size
        if size == _HEADER and not self.was_active:
            return 0
        self.was_active = tr.active > 0
        struct.pack_into("<HIB", self.report, 0, self.scans, now, size - _HEADER)
        return size

    def _choose(self):
        # The next scan's passes, from this scan's straight shadows: with more than a few of
        # them on an axis (most oblique beams would be read anyway), one pass over every beam;
        # else the straight beams, then the fans of the emitters whose oblique beams cross the
        # rectangles the shadows outline, give or take _MARGIN (where a finger inside one
        # casts its oblique shadows, after moving for a scan). Once in _FULL_EVERY scans,
        # every beam.
        g = self.geometry
        det = self.detector
        plan = self.second
        plan.clear()
        sc = self.scanner
        det.begin(sc.att, sc.thr, sc.t_us, 0)
        fx = g.straight[0]
        fy = g.straight[1]
        det.shadows(fx, fx + 1)
        det.shadows(fy, fy + 1)
        nx = det.fam_shn[fx]
        ny = det.fam_shn[fy]
        if nx > _BUSY or ny > _BUSY or not self.adaptive or self.scans % _FULL_EVERY == 0:
            self.next = self.full
            return
        self.next = self.first
        if not nx or not ny:
            return
        for sx in range(det.fam_sh0[fx], det.fam_sh0[fx] + nx):
            for sy in range(det.fam_sh0[fy], det.fam_sh0[fy] + ny):
                self._mark(det.sh_l[sx], det.sh_r[sx], det.sh_l[sy], det.sh_r[sy])
        self._fans(plan, False)

    def _uncovered(self, second):
        # The pass that reads the oblique beams of the places this scan's straight shadows
        # outline and this scan did not read (self.third, their fans), or None. With more
        # than _BUSY straight shadows on an axis and no oblique pass read yet (many fingers
        # come down at once on an untouched frame) that is every beam (self.full; the
        # straight ones read again are skipped, and no beam is read more than three times):
        # the fingers are then found in the scan they land, not one later.
        g = self.geometry
        det = self.detector
        sc = self.scanner
        det.begin(sc.att, sc.thr, sc.t_us, 0)
        fx = g.straight[0]
        fy = g.straight[1]
        det.shadows(fx, fx + 1)
        det.shadows(fy, fy + 1)
        nx = det.fam_shn[fx]
        ny = det.fam_shn[fy]
        if not nx or not ny:
            return None  # nothing to cover
        if nx > _BUSY or ny > _BUSY:
            return self.full if self.adaptive and not second else None
        read = sc.read
        found = False
        for sx in range(det.fam_sh0[fx], det.fam_sh0[fx] + nx):
            x = (det.sh_l[sx] + det.sh_r[sx]) >> 1
            for sy in range(det.fam_sh0[fy], det.fam_sh0[fy] + ny):
                y = (det.sh_l[sy] + det.sh_r[sy]) >> 1
                for f in range(g.families):
                    if not g.fam_shift[f]:
                        continue
                    j = g.beam_at(f, g.u(f, x, y))
                    if j >= 0 and not read[g.fam_start[f] + j]:
                        self._mark(det.sh_l[sx], det.sh_r[sx], det.sh_l[sy], det.sh_r[sy])
                        found = True
                        break
        if found:
            self._fans(self.third, True)
        return self.third if found and self.third.n > 0 else None

    def _fans(self, plan, unread):
        # The marked emitters' fans as plan's steps (the marks cleared); with `unread`, only
        # the emitters whose oblique beams this scan has not read yet.
        g = self.geometry
        mark = self.mark
        fan = self.fan
        fan_n = self.fan_n
        read = self.scanner.read
        plan.clear()
        for axis in range(2):  # x, then y (range: a tuple here would be built every scan)
            base = axis << 8
            for e in range(g.counts[axis]):
                if not mark[base + e]:
                    continue
                mark[base + e] = 0
                k = (base + e) * _FAN
                n = fan_n[base + e]
                if unread and n > 1 and read[fan[k + 1]]:
                    continue
                # The emitter's whole fan, in the full scan's order: each beam is then read
                # at the same moment of its step as when the baseline was taken (how far a
                # receiver has risen depends on it). The straight beam, read again here, is
                # skipped by the scanner (its first reading in the scan stands).
                plan.step(axis, e, fan, k, n)
        plan.done()

    def _mark(self, x0, x1, y0, y1):
        # Mark, for every oblique family, the emitters of the beams crossing the rectangle
        # [x0, x1] x [y0, y1] (Q5 mm) give or take _MARGIN.
        g = self.geometry
        mark = self.mark
        for f in range(g.families):
            if not g.fam_shift[f]:
                continue
            a = g.u(f, x0, y0)
            b = g.u(f, x1, y1)
            c = g.u(f, x0, y1)
            d = g.u(f, x1, y0)
            lo = min(a, b, c, d) - _MARGIN
            hi = max(a, b, c, d) + _MARGIN
            p = g.fam_pitch[f]
            j0 = (lo - g.fam_first[f]) // p
            j1 = (hi - g.fam_first[f]) // p + 1
            if j0 < 0:
                j0 = 0
            if j1 >= g.fam_len[f]:
                j1 = g.fam_len[f] - 1
            base = g.fam_axis[f] << 8
            e0 = g.fam_e0[f]
            for j in range(j0, j1 + 1):
                mark[base + e0 + j] = 1


class Touch:
    """The supervisor's touch task (see the module comment)."""

    def __init__(self, board, cfg, link):
        frame = cfg["frame"]
        self.frame = frame
        self.link = link
        self.clock = board.clock
        self.pipeline = Pipeline(frame, board.ir_frame(frame), board.clock)
        self.record_scans = 0  # a recording asked for: scans after the baseline's
        self.ready_sent = False  # the baseline's state the last TOUCH_HEALTH gave
        link.on_up(self.send_health)  # a host that was away has not seen it

    def send_health(self):
        """Send TOUCH_HEALTH (allocates; only when something changes or a host arrives)."""
        payload = self.health_payload()
        self.link.send(wire.TOUCH_HEALTH, payload, len(payload))

    def health_payload(self):
        """TOUCH_HEALTH's payload (allocates; sent only when the health changes)."""
        sc = self.pipeline.scanner
        self.ready_sent = self.pipeline.ready
        failed = bytearray()
        for b in range(sc.n):
            if sc.state[b] & FAILED and len(failed) < 2 * _HEALTH_LIST:
                failed.extend(struct.pack("<H", b))
        ready = 1 if self.ready_sent else 0
        values = (sc.n, sc.failed, sc.saturated, sc.blinded, ready, bytes(failed))
        return wire.encode_payload(wire.TOUCH_HEALTH, values)

    def report_health(self):
        sc = self.pipeline.scanner
        self.send_health()
        if sc.failed:
            g = self.pipeline.geometry
            names = []
            for b in range(sc.n):
                if sc.state[b] & FAILED and len(names) < 8:
                    axis = "xy"[g.fam_axis[g.beam_family[b]]]
                    names.append("%s%d->%d" % (axis, g.beam_emitter[b], g.beam_receiver[b]))
            self.link.log(
                wire.LOG_WARNING,
                "touch",
                "%d of %d beams failed (excluded): %s" % (sc.failed, sc.n, " ".join(names)),
            )
        if sc.blinded:
            self.link.log(
                wire.LOG_WARNING,
                "touch",
                "%s bar blinded: its receivers are saturated (strong light on them)"
                % blinded_names(sc.blinded),
            )

    # --- the console's hooks (vitrine_fw.console) -------------------------------------------

    def diag(self):
        """The touch diagnostics (imported on first use: they cost RAM only when asked for)."""
        from vitrine_fw.touch.diag import TouchDiag

        return TouchDiag(self)

    def selftest(self):
        """(passed, text) of the emitters and receivers, from a fresh scan."""
        return self.diag().selftest()

    def restart(self):
        """Take the baseline afresh (the console's calibrate)."""
        self.pipeline.begin_baseline()
        self.send_health()  # not ready: the host says so until it is
        self.pipeline.start()
        self.report_health()

    def record(self, scans):
        """Record a capture (the console's `beams --record`): the task takes its baseline
        afresh and streams it and `scans` more scans as TOUCH_RAW."""
        self.record_scans = scans

    async def run(self, alive):
        pipe = self.pipeline
        clock = self.clock
        pipe.begin_baseline()
        self.send_health()  # not ready: a host already there says so until it is
        pipe.start()
        self.report_health()
        send = self.link.send
        while True:
            t0 = clock.ticks_ms()
            size = pipe.step()
            if size:
                send(wire.TOUCH_REPORT, pipe.report, size)
            if pipe.scanner.changed or pipe.ready != self.ready_sent:
                self.report_health()
            if self.record_scans:
                from vitrine_fw.touch.record import Recorder

                pipe.record_with(Recorder(self.link, START_SCANS + self.record_scans))
                self.record_scans = 0
                pipe.begin_baseline()  # its scans go out as the capture's first
            alive()
            # the rest of the period, in whole ms: a sleep in seconds would allocate its float
            spent = clock.ticks_diff(clock.ticks_ms(), t0)
            await clock.sleep_ms(PERIOD_MS - spent if spent < PERIOD_MS else 0)


def blinded_names(bits):
    """The blinded axes' names, e.g. "x", "x and y"."""
    names = [a for i, a in enumerate("xy") if bits & (1 << i)]
    return " and ".join(names)
