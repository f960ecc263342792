"""The lighting firmware's fade (vitrine_fw.lights.fade) against exact arithmetic on CPython, and
the lighting task's step under MicroPython's heap lock (script: mpy/lights_heap_lock.py).

The subsystem's behaviour on a board (LIGHT_SET, refusals, the strips, the console) is in
mpy/lights_scenarios.py, which runs on both runtimes (test_scenarios.py)."""

from fractions import Fraction

import pytest
from fw_scenario import FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st

from vitrine_fw.lights.fade import LEVELS, Fade

CHANNELS = st.tuples(*[st.integers(0, 255)] * 5)


def exact(start, target, elapsed, duration):
    """The channels a linear fade shows after `elapsed` ms, as exact fractions."""
    if elapsed >= duration:
        return [Fraction(t) for t in target]
    return [s + Fraction((t - s) * elapsed, duration) for s, t in zip(start, target, strict=True)]


@settings(max_examples=300, deadline=None)
@given(
    start=CHANNELS,
    target=CHANNELS,
    duration=st.integers(1, 10_000),
    times=st.lists(st.integers(0, 12_000), min_size=1, max_size=20),
)
def test_fade_follows_the_line_within_one_step_and_ends_on_the_target(
    start, target, duration, times
):
    clock = FakeClock(0)
    fade = Fade(clock)
    fade.begin(*start, 0)
    fade.step()
    assert tuple(fade.shown) == start
    fade.begin(*target, duration)
    last = start
    for t in sorted(times):
        clock.ms = t
        fade.step()
        shown = tuple(fade.shown)
        for got, want, s, e, before in zip(
            shown, exact(start, target, t, duration), start, target, last, strict=True
        ):
            assert want - 1 < got <= want  # the exact value, rounded down
            assert min(s, e) <= got <= max(s, e)  # never outside the fade's span
            assert (got - before) * (e - s) >= 0  # never back the other way
        last = shown
    clock.ms = duration
    fade.step()
    assert tuple(fade.shown) == target and not fade.running


def cie_duty(brightness: int) -> int:
    """The LEDs' duty for a brightness: CIE 1931 lightness L* = brightness / 255 * 100 to
    relative luminance, times 255, rounded; at least 1 for any brightness above 0."""
    if brightness == 0:
        return 0
    lightness = brightness * 100 / 255
    y = ((lightness + 16) / 116) ** 3 if lightness > 8 else lightness / 903.3
    return max(1, round(y * 255))


def test_the_brightness_table_is_the_cie_lightness_curve():
    assert len(LEVELS) == 256
    assert list(LEVELS) == [cie_duty(b) for b in range(256)]
    assert all(LEVELS[b] < LEVELS[b + 1] or LEVELS[b] == LEVELS[b + 1] for b in range(255))
    # what the eye takes for half as bright is under a fifth of the light
    assert (LEVELS[0], LEVELS[1], LEVELS[128], LEVELS[255]) == (0, 1, 47, 255)


@settings(max_examples=300, deadline=None)
@given(channels=CHANNELS)
def test_pixels_are_the_channels_scaled_by_the_brightness_duty_rounded(channels):
    fade = Fade(FakeClock(0))
    fade.begin(*channels, 0)
    fade.step()
    r, g, b, w, brightness = channels
    level = cie_duty(brightness)

    def scaled(c):
        return int(Fraction(c * level, 255) + Fraction(1, 2))  # half up

    assert list(fade.rgbw) == [scaled(r), scaled(g), scaled(b), scaled(w)]
    assert list(fade.rgb) == [min(255, scaled(c) + scaled(w)) for c in (r, g, b)]


# --- MicroPython: the task's step allocates nothing -------------------------------------------


@pytest.fixture(scope="module")
def report(micropython):
    return micropython.result("lights_heap_lock.py")


@pytest.mark.micropython
@pytest.mark.parametrize("name", ["fade_up", "fade_down", "fade_at_once"])
def test_the_lighting_step_allocates_nothing(report, name):
    assert report["checks"][name] is None, f"{name} allocated: {report['checks'][name]}"


@pytest.mark.micropython
def test_an_allocating_strip_is_caught(report):
    assert report["controls"]["allocating_strip"].startswith("MemoryError")


