# The touch subsystem: scans the IR frame, finds the fingers, tracks them and streams a
# TOUCH_REPORT per scan while anything touches (and one more with the last contacts up).
# Failed beams are reported in TOUCH_HEALTH and a LOG line whenever the set changes.
#
#   scan (scan.py) -> detect (detect.py) -> track (track.py) -> TOUCH_REPORT
#
# The board seam: board.ir_frame(frame) returns the frame's scanner hardware, whose
# read(on, off) fills two array('H') of geometry.beams ADC readings, in beam order, taken with
# each beam's emitter on and off.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct

from vitrine_fw import wire
from vitrine_fw.touch.detect import Detector
from vitrine_fw.touch.geometry import Geometry
from vitrine_fw.touch.scan import FAILED, Scanner
from vitrine_fw.touch.track import Tracker

PERIOD_MS = const(5)  # scan period: at most 200 scans a second
_FAIL_MS = const(30000)  # a beam blocked this long is failed (no touch lasts that long)
_RECOVER_MS = const(2000)  # a failed beam clear this long is back
_HEADER = const(7)  # TOUCH_REPORT: scan u16, t_us u32, contacts length u8
_HEALTH_LIST = const(100)  # failed beams listed in TOUCH_HEALTH at most


class Pipeline:
    """One frame's scan -> detect -> track chain; step() fills `report` with a payload."""

    def __init__(self, frame, hw, clock, period_ms=PERIOD_MS):
        self.geometry = Geometry(frame)
        self.clock = clock
        self.scanner = Scanner(self.geometry, hw, _FAIL_MS // period_ms, _RECOVER_MS // period_ms)
        self.detector = Detector(self.geometry)
        self.tracker = Tracker(_HEADER)
        self.report = self.tracker.payload
        self.scans = 0
        self.was_active = False

    def start(self):
        self.scanner.start()

    def step(self):
        """One scan; returns the TOUCH_REPORT payload length, 0 when there is nothing to say
        (nothing touched now nor in the previous scan)."""
        self.scanner.scan()
        tr = self.tracker
        tr.predict()
        det = self.detector
        n = det.detect(self.scanner.att, tr.px, tr.py, tr.n_pred)
        tr.update(det.t_x, det.t_y, det.t_d, n)
        self.scans = (self.scans + 1) & 0xFFFF
        size = tr.size
        if size == _HEADER and not self.was_active:
            return 0
        self.was_active = tr.active > 0
        struct.pack_into(
            "<HIB",
            self.report,
            0,
            self.scans,
            self.clock.ticks_us() & 0x3FFFFFFF,
            size - _HEADER,
        )
        return size


class Touch:
    """The supervisor's touch task (see the module comment)."""

    def __init__(self, board, cfg, link):
        frame = cfg["frame"]
        self.link = link
        self.clock = board.clock
        self.pipeline = Pipeline(frame, board.ir_frame(frame), board.clock)
        link.on_up(self.send_health)  # a host that was away has not seen it

    def send_health(self):
        """Send TOUCH_HEALTH (allocates; only when the failed set changes or a host arrives)."""
        payload = self.health_payload()
        self.link.send(wire.TOUCH_HEALTH, payload, len(payload))

    def health_payload(self):
        """TOUCH_HEALTH's payload (allocates; sent only when the failed set changes)."""
        sc = self.pipeline.scanner
        failed = bytearray()
        for b in range(sc.n):
            if sc.state[b] & FAILED and len(failed) < 2 * _HEALTH_LIST:
                failed.extend(struct.pack("<H", b))
        return wire.encode_payload(
            wire.TOUCH_HEALTH, (sc.n, sc.failed, sc.saturated, bytes(failed))
        )

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

    # --- the console's hooks (vitrine_fw.console) -------------------------------------------

    def diag(self):
        """The touch diagnostics (imported on first use: they cost RAM only when asked for)."""
        from vitrine_fw.touch.diag import TouchDiag

        return TouchDiag(self)

    def selftest(self):
        """(passed, text) of the emitters and receivers, from a fresh scan."""
        return self.diag().selftest()

    async def run(self, alive):
        pipe = self.pipeline
        clock = self.clock
        pipe.start()
        self.report_health()
        send = self.link.send
        while True:
            t0 = clock.ticks_ms()
            size = pipe.step()
            if size:
                send(wire.TOUCH_REPORT, pipe.report, size)
            if pipe.scanner.changed:
                self.report_health()
            alive()
            # the rest of the period, in whole ms: a sleep in seconds would allocate its float
            spent = clock.ticks_diff(clock.ticks_ms(), t0)
            await clock.sleep_ms(PERIOD_MS - spent if spent < PERIOD_MS else 0)
