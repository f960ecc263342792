"""Seeded scenarios for the world of people (vitrine.sim.people): walk-bys, approaches and stays,
groups, children, a bag left on the floor, people outside the sensors' view, an empty hour
with its sunlight and draughts. The same seed gives the same world, so a benchmark's figures
can be reproduced; every scenario is a World whose truth (zones, crossings, who looks) the
benchmarks read.

The numbers come from how people move in shops: walking speed 1.0-1.5 m/s (a shopping pace;
1.4 m/s is the usual pedestrian figure), a passer-by 0.5-3 m from the glass, a shopper
stopping 0.3-1.0 m from a mirror for 30 s to 10 min, groups of 2-4 walking side by side or
one behind the other.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from vitrine.sim.people import BODIES, SHARED_FACES, Kind, Person, Phone, Room, World, merge

WALK_M_S = (1.0, 1.5)  # walking speed
WALK_BY_DISTANCE_M = (0.5, 3.0)  # how far from the glass a passer-by walks
STAY_S = (30.0, 600.0)  # how long a shopper who stops stays
STOP_DISTANCE_M = (0.3, 1.0)  # where they stop
STREET_HALF_M = 5.0  # walkers come from and go to this far along the glass
REFLECTANCE = (0.3, 0.8)  # clothes at 940 nm (skin is about 0.5; very dark fabric lower)


def body(
    pid: str,
    kind: Kind,
    rng: random.Random,
    path: list[tuple[float, float, float]],
    *,
    stays: bool = False,
    looks: tuple[tuple[float, float], ...] = (),
    waves: tuple[tuple[float, float], ...] = (),
) -> Person:
    """A person of that kind on that path, with a height, clothes, a phone and a face drawn
    from rng."""
    heights, radius, depth, warm, sway = BODIES[kind]
    phone = None
    face = None
    if kind == "adult":
        if rng.random() < 0.7:  # noqa: PLR2004 - most shoppers carry a phone
            consented = rng.random() < 0.3  # noqa: PLR2004 - some are loyalty members
            phone = Phone(
                f"{rng.getrandbits(48):012x}",
                consented,
                f"M-{rng.randrange(10000):04d}" if consented else None,
            )
        face = rng.choice(SHARED_FACES[:3])
    elif kind == "child":
        face = rng.choice(SHARED_FACES[3:])
    return Person(
        id=pid,
        kind=kind,
        path=tuple(path),
        height_m=round(rng.uniform(*heights), 3),
        radius_m=radius,
        depth_m=depth,
        nir_reflectance=round(rng.uniform(*REFLECTANCE), 3),
        stays=stays,
        sway_m=sway if warm else 0.0,
        looks=looks,
        waves=waves,
        phone=phone,
        face=face,
    )


def walk_by(
    pid: str,
    rng: random.Random,
    t0: float,
    *,
    distance_m: float | None = None,
    speed_m_s: float | None = None,
    kind: Kind = "adult",
) -> Person:
    """Someone walking along the glass at a steady distance, from one side to the other."""
    y = distance_m if distance_m is not None else rng.uniform(*WALK_BY_DISTANCE_M)
    v = speed_m_s if speed_m_s is not None else rng.uniform(*WALK_M_S)
    side = rng.choice((-1.0, 1.0))
    x0, x1 = -side * STREET_HALF_M, side * STREET_HALF_M
    t1 = t0 + abs(x1 - x0) / v
    looks: tuple[tuple[float, float], ...] = ()
    if rng.random() < 0.4:  # noqa: PLR2004 - some glance at the mirror going by
        mid = (t0 + t1) / 2
        looks = ((mid - rng.uniform(0.3, 1.0), mid + rng.uniform(0.3, 1.0)),)
    return body(pid, kind, rng, [(t0, x0, y), (t1, x1, y)], looks=looks)


def approach_and_stay(
    pid: str,
    rng: random.Random,
    t0: float,
    *,
    stay_s: float | None = None,
    stop_m: float | None = None,
    kind: Kind = "adult",
) -> Person:
    """A shopper who walks up to the mirror from the side, stops in front of it, stays, and
    walks away to the other side."""
    v = rng.uniform(*WALK_M_S)
    stay = stay_s if stay_s is not None else rng.uniform(*STAY_S)
    stop = stop_m if stop_m is not None else rng.uniform(*STOP_DISTANCE_M)
    side = rng.choice((-1.0, 1.0))
    start = (-side * rng.uniform(3.5, STREET_HALF_M), rng.uniform(2.0, 3.2))
    here = (rng.uniform(-0.15, 0.15), stop)
    end = (side * rng.uniform(3.5, STREET_HALF_M), rng.uniform(2.0, 3.2))
    t_here = t0 + math.dist(start, here) / v
    t_leave = t_here + stay
    t_gone = t_leave + math.dist(here, end) / v
    looks = ((t_here - 1.0, t_leave),)
    waves = ()
    if stay > 20 and rng.random() < 0.5:  # noqa: PLR2004 - some wave at it while there
        w = t_here + rng.uniform(3.0, stay - 5.0)
        waves = ((w, w + rng.uniform(0.8, 2.0)),)
    path = [(t0, *start), (t_here, *here), (t_leave, *here), (t_gone, *end)]
    return body(pid, kind, rng, path, looks=looks, waves=waves)


def approach_across(
    pid: str, rng: random.Random, t0: float, *, from_m: float = 3.0, stay_s: float = 3.0
) -> Person:
    """Someone walking straight at the mirror from from_m, across the 1.5 m line, stopping at
    0.5-1.0 m for stay_s, and walking straight back: the crossing-latency scenario."""
    v = rng.uniform(*WALK_M_S)
    x = rng.uniform(-0.3, 0.3)
    stop = rng.uniform(0.5, 1.0)
    t_here = t0 + (from_m - stop) / v
    t_leave = t_here + stay_s
    t_gone = t_leave + (from_m - stop) / v
    path = [(t0, x, from_m), (t_here, x, stop), (t_leave, x, stop), (t_gone, x, from_m)]
    return body(pid, "adult", rng, path, looks=((t_here - 0.5, t_leave),))


def group(prefix: str, rng: random.Random, t0: float, n: int | None = None) -> list[Person]:
    """2-4 people walking by together: side by side (one nearer the glass) or one behind the
    other, at one pace."""
    n = n if n is not None else rng.randint(2, 4)
    v = rng.uniform(*WALK_M_S)
    y = rng.uniform(0.8, 2.6)
    out = []
    for k in range(n):
        side_by_side = k % 2 == 1
        dy = 0.55 if side_by_side else 0.0
        lag = (k // 2) * rng.uniform(0.6, 1.0) / v
        out.append(walk_by(f"{prefix}{k}", rng, t0 + lag, distance_m=min(3.0, y + dy), speed_m_s=v))
    # they walk the same way: the first one's direction
    first = out[0].path
    direction = 1.0 if first[-1][1] > first[0][1] else -1.0
    return [
        p
        if (p.path[-1][1] > p.path[0][1]) == (direction > 0)
        else replace(p, path=tuple((t, -x, y) for t, x, y in p.path))
        for p in out
    ]


def child_with_adult(prefix: str, rng: random.Random, t0: float) -> list[Person]:
    """A parent who stops at the mirror, with a child walking beside them who wanders up to
    the glass while they stay."""
    adult = approach_and_stay(f"{prefix}a", rng, t0, stay_s=rng.uniform(30.0, 90.0))
    (ta, xa, ya), (th, xh, yh), (tl, _, _), (tg, xg, yg) = adult.path
    cx = xh + rng.choice((-0.35, 0.35))
    near = rng.uniform(0.2, 0.45)
    wander = th + rng.uniform(2.0, 8.0)
    path = [
        (ta, xa + 0.4, ya),
        (th, cx, yh + 0.2),
        (wander, cx, yh + 0.2),
        (wander + 1.5, cx, near),
        (tl - 3.0, cx, near),
        (tl, cx, yh + 0.2),
        (tg, xg + 0.4, yg),
    ]
    child = body(f"{prefix}c", "child", rng, path, looks=((wander, tl - 3.0),))
    return [adult, child]


def bag(
    pid: str,
    rng: random.Random,
    t0: float,
    t1: float,
    *,
    x: float | None = None,
    y: float | None = None,
) -> Person:
    """A bag left on the floor from t0 to t1."""
    at = (
        x if x is not None else rng.uniform(-0.4, 0.4),
        y if y is not None else rng.uniform(0.4, 1.2),
    )
    return body(pid, "bag", rng, [(t0, *at), (t1, *at)])


def outside_view(pid: str, rng: random.Random, t0: float) -> Person:
    """Someone the mirror should not notice: far down the shop (3.5-6 m from the glass), or
    walking toward and away from the mirror's wall well to its side."""
    v = rng.uniform(*WALK_M_S)
    if rng.random() < 0.5:  # noqa: PLR2004 - far away, across the shop
        y = rng.uniform(3.5, 6.0)
        side = rng.choice((-1.0, 1.0))
        x0, x1 = -side * 6.0, side * 6.0
        return body(pid, "adult", rng, [(t0, x0, y), (t0 + 12.0 / v, x1, y)])
    x = rng.choice((-1.0, 1.0)) * rng.uniform(3.2, 5.0)
    y0, y1 = 6.0, rng.uniform(0.5, 1.5)
    t1 = t0 + (y0 - y1) / v
    return body(pid, "adult", rng, [(t0, x, y0), (t1, x, y1), (t1 + (y0 - y1) / v, x, y0)])


