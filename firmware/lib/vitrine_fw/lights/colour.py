# The lights' colours, in integers: a colour temperature as the light of a black body, an
# amber tint, the white LED of an RGBW strip, and the mix of a warm and a cool white channel.
#
# Colour temperature -> linear RGB: the Planckian locus by Krystek's approximation (M. Krystek,
# "An algorithm to calculate correlated colour temperature", Color Research & Application
# 10(1), 1985: CIE 1960 (u, v) as rational functions of T, within 1e-5 for 1000-15000 K), to
# CIE xy, to XYZ at Y = 1, to linear sRGB (IEC 61966-2-1's matrix), negatives clipped, scaled so
# the largest channel is 255. LEDs give light in proportion to their duty, so these linear
# values drive them as they are (the sRGB transfer, the "gamma", is for a screen showing the
# colour: the host applies it). The table holds it every 10 mireds from 50 (20000 K) to 1000
# (1000 K), three bytes a row, and colours between rows are interpolated in mireds, the scale
# on which equal steps look equally different (and along which a warm and a cool white mix).
# Written out rather than computed on the board (floats may be 32-bit there and the maths is
# slow); tests/firmware checks it against the formula.
#
# Perceptual brightness -> light: LEVELS16 is the CIE 1931 lightness curve of fade.LEVELS at
# 16 bits (8.8 fixed point, 255 * 256 at full): brightness / 255 is L* / 100, the light
# ((L* + 16) / 116)^3 (L* / 903.3 below 8), and at least 1 above 0. A fade moves brightness in
# 8.8 fixed point too and interpolates between the table's entries, so a dimming fade takes
# thousands of steps of light, not 256: no visible stepping at the dark end, with 16-bit PWM or
# with temporal dithering on 8-bit LEDs.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from array import array

MIRED_MIN = const(50)  # 20000 K: the table's first row
MIRED_MAX = const(1000)  # 1000 K: its last
MIRED_STEP = const(10)
FULL = const(65280)  # a channel at full, 8.8 fixed point (255 * 256)
_TOP = const(255)  # the brightest of LEVELS16's entries

# linear r, g, b (0..255) every 10 mireds from 50 to 1000
# fmt: off
KELVIN = bytes((
    103, 136, 255, 111, 143, 255, 120, 151, 255, 131, 159, 255, 142, 168, 255, 155, 178, 255,
    170, 188, 255, 186, 199, 255, 205, 211, 255, 225, 223, 255, 248, 237, 255, 255, 235, 238,
    255, 226, 216, 255, 218, 196, 255, 209, 177, 255, 202, 160, 255, 194, 145, 255, 187, 131,
    255, 180, 118, 255, 173, 107, 255, 167, 96, 255, 160, 87, 255, 154, 78, 255, 149, 70,
    255, 143, 63, 255, 138, 57, 255, 133, 51, 255, 128, 45, 255, 123, 41, 255, 119, 36,
    255, 114, 32, 255, 110, 28, 255, 106, 25, 255, 102, 22, 255, 99, 20, 255, 95, 17,
    255, 92, 15, 255, 88, 13, 255, 85, 11, 255, 82, 9, 255, 79, 8, 255, 76, 6,
    255, 73, 5, 255, 71, 4, 255, 68, 3, 255, 65, 2, 255, 63, 1, 255, 61, 0,
    255, 58, 0, 255, 56, 0, 255, 54, 0, 255, 52, 0, 255, 50, 0, 255, 48, 0,
    255, 46, 0, 255, 45, 0, 255, 43, 0, 255, 41, 0, 255, 39, 0, 255, 38, 0,
    255, 36, 0, 255, 35, 0, 255, 33, 0, 255, 32, 0, 255, 31, 0, 255, 29, 0,
    255, 28, 0, 255, 27, 0, 255, 25, 0, 255, 24, 0, 255, 23, 0, 255, 22, 0,
    255, 21, 0, 255, 20, 0, 255, 19, 0, 255, 18, 0, 255, 17, 0, 255, 16, 0,
    255, 15, 0, 255, 14, 0, 255, 13, 0, 255, 12, 0, 255, 11, 0, 255, 11, 0,
    255, 10, 0, 255, 9, 0, 255, 8, 0, 255, 8, 0, 255, 7, 0, 255, 6, 0,
    255, 5, 0, 255, 5, 0, 255, 4, 0, 255, 3, 0, 255, 3, 0, 255, 2, 0,
))
# fmt: on

