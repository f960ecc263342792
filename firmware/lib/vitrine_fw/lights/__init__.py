# The lighting subsystem: the fitting room's strips, all showing one light (protocol.md §11).
#
# Two ways to ask for a light:
# - LIGHT_SCENE: a colour temperature in kelvin, a perceptual brightness and an amber tint.
#   The fade moves the temperature linearly in mireds, the brightness linearly on the CIE
#   lightness scale (both in fixed point, so a slow fade has thousands of steps), the amber
#   linearly. Each strip makes the light its way (colour.py): an RGB(W) strip the black body's
#   linear colour, the tint, and its white LED for as much of the colour as it holds; a warm
#   and cool white strip the mix of its two whites in mireds (a temperature beyond them is the
#   nearer one, and LIGHT_STATE says so: clamped). Addressable strips dither the fraction.
# - LIGHT_SET: raw r, g, b, w and brightness for the colour strips, as before (fade.py); a
#   warm/cool strip shows the colour's brightness (its brightest channel's) at the middle of
#   its two whites, so a raw fade grows on every strip alike.
#
# The current budget, first when a fade begins: when its target would draw more than the budget
# allows (the supply's rating less what dithering may add), its brightness is lowered until it
# fits (the colour stays; LIGHT_STATE says limited), so the fade runs between two lights within
# the budget. Such a fade must still move one way: a colour that looks brighter at the same
# current (a cool white's green) can make the light rise at first and then fall to the dimmed
# end, so the end is lowered further until each addressable strip's luminance (Rec. 709's
# weights of its LEDs' light) moves one way along the fade's path.
#
# Then every step (_STEP_MS: 100 a second) while a fade runs, or while a dim scene needs
# dithering: the light of every strip, then the current budget again, as a safety net for the
# way between the two (a fade that brightens while its colour moves toward one that draws more
# can pass the budget between its ends): what the strips would draw (each channel's
# light times its current at full) plus what dithering may add; when over the budget every
# channel is scaled down together (the light dims, its colour stays), so the board never asks
# the supply for more than it gives (no brown-out); then the strips are written, those whose
# current falls first, so that between two frames the draw never passes the larger of them.
#
# The safe scene: when the host link has been down for safe_after_ms (since boot, or since it
# was lost), the lights fade to the safe scene, so a fitting room is never left dark or in a
# party colour while the host is away; the host's next command ends it.
#
# LIGHT_STATE tells the host what the strips show: when a fade starts, every _STATE_MS while
# it runs, when it ends, when the budget or the safe scene changes things, and after every
# handshake. A step allocates nothing (its payloads are preallocated).

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct

from vitrine_fw import wire
from vitrine_fw.lights import colour
from vitrine_fw.lights.fade import BRIGHTNESS, Fade
from vitrine_fw.lights.strips import CCT, build
from vitrine_fw.link import Refused

STEP_MS = const(10)  # one fade step: 100 a second
_STATE_MS = const(200)  # LIGHT_STATE while a fade runs
_SAFE_FADE_MS = const(2000)
_SCALE_ONE = const(1024)  # the budget's scale factor, 10-bit fixed point
_RAW = const(0)
_SCENE = const(1)
_PATH = const(16)  # the steps a scene fade's way is looked at for the budget
_Y_R = const(218)  # Rec. 709's luminance weights of linear r, g, b, 10-bit fixed point
_Y_G = const(732)
_Y_B = const(74)


