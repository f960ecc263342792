"""The simulated strips' meter (vitrine.sim.lighting): the current it adds up on its own, the
frames over the budget, and when a fade starts, seen through dithering."""

from __future__ import annotations

import pytest

from vitrine.sim.board import SimLedStrip, SimPWM
from vitrine.sim.lighting import QUIET_S, Meter

RGBW = {"pin": 16, "pixels": 10, "order": "GRBW", "led_ma": 60}
CCT = {"kind": "cct", "warm": 18, "cool": 19, "leds": 20, "led_ma": 20}


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def strip_showing(pixel: tuple[int, ...]) -> SimLedStrip:
    strip = SimLedStrip(16, 10, "GRBW")
    strip.fill(pixel)
    strip.write()
    return strip


def test_current_is_added_up_from_the_latched_pixels_and_duties() -> None:
    meter = Meter([RGBW, CCT], budget_ma=500, clock=Clock())
    meter.latched(0, strip_showing((255, 255, 255, 255)))  # 10 LEDs at full white: 600 mA
    assert meter.current_ma == 600
    assert meter.over == 1
    warm, cool = SimPWM(18, 2000), SimPWM(19, 2000)
    warm.duty_u16(65535)  # half the white strip's LEDs at full: 200 mA
    meter.duty(1, warm, cool)
    assert meter.current_ma == 800
    meter.latched(0, strip_showing((0, 0, 0, 0)))
    assert (meter.current_ma, meter.max_ma, meter.over, meter.latches) == (200, 800, 2, 3)


def test_a_fade_starts_where_the_light_leaves_its_dither() -> None:
    clock = Clock()
    meter = Meter([RGBW], clock=clock)
    meter.latched(0, strip_showing((0, 0, 0, 0)))
    for k in range(1, 9):  # a fade up, ending a level below where it dithers
        clock.t += 0.01
        meter.latched(0, strip_showing((5 * k - 1, 20, 10, 5)))
    assert meter.started_t == pytest.approx(100.01)
    for k in range(20):  # the light between two levels: the dither flickers by one
        clock.t += 0.01
        meter.latched(0, strip_showing((40 + k % 2, 20, 10 + (k // 2) % 2, 5)))
    assert meter.started_t == pytest.approx(100.01)  # still the fade before
    clock.t += 0.01
    meter.latched(0, strip_showing((43, 20, 10, 5)))  # the next fade's first step
    assert meter.started_t == clock.t
    first = clock.t
    for k in range(10):  # the fade goes on: no new start
        clock.t += 0.01
        meter.latched(0, strip_showing((45 + 2 * k, 20, 10, 5)))
    assert meter.started_t == first
    clock.t += QUIET_S + 0.01  # still long enough, then another fade
    meter.latched(0, strip_showing((90, 20, 10, 5)))
    assert meter.started_t == clock.t


def test_a_pwm_duty_is_still_only_while_it_does_not_change() -> None:
    clock = Clock()
    meter = Meter([CCT], clock=clock)
    warm, cool = SimPWM(18, 2000), SimPWM(19, 2000)
    warm.duty_u16(1000)
    meter.duty(0, warm, cool)
    clock.t += 1.0
    warm.duty_u16(1001)  # one count: a fade's start on a 16-bit output
    meter.duty(0, warm, cool)
    assert meter.started_t == clock.t
