# Touch diagnostics for the technicians' console: the beam map, one family's levels, the
# contacts on the glass, a selftest from fresh scans, and re-baselining the beams.
#
# Everything here answers a person, on request, so it allocates freely (strings, one scan's
# arrays); nothing of it runs on the scan loop. It reads what the touch pipeline keeps:
#   scanner.lit/dark  each beam's last ADC readings, lit and dark
#   scanner.base      each beam's clear level (lit - dark), Q3; scanner.noise its spread
#   scanner.last_att  each beam's attenuation at its last reading, Q10 (UNKNOWN: saturated or
#                     never read; an adaptive scan reads oblique beams only near shadows, and
#                     all of them once in a while)
#   scanner.state     FAILED bit per beam; scanner.failed / saturated: counts; blinded: axes
#   tracker           the contacts on the glass (id, x, y, extent in Q5 mm, kind)
#
# Beam map characters (one per beam, in beam order within a family):
#   .  clear (attenuated less than its threshold)    -  dimmed (up to 50%)    #  blocked
#   x  failed (excluded until it reads clear again)    !  saturated (strong light)
#   ?  no reading yet
# Map lines read `FAMILY START CHARS`: the family (axis and receiver offset, e.g. x+0 for the
# straight vertical beams, y-25 for an oblique family), the index of the first beam on the
# line within its family, then up to MAP_WIDTH characters.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

from vitrine_fw.link import Refused
from vitrine_fw.touch import blinded_names
from vitrine_fw.touch.plan import Readings
from vitrine_fw.touch.scan import FAILED, UNKNOWN

MAP_WIDTH = const(64)  # beams per map line
_HALF = const(512)  # attenuation of a half-blocked beam, Q10
_NAMES_LISTED = const(12)  # beams named in one list at most
_SELFTEST_SCANS = const(4)  # fresh scans the selftest averages
_MAP_CHARS = ".-#x!?"  # the map's characters, and the states they stand for:
_STATE_NAMES = ("clear", "dimmed", "blocked", "failed", "saturated", "no reading")


def family_name(g, f):
    """A family's name: axis and receiver offset, e.g. "x+0", "y-25"."""
    k = g.fam_k[f]
    return "%s%s%d" % ("xy"[g.fam_axis[f]], "-" if k < 0 else "+", abs(k))


def beam_name(g, b):
    """A beam's name: axis, emitter -> receiver, e.g. "x12->32"."""
    axis = "xy"[g.fam_axis[g.beam_family[b]]]
    return "%s%d->%d" % (axis, g.beam_emitter[b], g.beam_receiver[b])


def saturated(sc, b):
    """Whether the beam's receiver was (nearly) saturated at its last reading."""
    return sc.lit[b] >= sc.near or sc.dark[b] + (sc.base[b] >> 3) >= sc.near


def beam_char(sc, b):
    """The beam's character in the map (see the module comment)."""
    if sc.state[b] & FAILED:
        return "x"
    a = sc.last_att[b]
    if a == UNKNOWN:
        return "!" if saturated(sc, b) and sc.lit[b] else "?"
    if a >= _HALF:
        return "#"
    if a >= sc.thr[b]:
        return "-"
    return "."


def _names(g, beams):
    shown = " ".join([beam_name(g, b) for b in beams[:_NAMES_LISTED]])
    if len(beams) > _NAMES_LISTED:
        shown += " (+%d more)" % (len(beams) - _NAMES_LISTED)
    return shown


