# From beam attenuations to touch points, in five steps:
#
# 1. Shadows: in every family of parallel beams, runs of beams attenuated by more than their
#    threshold (scan.py), each with its outer edges, when it was seen and how dark it is.
#    Unknown beams inside a run are bridged; a run next to unknown beams or the family's end
#    is open (its edge may lie unseen there).
#
#    Edges. A beam is a bundle of rays between an emitter's and a receiver's apertures; along
#    its bar it covers a band about one aperture wide, centred on the beam, so an edge moving
#    across the bar ramps the beam from clear to dark over about an aperture, then leaves it
#    dark until the next beam's band (apertures are usually narrower than the pitch). The
#    ramp's width and shape are not assumed known: an end beam partly dark (a) and its outer
#    neighbour clear put the edge on the end beam's ramp, at a fraction a of a typical ramp
#    (_RAMP, 70% of the pitch) from its inner side; an end beam wholly dark puts it in the gap
#    to the next beam, whose middle is the best guess whatever the ramp; an outer neighbour
#    also partly dark means a ramp wider than the pitch, whose width the two beams measure.
#    The families cut the glass at different phases, so the fit in step 5 averages what one
#    family's pitch leaves open.
#
#    Motion. Beams are read one after another: a finger moving at 1.5 m/s moves several
#    millimetres between the first and the last beam of a scan. Each shadow is moved to the
#    scan's report time T with the velocity of the tracked contact it belongs to, so that
#    every family says where the finger is at the same moment.
# 2. Candidates: every straight x shadow against every straight y shadow. A shadow wider
#    than one finger may hold several: its candidates then come from the oblique families'
#    shadows and from a finger's reach inside either end. Two straight shadows both wider
#    than any finger are one large object (a palm, a sleeve): one candidate of kind palm.
#    A finger whose straight beams along one axis are unknown (saturated, or no valid
#    reading) casts no straight shadow there: where that straight family had unknown beams,
#    each straight shadow of the other axis also gives candidates where the first axis'
#    oblique shadows cross its line, on an unknown straight beam outside every straight
#    shadow (never where that beam reads); each needs _CONFIRM oblique families that place
#    it along that axis (_half_seen). Such a finger then explains its shadows, which no
#    longer seem to need a ghost.
# 3. Ghost rejection: a candidate must lie inside a shadow of every family whose beam through
#    it has a valid reading (checked as it is made, so only valid ones take room); where that
#    beam has none (saturated, or not read yet), the beam beside it must not read clear if the
#    smallest finger there would reach past its centre (it would darken half its band); where
#    the beams on both sides of it read and are dimmed, it lies in the shadow that bridges it
#    (as on a beam read dark: a finger there is not taken as unseen by that family). Of
#    those, a greedy cover keeps the fewest candidates that explain every shadow (a candidate
#    that alone explains a shadow first; ties go to the candidate near a tracked contact), so
#    ghosts that hide in real shadows are dropped. Open shadows are evidence only, never a
#    reason to keep a candidate. When the straight shadows could pair up more than one way, a
#    finger candidate also needs _CONFIRM oblique families that saw it in a shadow whose
#    ends they saw (not one widened over unknown beams: in a bar's saturated part such a
#    shadow reaches over everything); without them (the oblique beams there not read yet,
#    saturated or failed) it is not reported, rather than maybe a ghost. A family whose beams
#    at a candidate are dimmed by one of its shadows, with the candidate beyond that shadow's
#    measured edge, refutes it: a finger there would have widened the shadow (where two
#    straight shadows cross, the candidate is exact to the edges; one from a split gets
#    _EDGE_TOL). After refinement the fingers are checked again where they now are, each
#    against all the others selected: the smallest finger there must lie inside each shadow it
#    is in (its centre a radius, less _TOL, inside each measured edge, and in a shadow with
#    an unmeasured edge, a beam within _ON_BEAM of it, or within the radius measured for it
#    less _TOL, as dark as a shadow's deepest beam must be), and a finger of the size
#    measured for it must not reach a clear beam beside one with no valid reading; one whose
#    straight shadow on an axis reaches over unknown beams must then also have the _CONFIRM
#    oblique families that place that coordinate see it in shadows that need it (reaching
#    _GAP beyond every other selected finger in them, a finger the family saw in no shadow
#    counted as in one that reaches over its place or may go on towards it), and one whose
#    straight shadow on an axis the other fingers in it explain (it reaches _GAP beyond none
#    of them), a shadow of one oblique family at least that needs it: oblique shadows that
#    the other fingers explain say nothing of it (a straight shadow paired with a place where
#    other fingers' oblique shadows happen to cross its line is a ghost). Neither straight
#    shadow its own, it needs _CONFIRM such families in all, that pin each coordinate (one
#    alone, or two leaning either way). Such an oblique shadow is its own only if the finger
#    fits in it: a radius of the narrowest shadow it has to itself (less _TOL) inside each
#    measured edge (a disc's shadows are as wide in every family; a place near the edge of a
#    narrower one merely crosses another finger's). Where a straight shadow reaches over
#    unknown beams, an oblique shadow that a finger not found may have cast (on another
#    straight shadow that no finger explains, its own straight beam unknown) places nothing
#    (_elsewhere). The fingers left stay where they were checked (see resolve()).
# 4. After refinement, a shadow that reaches well beyond every touch inside it holds one more
#    finger, hidden by the others everywhere else: of the candidates that reach its end, the
#    one the most families saw in a shadow (where it crosses other fingers' shadows is a
#    ghost's place, seen by fewer), but not a candidate in the very shadows of one selected
#    touch in every family that saw it (nothing tells the two apart; at the glass' bottom
#    and top no oblique beam of the other axis reaches, and steep ones along it place a
#    finger only to centimetres).
# 5. Refinement: each finger first takes x and y from the one shadow that gives each with the
#    least error (its own shadow before the outer edge of a shared one), then moves to the
#    weighted least-squares fit of every shadow that says where it is: the centre of each
#    shadow it explains alone, the outer edge (less one radius) of each it shares; a family's
#    weight follows how noisy its beams are. Two oblique families at different angles fix a
#    point together, which no single family can; a shadow that disagrees with the others by
#    more than 2.5 mm is dropped from the fit. A palm keeps the middle of its straight shadows.
#    Which outer edge of a shared shadow a finger takes follows the fingers' order along it,
#    and a fit that starts with that order wrong keeps it (each finger then sits on the other's
#    edge, and the few families that say otherwise are outvoted): so fingers sharing a
#    straight shadow, less than _APART apart along it and not each placed along it by a
#    shadow of its own in an oblique family of that axis (by the left and right edges no
#    oblique x beam reaches, nor by the top and bottom any oblique y beam), are also tried
#    mirrored within it, fitted there, and kept there when their shadows' residuals are
#    smaller.
#
# Integer arithmetic on preallocated arrays only: nothing is allocated per scan.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

from vitrine_fw.touch.geometry import AXIS_X
from vitrine_fw.touch.scan import UNKNOWN

MAX_TOUCHES = const(10)
KIND_FINGER = const(0)
KIND_PALM = const(1)
_MAX_SHADOWS = const(128)
_MAX_CANDIDATES = const(160)
_MAX_SPLIT = const(12)  # candidates along one wide shadow

_PEAK = const(358)  # a shadow's deepest beam must be attenuated by 35% (a finger blocks >= 1)
_PART = const(82)  # 8%: an outer neighbour darker than this is on the edge's ramp too
_RAMP = const(717)  # 70% of the pitch: the ramp width assumed when one beam cannot tell it
_FULL = const(922)  # 90%: an end beam darker than this is taken as wholly in the shadow ...
_HIGH = const(870)  # 85%: a beam this dark is well inside a finger's shadow
_LOW = const(614)  # 60%: a dip below this between two such beams parts two fingers
_MIN_WIDTH = const(128)  # 4 mm: narrower shadows (one noisy beam, a hair) are no touch
_WIDE = const(384)  # 12 mm: a wider straight shadow may hold more than one finger
_PALM = const(768)  # 24 mm: straight shadows both wider than this are a palm (or a sleeve)
_TOL = const(48)  # 1.5 mm slack when a candidate is checked against a shadow
_EDGE_TOL = const(16)  # 0.5 mm: how far beyond a measured shadow edge a finger may still be
_ON_BEAM = const(48)  # 1.5 mm: a finger (>= 6 mm) centred this near a beam blocks half of it
_SAME = const(64)  # 2 mm: split candidates closer than this are one
_NEAR = const(256)  # 8 mm: a candidate this close to a tracked contact is preferred
_BELONGS = const(320)  # 10 mm: a shadow this close to a contact's predicted one is its
_DEFAULT_D = const(288)  # 9 mm, when no shadow gives a touch's size
_APART = const(256)  # 8 mm: two fingers' centres are at least this far apart
_GAP = const(96)  # 3 mm: a shadow reaching this far beyond its touches holds one more
_FIT_STEP = const(512)  # 16 mm: the largest residual one fit step takes in
_OUTLIER = const(80)  # 2.5 mm: a shadow's centre this far off the fit is dropped from it
_MIN_DET = const(4096)  # a fit whose normal matrix is flatter than this keeps step 5's point
_MIN_R = const(96)  # 3 mm: the smallest finger's radius
_CONFIRM = const(2)  # oblique families that must see a finger (straight shadows pair two ways)
_SHARP = const(2560)  # a family pins a coordinate when its error there grows 2.5 times at most
_QUANT2 = const(92)  # (0.3 mm)**2 in (1/32 mm)**2: a family's edge error from its pitch alone


