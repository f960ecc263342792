"""An HC-SR501 passive-infrared motion sensor (BISS0001 controller, LHI778 pyroelectric element)
watching the world of people: its output pin's level over time.

From the HC-SR501 product manual (and the module's common documentation):
- detection cone under 120 degrees (110 used here), range adjustable 3-7 m (7 m here);
- it senses a change of infrared: a warm body moving across the lens's zones, not a body at
  rest; a bag is not warm; a warm draught or a sun patch moving on the floor can look like one;
- "repeatable trigger" (jumper H, as wired on the presence board): the output goes high on a
  detection and stays high until `delay_s` (Tx, adjustable 0.3 s to 5 min) after the last one;
  "single trigger" (L): high for Tx from the first;
- after the output falls, detection is blocked for the lock time (2.5 s by default);
- at power-on it initialises for about a minute, during which its output "can and often
  will" give false detections (0-3 times).

The detection model, per 50 ms step: a warm body inside the cone and range is detected with a
probability that grows with its angular speed across the lens (tangential speed over distance)
and its radial speed, less for a small body and toward the range's end; a body swaying in
front of the mirror is seen now and then, a walker every step. A heat event (a draught, a sun
patch; vitrine.sim.people.World.heat) triggers it with the event's strength as probability.
`stuck` (a fault) holds the output high.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from vitrine.sim.people import Stage

STEP_S = 0.05  # the model's time step
CONE_DEG = 110.0
RANGE_M = 7.0
DELAY_S = 2.5  # Tx as the presence board's trimmer is set (the manual: 0.3 s - 5 min)
LOCK_S = 2.5  # the manual's default lock (blocking) time
WARMUP_S = 60.0  # "nearly a minute to initialise"
ANGULAR_FULL = 0.25  # rad/s across the lens for detection at every step
ANGULAR_MIN = 0.02  # below this (rad/s) no change of infrared is sensed


@dataclass(frozen=True)
class Trimmers:
    """How the module is set: its trigger jumper (repeat: H) and its delay trimmer (Tx); the
    lock time and the warm-up are the controller's own."""

    repeat: bool = True
    delay_s: float = DELAY_S
    lock_s: float = LOCK_S
    warmup_s: float = WARMUP_S


@dataclass(frozen=True)
class PirMount:
    """Where the PIR sits on the mirror and where it looks (yaw about the vertical)."""

    x_m: float = 0.0
    height_m: float = 1.9
    yaw_deg: float = 0.0


class Hcsr501:
    """The module's output: level(now) is 1 while it signals motion. Evaluated lazily in
    STEP_S steps on the clock it is given (seconds; the world's time is clock() - epoch)."""

    def __init__(
        self,
        clock: Callable[[], float],
        stage: Stage,
        *,
        mount: PirMount = PirMount(),
        seed: int = 0,
        trimmers: Trimmers = Trimmers(),
    ) -> None:
        self.clock = clock
        self.stage = stage
        self.mount = mount
        self.repeat = trimmers.repeat
        self.delay_s = trimmers.delay_s
        self.lock_s = trimmers.lock_s
        self.rng = random.Random(seed)
        self.powered_at = clock()
        self.stuck = False  # a fault: the output held high
        self.t = self.powered_at  # evaluated up to here
        self.high_until = -math.inf  # output high before this time
        self.locked_until = -math.inf
        self.triggers = 0  # rising edges since power-on (for tests)
        # the false outputs of initialisation: 0-3 pulses at random times in the first minute
        self.warmup_s = trimmers.warmup_s
        self._warm_pulses = sorted(
            self.powered_at + self.rng.uniform(1.0, max(1.0, self.warmup_s - 5.0))
            for _ in range(self.rng.randint(0, 3))
        )

    def level(self, now: float | None = None) -> int:
        """The output pin now: 1 (motion) or 0."""
        now = self.clock() if now is None else now
        while self.t + STEP_S <= now:
            self.t += STEP_S
            self._step(self.t)
        if self.stuck:
            return 1
        return 1 if now < self.high_until else 0

    def _step(self, t: float) -> None:
        if t < self.high_until:
            sensed = self._sensed(t)
            if sensed and self.repeat:
                self.high_until = t + self.delay_s
            if t + STEP_S >= self.high_until:
                self.locked_until = self.high_until + self.lock_s
            return
        if t < self.locked_until:
            return
        if self._sensed(t):
            self.high_until = t + self.delay_s
            self.triggers += 1

    def _sensed(self, t: float) -> bool:
        if t - self.powered_at < self.warmup_s:
            # initialising: only its own false pulses
            while self._warm_pulses and self._warm_pulses[0] <= t:
                self._warm_pulses.pop(0)
                return True
            return False
        world, wt = self.stage.at(t)
        if world is None:
            return False
        for _, strength in world.heat_between(wt - STEP_S, wt):
            if self.rng.random() < strength:
                return True
        p_miss = 1.0
        for person, x, y in world.present(wt):
            if not person.warm:
                continue
            p_miss *= 1.0 - self._chance(
                person.height_m, person.radius_m, x, y, person.velocity(wt)
            )
        return self.rng.random() > p_miss

    def _chance(
        self, height: float, radius: float, x: float, y: float, v: tuple[float, float]
    ) -> float:
        """Probability of sensing this body in one step."""
        m = self.mount
        dx, dy = x - m.x_m, y
        r = math.hypot(dx, dy)
        if r < 0.05 or r > RANGE_M or dy <= 0:  # noqa: PLR2004 - on the sensor itself
            return 0.0
        off_axis = math.degrees(math.atan2(dx, dy)) - m.yaw_deg
        if abs(off_axis) > CONE_DEG / 2:
            return 0.0
        ux, uy = dx / r, dy / r
        tangential = abs(v[0] * uy - v[1] * ux)
        radial = abs(v[0] * ux + v[1] * uy)
        angular = (tangential + 0.5 * radial) / r
        if angular < ANGULAR_MIN:
            return 0.0
        size = min(1.0, (height * radius) / (1.75 * 0.22))  # an adult's silhouette is 1
        reach = 1.0 - (r / RANGE_M) ** 4
        return min(1.0, (angular - ANGULAR_MIN) / ANGULAR_FULL) * size * reach
