# The lights' fade: from the colour shown to a target colour over a duration, in integer steps.
#
# Five channels, each 0..255: r, g, b, w (the strips' white LEDs) and brightness. A fade is
# linear in time on every channel. What a pixel gets is each colour channel scaled by
# brightness / 255, rounded; there is no gamma curve, so a scene's values are what the strip
# shows at full brightness. A strip without white LEDs gets the white added to its red, green
# and blue (clipped at 255), as the white LED would have lit them.
#
# Integer arithmetic on preallocated bytearrays: step() allocates nothing (checked under
# MicroPython's heap lock) and every intermediate value is a small int.

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


CHANNELS = const(5)  # r, g, b, w, brightness
BRIGHTNESS = const(4)  # the brightness' index among the channels


class Fade:
    """The channels shown now, the fade running (if any) and the pixel values they give.

    begin() starts a fade from whatever is shown (mid-fade too); step() moves the channels to
    where the fade is now and refreshes `rgbw` (a pixel of a strip with white LEDs) and `rgb`
    (one without)."""

    def __init__(self, clock):
        self.clock = clock
        self.shown = bytearray(CHANNELS)  # the channels now
        self.start = bytearray(CHANNELS)  # ... when the fade began
        self.target = bytearray(CHANNELS)  # ... when it ends
        self.t0 = 0  # ticks_ms when the fade began
        self.duration_ms = 0
        self.running = False
        self.rgbw = bytearray(4)
        self.rgb = bytearray(3)

    def begin(self, r, g, b, w, brightness, fade_ms):
        """Fade from what is shown now to these channels over fade_ms (0: at the next step)."""
        t = self.target
        t[0] = r
        t[1] = g
        t[2] = b
        t[3] = w
        t[BRIGHTNESS] = brightness
        shown = self.shown
        start = self.start
        for i in range(CHANNELS):
            start[i] = shown[i]
        self.t0 = self.clock.ticks_ms()
        self.duration_ms = fade_ms
        self.running = True

    def step(self):
        """Move the channels to where the fade is now; True when they moved (a fade runs or
        has just ended), False when nothing runs. Allocates nothing."""
        if not self.running:
            return False
        clock = self.clock
        elapsed = clock.ticks_diff(clock.ticks_ms(), self.t0)
        duration = self.duration_ms
        shown = self.shown
        target = self.target
        if elapsed >= duration or duration <= 0:
            for i in range(CHANNELS):
                shown[i] = target[i]
            self.running = False
        else:
            if elapsed < 0:
                elapsed = 0
            start = self.start
            for i in range(CHANNELS):
                # floor division keeps the value between start and target both ways
                shown[i] = start[i] + (target[i] - start[i]) * elapsed // duration
        self.pixels()
        return True

    def pixels(self):
        """Refresh rgbw and rgb from the channels shown. Allocates nothing."""
        shown = self.shown
        level = shown[BRIGHTNESS]
        rgbw = self.rgbw
        rgb = self.rgb
        white = (shown[3] * level + 127) // 255
        rgbw[3] = white
        for i in range(3):
            v = (shown[i] * level + 127) // 255
            rgbw[i] = v
            v += white
            rgb[i] = v if v < 255 else 255

    def remaining_ms(self):
        """Milliseconds until the running fade ends (0 when none runs)."""
        if not self.running:
            return 0
        clock = self.clock
        left = self.duration_ms - clock.ticks_diff(clock.ticks_ms(), self.t0)
        return left if left > 0 else 0