# brightness 0..255 -> light 0..FULL (8.8 fixed point), CIE lightness
# fmt: off
LEVELS16 = array("H", (
    0, 28, 57, 85, 113, 142, 170, 198, 227, 255, 283, 312,
    340, 368, 397, 425, 453, 482, 510, 538, 567, 595, 625, 655,
    686, 719, 752, 786, 821, 858, 895, 934, 973, 1014, 1056, 1098,
    1143, 1188, 1234, 1282, 1331, 1381, 1432, 1484, 1538, 1593, 1649, 1707,
    1766, 1826, 1888, 1951, 2016, 2082, 2149, 2218, 2288, 2359, 2433, 2507,
    2583, 2661, 2740, 2821, 2903, 2987, 3073, 3160, 3248, 3339, 3431, 3525,
    3620, 3717, 3816, 3917, 4019, 4123, 4229, 4337, 4446, 4558, 4671, 4786,
    4903, 5021, 5142, 5265, 5389, 5516, 5644, 5775, 5907, 6042, 6178, 6317,
    6457, 6600, 6745, 6891, 7040, 7191, 7345, 7500, 7658, 7817, 7979, 8143,
    8310, 8479, 8649, 8823, 8998, 9176, 9356, 9539, 9724, 9911, 10100, 10292,
    10487, 10684, 10883, 11085, 11289, 11496, 11705, 11917, 12131, 12348, 12568, 12790,
    13014, 13241, 13471, 13704, 13939, 14177, 14417, 14661, 14907, 15155, 15407, 15661,
    15918, 16178, 16441, 16706, 16974, 17245, 17519, 17796, 18076, 18359, 18645, 18933,
    19225, 19519, 19817, 20117, 20421, 20728, 21037, 21350, 21666, 21985, 22307, 22632,
    22960, 23292, 23626, 23964, 24305, 24650, 24997, 25348, 25702, 26059, 26420, 26784,
    27151, 27521, 27895, 28273, 28653, 29037, 29425, 29816, 30210, 30608, 31009, 31414,
    31823, 32234, 32650, 33069, 33491, 33917, 34347, 34780, 35217, 35658, 36102, 36550,
    37002, 37457, 37916, 38379, 38845, 39315, 39789, 40267, 40749, 41234, 41724, 42217,
    42714, 43215, 43720, 44229, 44741, 45258, 45779, 46303, 46832, 47364, 47901, 48441,
    48986, 49535, 50088, 50645, 51206, 51771, 52340, 52914, 53491, 54073, 54659, 55250,
    55844, 56443, 57046, 57653, 58265, 58881, 59501, 60125, 60754, 61388, 62025, 62667,
    63314, 63965, 64620, 65280,
))
# fmt: on

# Amber (590 nm; sRGB (255, 191, 0)) as linear light: what an amber tint mixes in.
AMBER = bytes((255, 133, 0))


def mired(kelvin):
    """A colour temperature in mireds (10^6 / K), within the table's range."""
    m = (1000000 + kelvin // 2) // kelvin if kelvin > 0 else MIRED_MAX
    if m < MIRED_MIN:
        return MIRED_MIN
    return m if m < MIRED_MAX else MIRED_MAX


def kelvin_of(m):
    """The colour temperature of a mired value, rounded."""
    return (1000000 + m // 2) // m


def blackbody(m16, out):
    """Fill out[0..2] with the linear r, g, b (0..255) of the black body at m16 / 16 mireds
    (mireds in 12.4 fixed point, so a fade between temperatures moves smoothly).
    Allocates nothing."""
    lo = MIRED_MIN * 16
    hi = MIRED_MAX * 16
    if m16 < lo:
        m16 = lo
    elif m16 > hi:
        m16 = hi
    pos = m16 - lo  # 1/16 mired from the first row
    row = pos // (MIRED_STEP * 16)
    frac = pos - row * MIRED_STEP * 16  # 0 .. 159
    if row >= (MIRED_MAX - MIRED_MIN) // MIRED_STEP:
        row = (MIRED_MAX - MIRED_MIN) // MIRED_STEP
        frac = 0
    i = row * 3
    span = MIRED_STEP * 16
    for c in range(3):
        a = KELVIN[i + c]
        b = KELVIN[i + 3 + c] if frac else a
        out[c] = a + ((b - a) * frac + span // 2) // span


def tint(rgb, amber):
    """Mix amber (0..255) into a linear colour in place (255: all amber)."""
    if amber:
        keep = 255 - amber
        for c in range(3):
            rgb[c] = (rgb[c] * keep + AMBER[c] * amber + 127) // 255


def light(b88):
    """The light (0..FULL) of a perceptual brightness in 8.8 fixed point (0..255 * 256),
    interpolated between LEVELS16's entries."""
    i = b88 >> 8
    if i >= _TOP:
        return LEVELS16[_TOP]
    f = b88 & 0xFF
    a = LEVELS16[i]
    return a + ((LEVELS16[i + 1] - a) * f >> 8)


def split_white(rgb, white, out):
    """Light a colour with an RGBW pixel: out[0..3] = r, g, b, w (0..255) where w is as much
    of the white LED (whose own linear colour is `white`) as the colour holds, and r, g, b what
    is left. Allocates nothing."""
    w = 255
    for c in range(3):
        if white[c]:
            share = rgb[c] * 255 // white[c]
            if share < w:
                w = share
    out[3] = w
    for c in range(3):
        v = rgb[c] - (white[c] * w + 127) // 255
        out[c] = v if v > 0 else 0


def cct_share(m16, warm_m16, cool_m16):
    """The warm channel's share (0..65535) of a warm and a cool white mixed in mireds to make
    m16 (all three 12.4 fixed-point mireds); a temperature outside the two is clamped to the
    nearer (see clamped())."""
    if m16 >= warm_m16:
        return 65535
    if m16 <= cool_m16:
        return 0
    span = warm_m16 - cool_m16
    return ((m16 - cool_m16) * 65535 + span // 2) // span


def clamped(m16, warm_m16, cool_m16):
    """Whether a warm and a cool white cannot make this temperature."""
    return m16 > warm_m16 or m16 < cool_m16
