# The lights' fade: from the colour shown to a target colour over a duration, in integer steps.
#
# Five channels, each 0..255: r, g, b, w (the strips' white LEDs) and brightness. A fade is
# linear in time on every channel. Brightness is perceptual: the eye sees light output on a
# curve, so brightness 128 looks half as bright as 255 and a fade dims evenly, where a linear
# scale would seem to jump at the dark end. LEVELS turns it into the LEDs' duty (CIE 1931
# lightness: brightness / 255 is L* / 100); what a pixel gets is each colour channel scaled
# by that duty / 255, rounded. The colour channels themselves take no curve, so a scene's
# values are what the strip shows at full brightness. A strip without white LEDs gets the
# white added to its red, green and blue (clipped at 255), as the white LED would have lit
# them.
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


# brightness 0..255 -> the LEDs' duty 0..255: CIE 1931 lightness, L* = brightness / 255 * 100,
# duty = 255 * ((L* + 16) / 116) ** 3 (L* / 903.3 below L* 8), rounded, and at least 1 above
# brightness 0. Written out rather than computed on the board, whose floats may be 32-bit;
# tests/firmware checks it against the formula.
# fmt: off
LEVELS = bytes((
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4,
    4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 7,
    7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 10, 10, 10, 10, 11, 11,
    11, 12, 12, 12, 13, 13, 13, 14, 14, 15, 15, 15, 16, 16, 17, 17,
    17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25,
    25, 26, 26, 27, 28, 28, 29, 29, 30, 31, 31, 32, 32, 33, 34, 34,
    35, 36, 37, 37, 38, 39, 39, 40, 41, 42, 43, 43, 44, 45, 46, 47,
    47, 48, 49, 50, 51, 52, 53, 54, 54, 55, 56, 57, 58, 59, 60, 61,
    62, 63, 64, 65, 66, 67, 68, 70, 71, 72, 73, 74, 75, 76, 77, 79,
    80, 81, 82, 83, 85, 86, 87, 88, 90, 91, 92, 94, 95, 96, 98, 99,
    100, 102, 103, 105, 106, 108, 109, 110, 112, 113, 115, 116, 118, 120, 121, 123,
    124, 126, 128, 129, 131, 132, 134, 136, 138, 139, 141, 143, 145, 146, 148, 150,
    152, 154, 155, 157, 159, 161, 163, 165, 167, 169, 171, 173, 175, 177, 179, 181,
    183, 185, 187, 189, 191, 193, 196, 198, 200, 202, 204, 207, 209, 211, 214, 216,
    218, 220, 223, 225, 228, 230, 232, 235, 237, 240, 242, 245, 247, 250, 252, 255,
))
# fmt: on


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
        level = LEVELS[shown[BRIGHTNESS]]
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
