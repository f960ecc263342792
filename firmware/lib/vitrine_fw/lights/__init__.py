# The lighting subsystem: the fitting room's LED strips, all showing one colour. LIGHT_SET
# (protocol.md §10) is checked and acknowledged at once; the task then fades every strip from
# the colour it shows to the new one, about 50 steps a second (fade.py does the arithmetic).
#
# The board seam: board.led_strip(pin, count, order) returns a strip driver with fill(pixel)
# and write(); the pixel is a bytearray of len(order) values in r, g, b(, w) order, and the
# driver puts them on the wire in the strip's own colour order. The strips come from
# config.json's "strips" (pin, pixels, order), made from the board's description.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from vitrine_fw import wire
from vitrine_fw.lights.fade import BRIGHTNESS, Fade
from vitrine_fw.link import Refused

STEP_MS = const(20)  # one fade step: 50 a second


class Lights:
    """The supervisor's lighting task and the LIGHT_SET command (see the module comment)."""

    def __init__(self, board, cfg, link):
        self.link = link
        self.clock = board.clock
        self.fade = Fade(board.clock)
        self.strips = []  # the drivers that could be set up
        self.channels = []  # ... and their channels per pixel: 3 (RGB) or 4 (RGBW)
        self.names = []  # ... and how people call them: "GRBW on GPIO 16, 60 pixels"
        self.problems = []  # what went wrong setting the strips up, for the log and selftest
        specs = cfg.get("strips", [])
        if not specs:
            self.problems.append("no LED strips in config.json (the board description names none)")
        for spec in specs:
            name = "%s on GPIO %d, %d pixels" % (spec["order"], spec["pin"], spec["pixels"])
            try:
                strip = board.led_strip(spec["pin"], spec["pixels"], spec["order"])
            except Exception as err:  # the board stays up on the link to say so
                self.problems.append("strip %s: %r" % (name, err))
                continue
            self.strips.append(strip)
            self.channels.append(len(spec["order"]))
            self.names.append(name)
        link.on(wire.LIGHT_SET, self.light_set)

    # --- the command ------------------------------------------------------------------------

    def light_set(self, values):
        """LIGHT_SET(r, g, b, w, brightness, fade_ms): start the fade; the ACK carries nothing."""
        self.start(values[0], values[1], values[2], values[3], values[4], values[5])

    def start(self, r, g, b, w, brightness, fade_ms):
        """Fade to this colour; raises Refused when it cannot be shown."""
        if fade_ms > wire.LIGHT_MAX_FADE_MS:
            raise Refused("fade_ms=%d, allowed 0..%d" % (fade_ms, wire.LIGHT_MAX_FADE_MS))
        if not self.strips:
            raise Refused("no LED strip to light: " + "; ".join(self.problems))
        self.fade.begin(r, g, b, w, brightness, fade_ms)

    # --- the task ---------------------------------------------------------------------------

    def show(self):
        """Latch the fade's pixel on every pixel of every strip."""
        fade = self.fade
        for i in range(len(self.strips)):
            strip = self.strips[i]
            strip.fill(fade.rgbw if self.channels[i] == 4 else fade.rgb)
            strip.write()

    def begin(self):
        """The task's start: say what is wrong, and show the colour (dark after a reset)."""
        for problem in self.problems:
            self.link.log(wire.LOG_ERROR, "lighting", problem)
        self.fade.pixels()
        self.show()

    def tick(self):
        """One step of the task: move the fade on and latch it; True when the strips were
        written. Allocates nothing."""
        if self.fade.step():
            self.show()
            return True
        return False

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

    # --- the console's hooks (vitrine_fw.console) -------------------------------------------

    def describe(self):
        """The colour shown, the fade running and the strips, for the console's `light`."""
        fade = self.fade
        lines = ["now: " + _colour(fade.shown)]
        if fade.running:
            lines.append(
                "fading to %s: %d of %d ms left"
                % (_colour(fade.target), fade.remaining_ms(), fade.duration_ms)
            )
        else:
            lines.append("no fade running")
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


def _colour(channels):
    return "r %d g %d b %d w %d, brightness %d" % (
        channels[0],
        channels[1],
        channels[2],
        channels[3],
        channels[BRIGHTNESS],
    )
