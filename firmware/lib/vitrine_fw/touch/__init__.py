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
# (an adaptive scan: on an untouched frame the second pass is empty). When every straight
# shadow belongs to a tracked contact (nothing new has come down), the places are the tracked
# fingers' own: around each one's predicted place, as far as its speed can take it by the end
# of the pass; the other crossings of their shadows (ghosts: n fingers' shadows cross n x n
# times) get only the beam through their middle in each oblique family, and the whole crossing
# in the next scan's second pass once one of those read a shadow (a finger landed there,
# hidden in the straight shadows of two others). The next scan's first
# pass runs on the board's PIO and DMA while the core works out this one's touches. One scan in
# _FULL_EVERY reads every beam instead, so that oblique beams far from any finger still follow
# their drift and show failures and saturation. Shadows the second pass did not cover (fingers
# just come down) get a third pass over their oblique beams in the same scan; more than _BUSY
# straight shadows on an axis with no oblique pass read (many fingers landing at once), a
# third pass over every beam.
#
# The board seam: board.ir_frame(frame) returns the frame's scanner hardware, with
#   start(plan)            begin one pass (returns at once; the hardware runs it)
#   finish(plan, readings) wait for it and append its readings (plan.Readings), the first
#                          pass of a scan setting readings.t0
#   prepare(plan)          (optional) get ready to start(plan) next, e.g. build the PIO's
#                          words, while another pass runs; the plan does not change until then
# Pipeline.process() takes a whole scan's readings from elsewhere instead (a capture replayed:
# vitrine touch replay), and gives the same reports as the live board for the same readings.
#
# Two cores (the RP2350 under MicroPython's rp2 port, whose _thread runs one thread on core 1
# with no GIL: ports/rp2/mpconfigport.h sets MICROPY_PY_THREAD_GIL 0): core 0 runs the passes,
# the scanner's updates and the choice of the next passes; core 1 detects and tracks. Each scan
# is handed over at its end (_hand_over): core 0 waits until core 1 has finished the scan
# before (taking its report), then gives it this one and goes on scanning. The scanner keeps
# two banks of what detection reads (scan.py), so the scan being detected is never written;
# the shadows that choose the next passes come from core 0's own Detector (self.finder).
# Nothing is allocated per scan and no lock is held while either core works: the two locks
# only signal "a scan handed over" (go) and "its detection done" (done), each released by the
# core that did not take it. That is allowed on the rp2 port: its lock is a pico-sdk mutex_t
# (ports/rp2/mpthreadport.h, mp_thread_mutex_unlock() calls mutex_exit()), and the SDK's
# mutex_exit() (src/common/pico_sync/mutex.c) only asserts that the mutex is held, not by
# whom; a core taking a lock it holds waits for the other to release it. step() then returns
# the report of the scan before (the same reports, one scan later). Without a second core
# (the board seam's second_core() None: the simulator, the WebAssembly build) the same
# detection runs at the hand-over, serially, and step() returns the scan's own report.
#
# Timeline (what vitrine bench touch's report rate is built from, hardware/README.md): per
# scan, core 0 waits for the first pass, starts the second, updates the scanner from the
# first while the second runs, updates it from the second (and runs a third pass, if any),
# chooses the next scan's passes, starts its first pass and hands the scan over; detection
# runs after that on core 1 (or on core 0 without a second core) while the next first pass
# runs. self.probe, when set, is told when detection begins (MARK_DETECT) and ends
# (MARK_DETECTED) (the bench's timing; None on a board).

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
from vitrine_fw.touch.reach import Reach
from vitrine_fw.touch.scan import FAILED, START_SCANS, UNKNOWN, Scanner
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
_CPU_US = const(1000)  # the core's work in a scan beside its passes, for when a pass ends
_STOP = const(255)  # job_bank: core 1's loop ends
MARK_DETECT = const(1)  # self.probe: detection of a scan begins
MARK_DETECTED = const(2)  # ... and ends