@pytest.mark.micropython
def test_the_locked_fades_did_their_work(report):
    values = report["values"]
    # 50 steps of 20 ms make the 1000 ms fade; the fake GRBW strip keeps r, g, b, w.
    assert values["fade_up"] == [50, [200, 100, 50, 25, 255], [200, 100, 50, 25]]
    writes = 1 + 2 + 50 + 50  # begin(), the warm-up, up, down
    assert values["fade_down"] == [50, [0, 0, 0, 0, 0], writes]
    assert values["fade_at_once"] == [1, [5, 6, 7]]  # the white added on the RGB strip


# --- colour: the black body and the 16-bit lightness, against their formulas ------------------

from vitrine_fw.lights import colour  # noqa: E402


def krystek_linear_rgb(kelvin: float) -> tuple[float, float, float]:
    """Krystek (1985): the Planckian locus in CIE 1960 (u, v), to xy, XYZ (Y = 1), linear sRGB
    (IEC 61966-2-1), negatives clipped, the largest channel 1."""
    t = kelvin
    u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t * t) / (
        1 + 8.42420235e-4 * t + 7.08145163e-7 * t * t
    )
    v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t * t) / (
        1 - 2.89741816e-5 * t + 1.61456053e-7 * t * t
    )
    x, y = 3 * u / (2 * u - 8 * v + 4), 2 * v / (2 * u - 8 * v + 4)
    big_x, big_z = x / y, (1 - x - y) / y
    r = 3.2404542 * big_x - 1.5371385 - 0.4985314 * big_z
    g = -0.9692660 * big_x + 1.8760108 + 0.0415560 * big_z
    b = 0.0556434 * big_x - 0.2040259 + 1.0572252 * big_z
    rgb = [max(c, 0.0) for c in (r, g, b)]
    top = max(rgb)
    return rgb[0] / top, rgb[1] / top, rgb[2] / top


def test_the_kelvin_table_is_krystek_s_locus_every_10_mireds():
    rows = len(colour.KELVIN) // 3
    assert rows == (colour.MIRED_MAX - colour.MIRED_MIN) // colour.MIRED_STEP + 1
    for i in range(rows):
        mired = colour.MIRED_MIN + i * colour.MIRED_STEP
        want = [round(c * 255) for c in krystek_linear_rgb(1e6 / mired)]
        assert list(colour.KELVIN[3 * i : 3 * i + 3]) == want, mired


@pytest.mark.parametrize("kelvin", [1000, 1850, 2200, 2700, 3000, 4000, 5600, 6500, 9000, 20000])
def test_blackbody_is_within_2_5_percent_of_the_formula_between_rows(kelvin):
    # rows 10 mireds apart, interpolated: within 2 steps, and 6 (2.4 %) about 6500 K, where the
    # brightest channel turns from red to blue (the scaling's kink)
    out = bytearray(3)
    colour.blackbody(round(1e6 / kelvin * 16), out)
    want = [c * 255 for c in krystek_linear_rgb(kelvin)]
    limit = 6 if 6000 <= kelvin <= 7500 else 2
    assert all(abs(got - w) <= limit for got, w in zip(out, want, strict=True)), (list(out), want)


def test_the_16_bit_lightness_is_the_cie_curve_and_interpolates_between_steps():
    for b in range(256):
        lightness = b * 100 / 255
        y = ((lightness + 16) / 116) ** 3 if lightness > 8 else lightness / 903.3
        assert colour.LEVELS16[b] == (max(1, round(y * colour.FULL)) if b else 0)
    # between brightness 1 and 2 the light moves in steps much finer than a 1/255 byte
    lights = [colour.light(256 + f) for f in range(256)]
    assert lights == sorted(lights) and len(set(lights)) > 20
    assert colour.light(255 * 256) == colour.FULL


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.integers(0, 255)] * 3))
def test_the_white_led_takes_what_it_can_and_the_rest_stays_positive(rgb):
    white = bytearray(3)
    colour.blackbody(colour.mired(4500) * 16, white)
    out = bytearray(4)
    colour.split_white(bytearray(rgb), white, out)
    for c in range(3):
        # what the LEDs give adds up to the colour, within rounding
        assert abs(out[c] + white[c] * out[3] / 255 - rgb[c]) <= 1.5
    assert min(out[:3]) <= 3 or out[3] == 255  # as much white as the colour holds
