"""The lights board's strips as the supply sees them: the current every latched frame and every
PWM duty draws, from the strips' own description (one LED's current at full white, shared
equally by its channels; a warm/cool strip's LEDs split between its two channels), computed
here independently of the firmware's own budget arithmetic, so the simulator can check it.

A Meter hears every latch of the board's addressable strips and every duty written to its PWM
outputs; after each it adds up what all the strips draw at that moment and keeps the highest,
how many latches drew more than the budget, and when the light last started to change after
holding still (a fade's start, for the lighting benchmark's command-to-fade latency).

Holding still allows for dithering: an addressable strip showing a light between two 8-bit
levels flickers between them frame by frame, so a strip is moving while the frames it latched
in the last QUIET_S span more than two adjacent levels on some channel; a PWM output while its
duty changed in that time. A fade starts when a strip moves after every strip has held still
for QUIET_S. (A warm/cool strip's 16-bit duty shows a fade's first step; an addressable strip
alone shows it once the fade has moved it by two levels.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vitrine.sim.board import SimLedStrip, SimPWM

QUIET_S = 0.05  # the light held still this long before a change: that change starts a fade


@dataclass
class Meter:
    """What the strips draw, latch by latch (see the module docstring)."""

    strips: list[dict[str, Any]]  # config.json's "strips"
    budget_ma: int = 0
    clock: Callable[[], float] = time.monotonic
    current_ma: float = 0.0
    max_ma: float = 0.0
    over: int = 0  # latches that drew more than the budget
    latches: int = 0
    started_t: float | None = None  # the last fade's first change (the clock's time)
    changed_t: float = 0.0  # the last change beyond dithering
    _draw: dict[int, float] = field(default_factory=dict)  # strip index -> mA now
    _recent: dict[int, list[tuple[float, tuple[int, ...]]]] = field(default_factory=dict)

    def pixel_ma(self, index: int, pixel: tuple[int, ...]) -> float:
        """One pixel's current for an addressable strip of the config."""
        spec = self.strips[index]
        return sum(pixel) / 255 * spec.get("led_ma", 60) / len(pixel)

    def latched(self, index: int, strip: SimLedStrip) -> None:
        """An addressable strip latched a frame."""
        draw = sum(self.pixel_ma(index, p) for p in strip.shown)
        self._changed(index, draw, tuple(strip.shown[0]) if strip.shown else (), dither=1)

    def duty(self, index: int, warm: SimPWM, cool: SimPWM) -> None:
        """A warm/cool strip's PWM duty changed."""
        spec = self.strips[index]
        w, c = int(warm.duty_u16() or 0), int(cool.duty_u16() or 0)
        draw = (w + c) / 65535 * spec["leds"] * spec["led_ma"] / 2
        self._changed(index, draw, (w, c), dither=0)

    def _changed(self, index: int, draw: float, shown: tuple[int, ...], dither: int) -> None:
        now = self.clock()
        first = index not in self._recent
        recent = self._recent.setdefault(index, [])
        recent.append((now, shown))
        while len(recent) > 2 and now - recent[1][0] > QUIET_S:  # noqa: PLR2004
            recent.pop(0)  # the last QUIET_S, and the frame held before it
        channels = list(zip(*(frame for _t, frame in recent), strict=True))
        if not first and any(max(c) - min(c) > dither for c in channels):
            if now - self.changed_t >= QUIET_S:
                self.started_t = now
            self.changed_t = now
        self._draw[index] = draw
        self.current_ma = sum(self._draw.values())
        self.max_ma = max(self.max_ma, self.current_ma)
        self.latches += 1
        if self.budget_ma and self.current_ma > self.budget_ma + 1e-6:
            self.over += 1

    def state(self) -> dict[str, Any]:
        return {
            "current_ma": round(self.current_ma, 1),
            "max_ma": round(self.max_ma, 1),
            "budget_ma": self.budget_ma,
            "over_budget": self.over,
            "latches": self.latches,
            "started_t": self.started_t,
        }


def attach_meter(
    board: Any, cfg: dict[str, Any], clock: Callable[[], float] = time.monotonic
) -> Meter | None:
    """Wire a meter to a lights board's strips and PWM outputs as the firmware builds them (None
    for a board without strips). `board` is a SimBoard (or the benchmark's board): its
    led_strip() and pwm() are wrapped so every part they build reports to the meter."""
    specs = cfg.get("strips") or []
    if not specs:
        return None
    meter = Meter(specs, (cfg.get("lighting") or {}).get("budget_ma", 0), clock)
    by_pin: dict[int, int] = {}
    pwm_of: dict[int, tuple[int, int]] = {}
    for i, spec in enumerate(specs):
        if spec.get("kind") == "cct":
            pwm_of[i] = (spec["warm"], spec["cool"])
        else:
            by_pin[spec["pin"]] = i
    build_strip, build_pwm = board.led_strip, board.pwm
    pwms: dict[int, SimPWM] = {}

    def led_strip(pin: int, count: int, order: str = "GRB") -> SimLedStrip:
        strip = build_strip(pin, count, order)
        index = by_pin.get(pin)
        if index is not None:
            before = strip.on_write

            def written(s: SimLedStrip) -> None:
                meter.latched(index, s)
                if before is not None:
                    before(s)

            strip.on_write = written
        return strip

    def pwm(pin: int, freq_hz: int) -> SimPWM:
        out = pwms[pin] = build_pwm(pin, freq_hz)
        before = out.on_duty
        for index, (warm, cool) in pwm_of.items():
            if pin in (warm, cool):

                def duty(p: SimPWM, index: int = index, warm: int = warm, cool: int = cool) -> None:
                    if warm in pwms and cool in pwms:
                        meter.duty(index, pwms[warm], pwms[cool])
                    if before is not None:
                        before(p)

                out.on_duty = duty
        return out

    board.led_strip = led_strip
    board.pwm = pwm
    return meter