# --- sets the benchmarks use ------------------------------------------------------------------


def walk_by_set(seed: int, count: int = 60, gap_s: tuple[float, float] = (2.0, 6.0)) -> World:
    """Passers-by one after another (some in groups, some children with a parent who stops,
    a few who stop for a short look), with a gap between them: the zone-classification set."""
    rng = random.Random(seed)
    people: list[Person] = []
    t = 2.0
    for k in range(count):
        roll = rng.random()
        if roll < 0.6:  # noqa: PLR2004 - most just walk by
            new = [walk_by(f"w{k}", rng, t)]
        elif roll < 0.75:  # noqa: PLR2004
            new = group(f"g{k}.", rng, t)
        elif roll < 0.85:  # noqa: PLR2004
            new = [walk_by(f"k{k}", rng, t, kind="child")]
        elif roll < 0.95:  # noqa: PLR2004 - a short stop at the mirror
            new = [approach_and_stay(f"s{k}", rng, t, stay_s=rng.uniform(5.0, 20.0))]
        else:
            new = child_with_adult(f"c{k}.", rng, t)
        people += new
        t = max(p.end_s for p in new) + rng.uniform(*gap_s)
    return World(people=tuple(people), duration_s=t, room=Room(back_wall_m=4.5), seed=seed)