class TouchDiag:
    """Diagnostics of one running touch subsystem (vitrine_fw.touch.Touch)."""

    def __init__(self, touch):
        self.touch = touch
        self.pipe = touch.pipeline
        self.g = self.pipe.geometry

    def families(self):
        """Every family's name, in beam order."""
        return [family_name(self.g, f) for f in range(self.g.families)]

    def blocked(self):
        """Beams in a shadow in the last scan (failed ones not counted)."""
        sc = self.pipe.scanner
        n = 0
        for b in range(sc.n):
            a = sc.last_att[b]
            if a != UNKNOWN and a >= sc.thr[b] and not sc.state[b] & FAILED:
                n += 1
        return n

    def health(self):
        """One line: failed and saturated beams, and the blinded bars if any."""
        sc = self.pipe.scanner
        text = "%d beams in %d families: %d failed, %d saturated, %d blocked" % (
            sc.n,
            self.g.families,
            sc.failed,
            sc.saturated,
            self.blocked(),
        )
        if sc.blinded:
            text += "; %s bar blinded (its receivers saturated: strong light on them)" % (
                blinded_names(sc.blinded)
            )
        return text

    def beams(self, which):
        """`beams [straight|FAMILY]`: the map of every family (or of the straight ones), or
        the per-beam levels of one family."""
        g = self.g
        names = self.families()
        if which in names:
            return self.levels(names.index(which))
        if which not in ("", "straight"):
            raise Refused("beams: no family %r; allowed: straight, %s" % (which, ", ".join(names)))
        sc = self.pipe.scanner
        lines = [
            self.health(),
            "map: . clear  - dimmed  # blocked  x failed  ! saturated  ? no reading",
        ]
        fams = range(g.families) if which == "" else g.straight
        for f in fams:
            start = g.fam_start[f]
            name = names[f]
            j = 0
            while j < g.fam_len[f]:
                end = min(j + MAP_WIDTH, g.fam_len[f])
                chars = "".join([beam_char(sc, start + i) for i in range(j, end)])
                lines.append("%-5s %4d %s" % (name, j, chars))
                j = end
        failed = [b for b in range(sc.n) if sc.state[b] & FAILED]
        if failed:
            lines.append("failed: " + _names(g, failed))
        return "\n".join(lines)

    def levels(self, f):
        """One family's readings, a line per beam."""
        g = self.g
        sc = self.pipe.scanner
        lines = [
            "%s: %d beams; lit and dark: ADC counts; base: clear level (lit - dark); att: %%"
            % (family_name(g, f), g.fam_len[f]),
            "   #  beam          lit   dark   base  noise   att  state",
        ]
        for j in range(g.fam_len[f]):
            b = g.fam_start[f] + j
            a = sc.last_att[b]
            att = "   -" if a == UNKNOWN else "%4d" % (a * 100 // 1024)
            state = _STATE_NAMES[_MAP_CHARS.index(beam_char(sc, b))]
            lines.append(
                "%4d  %-10s %6d %6d %6d %6d  %s  %s"
                % (
                    j,
                    beam_name(g, b),
                    sc.lit[b],
                    sc.dark[b],
                    sc.base[b] >> 3,
                    sc.noise[b] >> 3,
                    att,
                    state,
                )
            )
        return "\n".join(lines)

    def touches(self):
        """The contacts on the glass now: id, position, size in mm, and kind."""
        tr = self.pipe.tracker
        lines = []
        for i in range(len(tr.id)):
            if tr.id[i] >= 0 and tr.shown[i]:
                lines.append(
                    "#%d  x %.2f mm  y %.2f mm  %.1f x %.1f mm  %s"
                    % (
                        tr.id[i],
                        tr.x[i] / 32,
                        tr.y[i] / 32,
                        tr.w[i] / 32,
                        tr.h[i] / 32,
                        "palm" if tr.kind[i] else "finger",
                    )
                )
        if not lines:
            return "no contacts on the glass"
        return "%d contact%s:\n" % (len(lines), "" if len(lines) == 1 else "s") + "\n".join(lines)

    def selftest(self):
        """Emitters and receivers from _SELFTEST_SCANS fresh scans, each beam's readings
        averaged: (passed, text). Every beam must read lit above the dead level and below
        saturation; an emitter (receiver) whose every beam is dark is dead. Anything on the
        glass darkens beams too, so the glass must be clear. (One scan is not enough: a dead
        emitter's beam reads lit - dark = the receiver's noise, which passes the dead level
        now and then on a noisy bar.)"""
        g = self.g
        n = g.beams
        pipe = self.pipe
        sc = pipe.scanner
        on = array("I", bytes(4 * n))
        off = array("I", bytes(4 * n))
        fresh = Readings(n)
        if pipe.ahead:  # the hardware is busy with the next scan's first pass: let it end
            pipe.hw.finish(pipe.first, fresh)
            pipe.ahead = False
        for _ in range(_SELFTEST_SCANS):
            fresh.clear()
            pipe.hw.start(pipe.full)
            pipe.hw.finish(pipe.full, fresh)
            for i in range(fresh.n):
                on[fresh.beam[i]] += fresh.lit[i]
                off[fresh.beam[i]] += fresh.dark[i]
        for b in range(n):
            on[b] //= _SELFTEST_SCANS
            off[b] //= _SELFTEST_SCANS
        dead = sc.dead
        dark = []
        saturated = []
        # Per axis and index: beams of each emitter and receiver, and how many read dark.
        e_all = [[0] * c for c in g.counts]
        e_dark = [[0] * c for c in g.counts]
        r_all = [[0] * c for c in g.counts]
        r_dark = [[0] * c for c in g.counts]
        for b in range(n):
            axis = g.fam_axis[g.beam_family[b]]
            e = g.beam_emitter[b]
            r = g.beam_receiver[b]
            e_all[axis][e] += 1
            r_all[axis][r] += 1
            if on[b] >= sc.near:
                saturated.append(b)
            elif on[b] - off[b] < dead:
                dark.append(b)
                e_dark[axis][e] += 1
                r_dark[axis][r] += 1
        dead_e = []
        dead_r = []
        for axis in range(2):
            a = "xy"[axis]
            for i in range(g.counts[axis]):
                if e_all[axis][i] and e_dark[axis][i] == e_all[axis][i]:
                    dead_e.append("%s%d" % (a, i))
                if r_all[axis][i] and r_dark[axis][i] == r_all[axis][i]:
                    dead_r.append("%s%d" % (a, i))
        if not dark and not saturated:
            return True, "PASS: all %d beams lit (%d fresh scans)" % (n, _SELFTEST_SCANS)
        lines = [
            "FAIL: %d of %d beams dark, %d saturated (%d fresh scans)"
            % (len(dark), n, len(saturated), _SELFTEST_SCANS)
        ]
        if dead_e:
            lines.append("  dead emitters: " + " ".join(dead_e))
        if dead_r:
            lines.append("  dead receivers: " + " ".join(dead_r))
        if dark:
            lines.append("  dark beams: " + _names(g, dark))
        if saturated:
            lines.append(
                "  saturated beams (strong light on the receivers): " + _names(g, saturated)
            )
        if self.pipe.tracker.active:
            lines.append("  (something touches the glass: clear it and run the selftest again)")
        return False, "\n".join(lines)

    def calibrate(self):
        """Take the beams' baselines afresh (what the touch task does at start); refused while
        anything touches the glass, which would become part of the baseline."""
        active = self.pipe.tracker.active
        if active:
            raise Refused(
                "calibrate: %d contact%s on the glass; lift every finger and try again"
                % (active, "" if active == 1 else "s")
            )
        sc = self.pipe.scanner
        self.touch.restart()
        text = "calibrated: %d beams re-baselined from a fresh average" % sc.n
        if sc.failed:
            failed = [b for b in range(sc.n) if sc.state[b] & FAILED]
            text += "; %d failed (dark): %s" % (sc.failed, _names(self.g, failed))
        return text

    def record(self, scans):
        """`beams --record N`: have the touch task record a capture (vitrine_fw.touch.record);
        refused while anything touches the glass (the capture's first scans must show it
        clear). The answer's last line is `frame ` and the frame as JSON, for the host."""
        import json

        from vitrine_fw.touch.scan import START_SCANS

        active = self.pipe.tracker.active
        if active:
            raise Refused(
                "beams --record: %d contact%s on the glass; lift every finger and try again"
                % (active, "" if active == 1 else "s")
            )
        self.touch.record(scans)
        return (
            "recording %d scans after %d with nothing on the glass (keep it clear until "
            "they are done): %d scans as TOUCH_RAW\nframe %s"
            % (scans, START_SCANS, scans + START_SCANS, json.dumps(self.touch.frame))
        )
