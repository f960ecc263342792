# The frame's beams, from the "frame" entry of config.json (generated from the frame's
# description in hardware/frames/). Built once at start; everything here is integer arithmetic
# in fixed point, so the scan loop that uses it allocates nothing on the board.
#
# Units: positions in 1/32 mm (Q5), attenuation in 1/1024 (Q10).
#
# Beams: the x axis has emitters along the bottom bar and receivers along the top bar; the y
# axis has emitters along the left bar and receivers along the right bar. The parts sit
# `bar_gap_mm` (frame "optics", 0 when not given) outside the active area: an x emitter at
# (first + e*pitch, height + gap), an x receiver at (first + r*pitch, -gap), a y emitter at
# (-gap, first + e*pitch), a y receiver at (width + gap, first + r*pitch). Emitter i of an axis
# is scanned against receiver i + k for every offset k of the axis' fan; all beams of one
# (axis, k) form a family of parallel beams. Beams are stored family after family, the
# straight family (k = 0) of each axis first, emitters in order.
#
# A family's coordinate u of a point is where the family's beam through that point meets its
# emitter bar: for x family k, u = x - k*pitch*(height + gap - y)/(height + 2*gap); for y
# family k, u = y - k*pitch*(x + gap)/(width + 2*gap) (the straight families: u = x, u = y).
# Beam j of a family sits at u_j = first + (e0 + j)*pitch; a finger of radius r shadows the u
# interval [u_c - r*sec, u_c + r*sec], sec = 1/cos of the family's angle.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

Q = const(32)  # positions: 1/32 mm
ONE = const(1024)  # attenuation: 1/1024

AXIS_X = const(0)
AXIS_Y = const(1)


def _isqrt(n):
    x = n
    y = (x + 1) // 2
    while y < x:
        x = y
        y = (x + n // x) // 2
    return x


class Geometry:
    """Beam tables of one frame (see the module comment for the conventions)."""

    def __init__(self, frame):
        self.width = int(frame["width_mm"] * Q)
        self.height = int(frame["height_mm"] * Q)
        self.gap = int(frame.get("optics", {}).get("bar_gap_mm", 0) * Q)
        # Each axis' beam length between the bars, and the far bar's distance from the
        # emitter bar to the active area's near edge: x beams run over height + 2 gaps.
        self.span = array("i", (self.height + 2 * self.gap, self.width + 2 * self.gap))
        fam_axis = []
        fam_k = []
        fam_start = []
        fam_len = []
        fam_e0 = []
        fam_pitch = []
        fam_first = []
        fam_shift = []  # k * pitch in Q5: how far the receiver end is displaced
        fam_sec = []  # 1/cos of the family's angle, Q10
        beams = 0
        self.counts = []
        self.pitch = []
        self.first = []
        for axis, key in ((AXIS_X, "x"), (AXIS_Y, "y")):
            spec = frame[key]
            n = spec["count"]
            pitch = int(spec["pitch_mm"] * Q)
            first = int(spec["first_mm"] * Q)
            span = self.span[axis]
            self.counts.append(n)
            self.pitch.append(pitch)
            self.first.append(first)
            # The straight family first, then by angle, negative before positive (an explicit
            # order: MicroPython's sort is not stable).
            fan = sorted(spec["fan"], key=lambda k: 2 * abs(k) + (k > 0))
            for k in fan:
                e0 = -k if k < 0 else 0
                m = n - abs(k)
                shift = k * pitch
                fam_axis.append(axis)
                fam_k.append(k)
                fam_start.append(beams)
                fam_len.append(m)
                fam_e0.append(e0)
                fam_pitch.append(pitch)
                fam_first.append(first + e0 * pitch)
                fam_shift.append(shift)
                fam_sec.append(_isqrt((span * span + shift * shift) * ONE * ONE // (span * span)))
                beams += m
        self.beams = beams
        self.families = len(fam_axis)
        self.fam_axis = array("b", fam_axis)
        self.fam_k = array("h", fam_k)
        self.fam_start = array("H", fam_start)
        self.fam_len = array("H", fam_len)
        self.fam_e0 = array("H", fam_e0)
        self.fam_pitch = array("H", fam_pitch)
        self.fam_first = array("i", fam_first)
        self.fam_shift = array("i", fam_shift)
        self.fam_sec = array("H", fam_sec)
        # The straight family of each axis.
        self.straight = array("b", (fam_axis.index(AXIS_X), fam_axis.index(AXIS_Y)))
        # Per beam: its family, emitter and receiver index (for the scanner and diagnostics).
        self.beam_family = bytearray(beams)
        self.beam_emitter = array("H", bytes(2 * beams))
        self.beam_receiver = array("H", bytes(2 * beams))
        for f in range(self.families):
            for j in range(fam_len[f]):
                b = fam_start[f] + j
                self.beam_family[b] = f
                self.beam_emitter[b] = fam_e0[f] + j
                self.beam_receiver[b] = fam_e0[f] + j + fam_k[f]

    def u(self, f, x, y):
        """Family f's coordinate of the point (x, y), Q5 (see the module comment)."""
        shift = self.fam_shift[f]
        if shift == 0:
            return x if self.fam_axis[f] == AXIS_X else y
        gap = self.gap
        if self.fam_axis[f] == AXIS_X:
            return x - shift * (self.height + gap - y) // self.span[0]
        return y - shift * (x + gap) // self.span[1]

    def beam_at(self, f, u):
        """Index (within family f) of the beam nearest u, or -1 outside the family."""
        pitch = self.fam_pitch[f]
        j = (u - self.fam_first[f] + pitch // 2) // pitch
        if 0 <= j < self.fam_len[f]:
            return j
        return -1

    def beam_u(self, f, j):
        """Coordinate u of beam j of family f, Q5."""
        return self.fam_first[f] + j * self.fam_pitch[f]

    def beam_index(self, axis, emitter, receiver):
        """The beam from `emitter` to `receiver` of an axis, or -1 when the fan has none."""
        k = receiver - emitter
        for f in range(self.families):
            if self.fam_axis[f] == axis and self.fam_k[f] == k:
                j = emitter - self.fam_e0[f]
                if 0 <= j < self.fam_len[f]:
                    return self.fam_start[f] + j
                return -1
        return -1