def crossing_set(seed: int, count: int = 40) -> World:
    """People walking straight up to the mirror across the 1.5 m line and back, one at a time:
    the crossing-latency set."""
    rng = random.Random(seed)
    people = []
    t = 1.0
    for k in range(count):
        person = approach_across(f"x{k}", rng, t)
        people.append(person)
        t = person.end_s + rng.uniform(2.0, 4.0)
    return World(people=tuple(people), duration_s=t, room=Room(back_wall_m=4.5), seed=seed)


def empty_hour(seed: int, duration_s: float = 3600.0) -> World:
    """An hour in which nobody comes to the mirror: a bag left on the floor in front of it for
    most of the hour, sunlight coming and going through the window (clouds), warm draughts and
    sun patches on the floor, and people walking by down the shop, outside the mirror's area."""
    rng = random.Random(seed)
    part = duration_s / 3600.0  # a shorter "hour" has its bag for as large a part of it
    left = rng.uniform(60.0, 300.0) * part
    people = [bag("bag", rng, left, duration_s - rng.uniform(60.0, 600.0) * part)]
    t = rng.uniform(20.0, 60.0)
    k = 0
    while t < duration_s - 30.0:
        person = outside_view(f"o{k}", rng, t)
        people.append(person)
        k += 1
        t = person.end_s + rng.uniform(30.0, 240.0)
    sunlight = []
    t = 0.0
    while t <= duration_s:
        sunlight.append((t, round(rng.choice((0.05, 0.1, 0.3, 0.6, 0.9)), 2)))
        t += rng.uniform(60.0, 300.0)
    heat = []
    t = rng.expovariate(20 / 3600)
    while t < duration_s:  # about 20 an hour
        heat.append((round(t, 3), round(rng.uniform(0.2, 1.0), 3)))
        t += rng.expovariate(20 / 3600)
    return World(
        people=tuple(people),
        duration_s=duration_s,
        room=Room(back_wall_m=4.5),
        sunlight=tuple(sunlight),
        heat=tuple(heat),
        seed=seed,
    )


def stays_set(seed: int, count: int = 4) -> World:
    """Shoppers who stop at the mirror for 30 s to 10 min each, one after another."""
    rng = random.Random(seed)
    people = []
    t = 1.0
    for k in range(count):
        person = approach_and_stay(f"s{k}", rng, t)
        people.append(person)
        t = person.end_s + rng.uniform(5.0, 20.0)
    return World(people=tuple(people), duration_s=t, room=Room(back_wall_m=4.5), seed=seed)


def everything(seed: int) -> World:
    """One of each: a walk-by, a group, a child with a parent, a stay, a bag, someone outside
    the mirror's view (for a demonstration and the world's own tests)."""
    rng = random.Random(seed)
    parts = [
        World(people=(walk_by("walker", rng, 1.0),)),
        World(people=tuple(group("group.", rng, 12.0))),
        World(people=tuple(child_with_adult("family.", rng, 24.0))),
        World(people=(approach_and_stay("shopper", rng, 150.0, stay_s=40.0),)),
        World(people=(bag("bag", rng, 10.0, 200.0),)),
        World(people=(outside_view("far", rng, 5.0),)),
    ]
    world = merge(parts)
    return replace(world, duration_s=max(p.end_s for p in world.people) + 2.0, seed=seed)