def _highest(holds, lo, hi):
    """The highest b in lo..hi for which holds(b), given holds(lo) (a bisection: holds is
    true up to some b and false above it)."""
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if holds(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


class SceneFade:
    """A scene fade: mireds (12.4 fixed point), brightness (8.8) and amber (8.8), each linear in
    time from where the light was to the target."""

    def __init__(self, clock):
        self.clock = clock
        self.now = [0, 0, 0]  # m16, brightness 8.8, amber 8.8
        self.start = [0, 0, 0]
        self.target = [0, 0, 0]
        self.t0 = 0
        self.duration_ms = 0
        self.running = False

    def begin(self, m16, b88, a88, fade_ms):
        for i in range(3):
            self.start[i] = self.now[i]
        self.target[0] = m16
        self.target[1] = b88
        self.target[2] = a88
        self.t0 = self.clock.ticks_ms()
        self.duration_ms = fade_ms
        self.running = True

    def step(self):
        """Move to where the fade is now; True when it moved. Allocates nothing."""
        if not self.running:
            return False
        clock = self.clock
        elapsed = clock.ticks_diff(clock.ticks_ms(), self.t0)
        duration = self.duration_ms
        if elapsed >= duration or duration <= 0:
            for i in range(3):
                self.now[i] = self.target[i]
            self.running = False
            return True
        if elapsed < 0:
            elapsed = 0
        for i in range(3):
            s = self.start[i]
            # at most 65280 * 10000: below 2**30, a small int on every port
            self.now[i] = s + (self.target[i] - s) * elapsed // duration
        return True

    def remaining_ms(self):
        if not self.running:
            return 0
        left = self.duration_ms - self.clock.ticks_diff(self.clock.ticks_ms(), self.t0)
        return left if left > 0 else 0


class Lights:
    """The supervisor's lighting task and its commands (see the module comment)."""

    def __init__(self, board, cfg, link):
        self.link = link
        self.clock = board.clock
        lighting = cfg.get("lighting") or {}
        self.budget_ma = lighting.get("budget_ma", 0)  # 0: none given
        self.safe = (
            lighting.get("safe_kelvin", 4000),
            lighting.get("safe_brightness", 180),
            lighting.get("safe_after_ms", 30000),
        )
        self.fade = Fade(board.clock)  # LIGHT_SET's channels
        self.scene = SceneFade(board.clock)
        self.mode = _RAW
        self.strips = []  # the drivers that could be set up
        self.names = []
        self.problems = []
        specs = cfg.get("strips", [])
        if not specs:
            self.problems.append("no LED strips in config.json (the board description names none)")
        for spec in specs:
            try:
                strip = build(board, _with_defaults(spec))
            except Exception as err:  # the board stays up on the link to say so
                self.problems.append("strip %s: %r" % (_spec_name(spec), err))
                continue
            self.strips.append(strip)
            self.names.append(strip.name)
        # what dithering may add (a whole step on every channel), kept out of the budget
        self.margin_ma = 0
        for strip in self.strips:
            self.margin_ma += strip.channels * (strip.channel_ma // 255 + 1)
        self.flags = 0
        self.current_ma = 0
        self.scale = _SCALE_ONE
        self.fitted = False  # the last fade's target was dimmed to fit the budget
        self.path_ma = [0] * _PATH  # _fit_scene's: the draw at full light along the way
        self.lost_ms = self.clock.ticks_ms()  # the host has not been seen yet
        self.safe_on = False
        self.state_ms = 0
        self.kelvin = 0
        self.rgb = bytearray(3)
        self.out = bytearray(4)
        self.mid_m16 = 0
        self._state = bytearray(10 + 3 * len(self.strips))
        self._done = bytearray(len(self.strips))  # _latch's: written in its first pass
        # _fit_scene's: each addressable strip's luminance at full light at the light shown and
        # along the way (index 0: now), and each white LED's own luminance
        self.path_y = []
        self.white_y = []
        for strip in self.strips:
            if strip.kind != CCT:
                self.path_y.append([0] * (_PATH + 1))
                w = strip.white
                self.white_y.append((_Y_R * w[0] + _Y_G * w[1] + _Y_B * w[2]) >> 8)
        link.on(wire.LIGHT_SET, self.light_set)
        link.on(wire.LIGHT_SCENE, self.light_scene)
        link.on_up(self.send_state)

    # --- the commands -------------------------------------------------------------------------

    def light_set(self, values):
        """LIGHT_SET(r, g, b, w, brightness, fade_ms): start the fade; the ACK carries nothing."""
        self.start(values[0], values[1], values[2], values[3], values[4], values[5])

    def start(self, r, g, b, w, brightness, fade_ms):
        """Fade to this colour; raises Refused when it cannot be shown."""
        self._check(fade_ms)
        if self.mode == _SCENE:  # the raw fade starts from the scene's colour
            self._scene_channels(self.fade.shown)
        self.mode = _RAW
        self.safe_on = False
        brightness = self._fit_raw(r, g, b, w, brightness)
        self.fade.begin(r, g, b, w, brightness, fade_ms)
        self._state_now()

    def light_scene(self, values):
        """LIGHT_SCENE(kelvin, brightness, amber, fade_ms)."""
        self.start_scene(values[0], values[1], values[2], values[3])

    def start_scene(self, kelvin, brightness, amber, fade_ms, safe=False):
        """Fade to a colour temperature, brightness and amber tint; raises Refused when it
        cannot be shown."""
        if not wire.LIGHT_MIN_KELVIN <= kelvin <= wire.LIGHT_MAX_KELVIN:
            raise Refused(
                "kelvin=%d, allowed %d..%d" % (kelvin, wire.LIGHT_MIN_KELVIN, wire.LIGHT_MAX_KELVIN)
            )
        self._check(fade_ms)
        m16 = colour.mired(kelvin) * 16
        if self.mode == _RAW:  # from a raw colour: its brightness, the new colour at once
            sc = self.scene
            sc.now[0] = m16
            sc.now[1] = self.fade.shown[BRIGHTNESS] << 8
            sc.now[2] = amber << 8
        self.mode = _SCENE
        self.safe_on = safe
        self.kelvin = kelvin
        b88 = self._fit_scene(m16, brightness << 8, amber << 8)
        self.scene.begin(m16, b88, amber << 8, fade_ms)
        self._state_now()

    def _check(self, fade_ms):
        if fade_ms > wire.LIGHT_MAX_FADE_MS:
            raise Refused("fade_ms=%d, allowed 0..%d" % (fade_ms, wire.LIGHT_MAX_FADE_MS))
        if not self.strips:
            raise Refused("no LED strip to light: " + "; ".join(self.problems))

    # --- the budget at a fade's start --------------------------------------------------------

    def _full_ma(self, m16, amber):
        """What every strip would draw (mA) showing this colour at full light."""
        rgb = self.rgb
        out = self.out
        full_ma = 0
        for strip in self.strips:
            if strip.kind == CCT:
                full_ma += strip.channel_ma  # its warm and cool together make the light
                continue
            colour.blackbody(m16, rgb)
            colour.tint(rgb, amber)
            if strip.channels == 4:
                colour.split_white(rgb, strip.white, out)
                for c in range(4):
                    full_ma += out[c] * strip.channel_ma // 255
            else:
                for c in range(3):
                    full_ma += rgb[c] * strip.channel_ma // 255
        return full_ma

    def _allowed(self, full_ma):
        """The light (0..colour.FULL) the budget allows when the whole light at full would
        draw full_ma."""
        avail = self.budget_ma - self.margin_ma
        if not self.budget_ma or full_ma <= avail:
            return colour.FULL
        if avail <= 0:
            return 0
        # in 12-bit steps: every product stays a small int on a board
        return colour.FULL * ((avail << 12) // full_ma) >> 12

    def _fit_scene(self, m16, b88, a88):
        """The brightness (8.8) a scene fade can end at within the budget, all the way from
        the light shown now: b88, or lower; when lowered, low enough that each strip's
        luminance moves one way. The way is looked at in _PATH steps (a fade's colour can draw
        more between its ends than at either)."""
        sc = self.scene.now
        full = self.path_ma
        for k in range(_PATH):
            t = k + 1
            m = sc[0] + (m16 - sc[0]) * t // _PATH
            a = sc[2] + (a88 - sc[2]) * t // _PATH
            full[k] = self._full_ma(m, a >> 8)
        self.fitted = not self._fits(b88)
        if not self.fitted:
            return b88
        # the brightest end whose whole way fits (a darker end only lowers the way)
        end = _highest(self._fits, 0, b88)
        for k in range(_PATH + 1):
            m = sc[0] + (m16 - sc[0]) * k // _PATH
            a = sc[2] + (a88 - sc[2]) * k // _PATH
            self._luminance(m, a >> 8, k)
        steady = self._budget_and_steady
        if steady(end):
            return end
        # a little darker still, so that the light moves one way (a few per cent does it);
        # never below three quarters of the budget's end (then the fade keeps that end)
        floor = end * 3 >> 2
        if not steady(floor):
            return end
        return _highest(steady, floor, end)

    def _luminance(self, m16, amber, k):
        """Each addressable strip's luminance at full light showing this colour, into
        path_y[strip][k] (linear r, g, b weighted, 8-bit fixed point)."""
        rgb = self.rgb
        out = self.out
        i = 0
        for strip in self.strips:
            if strip.kind == CCT:
                continue  # its luminance is its brightness: its two whites are alike
            colour.blackbody(m16, rgb)
            colour.tint(rgb, amber)
            if strip.channels == 4:
                colour.split_white(rgb, strip.white, out)
                y = _Y_R * out[0] + _Y_G * out[1] + _Y_B * out[2] + self.white_y[i] * out[3]
            else:
                y = _Y_R * rgb[0] + _Y_G * rgb[1] + _Y_B * rgb[2]
            self.path_y[i][k] = y >> 4
            i += 1

    def _budget_and_steady(self, b88):
        """Whether a scene fade to brightness b88 fits the budget and each strip's luminance
        moves one way along it (path_y holds each step's luminance at full light)."""
        if not self._fits(b88):
            return False
        b0 = self.scene.now[1]
        for path in self.path_y:
            first = (colour.light(b0) >> 4) * path[0]
            last = (colour.light(b88) >> 4) * path[_PATH]
            up = last >= first
            before = first
            for k in range(1, _PATH + 1):
                y = (colour.light(b0 + (b88 - b0) * k // _PATH) >> 4) * path[k]
                if (y < before) if up else (y > before):
                    return False
                before = y
        return True

    def _fits(self, b88):
        """Whether a scene fade from the light shown to brightness b88 stays within the budget
        at each of its _PATH steps (path_ma holds each step's draw at full light)."""
        if not self.budget_ma:
            return True
        avail = (self.budget_ma - self.margin_ma) * (colour.FULL >> 4)
        b0 = self.scene.now[1]
        for k in range(_PATH):
            b = b0 + (b88 - b0) * (k + 1) // _PATH
            if (colour.light(b) >> 4) * self.path_ma[k] > avail:
                return False
        return True

    def _fit_raw(self, r, g, b, w, brightness):
        """The brightness LIGHT_SET's colour can have within the budget."""
        top = r if r > g else g
        top = top if top > b else b
        top = top if top > w else w
        full_ma = 0
        for strip in self.strips:
            if strip.kind == CCT:
                full_ma += top * strip.channel_ma // 255
            elif strip.channels == 4:
                full_ma += (r + g + b + w) * strip.channel_ma // 255
            else:  # the white folded into each colour (at most: each is capped at 255)
                full_ma += (r + g + b + 3 * w) * strip.channel_ma // 255
        allowed = self._allowed(full_ma)
        levels = colour.LEVELS16
        self.fitted = levels[brightness] > allowed
        while brightness and levels[brightness] > allowed:
            brightness -= 1
        return brightness

    def _state_now(self):
        self.state_ms = self.clock.ticks_add(self.clock.ticks_ms(), -_STATE_MS)

    # --- the task -------------------------------------------------------------------------------

    def begin(self):
        """The task's start: say what is wrong, and show the light (dark after a reset)."""
        for problem in self.problems:
            self.link.log(wire.LOG_ERROR, "lighting", problem)
        self.fade.pixels()
        self._raw_values()
        self._write()

    def tick(self):
        """One step: the safe scene's watch, the fade, the budget, the strips; True when the
        strips were written. Allocates nothing."""
        clock = self.clock
        now = clock.ticks_ms()
        if self.link.host_up:
            self.lost_ms = now
        elif not self.safe_on and clock.ticks_diff(now, self.lost_ms) >= self.safe[2]:
            self.start_scene(self.safe[0], self.safe[1], 0, _SAFE_FADE_MS, True)
        if self.mode == _SCENE:
            moved = self.scene.step()
            running = self.scene.running
            if moved:
                self._scene_values()
            elif not self._dithering():
                return False
        else:
            moved = self.fade.step()
            running = self.fade.running
            if not moved:
                return False
            self._raw_values()
        self._write(moved)
        if moved and (not running or clock.ticks_diff(now, self.state_ms) >= _STATE_MS):
            self.state_ms = now
            self.send_state()
        return True

    def _dithering(self):
        for strip in self.strips:  # noqa: SIM110 - any() of a generator allocates on a board
            if strip.dithered():
                return True
        return False

    def _scene_values(self):
        """Every strip's light for the scene shown now (8.8 per channel)."""
        sc = self.scene.now
        m16 = sc[0]
        level = colour.light(sc[1])
        amber = sc[2] >> 8
        rgb = self.rgb
        out = self.out
        flags = 0
        for strip in self.strips:
            v = strip.value
            if strip.kind == CCT:
                share = colour.cct_share(m16, strip.warm_m16, strip.cool_m16) >> 6
                warm = level * share // 1023
                v[0] = warm
                v[1] = level - warm
                if amber or colour.clamped(m16, strip.warm_m16, strip.cool_m16):
                    flags |= wire.LIGHT_CLAMPED
                continue
            colour.blackbody(m16, rgb)
            colour.tint(rgb, amber)
            if strip.channels == 4:
                colour.split_white(rgb, strip.white, out)
                for c in range(4):
                    v[c] = out[c] * level // 255
            else:
                for c in range(3):
                    v[c] = rgb[c] * level // 255
        self.flags = flags

    def _raw_values(self):
        """Every strip's light for LIGHT_SET's channels shown now."""
        fade = self.fade
        level = colour.LEVELS16[fade.shown[BRIGHTNESS]]
        top = 0  # the colour's brightest channel
        for c in range(4):
            if fade.shown[c] > top:
                top = fade.shown[c]
        white = level * top // 255
        for strip in self.strips:
            v = strip.value
            if strip.kind == CCT:
                half = white >> 1  # the middle of its two whites
                v[0] = half
                v[1] = white - half
                continue
            px = fade.rgbw if strip.channels == 4 else fade.rgb
            for c in range(strip.channels):
                v[c] = px[c] << 8
        self.flags = 0

    def _write(self, fresh=True):
        """Hold the strips within the budget, then latch them (fresh: the light was computed
        anew; otherwise it is the last one, already within the budget, dithered on)."""
        if not fresh:
            self._latch()
            return
        total = 0
        for strip in self.strips:
            v = strip.value
            for c in range(strip.channels):
                total += v[c] * strip.channel_ma // colour.FULL
        budget = self.budget_ma - self.margin_ma
        scale = _SCALE_ONE
        if self.budget_ma and total > budget:
            scale = budget * _SCALE_ONE // total if budget > 0 else 0
        if scale < _SCALE_ONE:
            for strip in self.strips:
                v = strip.value
                for c in range(strip.channels):
                    v[c] = v[c] * scale >> 10
        if scale < _SCALE_ONE or self.fitted:
            self.flags |= wire.LIGHT_LIMITED
        if (scale < _SCALE_ONE) != (self.scale < _SCALE_ONE):
            self._state_now()  # the limit came or went: say so at once
        self.scale = scale
        self._latch()

    def _latch(self):
        # the strips whose draw falls first: each write then moves the sum toward the new frame
        strips = self.strips
        done = self._done
        for i in range(len(strips)):
            strip = strips[i]
            done[i] = 0
            if strip.next_ma() <= strip.current_ma():
                strip.show()
                done[i] = 1
        drawn = 0
        for i in range(len(strips)):
            strip = strips[i]
            if not done[i]:
                strip.show()
            drawn += strip.current_ma()
        self.current_ma = drawn

    def _scene_channels(self, channels):
        """The raw channels closest to the scene shown (a raw fade starts from them)."""
        sc = self.scene.now
        colour.blackbody(sc[0], self.rgb)
        colour.tint(self.rgb, sc[2] >> 8)
        for c in range(3):
            channels[c] = self.rgb[c]
        channels[3] = 0
        channels[BRIGHTNESS] = sc[1] >> 8

    async def run(self, alive):
        clock = self.clock
        self.begin()
        while True:
            t0 = clock.ticks_ms()
            self.tick()
            alive()
            # the rest of the step, in whole ms: a sleep in seconds would allocate its float
            spent = clock.ticks_diff(clock.ticks_ms(), t0)
            await clock.sleep_ms(STEP_MS - spent if spent < STEP_MS else 0)

    # --- LIGHT_STATE ------------------------------------------------------------------------

    def send_state(self):
        """LIGHT_STATE now. Allocates nothing."""
        buf = self._state
        if self.mode == _SCENE:
            sc = self.scene.now
            # the scene's own figure once there (mireds round it); on the way, the mireds'
            kelvin = colour.kelvin_of(sc[0] >> 4) if self.scene.running else self.kelvin
            brightness = sc[1] >> 8
            amber = sc[2] >> 8
            fading = self.scene.running
        else:
            kelvin = 0
            brightness = self.fade.shown[BRIGHTNESS]
            amber = 0
            fading = self.fade.running
        flags = self.flags
        if fading:
            flags |= wire.LIGHT_FADING
        if self.safe_on:
            flags |= wire.LIGHT_SAFE
        if self.scale < _SCALE_ONE or self.fitted:
            flags |= wire.LIGHT_LIMITED
        current = self.current_ma if self.current_ma < 0xFFFF else 0xFFFF
        budget = self.budget_ma if self.budget_ma < 0xFFFF else 0xFFFF
        n = len(self.strips)
        struct.pack_into(
            "<HBBBHHB", buf, 0, kelvin, brightness, amber, flags, current, budget, 3 * n
        )
        for i in range(n):
            self.strips[i].shown(buf, 10 + 3 * i)
        self.link.send(wire.LIGHT_STATE, buf, 10 + 3 * n)

    # --- the console's hooks (vitrine_fw.console) -------------------------------------------

    def describe(self):
        """The light shown, the fade running, the budget and the strips, for `light`."""
        if self.mode == _SCENE:
            sc = self.scene.now
            lines = [
                "now: %d K, brightness %d, amber %d"
                % (colour.kelvin_of(sc[0] >> 4), sc[1] >> 8, sc[2] >> 8)
            ]
            running, left, total = (
                self.scene.running,
                self.scene.remaining_ms(),
                self.scene.duration_ms,
            )
            target = "%d K" % self.kelvin
        else:
            lines = ["now: " + _colour(self.fade.shown)]
            running, left, total = (
                self.fade.running,
                self.fade.remaining_ms(),
                self.fade.duration_ms,
            )
            target = _colour(self.fade.target)
        if running:
            lines.append("fading to %s: %d of %d ms left" % (target, left, total))
        else:
            lines.append("no fade running")
        budget = "%d mA" % self.budget_ma if self.budget_ma else "none"
        lines.append(
            "drawing %d mA of a %s budget%s%s"
            % (
                self.current_ma,
                budget,
                " (dimmed to stay within it)" if self.scale < _SCALE_ONE or self.fitted else "",
                "; the safe scene (no host)" if self.safe_on else "",
            )
        )
        if self.names:
            lines.append("strips: " + "; ".join(self.names))
        for problem in self.problems:
            lines.append("problem: " + problem)
        return "\n".join(lines)

    def set_colour(self, r, g, b, w, brightness, fade_ms):
        """The console's `light R G B [W] [BRIGHTNESS] --yes`."""
        self.start(r, g, b, w, brightness, fade_ms)
        self.link.log(
            wire.LOG_INFO, "lighting", "console: fading to %s" % _colour(self.fade.target)
        )
        return "fading to %s over %d ms" % (_colour(self.fade.target), fade_ms)

    def selftest(self):
        """(passed, text): every strip in the config could be set up (the LEDs themselves
        cannot be read back)."""
        if self.problems:
            return False, "FAIL: " + "; ".join(self.problems)
        return True, "PASS: %d strip%s set up (%s)" % (
            len(self.strips),
            "" if len(self.strips) == 1 else "s",
            "; ".join(self.names),
        )


def _with_defaults(spec):
    # Strips from an older config.json (or a test's): a colour strip of LEDs drawing 60 mA at
    # full white, with a 4500 K white LED.
    if "led_ma" in spec:
        return spec
    out = dict(spec)
    out["led_ma"] = 60
    return out


def _spec_name(spec):
    if spec.get("kind") == "cct":
        return "warm/cool on GPIO %r/%r" % (spec.get("warm"), spec.get("cool"))
    return "%s on GPIO %d, %d pixels" % (spec["order"], spec["pin"], spec["pixels"])


def _colour(channels):
    return "r %d g %d b %d w %d, brightness %d" % (
        channels[0],
        channels[1],
        channels[2],
        channels[3],
        channels[BRIGHTNESS],
    )
