# The lights board's strips, as the lighting task drives them:
#
# Addressable: a WS2812/SK6812 strip (board.led_strip), every pixel one colour, 8 bits a
#   channel. The task hands it each channel's light in 8.8 fixed point (0..colour.FULL); it
#   shows the whole part and carries the fraction over to the next frame (temporal dithering,
#   first-order error feedback: over a few frames at 100 a second the mean is the 16-bit value),
#   so a dim light, or a slow fade through it, shows no steps of 1/255.
# Cct: a two-channel warm and cool white strip on two PWM outputs (board.pwm, at pwm_hz: at
#   least 1 kHz, so neither a camera nor an eye sees flicker), 16-bit duty.
#
# Each knows its current at full on each channel (the description's led_ma is one LED's current
# at full white, all its channels), so the task can hold the whole board within its budget
# before every write. Nothing here allocates once built.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from vitrine_fw.lights import colour

ADDRESSABLE = const(1)
CCT = const(2)


class Addressable:
    """An RGB or RGBW strip of `pixels` pixels."""

    kind = ADDRESSABLE

    def __init__(self, board, spec):
        order = spec["order"]
        self.channels = len(order)
        self.pixels = spec["pixels"]
        self.name = "%s on GPIO %d, %d pixels" % (order, spec["pin"], self.pixels)
        self.driver = board.led_strip(spec["pin"], self.pixels, order)
        # one channel of the whole strip at full, in mA
        self.channel_ma = self.pixels * spec["led_ma"] // self.channels
        self.white = bytearray(3)  # the white LED's own linear colour (RGBW)
        colour.blackbody(colour.mired(spec.get("white_k", 4500)) * 16, self.white)
        self.value = [0] * self.channels  # the light asked for, 8.8 per channel
        self.err = [0] * self.channels  # the dither's carried fractions
        self.pixel = bytearray(self.channels)  # what is latched, 0..255 per channel
        self.writes = 0

    def dithered(self):
        """Whether the light asked for has a fraction that only dithering shows."""
        v = self.value
        for c in range(self.channels):  # noqa: SIM110 - any() of a generator allocates
            if v[c] & 0xFF:
                return True
        return False

    def show(self):
        """Latch the light asked for: each channel's whole part, the fraction carried on."""
        v = self.value
        e = self.err
        px = self.pixel
        for c in range(self.channels):
            total = v[c] + e[c]
            whole = total >> 8
            if whole > 255:  # noqa: PLR2004 - a byte's limit
                whole = 255
            px[c] = whole
            e[c] = total - (whole << 8)
        self.driver.fill(px)
        self.driver.write()
        self.writes += 1

    def show_bytes(self, pixel):
        """Latch 8-bit channels as they are (LIGHT_SET's colours)."""
        px = self.pixel
        v = self.value
        for c in range(self.channels):
            px[c] = pixel[c]
            v[c] = pixel[c] << 8
            self.err[c] = 0
        self.driver.fill(px)
        self.driver.write()
        self.writes += 1

    def current_ma(self):
        """What the latched pixels draw, rounded up."""
        px = self.pixel
        total = 0
        for c in range(self.channels):
            total += (px[c] * self.channel_ma + 254) // 255
        return total

    def next_ma(self):
        """What the next show() will draw, rounded up (its dither taken into account)."""
        v = self.value
        e = self.err
        total = 0
        for c in range(self.channels):
            whole = (v[c] + e[c]) >> 8
            if whole > 255:  # noqa: PLR2004 - a byte's limit
                whole = 255
            total += (whole * self.channel_ma + 254) // 255
        return total

    def shown(self, out, i):
        """The strip's light as linear r, g, b (0..255) into out[i..i+2]: the colour LEDs and
        the white one's own colour."""
        px = self.pixel
        w = px[3] if self.channels == 4 else 0  # noqa: PLR2004 - RGBW
        for c in range(3):
            v = px[c] + (self.white[c] * w + 127) // 255
            out[i + c] = v if v < 255 else 255  # noqa: PLR2004 - a byte's limit


class Cct:
    """A warm and a cool white channel on two PWM outputs."""

    kind = CCT
    channels = 2

    def __init__(self, board, spec):
        self.name = "warm/cool %d/%d K on GPIO %d/%d, %d LEDs" % (
            spec["warm_k"],
            spec["cool_k"],
            spec["warm"],
            spec["cool"],
            spec["leds"],
        )
        self.warm = board.pwm(spec["warm"], spec["pwm_hz"])
        self.cool = board.pwm(spec["cool"], spec["pwm_hz"])
        self.warm_m16 = colour.mired(spec["warm_k"]) * 16
        self.cool_m16 = colour.mired(spec["cool_k"]) * 16
        self.channel_ma = spec["leds"] * spec["led_ma"] // 2
        self.warm_rgb = bytearray(3)
        self.cool_rgb = bytearray(3)
        colour.blackbody(self.warm_m16, self.warm_rgb)
        colour.blackbody(self.cool_m16, self.cool_rgb)
        self.value = [0, 0]  # warm, cool light asked for, 8.8
        self.duty = [0, 0]  # what the outputs have, 0..65535
        self.writes = 0

    def dithered(self):
        return False  # 16-bit PWM: no dithering needed

    def show(self):
        d = self.duty
        warm_falls = self.value[0] + (self.value[0] >> 8) <= d[0]
        for c in range(2):
            v = self.value[c]
            d[c] = v + (v >> 8)  # 8.8 to 0..65535: 65280 + 255
        # the channel whose duty falls first: between the two writes the draw never passes
        # the larger of before and after
        if warm_falls:
            self.warm.duty_u16(d[0])
            self.cool.duty_u16(d[1])
        else:
            self.cool.duty_u16(d[1])
            self.warm.duty_u16(d[0])
        self.writes += 1

    def current_ma(self):
        d = self.duty
        return (d[0] * self.channel_ma + 65534) // 65535 + (d[1] * self.channel_ma + 65534) // 65535

    def next_ma(self):
        """What the next show() will draw, rounded up."""
        total = 0
        for c in range(2):
            v = self.value[c]
            total += ((v + (v >> 8)) * self.channel_ma + 65534) // 65535
        return total

    def shown(self, out, i):
        d = self.duty
        for c in range(3):
            v = (self.warm_rgb[c] * (d[0] >> 6) + self.cool_rgb[c] * (d[1] >> 6)) // 1023
            out[i + c] = v if v < 255 else 255  # noqa: PLR2004 - a byte's limit


def build(board, spec):
    """The driver for one strip of the config (an exception when its hardware cannot be set
    up)."""
    if spec.get("kind", "addressable") == "cct":
        return Cct(board, spec)
    return Addressable(board, spec)