class Detector:
    """Shadows, candidates, ghost rejection and refinement (see the module comment)."""

    def __init__(self, geometry, sizes=None):
        """sizes: the tracked contacts' sizes beside the places select() is given (Q5 mm, 0
        unknown), an array the caller fills, or None."""
        g = geometry
        self.g = g
        nf = g.families
        self.nf = nf
        self.sh_l = array("i", bytes(4 * _MAX_SHADOWS))
        self.sh_r = array("i", bytes(4 * _MAX_SHADOWS))
        self.sh_f = bytearray(_MAX_SHADOWS)
        self.sh_open = bytearray(_MAX_SHADOWS)  # edges on unknown beams: 1 left, 2 right
        self.sh_unseen = bytearray(_MAX_SHADOWS)  # widened over unknown beams (not a bar's end)
        self.sh_t = array("H", bytes(2 * _MAX_SHADOWS))  # when its middle beam was read, µs
        self.sh_peak = array("h", bytes(2 * _MAX_SHADOWS))  # its darkest beam, Q10
        self.sh_cover = array("H", bytes(2 * _MAX_SHADOWS))
        self.sh_sel = bytearray(_MAX_SHADOWS)  # refine(): the selected touches in each shadow
        # _bounds(): each shadow's edges as _verify() takes them (an open end with _TOL)
        self.sh_lo = array("i", bytes(4 * _MAX_SHADOWS))
        self.sh_hi = array("i", bytes(4 * _MAX_SHADOWS))
        self.sh_done = bytearray(_MAX_SHADOWS)
        self.n_sh = 0
        self.fam_sh0 = array("H", bytes(2 * nf))
        self.fam_shn = array("H", bytes(2 * nf))
        self.fam_unknown = bytearray(nf)  # shadows(): some beam of the family had no reading
        self.c_x = array("i", bytes(4 * _MAX_CANDIDATES))
        self.c_y = array("i", bytes(4 * _MAX_CANDIDATES))
        self.c_d = array("i", bytes(4 * _MAX_CANDIDATES))
        self.c_kind = bytearray(_MAX_CANDIDATES)
        self.c_sx = bytearray(_MAX_CANDIDATES)  # its straight x and y shadows
        self.c_sy = bytearray(_MAX_CANDIDATES)
        self.centre = 0  # result of _centre
        self.c_match = bytearray(_MAX_CANDIDATES * nf)  # shadow index + 1, 0: no evidence
        self.c_ok = bytearray(_MAX_CANDIDATES)  # 0 rejected, 1 valid, 2 selected, 3 dropping
        self.c_oblique = bytearray(_MAX_CANDIDATES)  # oblique families that saw it
        self.c_vague = bytearray(_MAX_CANDIDATES)  # placed along an axis by no sure shadow
        self.c_seen = bytearray(_MAX_CANDIDATES)  # families that saw it in a shadow
        self.sel = array("H", bytes(2 * _MAX_CANDIDATES))  # the selected ones, for refine
        # The tracked contacts' predicted places (select()'s arguments) and, when the caller
        # gives them (an array beside the places), their sizes, Q5 (0: unknown or a palm).
        self.prior_x = array("i")
        self.prior_y = array("i")
        self.n_prior = 0
        self.prior_d = sizes
        self.n_sel = 0
        self.n_c = 0
        self.xs = array("i", bytes(4 * _MAX_SPLIT))
        self.ys = array("i", bytes(4 * _MAX_SPLIT))
        self.t_x = array("i", bytes(4 * MAX_TOUCHES))
        self.t_y = array("i", bytes(4 * MAX_TOUCHES))
        self.t_w = array("i", bytes(4 * MAX_TOUCHES))  # extent along x and y, Q5
        self.t_h = array("i", bytes(4 * MAX_TOUCHES))
        self.t_kind = bytearray(MAX_TOUCHES)
        # its straight shadows' darkness, Q10 (negated: one of them over unknown beams only)
        self.t_solid = array("h", bytes(2 * MAX_TOUCHES))
        self.m_c = array("H", bytes(2 * MAX_TOUCHES))  # _mirror(): the touches it moves ...
        self.m_x = array("i", bytes(4 * MAX_TOUCHES))  # ... and where they were
        self.m_y = array("i", bytes(4 * MAX_TOUCHES))
        self.n_t = 0
        self.ambiguous = False  # the straight shadows may pair up more than one way
        self.single = False  # one straight shadow each way (candidates())
        self.slack = _TOL  # how far beyond a family's shadow the candidate checked may lie
        # How much a family's error grows when it gives x (given y) or y (given x), Q10;
        # 0 where it cannot. A straight family gives only its own coordinate.
        self.x_factor = array("i", bytes(4 * nf))
        self.y_factor = array("i", bytes(4 * nf))
        # How a family's coordinate u changes with x and with y, Q10 (the fit's gradients).
        self.du_dx = array("i", bytes(4 * nf))
        self.du_dy = array("i", bytes(4 * nf))
        self.weight = bytearray(nf)  # the fit's weight of a family's shadows, 1..16
        # The families in the order _verify() asks them: the oblique ones first (the ones
        # that refute a ghost; most candidates with many fingers are ghosts), the straight
        # ones last (a candidate lies in its own straight shadows unless a split put it).
        self.verify_order = bytearray(
            [f for f in range(nf) if g.fam_shift[f]] + [f for f in range(nf) if not g.fam_shift[f]]
        )
        for f in range(nf):
            shift = abs(g.fam_shift[f])
            sec = g.fam_sec[f]
            self.weight[f] = 16
            if g.fam_axis[f] == AXIS_X:
                span = g.span[0]
                self.x_factor[f] = sec
                self.y_factor[f] = span * sec // shift if shift else 0
                self.du_dx[f] = 1024
                self.du_dy[f] = g.fam_shift[f] * 1024 // span
            else:
                span = g.span[1]
                self.y_factor[f] = sec
                self.x_factor[f] = span * sec // shift if shift else 0
                self.du_dx[f] = -g.fam_shift[f] * 1024 // span
                self.du_dy[f] = 1024
        # Inputs of one detect() call (begin() gives the scanner's own arrays).
        self.att = array("h")
        self.thr = array("h")
        self.t_us = array("H")
        self.report_us = 0

    def set_weights(self, scanner):
        """The fit's family weights from the beams' noise (after a baseline): a family's
        weight falls as its edges' noise grows past what its pitch alone leaves open."""
        g = self.g
        for f in range(self.nf):
            start = g.fam_start[f]
            total = 0
            n = 0
            for j in range(g.fam_len[f]):
                b = start + j
                if not scanner.state[b]:
                    total += scanner.noise[b] * 1024 // scanner.base[b]
                    n += 1
            rel = total // n if n else 1024  # the family's typical noise, Q10 of its level
            # its edges' noise in 1/32 mm: a ramp of _RAMP pitches moves that much per unit
            e = rel * _RAMP // 1024 * g.fam_pitch[f] // 1024
            w = 16 * _QUANT2 // (_QUANT2 + e * e)
            self.weight[f] = w if w > 1 else 1

    # --- 1. shadows ---------------------------------------------------------------------------

    def shadows(self, first, last):
        """The shadows of families first..last-1 (att, thr from the last detect() inputs)."""
        g = self.g
        att = self.att
        thr = self.thr
        for f in range(first, last):
            self.fam_sh0[f] = self.n_sh
            start = g.fam_start[f]
            m = g.fam_len[f]
            j = 0
            unknown = 0
            while j < m:
                a = att[start + j]
                if a == UNKNOWN:
                    unknown = 1
                    j += 1
                    continue
                if a < thr[start + j]:
                    j += 1
                    continue
                lo = j
                hi = j
                peak = a
                k = j + 1
                while k < m:
                    a = att[start + k]
                    if a == UNKNOWN:
                        unknown = 1
                        k += 1
                        continue
                    if a < thr[start + k]:
                        break
                    if k > hi + 1:
                        peak = 1024  # bridged an unknown beam: assume it was blocked
                    hi = k
                    if a > peak:
                        peak = a
                    k += 1
                j = k
                if peak >= _PEAK:
                    self._run(f, lo, hi, peak)
            self.fam_shn[f] = self.n_sh - self.fam_sh0[f]
            self.fam_unknown[f] = unknown

    def _run(self, f, lo, hi, peak):
        # One run of shadowed beams lo..hi of family f: its outer edges from the end beams
        # and their outer neighbours (next to unknown beams or the family's end the shadow
        # may go on unseen: it is widened over them and marked open, no use for positions but
        # still evidence), then split where the attenuation dips between two fingers.
        att = self.att
        thr = self.thr
        start = self.g.fam_start[f]
        m = self.g.fam_len[f]
        opened = (1 if lo == 0 else 0) | (2 if hi == m - 1 else 0)
        n0 = self.n_sh
        unseen = False
        a_lo = att[start + lo]
        b_lo = att[start + lo - 1] if lo > 0 else 0
        if lo > 0 and b_lo != UNKNOWN and b_lo < thr[start + lo - 1] >> 1:
            b_lo = 0  # within the neighbour's noise: no sign of the edge there
        if b_lo == UNKNOWN:
            opened |= 1
            unseen = True
            b_lo = 0
            while lo > 0 and att[start + lo - 1] == UNKNOWN:
                lo -= 1
                a_lo = 1024
        a_hi = att[start + hi]
        b_hi = att[start + hi + 1] if hi + 1 < m else 0
        if hi + 1 < m and b_hi != UNKNOWN and b_hi < thr[start + hi + 1] >> 1:
            b_hi = 0
        if b_hi == UNKNOWN:
            opened |= 2
            unseen = True
            b_hi = 0
            while hi + 1 < m and att[start + hi + 1] == UNKNOWN:
                hi += 1
                a_hi = 1024
        # Valleys: beams below _HIGH between two beams at or above it, the lowest below _LOW.
        piece = lo
        a_piece = a_lo
        b_piece = b_lo
        top = 0
        v0 = -1  # first beam of the current valley
        low = 1024
        for i in range(lo, hi + 1):
            a = att[start + i]
            if a == UNKNOWN:
                continue
            if a >= _HIGH:
                if v0 >= 0 and low < _LOW:
                    v1 = i - 1  # the valley is v0..v1
                    while att[start + v1] == UNKNOWN:
                        v1 -= 1
                    if v1 > v0:  # two or more beams: each side's end beam is its own
                        self._add(f, piece, a_piece, b_piece, v0, att[start + v0], 0, opened & 1)
                        piece = v1
                        a_piece = att[start + v1]
                    else:  # one beam, shaded by both fingers: half each
                        a = att[start + v0] >> 1
                        self._add(f, piece, a_piece, b_piece, v0, a, 0, opened & 1)
                        piece = v0
                        a_piece = att[start + v0] >> 1
                    b_piece = 0
                    opened &= 2
                top = a
                v0 = -1
                low = 1024
            elif top >= _HIGH:
                if v0 < 0:
                    v0 = i
                if a < low:
                    low = a
        self._add(f, piece, a_piece, b_piece, hi, a_hi, b_hi, opened)
        self.sh_peak[self.n_sh - 1] = peak if peak < 1024 else 1024
        if unseen:  # the run's pieces: where it ends is not known
            for i in range(n0, self.n_sh):
                self.sh_unseen[i] = 1

    def _add(self, f, lo, a_lo, b_lo, hi, a_hi, b_hi, opened):
        # A shadow over beams lo..hi of family f; a_* the end beams' attenuation (the part
        # that is this shadow's), b_* the outer neighbours'.
        g = self.g
        n = self.n_sh
        if n >= _MAX_SHADOWS:
            return
        p = g.fam_pitch[f]
        first = g.fam_first[f]
        left = first + lo * p - (_edge(a_lo, b_lo) * p >> 10)
        right = first + hi * p + (_edge(a_hi, b_hi) * p >> 10)
        if right - left < (_MIN_WIDTH * g.fam_sec[f] >> 10) and not opened:
            return
        start = g.fam_start[f]
        mid = (lo + hi) >> 1
        while mid > lo and self.att[start + mid] == UNKNOWN:
            mid -= 1
        self.sh_l[n] = left
        self.sh_r[n] = right
        self.sh_f[n] = f
        self.sh_open[n] = opened
        self.sh_unseen[n] = 0
        self.sh_t[n] = self.t_us[start + mid]
        self.sh_peak[n] = 1024
        self.n_sh = n + 1

    def align(self, px, py, vx, vy, n_pred):
        """Move each shadow to the report time with the velocity of the contact it belongs to:
        px, py its predicted position at the report time, vx, vy its velocity (Q5 per 65536
        µs), for n_pred contacts."""
        g = self.g
        report = self.report_us
        # g.u() inlined (a shadow by a contact: with ten fingers a thousand times a scan)
        gap = g.gap
        height_gap = g.height + gap
        span_x = g.span[0]
        span_y = g.span[1]
        for s in range(self.n_sh):
            f = self.sh_f[s]
            dt = self.sh_t[s] - report
            best = -1
            best_d = _BELONGS
            mid = (self.sh_l[s] + self.sh_r[s]) >> 1
            half = (self.sh_r[s] - self.sh_l[s]) >> 1
            shift = g.fam_shift[f]
            on_x = g.fam_axis[f] == AXIS_X
            for i in range(n_pred):
                # the contact's u in this family when the shadow was seen
                x = px[i] + (vx[i] * dt >> 16)
                y = py[i] + (vy[i] * dt >> 16)
                if shift == 0:
                    u = x if on_x else y
                elif on_x:
                    u = x - shift * (height_gap - y) // span_x
                else:
                    u = y - shift * (x + gap) // span_y
                d = u - mid
                if d < 0:
                    d = -d
                d -= half
                if d < best_d:
                    best_d = d
                    best = i
            if best < 0:
                continue
            move = (self.du_dx[f] * vx[best] + self.du_dy[f] * vy[best]) >> 10
            shift = move * dt >> 16  # how far the shadow moved from the report time
            self.sh_l[s] -= shift
            self.sh_r[s] -= shift

    # --- 2. candidates -----------------------------------------------------------------------

    def solve(self, f, centre, x, y, x_axis):
        """The x (x_axis) or y of a point on the centre line of family f's shadow at
        coordinate `centre`, given the point's other coordinate."""
        g = self.g
        shift = g.fam_shift[f]
        gap = g.gap
        if g.fam_axis[f] == AXIS_X:
            span = g.span[0]
            if x_axis:
                return centre + shift * (g.height + gap - y) // span
            return g.height + gap - (x - centre) * span // shift
        span = g.span[1]
        if x_axis:
            return (y - centre) * span // shift - gap
        return centre + shift * (x + gap) // span

    def _split(self, out, s, across, x_axis):
        # Positions along the wide straight shadow s where a shadow of another family crosses
        # it, at the other coordinate `across`; returns how many were written to out.
        lo = self.sh_l[s] - _TOL
        hi = self.sh_r[s] + _TOL
        factor = self.x_factor if x_axis else self.y_factor
        g = self.g
        gap = g.gap
        sh_l = self.sh_l
        sh_r = self.sh_r
        n = 0
        for f in range(self.nf):
            if f == self.sh_f[s] or not factor[f]:
                continue
            # solve() inlined (the hottest loop with many fingers): v from a shadow's centre
            # c is c + add where the family runs along the coordinate sought, else a ratio
            shift = g.fam_shift[f]
            on_x = g.fam_axis[f] == AXIS_X
            span = g.span[0] if on_x else g.span[1]
            direct = on_x == x_axis
            add = 0
            if direct:
                add = (
                    shift * (g.height + gap - across) // span
                    if on_x
                    else shift * (across + gap) // span
                )
            s0 = self.fam_sh0[f]
            for t in range(s0, s0 + self.fam_shn[f]):
                c = (sh_l[t] + sh_r[t]) >> 1
                if direct:
                    v = c + add
                elif on_x:
                    v = g.height + gap - (across - c) * span // shift
                else:
                    v = (across - c) * span // shift - gap
                if lo <= v <= hi and n < _MAX_SPLIT:
                    dup = False
                    for q in range(n):
                        if -_SAME < out[q] - v < _SAME:
                            dup = True
                    if not dup:
                        out[n] = v
                        n += 1
        # A finger at either end of the shadow, hidden from the other families.
        for side in range(2):
            v = self.sh_r[s] - (_DEFAULT_D >> 1) if side else self.sh_l[s] + (_DEFAULT_D >> 1)
            dup = False
            for q in range(n):
                if -_SAME < out[q] - v < _SAME:
                    dup = True
            if not dup and n < _MAX_SPLIT:
                out[n] = v
                n += 1
        return n

    def _bounds(self):
        # sh_lo, sh_hi of every shadow, from its edges now (after align())
        sh_l = self.sh_l
        sh_r = self.sh_r
        sh_open = self.sh_open
        lo = self.sh_lo
        hi = self.sh_hi
        for s in range(self.n_sh):
            o = sh_open[s]
            lo[s] = sh_l[s] - (_TOL if o & 1 else 0)
            hi[s] = sh_r[s] + (_TOL if o & 2 else 0)

    def candidates(self):
        self._bounds()
        g = self.g
        fx = g.straight[0]
        fy = g.straight[1]
        n_c = 0
        xs = self.xs
        ys = self.ys
        nx_sh = self.fam_shn[fx]
        ny_sh = self.fam_shn[fy]
        self.ambiguous = nx_sh > 1 or ny_sh > 1
        self.single = nx_sh == 1 and ny_sh == 1  # one straight shadow each way
        for sx in range(self.fam_sh0[fx], self.fam_sh0[fx] + nx_sh):
            cx = (self.sh_l[sx] + self.sh_r[sx]) >> 1
            wx = self.sh_r[sx] - self.sh_l[sx]
            for sy in range(self.fam_sh0[fy], self.fam_sh0[fy] + ny_sh):
                cy = (self.sh_l[sy] + self.sh_r[sy]) >> 1
                wy = self.sh_r[sy] - self.sh_l[sy]
                if wx > _PALM and wy > _PALM and n_c < _MAX_CANDIDATES:
                    # maybe one large object: no splitting (its shadows are not a disc's)
                    self.c_x[n_c] = cx
                    self.c_y[n_c] = cy
                    self.c_kind[n_c] = KIND_PALM
                    self.c_sx[n_c] = sx
                    self.c_sy[n_c] = sy
                    if self._verify(n_c):
                        n_c += 1
                        continue
                if wx > _WIDE:
                    nx = self._split(xs, sx, cy, True)
                else:
                    xs[0] = cx
                    nx = 1
                if wy > _WIDE:
                    ny = self._split(ys, sy, cx, False)
                else:
                    ys[0] = cy
                    ny = 1
                if nx > 1 or ny > 1:
                    self.ambiguous = True
                # A candidate where two straight shadows cross is where the finger is, to
                # the edges' precision; one from a split is only near it (step 5 places it).
                self.slack = _EDGE_TOL if nx > 1 or ny > 1 else 0
                for i in range(nx):
                    for k in range(ny):
                        if n_c < _MAX_CANDIDATES:
                            self.c_x[n_c] = xs[i]
                            self.c_y[n_c] = ys[k]
                            self.c_kind[n_c] = KIND_FINGER
                            self.c_sx[n_c] = sx
                            self.c_sy[n_c] = sy
                            if self._verify(n_c):
                                n_c += 1  # only valid candidates are kept
        for axis in range(2):
            if self.fam_unknown[g.straight[1 - axis]]:
                n_c = self._half_seen(n_c, axis)
        self.n_c = n_c

    def _half_seen(self, n_c, axis):
        # Candidates for fingers whose straight beams on the other axis (b) are unknown
        # (saturated, or no valid reading): such a finger casts no straight shadow on b, so no
        # pair of straight shadows places it, and its shadows lend themselves to ghosts (a
        # place on its straight shadow where other fingers' oblique shadows cross). Along each
        # straight shadow s of `axis` (any may hold such a finger, whatever else pairs with
        # it: a ghost on it pairs it with another finger's straight shadow of b), the places
        # where an oblique shadow of b's families crosses s's centre line (or a finger's
        # reach inside either end of a wide s), on an unknown straight beam
        # of b outside every straight shadow of b (those pair up as any other): a candidate
        # there stands for a finger as any other (_verify(): no family refutes it, the beam
        # beside it on b does not read clear within the smallest finger's radius), but only
        # with _CONFIRM oblique families that see it in shadows and pin b's coordinate (its
        # straight shadow on b is an unseen one over the unknown beams: c_vague). Returns n_c
        # with those added. Called only when b's straight family had an unknown beam.
        g = self.g
        fa = g.straight[axis]
        fb = g.straight[1 - axis]
        b_x = axis != AXIS_X  # b's coordinate is x
        sh_l = self.sh_l
        sh_r = self.sh_r
        c_a = self.c_sy if b_x else self.c_sx
        c_b = self.c_sx if b_x else self.c_sy
        start = g.fam_start[fb]
        pitch = g.fam_pitch[fb]
        first = g.fam_first[fb]
        m = g.fam_len[fb]
        b0 = self.fam_sh0[fb]
        b1 = b0 + self.fam_shn[fb]
        limit = g.width if b_x else g.height
        single = self.single
        self.single = False  # (checked as where the straight shadows pair up more than one way)
        self.slack = _EDGE_TOL  # (placed by an oblique shadow's centre: near the finger only)
        added = False
        places = self.ys if b_x else self.xs  # (free once candidates() paired the shadows)
        for s in range(self.fam_sh0[fa], self.fam_sh0[fa] + self.fam_shn[fa]):
            if sh_r[s] - sh_l[s] > _WIDE:
                places[0] = sh_l[s] + (_DEFAULT_D >> 1)
                places[1] = sh_r[s] - (_DEFAULT_D >> 1)
                n_a = 2
            else:
                places[0] = (sh_l[s] + sh_r[s]) >> 1
                n_a = 1
            for i in range(n_a):
                a = places[i]
                n_v = 0
                for f in range(self.nf):
                    if g.fam_axis[f] == axis or not g.fam_shift[f]:
                        continue  # (the oblique families of b only)
                    for t in range(self.fam_sh0[f], self.fam_sh0[f] + self.fam_shn[f]):
                        if self.sh_unseen[t]:
                            continue  # (its centre is no line's: it reaches over unknown beams)
                        centre = (sh_l[t] + sh_r[t]) >> 1
                        v = self.solve(f, centre, a, a, b_x)
                        if v < 0 or v > limit:
                            continue
                        j = (v - first + pitch // 2) // pitch
                        if j < 0 or j >= m or self.att[start + j] != UNKNOWN:
                            continue
                        near = False
                        for q in range(b0, b1):
                            if self.sh_lo[q] <= v <= self.sh_hi[q]:
                                near = True
                        for q in range(n_v):
                            if -_SAME < places[2 + q] - v < _SAME:
                                near = True
                        if near or n_v + 2 >= _MAX_SPLIT or n_c >= _MAX_CANDIDATES:
                            continue
                        places[2 + n_v] = v
                        n_v += 1
                        u = self._unknown_run(fb, j)
                        if u < 0:
                            continue
                        self.c_kind[n_c] = KIND_FINGER
                        self.c_x[n_c] = v if b_x else a
                        self.c_y[n_c] = a if b_x else v
                        c_a[n_c] = s
                        c_b[n_c] = u
                        if (
                            self._verify(n_c)
                            and self.c_oblique[n_c] >= _CONFIRM
                            and not self.c_vague[n_c]
                        ):
                            n_c += 1
                            added = True
        if added:
            self.ambiguous = True
        else:
            self.single = single
        return n_c

    def _unknown_run(self, f, j):
        # A shadow of family f over the run of unknown beams around beam j, open at both ends
        # and widened over unknown beams (sh_unseen): the straight shadow a candidate of
        # _half_seen() has on that axis (it places nothing, as any open one). After every
        # family's shadows (outside the families' ranges); one per run. -1 if none is free.
        g = self.g
        start = g.fam_start[f]
        lo = j
        hi = j
        while lo > 0 and self.att[start + lo - 1] == UNKNOWN:
            lo -= 1
        while hi + 1 < g.fam_len[f] and self.att[start + hi + 1] == UNKNOWN:
            hi += 1
        half = g.fam_pitch[f] >> 1
        left = g.beam_u(f, lo) - half
        right = g.beam_u(f, hi) + half
        for s in range(self.fam_sh0[f] + self.fam_shn[f], self.n_sh):
            if self.sh_f[s] == f and self.sh_l[s] == left and self.sh_r[s] == right:
                return s
        n = self.n_sh
        if n >= _MAX_SHADOWS:
            return -1
        self.sh_l[n] = left
        self.sh_r[n] = right
        self.sh_lo[n] = left - _TOL
        self.sh_hi[n] = right + _TOL
        self.sh_f[n] = f
        self.sh_open[n] = 3
        self.sh_unseen[n] = 1
        self.sh_t[n] = self.t_us[start + j]
        self.sh_peak[n] = -1  # (unknown beams: how dark the finger's shadow is, unknown)
        self.n_sh = n + 1
        return n

    # --- 3. ghost rejection ------------------------------------------------------------------

    def _verify(self, c):
        # Whether candidate c is consistent with every family whose beams at it read validly:
        # it lies in one of the family's shadows (noted in c_match), or the beams on either
        # side of it are dimmed at least to their threshold (a small finger's shadow there
        # may be too faint or narrow to count as one: no evidence either way). A family whose
        # beams there are clear refutes it: a ghost. Notes how many oblique families saw it
        # and marks it valid (c_ok) if none refuted it.
        g = self.g
        nf = self.nf
        match = self.c_match
        att = self.att
        x = self.c_x[c]
        y = self.c_y[c]
        base = c * nf  # its families' c_match, each written below (unless it is refuted)
        self.c_ok[c] = 0
        oblique = 0
        sure = 0  # ... in a shadow not widened over unknown beams
        sharp_x = 0  # such shadows of oblique families that pin x down, and y
        sharp_y = 0
        seen = 0
        sh_lo = self.sh_lo
        sh_hi = self.sh_hi
        fam_sh0 = self.fam_sh0
        fam_shn = self.fam_shn
        # g.u() and g.beam_at() inlined (this runs for every family of every candidate: the
        # hottest loop with many fingers), what they read in locals
        fam_shift = g.fam_shift
        fam_axis = g.fam_axis
        fam_pitch = g.fam_pitch
        fam_first = g.fam_first
        fam_len = g.fam_len
        fam_start = g.fam_start
        gap = g.gap
        height_gap = g.height + gap
        span_x = g.span[0]
        span_y = g.span[1]
        for f in self.verify_order:
            shift = fam_shift[f]
            if shift == 0:
                u = x if fam_axis[f] == AXIS_X else y
            elif fam_axis[f] == AXIS_X:
                u = x - shift * (height_gap - y) // span_x
            else:
                u = y - shift * (x + gap) // span_y
            pitch = fam_pitch[f]
            j = (u - fam_first[f] + pitch // 2) // pitch
            start = fam_start[f]
            if j < 0 or j >= fam_len[f]:
                match[base + f] = 0
                continue  # no beam: no evidence either way
            found = 0
            if att[start + j] == UNKNOWN:
                # No valid reading on the nearest beam; the beam beside it on the candidate's
                # side, within the smallest finger's radius, is covered by such a finger at
                # least to the middle of its band (_clear_near): clear, nothing is there.
                # (Not an oblique beam of the one finger there can be, as below: it may have
                # been read before or after a swiping finger passed.)
                if (
                    self.c_kind[c] == KIND_FINGER
                    and not (shift and self.single and not self.ambiguous)
                    and self._clear_near(f, j, u, _MIN_R)
                ):
                    return False
                # The beams on both sides read and dimmed: it lies in the shadow that
                # bridges it, as on any beam inside a finger's shadow (_bridged); else the
                # family says nothing of it.
                found = self._bridged(f, j, u)
                if not found:
                    match[base + f] = 0
                    continue
            s0 = fam_sh0[f]
            if shift == 0 and not found:
                # its own straight shadow, unless an earlier one reaches it too (the first
                # one that does, as below)
                s = self.c_sx[c] if fam_axis[f] == AXIS_X else self.c_sy[c]
                if sh_lo[s] <= u <= sh_hi[s] and (s == s0 or sh_hi[s - 1] < u):
                    found = s + 1
            if not found:
                for s in range(s0, s0 + fam_shn[f]):
                    # Inside the shadow; an open end (the shadow may go on unseen) with slack.
                    if sh_lo[s] <= u <= sh_hi[s]:
                        found = s + 1
                        break
            match[base + f] = found
            if not found:
                straight = not shift
                if (
                    not straight
                    and self.single
                    and not self.ambiguous
                    and self.c_kind[c] == KIND_FINGER
                ):
                    # One straight shadow each way pair up one way only: no ghost to rule
                    # out. The oblique beams here may have been read before or after the
                    # finger passed (a fast swipe moves it a centimetre within a scan).
                    continue
                if straight or self._refutes(c, f, u, j):
                    return False  # (outside its own straight shadows: a split gone astray)
                continue
            if self.c_kind[c] == KIND_PALM and (
                self.sh_r[found - 1] - self.sh_l[found - 1] < _PALM * g.fam_sec[f] >> 10
            ):
                return False  # a large object is large in every family: fingers side by side
            seen += 1
            if shift:
                oblique += 1
                if not self.sh_unseen[found - 1]:
                    sure += 1
                    if self.x_factor[f] <= _SHARP:
                        sharp_x += 1
                    if self.y_factor[f] <= _SHARP:
                        sharp_y += 1
        if self.c_kind[c] == KIND_PALM and oblique < 2:
            return False  # too little of it seen to tell it from fingers side by side
        # A finger whose straight shadow on an axis reaches over unknown beams (that part of
        # the bar saturated or failed) is placed along that axis only vaguely unless _CONFIRM
        # oblique families place that coordinate to a few millimetres (one alone pairs with
        # the shadows of fingers beside it): select() drops it when that matters, with more
        # than one straight shadow on an axis (one each way pair up one way only).
        self.c_vague[c] = (
            1
            if self.c_kind[c] == KIND_FINGER
            and not self.single
            and (
                (self.sh_unseen[self.c_sx[c]] and sharp_x < _CONFIRM)
                or (self.sh_unseen[self.c_sy[c]] and sharp_y < _CONFIRM)
            )
            else 0
        )
        self.c_oblique[c] = sure
        self.c_seen[c] = seen
        self.c_ok[c] = 1
        return True

    def _refutes(self, c, f, u, j):
        # Whether family f, which saw no shadow at candidate c's coordinate u (beam j the
        # nearest), says nothing is there: that beam and the next one on its side are clear;
        # or, for a finger, the beam right there is clear (the smallest finger would block
        # it), or they are dimmed by a shadow the family saw whose edges it measured, with u
        # beyond them (a finger there would have widened it). Dimmed otherwise: a small
        # finger's shadow may be too faint or narrow to count as one, no evidence either way.
        g = self.g
        att = self.att
        thr = self.thr
        start = g.fam_start[f]
        k = j + 1 if u > g.beam_u(f, j) else j - 1
        clear = att[start + j] < thr[start + j]
        inside = 0 <= k < g.fam_len[f]
        if self.c_kind[c] == KIND_FINGER:  # (a palm's shadows are no disc's)
            off = u - g.beam_u(f, j)
            if clear and -_ON_BEAM <= off <= _ON_BEAM:
                return True
            if self._beyond(f, j, u) or (inside and self._beyond(f, k, u)):
                return True
        return clear and (
            not inside or att[start + k] == UNKNOWN or att[start + k] < thr[start + k]
        )

    def _bridged(self, f, j, u):
        # The shadow (index + 1) of family f that bridges beam j, which has no valid reading,
        # and reaches over u: the beams on both sides of it read and dimmed at least to their
        # threshold (inside one run of shadowed beams), or 0. A finger there blocks beam j as
        # it dims the two beside it: its shadow tells where it is as well as with beam j read
        # (the one beam gap does not make the finger's place vague). A stretch of several
        # unknown beams bridged says nothing of what lies inside it.
        if j < 1 or j + 1 >= self.g.fam_len[f]:
            return 0
        i = self.g.fam_start[f] + j
        att = self.att
        thr = self.thr
        a = att[i - 1]
        b = att[i + 1]
        if a == UNKNOWN or a < thr[i - 1]:
            return 0
        if b == UNKNOWN or b < thr[i + 1]:
            return 0
        s0 = self.fam_sh0[f]
        for s in range(s0, s0 + self.fam_shn[f]):
            if self.sh_lo[s] <= u <= self.sh_hi[s]:
                return s + 1
        return 0

    def _clear_near(self, f, j, u, r):
        # Whether the beam beside beam j of family f (whose reading is unknown) on u's side
        # reads clear while a finger centred at u would cover it to the middle of its band at
        # least: a finger of radius r (Q5 mm) reaches past that beam's centre (u within r of
        # it, along the family's bar). Such a beam is dimmed to half its band or more,
        # above any threshold; it reads clear only if the finger is, in truth, farther than
        # its radius plus most of the beam's ramp away (more than the fit's error).
        g = self.g
        b = g.beam_u(f, j)
        k = j + 1 if u > b else j - 1
        if k < 0 or k >= g.fam_len[f]:
            return False
        i = g.fam_start[f] + k
        a = self.att[i]
        if a == UNKNOWN or a >= self.thr[i]:
            return False
        off = u - g.beam_u(f, k)
        reach = r * g.fam_sec[f] >> 10
        return -reach <= off <= reach

    def _beyond(self, f, j, u):
        # Whether beam j of family f lies inside one of the family's shadows and u more than
        # self.slack beyond that shadow's edges.
        b = self.g.beam_u(f, j)
        s0 = self.fam_sh0[f]
        for s in range(s0, s0 + self.fam_shn[f]):
            if self.sh_l[s] <= b <= self.sh_r[s]:
                slack = self.slack
                return u < self.sh_l[s] - slack or u > self.sh_r[s] + slack
        return False

    def _count_covers(self):
        nf = self.nf
        match = self.c_match
        for s in range(self.n_sh):
            self.sh_cover[s] = 0
            self.sh_done[s] = 0
        for c in range(self.n_c):
            if self.c_ok[c]:
                for f in range(nf):
                    s = match[c * nf + f]
                    if s:
                        self.sh_cover[s - 1] += 1

    def _take(self, c):
        nf = self.nf
        self.c_ok[c] = 2
        for f in range(nf):
            s = self.c_match[c * nf + f]
            if s:
                self.sh_done[s - 1] = 1

    def select(self, prior_x, prior_y, n_prior):
        self.prior_x = prior_x
        self.prior_y = prior_y
        self.n_prior = n_prior
        nf = self.nf
        match = self.c_match
        if self.ambiguous:
            # The straight shadows pair up more than one way: a finger needs two oblique
            # families' word for it.
            for c in range(self.n_c):
                if (
                    self.c_ok[c] == 1
                    and self.c_kind[c] == KIND_FINGER
                    and (self.c_oblique[c] < _CONFIRM or self.c_vague[c])
                ):
                    self.c_ok[c] = 0
        self._count_covers()
        # A candidate that alone explains some shadow is needed.
        for c in range(self.n_c):
            if self.c_ok[c] == 1:
                for f in range(nf):
                    s = match[c * nf + f]
                    if s and self.sh_cover[s - 1] == 1 and not self.sh_open[s - 1]:
                        self._take(c)
                        break
        # Then the fewest others that explain what is left: the most shadows explained
        # first, then one near a tracked contact, then the most families that saw it.
        while True:
            best = -1
            best_score = 0
            for c in range(self.n_c):
                if self.c_ok[c] != 1:
                    continue
                gain = 0
                for f in range(nf):
                    s = match[c * nf + f]
                    if s and not self.sh_done[s - 1] and not self.sh_open[s - 1]:
                        gain += 1
                if gain == 0:
                    continue
                near = 0
                for i in range(n_prior):
                    dx = self.c_x[c] - prior_x[i]
                    dy = self.c_y[c] - prior_y[i]
                    if -_NEAR < dx < _NEAR and -_NEAR < dy < _NEAR:
                        near = 1
                score = (gain << 8) + (near << 6) + self.c_seen[c]
                if score > best_score:
                    best = c
                    best_score = score
            if best < 0:
                break
            self._take(best)

    # --- 5. refinement -----------------------------------------------------------------------

    def _centre(self, c, f, s, d):
        # Family f's coordinate of touch c's centre from shadow s, and how trustworthy that is
        # (0: not at all, 2: a shadow of its own, 1: the outer edge of a shared shadow).
        # (touch c is one of the selected, in shadow s: sh_sel[s] counts it too; the others
        # are looked for only when there are some, with what the loop reads in locals)
        others = 0
        below = 0
        above = 0
        if self.sh_sel[s] > 1:
            nf = self.nf
            g = self.g
            c_x = self.c_x
            c_y = self.c_y
            match = self.c_match
            u = g.u(f, c_x[c], c_y[c])
            sel = self.sel
            s1 = s + 1
            for i in range(self.n_sel):
                o = sel[i]
                if o != c and match[o * nf + f] == s1:
                    others += 1
                    if g.u(f, c_x[o], c_y[o]) < u:
                        below += 1
                    else:
                        above += 1
        opened = self.sh_open[s]
        if not others:
            if opened:
                return 0
            self.centre = (self.sh_l[s] + self.sh_r[s]) >> 1
            return 2
        half = d * self.g.fam_sec[f] >> 11
        if not below and not opened & 1:
            self.centre = self.sh_l[s] + half
            return 1
        if not above and not opened & 2:
            self.centre = self.sh_r[s] - half
            return 1
        return 0

    def _coordinate(self, c, d, x_axis):
        # Touch c's x (x_axis) or y from the shadow that gives it with the least error: one
        # it explains alone first, else the outer edge of a shared one; -1 if none.
        factor = self.x_factor if x_axis else self.y_factor
        best = 0
        best_q = 0
        value = -1
        x = self.c_x[c]
        y = self.c_y[c]
        for f in range(self.nf):
            k = factor[f]
            if not k:
                continue
            s = self.c_match[c * self.nf + f]
            if not s:
                continue
            q = self._centre(c, f, s - 1, d)
            if q == 0 or q < best_q or (q == best_q and k >= best):
                continue
            value = self.solve(f, self.centre, x, y, x_axis)
            best = k
            best_q = q
        return value

    def _diameter(self, c):
        # The mean width of the closed shadows that touch c has to itself, across its beams
        # (one it shares with another finger is wider than its own); with none, the size of
        # the tracked contact within _NEAR (a finger hidden in others' shadows keeps the size
        # it showed on its own: a shared shadow's outer edge, less the radius, places it), or
        # _DEFAULT_D.
        g = self.g
        nf = self.nf
        total = 0
        n = 0
        for f in range(nf):
            s = self.c_match[c * nf + f]
            if not s or self.sh_open[s - 1]:
                continue
            if self.sh_sel[s - 1] > 1:  # shared with another selected touch
                continue
            total += ((self.sh_r[s - 1] - self.sh_l[s - 1]) << 10) // g.fam_sec[f]
            n += 1
        if n:
            return total // n
        d = _DEFAULT_D
        sizes = self.prior_d
        if sizes is not None:
            near = _NEAR
            for i in range(self.n_prior):
                dx = self.c_x[c] - self.prior_x[i]
                dy = self.c_y[c] - self.prior_y[i]
                e = dx if dx > 0 else -dx
                if dy > e or -dy > e:
                    e = dy if dy > 0 else -dy
                if e < near and sizes[i] > 0:
                    near = e
                    d = sizes[i]
        return d

    def _fit(self, c):
        # One Gauss-Newton step of touch c towards the weighted least-squares point of its
        # shadows (u is linear in x and y, so one step lands unless the weights change), then
        # again without the worst shadow if one is an outlier. Scaled so that every product
        # stays a small int: weights <= 64, gradients <= 1024, residuals <= _FIT_STEP.
        g = self.g
        nf = self.nf
        d = self.c_d[c]
        x = self.c_x[c]
        y = self.c_y[c]
        dropped = -1
        for _ in range(2):
            a = 0
            b = 0
            cc = 0
            rx = 0
            ry = 0
            worst = -1
            worst_r = 0
            n = 0
            for f in range(nf):
                s = self.c_match[c * nf + f]
                if not s or f == dropped:
                    continue
                q = self._centre(c, f, s - 1, d)
                if q == 0:
                    continue
                r = self.centre - g.u(f, x, y)
                if q == 2 and (r > worst_r or -r > worst_r):
                    worst = f
                    worst_r = r if r > 0 else -r
                if r > _FIT_STEP:
                    r = _FIT_STEP
                elif r < -_FIT_STEP:
                    r = -_FIT_STEP
                w = self.weight[f] * (4 if q == 2 else 1)
                gx = self.du_dx[f]
                gy = self.du_dy[f]
                a += w * gx * gx >> 16
                b += w * gx * gy >> 16
                cc += w * gy * gy >> 16
                rx += w * gx * r >> 14
                ry += w * gy * r >> 14
                n += 1
            det = a * cc - b * b
            if det < _MIN_DET:
                return
            det >>= 8
            x += (cc * rx - b * ry) // det
            y += (a * ry - b * rx) // det
            if dropped >= 0 or worst_r <= _OUTLIER or n < 4:
                break
            dropped = worst  # and fit again from the new point without it
        if 0 <= x <= g.width and 0 <= y <= g.height:
            self.c_x[c] = x
            self.c_y[c] = y

    def _cost(self, c):
        # How badly touch c fits its shadows where it is: the weighted squared residuals of
        # _fit(), each at most _FIT_STEP, in (1/256 mm)**2 x weight.
        g = self.g
        nf = self.nf
        d = self.c_d[c]
        x = self.c_x[c]
        y = self.c_y[c]
        cost = 0
        for f in range(nf):
            s = self.c_match[c * nf + f]
            if not s:
                continue
            q = self._centre(c, f, s - 1, d)
            if q == 0:
                continue
            r = self.centre - g.u(f, x, y)
            if r > _FIT_STEP or r < -_FIT_STEP:
                r = _FIT_STEP
            cost += (r * r >> 6) * self.weight[f] * (4 if q == 2 else 1)
        return cost

    def _mirror(self, s, x_axis):
        # The selected fingers in straight shadow s (shared: sh_sel[s] > 1) mirrored within
        # it along its axis, and fitted there, if they then fit their shadows better. A shared
        # shadow's outer edges go to the fingers by their order along it (_centre()), so a fit
        # that starts with that order wrong (the fingers a few millimetres apart along the
        # axis, the order known only from steep oblique beams of the other axis) keeps it:
        # each finger is placed by the other's edge, and the families that say otherwise are
        # outvoted. Mirroring swaps the order and the outer edges each finger takes.
        nf = self.nf
        f = self.sh_f[s]
        n = 0
        cost = 0
        for i in range(self.n_sel):
            c = self.sel[i]
            if self.c_match[c * nf + f] != s + 1:
                continue
            if self.c_kind[c] != KIND_FINGER or n >= MAX_TOUCHES:
                return
            self.m_c[n] = c
            n += 1
        if n < 2:
            return
        lo = 1 << 29
        hi = -lo
        for i in range(n):
            c = self.m_c[i]
            v = self.c_x[c] if x_axis else self.c_y[c]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        if hi - lo >= _APART:
            return  # far enough apart along it for the other families to order them
        g = self.g
        axis = g.fam_axis[f]
        placed = 0  # fingers with a shadow of their own in an oblique family of the axis
        for i in range(n):
            c = self.m_c[i]
            for o in range(nf):
                t = self.c_match[c * nf + o]
                if t and g.fam_axis[o] == axis and g.fam_shift[o] and self.sh_sel[t - 1] == 1:
                    placed += 1
                    break
        if placed == n:
            return  # each placed along the axis by a shadow of its own there: in order
        for i in range(n):
            cost += self._cost(self.m_c[i])
        ends = self.sh_l[s] + self.sh_r[s]
        for i in range(n):
            c = self.m_c[i]
            self.m_x[i] = self.c_x[c]
            self.m_y[i] = self.c_y[c]
            if x_axis:
                self.c_x[c] = ends - self.c_x[c]
            else:
                self.c_y[c] = ends - self.c_y[c]
        for i in range(n):
            self._fit(self.m_c[i])
        mirrored = 0
        for i in range(n):
            mirrored += self._cost(self.m_c[i])
        if mirrored < cost:
            return
        for i in range(n):
            c = self.m_c[i]
            self.c_x[c] = self.m_x[i]
            self.c_y[c] = self.m_y[i]

    def refine(self):
        n_sel = 0
        for c in range(self.n_c):
            if self.c_ok[c] == 2:
                self.sel[n_sel] = c
                n_sel += 1
        self.n_sel = n_sel
        nf = self.nf
        match = self.c_match
        sh_sel = self.sh_sel
        for s in range(self.n_sh):
            sh_sel[s] = 0
        for i in range(n_sel):
            base = self.sel[i] * nf
            for f in range(nf):
                s = match[base + f]
                if s:
                    sh_sel[s - 1] += 1
        for c in range(self.n_c):
            if self.c_ok[c] == 2:
                self.c_d[c] = self._diameter(c)
        for _ in range(2):
            for c in range(self.n_c):
                if self.c_ok[c] != 2 or self.c_kind[c] != KIND_FINGER:
                    continue
                d = self.c_d[c]
                v = self._coordinate(c, d, True)
                if v >= 0:
                    self.c_x[c] = v
                v = self._coordinate(c, d, False)
                if v >= 0:
                    self.c_y[c] = v
        for _ in range(2):
            for i in range(n_sel):
                c = self.sel[i]
                if self.c_kind[c] == KIND_FINGER:
                    self._fit(c)
        for axis in range(2):
            f = self.g.straight[axis]
            for s in range(self.fam_sh0[f], self.fam_sh0[f] + self.fam_shn[f]):
                if sh_sel[s] > 1 and not self.sh_open[s]:
                    self._mirror(s, axis == AXIS_X)
        self.report()

    def report(self):
        """The selected touches into t_x, t_y, t_w, t_h, t_kind, t_solid (n_t of them)."""
        n_t = 0
        for c in range(self.n_c):
            if self.c_ok[c] == 2 and n_t < MAX_TOUCHES:
                self.t_x[n_t] = self.c_x[c]
                self.t_y[n_t] = self.c_y[c]
                sx = self.c_sx[c]
                sy = self.c_sy[c]
                if self.c_kind[c] == KIND_PALM:
                    self.t_w[n_t] = self.sh_r[sx] - self.sh_l[sx]
                    self.t_h[n_t] = self.sh_r[sy] - self.sh_l[sy]
                else:
                    self.t_w[n_t] = self.c_d[c]
                    self.t_h[n_t] = self.c_d[c]
                self.t_kind[n_t] = self.c_kind[c]
                p = self.sh_peak[sx]
                q = self.sh_peak[sy]
                if p < 0 or q < 0:
                    # one straight shadow a stand-in over unknown beams (_half_seen()): the
                    # other's darkness, negative (the tracker wants it in two scans in a row)
                    p = q if p < 0 else p
                    self.t_solid[n_t] = -p if p > 0 else 0
                else:
                    self.t_solid[n_t] = p if p < q else q
                n_t += 1
        self.n_t = n_t

    # --- 4. a finger hidden by the others ------------------------------------------------------

    def _reach(self, c, f):
        # How far touch c's shadow reaches on either side of its centre in family f, Q5.
        return self.c_d[c] * self.g.fam_sec[f] >> 11

    def _crowded(self, c):
        # Whether candidate c is closer to a selected touch than two fingers' centres can be.
        for i in range(self.n_sel):
            o = self.sel[i]
            dx = self.c_x[c] - self.c_x[o]
            dy = self.c_y[c] - self.c_y[o]
            if -_APART < dx < _APART and -_APART < dy < _APART:
                return True
        return False

    def _twin(self, c):
        # Whether candidate c lies in the very shadows of one selected touch in every family
        # that saw it: nothing tells it from that touch (families that resolve the place
        # poorly, e.g. steep oblique beams along the other axis, let it sit centimetres
        # away); it is that finger, not one more hidden by the others. A family that saw the
        # touch in no shadow (its beam there unknown, or none: the family ends before it)
        # tells them apart no more than one that saw both in the same shadow when that shadow
        # reaches over the touch's place or may go on unseen towards it (open on that side):
        # a finger under a sunlit part of the bar, or beyond an oblique family's end, was
        # else taken again at the shadow's other end.
        nf = self.nf
        g = self.g
        match = self.c_match
        for i in range(self.n_sel):
            o = self.sel[i]
            same = True
            for f in range(nf):
                s = match[c * nf + f]
                if not s:
                    continue
                m = match[o * nf + f]
                if m == s:
                    continue
                if m == 0 and self._over(s - 1, g.u(f, self.c_x[o], self.c_y[o])):
                    continue
                same = False
                break
            if same:
                return True
        return False

    def unexplained(self):
        # After refinement: a shadow that reaches _GAP beyond every selected touch inside it
        # holds one more finger (hidden by the others in every other family). Takes, of the
        # valid candidates whose own shadow reaches that end (within _GAP), the one the most
        # families saw in a shadow, then the one nearest the end: the hidden finger is in a
        # shadow of every family whose beams through it read, a place where the shadow
        # merely crosses other fingers' is in fewer (and the nearest of them may be a
        # millimetre nearer the end than the finger, by the edges' noise). Returns how many
        # were taken.
        g = self.g
        nf = self.nf
        match = self.c_match
        taken = 0
        for s in range(self.n_sh):
            f = self.sh_f[s]
            lo = 1 << 29
            hi = -lo
            palm = False
            for i in range(self.n_sel):
                c = self.sel[i]
                if match[c * nf + f] == s + 1:
                    if self.c_kind[c] == KIND_PALM:
                        palm = True
                    u = g.u(f, self.c_x[c], self.c_y[c])
                    r = self._reach(c, f)
                    if u - r < lo:
                        lo = u - r
                    if u + r > hi:
                        hi = u + r
            if hi < lo or palm:
                continue  # nothing selected in it, or a palm (whose shadow is no disc's)
            gap = _GAP * g.fam_sec[f] >> 10
            for side in range(2):
                if side == 0:
                    if self.sh_open[s] & 1 or self.sh_l[s] > lo - gap:
                        continue
                    end = self.sh_l[s]
                elif self.sh_open[s] & 2 or self.sh_r[s] < hi + gap:
                    continue
                else:
                    end = self.sh_r[s]
                best = -1
                best_e = gap
                best_seen = 0
                for c in range(self.n_c):
                    if self.c_ok[c] != 1 or match[c * nf + f] != s + 1:
                        continue
                    if self.ambiguous and (self.c_oblique[c] < _CONFIRM or self.c_vague[c]):
                        continue
                    u = g.u(f, self.c_x[c], self.c_y[c])
                    e = (u - (_DEFAULT_D * g.fam_sec[f] >> 11)) - end
                    if side:
                        e = end - (u + (_DEFAULT_D * g.fam_sec[f] >> 11))
                    if e < 0:
                        e = -e
                    if e >= gap:
                        continue
                    seen = self.c_seen[c]
                    if (seen > best_seen or (seen == best_seen and e < best_e)) and (
                        not self._crowded(c) and not self._twin(c)
                    ):
                        best = c
                        best_e = e
                        best_seen = seen
                if best >= 0 and self.n_sel < MAX_TOUCHES:
                    self._take(best)
                    self.sel[self.n_sel] = best
                    self.n_sel += 1
                    taken += 1
        return taken

    # --- all of it -----------------------------------------------------------------------------

    def begin(self, att, thr, t_us, report_us):
        """Inputs of a scan: the scanner's attenuations, thresholds and reading times (µs after
        the scan's start), and the report time the touches are placed at."""
        self.att = att
        self.thr = thr
        self.t_us = t_us
        self.report_us = report_us
        self.n_sh = 0

    def detect(self, px, py, vx, vy, n_pred):
        """Touches of one scan into t_x, t_y, t_w, t_h (Q5 mm), t_kind, n_t of them, given the
        tracked contacts' predicted positions at the report time and their velocities."""
        self.n_sh = 0
        self.shadows(0, self.nf)
        return self.resolve(px, py, vx, vy, n_pred)

    def resolve(self, px, py, vx, vy, n_pred):
        """detect() once every family's shadows are found (shadows(0, nf) after begin())."""
        self.align(px, py, vx, vy, n_pred)
        self.candidates()
        self.select(px, py, n_pred)
        self.refine()
        if self.unexplained():
            self.refine()
        if self.ambiguous and self.recheck():
            # The others stay where they were checked, the shadows they shared with the
            # fingers dropped still shared: a finger dropped as not confirmed may well be
            # there (fit again without it, one left alone in a shadow that both cast took
            # its middle, centimetres from either, and a ghost where it was not checked).
            self.report()
        return self.n_t

    def recheck(self):
        """After refinement, when the straight shadows could pair up more than one way: drop
        the fingers that a family refutes where they now are (a candidate from a split is
        checked where the split put it, and the fit may take it to where a family's clear
        beams say no finger is, or to the very edge of a shadow: _inside; or where a finger of
        its size would reach a clear beam beside one with no valid reading: _clear_beside),
        and those placed along an axis whose straight shadow says nothing of them only by
        other fingers' oblique shadows (_borrowed); each is judged against all the others
        selected (one dropped first no longer explains the shadows it shares with a ghost);
        returns how many were dropped."""
        dropped = 0
        self.slack = _EDGE_TOL
        self._bounds()
        for i in range(self.n_sel):
            c = self.sel[i]
            if self.c_kind[c] != KIND_FINGER:
                continue
            if (
                self._verify(c)
                and not self.c_vague[c]
                and self._inside(c)
                and not self._clear_beside(c)
                and not self._borrowed(c)
            ):
                self.c_ok[c] = 2
            else:
                self.c_ok[c] = 3  # dropped once every finger is checked (see _needs)
                dropped += 1
        for i in range(self.n_sel):
            c = self.sel[i]
            if self.c_ok[c] == 3:
                self.c_ok[c] = 0
        return dropped

    def _inside(self, c):
        # Whether finger c, where it now is, lies inside each shadow it is in as a finger
        # would: the smallest (_MIN_R) shadows every beam within its radius of its centre,
        # so its centre is that far inside each edge the family measured (half the shadow's
        # width at most: the edges of a faint one are measured short; not so for one open on a
        # side, running into unknown beams or the family's end, whose width is not measured:
        # a sliver of it there is the edge of a finger beyond), give or take _TOL (a place at
        # the very edge of another finger's shadow, where the shadows of other families
        # happen to cross, is no finger's).
        g = self.g
        nf = self.nf
        on = (self.c_d[c] >> 1) - _TOL  # how near a beam its centre covers it past its middle
        if on < _ON_BEAM:
            on = _ON_BEAM
        for f in range(nf):
            s = self.c_match[c * nf + f] - 1
            if s < 0:
                continue
            u = g.u(f, self.c_x[c], self.c_y[c])
            r = _MIN_R * g.fam_sec[f] >> 10
            half = (self.sh_r[s] - self.sh_l[s]) >> 1
            opened = self.sh_open[s]
            if half < r and not opened:
                r = half  # (a faint shadow measured narrower than any finger: its middle)
            r -= _TOL
            if (not opened & 1 and u < self.sh_l[s] + r) or (
                not opened & 2 and u > self.sh_r[s] - r
            ):
                return False
            # In a shadow open on a side (its edge there not measured: it reaches over unknown
            # beams or the family's end), the beam nearest its centre, within _ON_BEAM or a
            # finger of its size's radius less _TOL (as _clear_beside()), which it blocks at
            # least half of, is as dark as a shadow's deepest beam must be (_PEAK), or no
            # finger is there (the place lies at the faint edge of another finger's shadow,
            # or beside the unknown beams, next to a clear one).
            if not opened:
                continue
            pitch = g.fam_pitch[f]
            j = (u - g.fam_first[f] + pitch // 2) // pitch
            if 0 <= j < g.fam_len[f]:
                a = self.att[g.fam_start[f] + j]
                off = u - g.beam_u(f, j)
                reach = on * g.fam_sec[f] >> 10
                if a != UNKNOWN and a < _PEAK and -reach <= off <= reach:
                    return False
        return True

    def _clear_beside(self, c):
        # Whether finger c, where it now is and of the size refine() measured, would cover a
        # beam that reads clear beside one with no valid reading nearest its centre: _verify()
        # asks that of the smallest finger; a finger of its size reaches its radius (less
        # _TOL, at least _MIN_R) along each family's bar, and a beam that near is dimmed to
        # half its band or more (a place where oblique shadows of a finger not found cross on
        # another finger's straight shadow, the beams across it saturated, is no finger's).
        g = self.g
        r = (self.c_d[c] >> 1) - _TOL
        if r < _MIN_R:
            r = _MIN_R
        nf = self.nf
        for f in range(nf):
            if self.c_match[c * nf + f]:
                continue  # (seen in a shadow: _inside checks it against the shadow's edges)
            u = g.u(f, self.c_x[c], self.c_y[c])
            j = g.beam_at(f, u)
            if j >= 0 and self.att[g.fam_start[f] + j] == UNKNOWN and self._clear_near(f, j, u, r):
                return True
        return False

    def _borrowed(self, c):
        # Whether finger c is placed along an axis only by shadows that the other selected
        # touches explain, where its straight shadow on that axis says nothing of it: that
        # shadow reaches over unknown beams (that part of the bar saturated or failed), or
        # the other selected touches in it explain all of it (it reaches _GAP beyond none
        # of them). It must then be seen in oblique shadows that need it (reaching _GAP
        # beyond every other selected touch in them, as in unexplained()): beside unknown
        # beams, in _CONFIRM families that pin that coordinate; beside another finger's
        # straight shadow, in one family at least; with neither straight shadow its own, in
        # _CONFIRM families (one family's shadow is a line: it places no point) that pin each
        # coordinate: one that does alone, or two steep along it leaning either way. Else
        # nothing says a finger is there: the straight shadow of a finger whose own oblique
        # beams were saturated or out of reach (not confirmed, so dropped) was paired instead
        # with a place on another finger's straight shadow where that finger's, or others',
        # oblique shadows cross its line (a ghost). An oblique shadow that needs it counts
        # only where it fits in it (_fits, as wide as the narrowest shadow it has to itself):
        # where two oblique y shadows of a finger not found cross another finger's straight
        # x shadow near an edge of one of them (a finger there would reach beyond it), the
        # place is no finger's.
        nf = self.nf
        if self.single:
            return False  # (one straight shadow each way pair up one way only: as c_vague)
        g = self.g
        sx = self.c_sx[c]
        sy = self.c_sy[c]
        need_x = _CONFIRM if self.sh_unseen[sx] else 0  # families that pin x down
        need_y = _CONFIRM if self.sh_unseen[sy] else 0
        loose_x = need_x or not self._needs(c, g.straight[0], sx)
        loose_y = need_y or not self._needs(c, g.straight[1], sy)
        if not loose_x and not loose_y:
            return False
        d = self._narrowest(c)
        sharp_x = 0
        sharp_y = 0
        own = 0
        sides = 0  # bits: oblique x families either way (1, 2), oblique y families (4, 8)
        for f in range(nf):
            s = self.c_match[c * nf + f] - 1
            if s < 0 or not g.fam_shift[f] or self.sh_unseen[s] or not self._needs(c, f, s):
                continue
            if not self._fits(c, f, s, d):
                continue
            if (need_x or need_y) and self._elsewhere(c, f, s):
                continue
            own += 1
            if self.x_factor[f] <= _SHARP:
                sharp_x += 1
            if self.y_factor[f] <= _SHARP:
                sharp_y += 1
            sides |= (1 if g.fam_shift[f] > 0 else 2) << (0 if g.fam_axis[f] == AXIS_X else 2)
        if loose_x and loose_y:  # neither straight shadow its own
            # (two steep families leaning either way pin the coordinate along them too)
            pin_x = sharp_x >= (need_x or 1) or (not need_x and sides & 12 == 12)
            pin_y = sharp_y >= (need_y or 1) or (not need_y and sides & 3 == 3)
            return own < _CONFIRM or not pin_x or not pin_y
        if need_x or need_y:
            return sharp_x < need_x or sharp_y < need_y
        return own < 1

    def _elsewhere(self, c, f, s):
        # Whether oblique shadow s of family f, which places finger c along an axis whose
        # straight shadow at c reaches over unknown beams, may as well be the shadow of a
        # finger not found: one on a straight shadow of the other axis that no selected touch
        # is in, at the place where s's centre line crosses that shadow's middle, with the
        # straight beam of f's axis there unknown (saturated or failed: that finger's own
        # straight shadow along f's axis could not be seen, so it gave no candidate), and
        # every family agreeing with a finger there (_verify(), in the first free candidate
        # slot: none refutes it, and _CONFIRM oblique families see it in shadows). Oblique
        # shadows placing a point only along a line, such a shadow (two of them leaning the
        # same way stay within a finger's width of each other for centimetres) places c no
        # more than that finger: a finger at the glass' left edge in the sun, its straight y
        # beams saturated, paired with a place where two steep oblique y shadows of a finger
        # 8 cm away, its straight y beams saturated too, cross its x shadow (a ghost).
        g = self.g
        axis = g.fam_axis[f]
        fo = g.straight[1 - axis]  # the straight family of the other axis
        fs = g.straight[axis]
        own = self.c_sy[c] if axis == AXIS_X else self.c_sx[c]
        centre = (self.sh_l[s] + self.sh_r[s]) >> 1
        start = g.fam_start[fs]
        for t in range(self.fam_sh0[fo], self.fam_sh0[fo] + self.fam_shn[fo]):
            if t == own or self.sh_sel[t]:
                continue
            other = (self.sh_l[t] + self.sh_r[t]) >> 1
            if axis == AXIS_X:
                v = self.solve(f, centre, 0, other, True)
            else:
                v = self.solve(f, centre, other, 0, False)
            j = g.beam_at(fs, v)
            if j < 0 or self.att[start + j] != UNKNOWN:
                continue
            # a finger there is a candidate as any other: checked against every family
            e = self.n_c
            if e >= _MAX_CANDIDATES:
                return False
            self.c_kind[e] = KIND_FINGER
            if axis == AXIS_X:
                self.c_x[e] = v
                self.c_y[e] = other
            else:
                self.c_x[e] = other
                self.c_y[e] = v
            self.c_sx[e] = t if fo == g.straight[0] else self.c_sx[c]
            self.c_sy[e] = t if fo == g.straight[1] else self.c_sy[c]
            if self._verify(e) and self.c_oblique[e] >= _CONFIRM:
                return True
        return False

    def _fits(self, c, f, s, d):
        # Whether finger c, of diameter d (Q5 mm), lies inside shadow s of family f as it
        # would cast it: its centre its radius (less _TOL) inside each edge the family
        # measured. A disc's shadow is as wide in every family (times the family's secant):
        # one too narrow for the finger around its place is another, smaller finger's, which
        # it merely crosses.
        g = self.g
        r = (d * g.fam_sec[f] >> 11) - _TOL
        u = g.u(f, self.c_x[c], self.c_y[c])
        opened = self.sh_open[s]
        return (opened & 1 or u >= self.sh_l[s] + r) and (opened & 2 or u <= self.sh_r[s] - r)

    def _narrowest(self, c):
        # The narrowest closed shadow that finger c has to itself, across its beams (Q5 mm; at
        # least the smallest finger's): a finger is no wider than that (another finger beside
        # it only widens a shadow; a faint one's edges are measured short).
        g = self.g
        nf = self.nf
        d = 1 << 29
        for f in range(nf):
            s = self.c_match[c * nf + f] - 1
            if s < 0 or self.sh_open[s] or self.sh_sel[s] > 1:
                continue
            w = ((self.sh_r[s] - self.sh_l[s]) << 10) // g.fam_sec[f]
            if w < d:
                d = w
        return d if 2 * _MIN_R < d < (1 << 29) else 2 * _MIN_R

    def _over(self, s, u):
        # Whether shadow s reaches over coordinate u of its family or may go on unseen
        # towards it (open on that side): where a touch its family saw in no shadow (its beam
        # unknown, or beyond the family's end) is in s (_twin, _needs).
        opened = self.sh_open[s]
        return (opened & 1 or self.sh_lo[s] <= u) and (opened & 2 or u <= self.sh_hi[s])

    def _needs(self, c, f, s):
        # Whether shadow s of family f reaches _GAP beyond every selected touch in it but c
        # on a side whose edge the family measured (so that some finger besides them is there).
        # A touch the family saw in no shadow (no valid reading at it, or beyond the family's
        # end) is in s as in _twin(): where s reaches over its place or may go on unseen
        # towards it (a finger just beyond a family's end darkens its last beams: a shadow
        # open at that end, which is that finger's, not one more finger's).
        g = self.g
        nf = self.nf
        opened = self.sh_open[s]
        lo = 1 << 29
        hi = -lo
        for i in range(self.n_sel):
            o = self.sel[i]
            if o == c or self.c_ok[o] < 2:
                continue  # (c_ok 3: dropped by recheck(), which checks each against all)
            m = self.c_match[o * nf + f]
            if m != s + 1 and m:
                continue
            u = g.u(f, self.c_x[o], self.c_y[o])
            if not m and not self._over(s, u):
                continue
            r = self._reach(o, f)
            if u - r < lo:
                lo = u - r
            if u + r > hi:
                hi = u + r
        if hi < lo:
            return True  # its own
        gap = _GAP * g.fam_sec[f] >> 10
        return (not opened & 1 and self.sh_l[s] < lo - gap) or (
            not opened & 2 and self.sh_r[s] > hi + gap
        )


def _edge(a, b):
    """How far beyond its end beam's centre a shadow's edge lies, Q10 of the pitch, from the
    end beam's attenuation a and its outer neighbour's b (see the module comment)."""
    if a > 1024:
        a = 1024
    if b >= _PART and a > b:
        # the ramp reaches the neighbour too: it is wider than the pitch, and the two beams'
        # difference measures it (one pitch over a - b)
        ramp = (1024 << 10) // (a - b)
        if ramp > 2048:
            ramp = 2048
        return ramp * (a - 512) >> 10
    if a <= _FULL:
        return _RAMP * (a - 512) >> 10
    # nearly or wholly dark: from the ramp's end towards the middle of the gap
    at = _RAMP * (_FULL - 512) >> 10
    return at + (512 - at) * (a - _FULL) // (1024 - _FULL)
