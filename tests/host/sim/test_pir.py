"""The HC-SR501 model (vitrine.sim.pir): warm-up, cone and range, repeat trigger, lock time,
heat events and a stuck output, on a clock the test moves."""

from __future__ import annotations

import random

import pytest

from vitrine.sim import crowds
from vitrine.sim.people import Person, Stage, World
from vitrine.sim.pir import Hcsr501, Trimmers


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def walker(y: float, x0: float = -4.0, x1: float = 4.0, t0: float = 70.0, v: float = 1.2):
    return Person(
        id=f"w{y}{x0}",
        kind="adult",
        path=((t0, x0, y), (t0 + abs(x1 - x0) / v, x1, y)),
        height_m=1.75,
        radius_m=0.22,
    )


def levels(pir: Hcsr501, clock: Clock, t0: float, t1: float, step: float = 0.05) -> list[int]:
    out = []
    clock.t = t0
    while clock.t < t1:
        out.append(pir.level())
        clock.t += step
    return out


def make(world: World | None, **kw) -> tuple[Hcsr501, Clock]:
    clock = Clock()
    seed = kw.pop("seed", 1)
    return Hcsr501(clock, Stage(world), seed=seed, trimmers=Trimmers(**kw)), clock


def test_warming_up_it_may_pulse_but_sees_nobody():
    pulses = []
    for seed in range(20):
        pir, clock = make(World(people=(walker(2.0, t0=5.0),)), seed=seed)
        levels(pir, clock, 0.0, 59.0)
        pulses.append(pir.triggers)
    assert max(pulses) <= 3 and min(pulses) == 0 and sum(pulses) > 0


def test_a_walker_in_the_cone_keeps_it_high_and_it_falls_after_the_delay_then_locks():
    pir, clock = make(World(people=(walker(2.0),)))
    got = levels(pir, clock, 60.0, 90.0)
    assert 1 in got
    first = got.index(1)
    last = len(got) - 1 - got[::-1].index(1)
    assert got[first : last + 1].count(0) == 0  # repeat trigger: one pulse while they walk
    # in the cone for about 2 * 2 m * tan(55 deg) / 1.2 m/s = 4.8 s, then high for Tx more
    assert 4.0 < (last - first) * 0.05 < 9.0


def test_a_body_at_rest_is_not_seen_and_a_bag_never():
    still = Person(id="s", kind="adult", path=((0.0, 0.0, 1.0),), height_m=1.7, radius_m=0.22,
                   stays=True, sway_m=0.0)  # fmt: skip
    bag = Person(id="b", kind="bag", path=((0.0, 0.0, 0.5),), height_m=0.4, radius_m=0.2,
                 stays=True)  # fmt: skip
    pir, clock = make(World(people=(still, bag)))
    assert set(levels(pir, clock, 61.0, 200.0)) == {0}


def test_outside_the_cone_or_range_nothing():
    beside = Person(id="b", kind="adult", path=((60.0, 5.0, 0.5), (70.0, 5.0, 2.0)),
                    height_m=1.7, radius_m=0.22)  # fmt: skip
    far = walker(7.5)
    pir, clock = make(World(people=(beside, far)))
    assert 1 not in levels(pir, clock, 60.0, 80.0)


def test_single_trigger_mode_falls_after_the_delay_even_while_motion_goes_on():
    pir, clock = make(World(people=(walker(2.0, x0=-1.0, x1=1.0, v=0.2),)), repeat=False)
    got = levels(pir, clock, 60.0, 85.0)
    runs = "".join(map(str, got)).split("0")
    assert max(len(r) for r in runs) <= int(2.5 / 0.05) + 1
    assert pir.triggers >= 2  # it triggers again after the lock time


def test_heat_events_trigger_it_as_often_as_their_strength():
    heat = tuple((100.0 + k * 10.0, 0.5) for k in range(200))
    pir, clock = make(World(heat=heat), seed=4)
    levels(pir, clock, 60.0, 2100.0, step=0.5)
    assert 70 < pir.triggers < 130


def test_stuck_holds_it_high():
    pir, clock = make(None)
    pir.stuck = True
    assert set(levels(pir, clock, 61.0, 62.0)) == {1}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_fidgeting_shopper_at_the_mirror_retriggers_it_now_and_then(seed):
    shopper = crowds.approach_and_stay("s", random.Random(seed), 60.0, stay_s=120.0)
    pir, clock = make(World(people=(shopper,)), seed=seed)
    th, tl = shopper.path[1][0], shopper.path[2][0]
    got = levels(pir, clock, th + 5.0, tl - 5.0)
    assert 0 < sum(got) < len(got)  # neither always nor never