class Pipeline:
    """One frame's scan -> detect -> track chain; step() (live) or process() (given readings)
    fills `report` with a TOUCH_REPORT payload."""

    def __init__(self, frame, hw, clock, adaptive=True, threads=None):
        """threads: MicroPython's _thread where detection runs on a second core (the board
        seam's second_core()), else None (serial)."""
        g = Geometry(frame)
        self.geometry = g
        self.timing = Timing(frame["timing"])
        self.hw = hw
        self.prepare = getattr(hw, "prepare", None)
        self.clock = clock
        self.adaptive = adaptive
        self.scanner = Scanner(
            g, self.timing.adc_bits, _FAIL_MS // _SCAN_MS, _RECOVER_MS // _SCAN_MS
        )
        self.tracker = Tracker(_HEADER)
        # detection (core 1's where threaded), and core 0's: the straight shadows that choose
        # the passes; they change places every scan, so both take the tracked contacts' sizes
        self.detector = Detector(g, self.tracker.pd)
        self.finder = Detector(g, self.tracker.pd)
        self.probe = None
        self.scan_no = 0  # scans handed over (core 0's count; self.scans is detection's)
        # the scan handed over: its scanner bank, first reading (ticks_us), last (µs after)
        self.job_bank = 0
        self.job_t0 = 0
        self.job_end_us = 0
        self.job_size = 0  # its report's length (0: nothing to say)
        self.job_error = None  # what detection raised on core 1, raised again on core 0
        self.pending = False  # a scan is with core 1
        self.go = None
        self.done = None
        self.report = self.tracker.payload
        if threads is not None:
            self._start_core1(threads)
        # a scan reads a beam twice at most: in the first or the second pass, and again in a
        # third over every beam (_uncovered); the readings leave room for one more pass over
        # the straight beams
        self.readings = Readings(2 * g.beams + (g.counts[0] + g.counts[1]))
        straight = g.counts[0] + g.counts[1]
        self.first = Plan(g, self.timing, straight)  # every straight beam
        self.first.straight()
        # the oblique beams across the shadows: two plans, one chosen while the other is read
        # (room for the oblique beams: a part of a fan never reads the straight one)
        oblique = g.beams - straight
        self.seconds = (Plan(g, self.timing, oblique), Plan(g, self.timing, oblique))
        # ... and per plan of the two, axis and emitter: its fan is in that plan
        self.fans_in = (bytearray(2 * 256), bytearray(2 * 256))
        self.which = 0  # self.second is self.seconds[self.which]
        self.second = self.seconds[0]
        self.third = Plan(g, self.timing, oblique)  # ... across shadows the second did not cover
        self.full = Plan(g, self.timing)  # every beam (the baseline; not adaptive)
        self.full.full()
        # per axis and emitter: which of its fan's beams (bit p: the fan's p-th) to read in
        # the second (or third) pass
        self.mark = bytearray(2 * 256)
        self.fan_pos = bytearray(g.beams)  # per beam: its place in its emitter's fan
        # per axis and emitter, its fan's beams in the full scan's order (for the second pass)
        self.fan = array("H", bytes(2 * 2 * 256 * _FAN))
        self.fan_n = bytearray(2 * 256)
        self._fan_tables(g)
        # core 0's copy of the tracked contacts (taken at the hand-over, reach.copy(): core 1
        # writes the tracker)
        self.reach = Reach()
        self.next = self.first  # the next scan's first pass: the straight one, or every beam
        self.scans = 0
        self.was_active = False
        self.ahead = False  # the next scan's first pass is already running
        self.baselining = False  # process() feeds the baseline (a capture's first scans)
        self.ready = False  # a baseline is taken and none is being taken: touches are found
        self.recorder = None  # a capture being recorded (vitrine_fw.touch.record.Recorder)

    def _fan_tables(self, g):
        # fan, fan_n and fan_pos (see __init__)
        for axis in range(2):
            for e in range(g.counts[axis]):
                k = 0
                for f in range(g.families):
                    j = e - g.fam_e0[f]
                    if g.fam_axis[f] == axis and 0 <= j < g.fam_len[f]:
                        self.fan[((axis << 8) + e) * _FAN + k] = g.fam_start[f] + j
                        self.fan_pos[g.fam_start[f] + j] = k
                        k += 1
                self.fan_n[(axis << 8) + e] = k

    # --- the baseline ------------------------------------------------------------------------

    def start(self):
        """Take the baseline from START_SCANS full scans of the (untouched) glass, now (the
        one begin_baseline() began, or a new one)."""
        if not self.baselining:
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
            self.finder.set_weights(self.scanner)
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
            # the scan with core 1 first (its report is returned), then core 1 idle while
            # the baseline changes what detection reads
            size = self._drain()
            if self.ahead:  # a pass started ahead: finished and dropped
                hw.finish(self.next, r)
                self.ahead = False
                r.clear()
            hw.start(self.full)
            hw.finish(self.full, r)
            self._baseline(r)
            return size
        self.read_scan()
        self.scanner.end_scan()
        self._record(r)
        return self._hand_over()

    def read_scan(self):
        """The scan's passes, into self.readings and the scanner, and the next scan's first
        pass started (see the module comment). The core works while the PIO runs: the first
        pass's update while the second runs, with the choice of a third pass and of the next
        scan's passes (both need only the straight shadows and which oblique beams the second
        pass reads); the second pass's update while the third, or the next scan's first, runs.
        The scanner sees the readings in the passes' order, as if one after the other."""
        hw = self.hw
        sc = self.scanner
        r = self.readings
        plan = self.next
        if not self.ahead:
            hw.start(plan)
        hw.finish(plan, r)
        self.ahead = False
        second = None
        if plan is self.first and self.second.n:
            second = self.second
            hw.start(second)  # the oblique pass runs while the first is worked on
        sc.begin_scan()
        third = None
        if plan is self.first:
            sc.update(r, 0, r.n)
            n1 = r.n
            # shadows the oblique pass does not cover (fingers that have just come down):
            # their oblique beams in a third pass, so that they need not wait a scan
            third = self._uncovered(second)
        else:
            # every beam read: the straight ones first (all the choice of the next passes
            # needs), the others once the next pass runs (the straight ones then skipped)
            sc.update(r, 0, r.n, sc.straight)
            n1 = 0
        self._choose()  # into the other second plan: this one is still being read
        if self.prepare is not None and self.next is self.first and self.second.n:
            self.prepare(self.second)  # its words now, not between the next two passes
        if second is not None:
            hw.finish(second, r)
        if third is not None:
            hw.start(third)
            sc.update(r, n1, r.n)
            n1 = r.n
            hw.finish(third, r)
        hw.start(self.next)  # the next scan's first pass, while this one is worked out
        self.ahead = True
        sc.update(r, n1, r.n)

    def process(self, readings):
        """One scan's readings from elsewhere (a capture): as step(), or a baseline scan
        while begin_baseline()'s scans last."""
        self.readings = readings
        if self.baselining:
            return self._baseline(readings)
        self._drain()  # given readings are detected here and now, never on core 1
        sc = self.scanner
        sc.begin_scan()
        sc.update(readings, 0, readings.n)
        sc.end_scan()
        self._record(readings)
        self._shadows()
        self._job(readings)
        return self._detect()

    def _job(self, r):
        # The scan now in the scanner's bank, as detection will read it, with its shadows
        # (the Detectors change places: core 1 is not using either now).
        det = self.finder
        self.finder = self.detector
        self.detector = det
        self.job_bank = self.scanner.bank
        self.job_t0 = r.t0
        self.job_end_us = r.end_us
        self.scan_no = (self.scan_no + 1) & 0xFFFF

    def _hand_over(self):
        # The scan to detection; the length of the report ready now (see the module comment).
        self._shadows()  # (while core 1 may still detect the scan before)
        go = self.go
        if go is None:
            self.reach.copy(self.tracker)  # as of the scan before, as with two cores (_drain)
            self._job(self.readings)
            return self._detect()
        size = self._drain()
        self._job(self.readings)
        self.pending = True
        go.release()  # core 1 takes it
        return size

    def _shadows(self):
        # Every family's shadows of the scan now in the scanner, found by core 0 in its own
        # Detector (self.finder, whose straight shadows chose the passes); _job() then hands
        # that Detector to detection, and takes detection's, done with the scan before.
        sc = self.scanner
        det = self.finder
        det.begin(sc.att, sc.thr, sc.t_us, self.readings.end_us >> 1)
        det.shadows(0, det.nf)

    def _drain(self):
        # Wait for the scan with core 1, if any; its report into self.report, its length.
        done = self.done
        if not self.pending or done is None:
            return 0
        done.acquire()
        self.pending = False
        err = self.job_error
        if err is not None:
            self.job_error = None
            raise err
        size = self.job_size
        self.reach.copy(self.tracker)
        src = self.tracker.payload
        dst = self.report
        for i in range(size):
            dst[i] = src[i]
        return size

    def _explained(self, det, fx, fy):
        # Every straight shadow of this scan (det's families fx, fy) has its middle in a
        # tracked contact's box at the straight pass's middle: no shadow is new (and a
        # rectangle whose middle no box holds is a ghost, not a finger that outran its box).
        # The boxes are left at that moment (for _uncovered's ghosts).
        reach = self.reach
        if not reach.n or not reach.boxes(
            self.readings.t0, self.timing.us(self.first.length_c) >> 1
        ):
            return False
        for k in range(2):  # (range: a tuple here would be built every scan)
            x_axis = k == 0
            f = fx if x_axis else fy
            for s in range(det.fam_sh0[f], det.fam_sh0[f] + det.fam_shn[f]):
                if not reach.holds_along((det.sh_l[s] + det.sh_r[s]) >> 1, x_axis):
                    return False
        return True

    def _start_core1(self, threads):
        # The reports get a buffer of their own (core 1 writes the tracker's), both signals
        # start taken, and core 1's loop starts.
        self.report = bytearray(len(self.tracker.payload))
        self.go = threads.allocate_lock()
        self.go.acquire()
        self.done = threads.allocate_lock()
        self.done.acquire()
        threads.start_new_thread(self._core1, ())

    def flush(self):
        """The report of the scan still with core 1 into self.report: its length (0: none,
        or nothing to say). Serially there is never one."""
        return self._drain()

    def stop(self):
        """End core 1's loop (its last scan's report dropped); the pipeline runs serially
        from then on."""
        go = self.go
        done = self.done
        if go is None or done is None:
            return
        self._drain()
        self.job_bank = _STOP
        go.release()
        done.acquire()
        self.go = None
        self.done = None
        self.report = self.tracker.payload

    def _core1(self):
        # The second core's loop: one handed-over scan's detection at a time.
        go = self.go
        done = self.done
        if go is None or done is None:
            return
        while True:
            go.acquire()
            if self.job_bank == _STOP:
                done.release()
                return
            try:
                self.job_size = self._detect()
            except Exception as err:  # raised again on core 0 (_drain)
                self.job_error = err
            done.release()

    def _detect(self):
        # Touches of the handed-over scan (its scanner bank), tracked; the report payload in
        # the tracker's, its length (0: nothing to say).
        probe = self.probe
        if probe is not None:
            probe.mark(MARK_DETECT)
        report_us = self.job_end_us >> 1  # the positions are placed halfway through the scan
        now = (self.job_t0 + report_us) & _TICKS_MASK
        tr = self.tracker
        tr.predict(now)
        det = self.detector  # its shadows found (_shadows(); its inputs are the bank's)
        n = det.resolve(tr.px, tr.py, tr.pvx, tr.pvy, tr.n_pred)
        tr.update(det.t_x, det.t_y, det.t_w, det.t_h, det.t_kind, det.t_solid, n)
        self.scans = (self.scans + 1) & 0xFFFF
        size = tr.size
        if size == _HEADER and not self.was_active:
            size = 0
        else:
            self.was_active = tr.active > 0
            struct.pack_into("<HIB", tr.payload, 0, self.scans, now, size - _HEADER)
        if probe is not None:
            probe.mark(MARK_DETECTED)
        return size

    def _choose(self):
        # The next scan's passes, from this scan's straight shadows: with more than a few of
        # them on an axis (most oblique beams would be read anyway), one pass over every beam;
        # else the straight beams, then the oblique beams that cross the rectangles the
        # shadows outline, give or take _MARGIN (where a finger inside one casts its oblique
        # shadows, after moving for a scan), each in its slot of its emitter's step
        # (_fans). When every straight shadow is a tracked contact's (_explained), the
        # rectangles are the contacts' boxes when that pass ends instead, and the ghost
        # rectangles get their middles' beams (_sentinels). Once in _FULL_EVERY scans,
        # every beam.
        g = self.geometry
        det = self.finder
        w = self.which ^ 1
        self.which = w
        plan = self.seconds[w]
        self.second = plan
        plan.clear()
        sc = self.scanner
        det.begin(sc.att, sc.thr, sc.t_us, 0)
        fx = g.straight[0]
        fy = g.straight[1]
        det.shadows(fx, fx + 1)
        det.shadows(fy, fy + 1)
        nx = det.fam_shn[fx]
        ny = det.fam_shn[fy]
        this_us = self.timing.us(self.next.length_c)
        if self.next is self.first:
            this_us += self.timing.us(self.seconds[w ^ 1].length_c)
        if nx > _BUSY or ny > _BUSY or not self.adaptive or self.scan_no % _FULL_EVERY == 0:
            self.next = self.full
            return
        self.next = self.first
        if not nx or not ny:
            return
        sx0 = det.fam_sh0[fx]
        sy0 = det.fam_sh0[fy]
        # every straight shadow a tracked contact's: each contact's box when the next second
        # pass ends (an upper bound: this scan, the next one's first pass and every oblique
        # beam after it)
        ahead = this_us + self.timing.us(self.full.length_c) + 2 * _CPU_US
        reach = self.reach
        tracked = self._explained(det, fx, fy) and reach.boxes(self.readings.t0, ahead)
        if not tracked:
            for sx in range(sx0, sx0 + nx):
                for sy in range(sy0, sy0 + ny):
                    self._mark(det.sh_l[sx], det.sh_r[sx], det.sh_l[sy], det.sh_r[sy], _MARGIN)
            self._fans(plan, None, self.fans_in[w])
            return
        for i in range(reach.n):
            self._mark(reach.x0[i], reach.x1[i], reach.y0[i], reach.y1[i], 0)
        # ... and the ghost rectangles, whose middle no box holds (the shadows of fingers that
        # pair up the other way): their middles' beams of each oblique family (a finger that
        # lands there shows in them), or, where one of those read a shadow in the scan before,
        # the whole rectangle
        for sx in range(sx0, sx0 + nx):
            x = (det.sh_l[sx] + det.sh_r[sx]) >> 1
            for sy in range(sy0, sy0 + ny):
                if not reach.holds(x, (det.sh_l[sy] + det.sh_r[sy]) >> 1):
                    self._sentinels(det, sx, sy)
        self._fans(plan, None, self.fans_in[w])

    def _sentinels(self, det, sx, sy):
        # A ghost rectangle (straight shadows sx, sy): mark the beam through its middle in
        # each oblique family, but not one a contact's box has marked (it crosses a finger:
        # its shadow says nothing about the ghost); when one of those was read in the scan
        # before and was in a shadow, the whole rectangle (_mark).
        g = self.geometry
        sc = self.scanner
        mark = self.mark
        x0 = det.sh_l[sx]
        x1 = det.sh_r[sx]
        y0 = det.sh_l[sy]
        y1 = det.sh_r[sy]
        x = (x0 + x1) >> 1
        y = (y0 + y1) >> 1
        before = (sc.scan_no - 1) & 0xFFFF
        seen = False
        for f in range(g.families):
            if not g.fam_shift[f]:
                continue
            j = g.beam_at(f, g.u(f, x, y))
            if j < 0:
                continue
            b = g.fam_start[f] + j
            k = (g.fam_axis[f] << 8) + g.beam_emitter[b]
            bit = 1 << self.fan_pos[b]
            if mark[k] & bit:
                continue
            mark[k] |= bit
            a = sc.last_att[b]
            if sc.when[b] == before and a != UNKNOWN and not sc.state[b] and a >= sc.thr[b]:
                seen = True
        if seen:
            self._mark(x0, x1, y0, y1, _MARGIN)

    def _uncovered(self, second):
        # The pass that reads the oblique beams of the places this scan's straight shadows
        # outline and this scan's second pass (`second`, the plan the PIO is reading, or
        # None) does not read (self.third, those beams), or None. With more than _BUSY
        # straight shadows on an axis (many fingers come down at once, on an untouched frame
        # or beside fingers whose few oblique beams the second pass reads) that is every beam
        # (self.full; the beams read again are skipped): the fingers are then found in the
        # scan they land, not one later, among oblique readings of the whole glass.
        g = self.geometry
        det = self.finder
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
            return self.full if self.adaptive else None
        covered = None if second is None else self.fans_in[self.which]
        # every shadow a tracked contact's: the ghosts' places are left to the next second
        # pass (its sentinels, _choose)
        explained = second is not None and self._explained(det, fx, fy)
        found = False
        for sx in range(det.fam_sh0[fx], det.fam_sh0[fx] + nx):
            x = (det.sh_l[sx] + det.sh_r[sx]) >> 1
            for sy in range(det.fam_sh0[fy], det.fam_sh0[fy] + ny):
                y = (det.sh_l[sy] + det.sh_r[sy]) >> 1
                if explained and not self.reach.holds(x, y):
                    continue
                for f in range(g.families):
                    if not g.fam_shift[f]:
                        continue
                    j = g.beam_at(f, g.u(f, x, y))
                    if j < 0:
                        continue
                    b = g.fam_start[f] + j
                    e = g.beam_emitter[b]
                    if covered is None or not (
                        covered[(g.fam_axis[f] << 8) + e] & (1 << self.fan_pos[b])
                    ):
                        self._mark(det.sh_l[sx], det.sh_r[sx], det.sh_l[sy], det.sh_r[sy], _MARGIN)
                        found = True
                        break
        if found:
            self._fans(self.third, covered, None)
        return self.third if found and self.third.n > 0 else None

    def _fans(self, plan, covered, fans_in):
        # The marked beams of each emitter's fan as plan's steps (the marks cleared), less
        # those `covered` marks (the second pass's, None: none); `fans_in` (or None) is set to
        # what is read. Each beam in the slot it has in the full scan's step (plan.part_step):
        # it is then read at the same moments of its step as when the baseline was taken
        # (how far a receiver has fallen and risen depends on them); the fan's slots before
        # the last one read are waited through, the ones after it left out.
        g = self.geometry
        mark = self.mark
        fan = self.fan
        fan_n = self.fan_n
        plan.clear()
        for axis in range(2):  # x, then y (range: a tuple here would be built every scan)
            base = axis << 8
            for e in range(g.counts[axis]):
                m = mark[base + e]
                if m:
                    mark[base + e] = 0
                    if covered is not None:
                        m &= ~covered[base + e]
                if fans_in is not None:
                    fans_in[base + e] = m
                if m:
                    plan.part_step(axis, e, fan, (base + e) * _FAN, fan_n[base + e], m)
        plan.done()

    def _mark(self, x0, x1, y0, y1, margin):
        # Mark, for every oblique family, the beams crossing the rectangle [x0, x1] x [y0, y1]
        # (Q5 mm) give or take `margin` (in their emitters' marks, self.mark).
        g = self.geometry
        mark = self.mark
        for f in range(g.families):
            if not g.fam_shift[f]:
                continue
            a = g.u(f, x0, y0)
            b = g.u(f, x1, y1)
            c = g.u(f, x0, y1)
            d = g.u(f, x1, y0)
            lo = min(a, b, c, d) - margin
            hi = max(a, b, c, d) + margin
            p = g.fam_pitch[f]
            j0 = (lo - g.fam_first[f]) // p
            j1 = (hi - g.fam_first[f]) // p + 1
            if j0 < 0:
                j0 = 0
            if j1 >= g.fam_len[f]:
                j1 = g.fam_len[f] - 1
            base = g.fam_axis[f] << 8
            e0 = g.fam_e0[f]
            pos = self.fan_pos
            b0 = g.fam_start[f]
            for j in range(j0, j1 + 1):
                mark[base + e0 + j] |= 1 << pos[b0 + j]


class Touch:
    """The supervisor's touch task (see the module comment)."""

    def __init__(self, board, cfg, link):
        frame = cfg["frame"]
        self.frame = frame
        self.link = link
        self.clock = board.clock
        self.pipeline = Pipeline(
            frame, board.ir_frame(frame), board.clock, threads=board.second_core()
        )
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
