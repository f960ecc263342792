"""A simulated store day with its ground truth: the world of people (vitrine.sim.people) over
the opening hours, each visitor's script (what they do on the glass, ask for, rate, buy), and
the truth of every funnel metric, worked out from the world and the scripts alone.

The day is the witness, never the judge's instrument: nothing here knows about a sensor, an
event, an observation or the analytics' SQL. `vitrine.bench.storeday` runs the day through the
simulated sensors and vision, the recorder, the writer, the roll-ups and the report, and sets
each measured metric beside the truth made here.

Who comes (seeded; the same seed gives the same day):

- passers-by walk along the glass in the aisle, 2-3 m from it (beyond the mirror's area; some
  glance at it going by, as `crowds.walk_by` draws);
- visitors walk up to the mirror and stop, either briefly (2.2-3 s: a bounce) or for a stay of
  30-240 s, at the glass (0.30-0.45 m) or in front of it (0.8-1.2 m); one at a time at the
  mirror, at least `_VISITOR_GAP_S` apart, so each visitor is one visit;
- some visitors are consenting loyalty members, and some members come back later the same
  day (repeat customers).

Times are seconds of world time from the day's opening (`DayPlan.epoch` is the wall clock of
world time 0). Truth definitions (docs/metrics.md, "A simulated store day"):

- a passer-by: a warm body whose path enters the front band (any zone but none);
- a visitor: a person who stood still in the mirror's area (in_front or at_glass) ≥ 2 s;
- a looker: a passer-by with a look at the mirror lasting ≥ 1 s;
- a visit: a run of time in which somebody is in the mirror's area, runs closer than the
  visit gap joined; a bounce: a visit shorter than the bounce threshold;
- a zone visit: a run of the world's zone (the nearest warm body's) of ≥ zone_min_s;
- an assisted session: one that showed or was asked for a product that somebody (anybody:
  the point of sale does not know who) bought within the window after (PRODUCT.md's
  mirror-assisted conversion).

The day keeps clear of the thresholds: a bounce's stop (2.2-3 s) makes zone runs under the
5 s zone minimum and visits under the 10 s bounce threshold even with the camera's 2 s
presence hold; a stay (≥ 30 s) is far above both.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace
from typing import Any

from vitrine.sim import crowds
from vitrine.sim.people import Person, Phone, World, ZoneGeometry

OPEN_S = 10 * 3600.0  # the day's opening hours: 10:00 to 20:00 (world time 0 is 10:00)
_AISLE_M = (2.0, 3.0)  # where passers-by walk: beyond the ToF's reach of a body, in the band
_SHORT_S = (2.2, 3.0)  # a bounce's stop (its zone run stays under zone_min_s's 5 s)
_STOP_S = 2.0  # standing still this long in the mirror's area makes a visitor
_STAY_S = (30.0, 240.0)  # a stay's stop
_AT_GLASS_M = (0.30, 0.45)  # where a shopper stands at the glass
_IN_FRONT_M = (0.8, 1.2)  # where one stands in front, back from the glass
_VISITOR_GAP_S = 90.0  # at least this between one visitor leaving and the next arriving
_MIN_SLOT_S = 180.0  # the least of the day each visitor is given
_SAMPLE_S = 0.02  # the truth's zones are sampled this finely
_NEAR = ("in_front", "at_glass")
_GEOMETRY = ZoneGeometry()  # the truth's zones: the simulator's default geometry
SKUS = tuple(f"SH-{n}" for n in range(101, 141))  # the catalogue the day shows and sells
# Shares of the script (not measured anywhere: the day's own, to exercise every metric).
_P_ENGAGE_STAY, _P_ENGAGE_SHORT = 0.65, 0.15
_P_REQUEST, _P_RATE, _P_MEMBER, _P_RETURN = 0.3, 0.45, 0.3, 0.35
_P_BUY_ENGAGED, _P_BUY_OTHER, _P_BUY_SHOWN = 0.4, 0.12, 0.7


@dataclass(frozen=True)
class Touch:
    """A deliberate interaction in a visitor's script, at world time t_s."""

    t_s: float
    kind: str  # tap / swipe / wave
    screen: str
    sku: str | None = None  # the product it opened, when it opened one


@dataclass(frozen=True)
class Script:
    """What one visitor does at the mirror (world times)."""

    person: str
    arrive_s: float  # entered the mirror's area (the truth)
    leave_s: float  # left it
    touches: tuple[Touch, ...] = ()
    request: tuple[float, str, float] | None = None  # (created at, sku, seconds to fulfil)
    rating: tuple[float, int, int | None] | None = None  # (at, csat 1-5, nps 0-10 or None)
    member: str | None = None  # a consenting loyalty member's id
    purchase: tuple[float, str, float] | None = None  # (at, sku bought, amount)

    @property
    def engaged(self) -> bool:
        return bool(self.touches)

    @property
    def shown_at(self) -> tuple[tuple[float, str], ...]:
        """(when, sku) of each product the session showed or was asked for."""
        out = [(t.t_s, t.sku) for t in self.touches if t.sku]
        if self.request is not None:
            out.append((self.request[0], self.request[1]))
        return tuple(out)

    @property
    def shown(self) -> tuple[str, ...]:
        """The products the session showed or was asked for."""
        out = [t.sku for t in self.touches if t.sku]
        if self.request is not None:
            out.append(self.request[1])
        return tuple(out)


@dataclass(frozen=True)
class DayPlan:
    """The day: the world of people and every visitor's script."""

    world: World
    scripts: tuple[Script, ...]
    epoch: float  # the wall clock (s since the Unix epoch) at world time 0
    seed: int
    params: dict[str, Any] = field(default_factory=dict)


def plan_day(
    seed: int = 17,
    *,
    passers: int = 320,
    visitors: int = 44,
    hours: float = 10.0,
    epoch: float = 1_773_482_400.0,  # 2026-03-14 10:00 UTC
) -> DayPlan:
    """A seeded day of `hours` hours: `passers` walk by, `visitors` stop at the mirror."""
    check_day(passers, visitors, hours)
    rng = random.Random(seed)
    length = hours * 3600.0
    people: list[Person] = []
    scripts: list[Script] = []
    slot = length / visitors
    members: list[str] = []
    for n in range(visitors):
        t0 = n * slot + rng.uniform(5.0, max(5.0, slot - _STAY_S[1] - _VISITOR_GAP_S - 30.0))
        short = rng.random() < 0.25  # noqa: PLR2004 - a quarter only glance and go
        stay = rng.uniform(*(_SHORT_S if short else _STAY_S))
        stay = min(stay, slot - _VISITOR_GAP_S - 30.0)
        at_glass = rng.random() < 0.5  # noqa: PLR2004
        stop = rng.uniform(*(_AT_GLASS_M if at_glass else _IN_FRONT_M))
        pid = f"v{n:03d}"
        person = crowds.approach_and_stay(pid, rng, t0, stay_s=stay, stop_m=stop)
        member = None
        if members and rng.random() < _P_RETURN:
            member = rng.choice(members)
        elif rng.random() < _P_MEMBER:
            member = f"M-{seed % 100:02d}{n:03d}"
            members.append(member)
        phone = Phone(f"{rng.getrandbits(48):012x}", member is not None, member)
        person = replace(person, phone=phone)
        people.append(person)
        arrive, leave = _near_span(person)
        scripts.append(_script(rng, pid, arrive, leave, short, member))
    for n in range(passers):
        t0 = rng.uniform(0.0, length - 20.0)
        people.append(crowds.walk_by(f"p{n:03d}", rng, t0, distance_m=rng.uniform(*_AISLE_M)))
    people.sort(key=lambda p: p.start_s)
    world = World(people=tuple(people), duration_s=length + 60.0, seed=seed)
    return DayPlan(
        world,
        tuple(scripts),
        epoch,
        seed,
        {"passers": passers, "visitors": visitors, "hours": hours},
    )


def check_day(passers: int, visitors: int, hours: float) -> None:
    """ValueError naming what does not fit: passers ≥ 0, visitors ≥ 1, hours 0.1..24, and at
    least _MIN_SLOT_S of the day for each visitor (one at a time at the mirror)."""
    if passers < 0 or visitors < 1 or not 0.1 <= hours <= 24:  # noqa: PLR2004
        raise ValueError(
            f"store day: passers={passers}, visitors={visitors}, hours={hours:g}: "
            "allowed passers ≥ 0, visitors ≥ 1, hours 0.1..24"
        )
    most = int(hours * 3600.0 // _MIN_SLOT_S)
    if visitors > most:
        raise ValueError(
            f"store day: visitors={visitors} do not fit {hours:g} h: one at a time at the "
            f"mirror, at most {most} ({_MIN_SLOT_S:g} s each)"
        )


def _script(  # noqa: PLR0913 - the script's draws and what they hang on
    rng: random.Random, pid: str, arrive: float, leave: float, short: bool, member: str | None
) -> Script:
    """A visitor's touches, request, rating and purchase, drawn from rng."""
    stay = leave - arrive
    touches: list[Touch] = []
    if rng.random() < (_P_ENGAGE_SHORT if short else _P_ENGAGE_STAY):
        t = arrive + rng.uniform(0.5, min(3.0, stay * 0.5))
        while t < leave - 1.0:
            kind = rng.choice(("tap", "tap", "tap", "swipe", "wave"))
            sku = rng.choice(SKUS) if kind == "tap" and rng.random() < 0.6 else None  # noqa: PLR2004
            touches.append(Touch(t, kind, "product" if sku else "browse", sku))
            t += rng.uniform(2.0, 25.0)
        if not touches:
            touches.append(Touch(arrive + stay * 0.5, "tap", "browse"))
    request = rating = purchase = None
    if touches and not short and rng.random() < _P_REQUEST:
        at = rng.uniform(touches[0].t_s, leave - 0.5)
        request = (at, rng.choice(SKUS), round(rng.uniform(45.0, 420.0), 1))
    if touches and rng.random() < _P_RATE:
        nps = rng.randint(0, 10) if rng.random() < 0.8 else None  # noqa: PLR2004
        rating = (leave - 0.5, rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 4, 4))[0], nps)
    if rng.random() < (_P_BUY_ENGAGED if touches else _P_BUY_OTHER):
        shown = [t.sku for t in touches if t.sku] + ([request[1]] if request else [])
        if shown and rng.random() < _P_BUY_SHOWN:
            sku = rng.choice(shown)
        else:
            sku = rng.choice([s for s in SKUS if s not in shown])
        purchase = (leave + rng.uniform(60.0, 1500.0), sku, round(rng.uniform(15.0, 180.0), 2))
    return Script(pid, arrive, leave, tuple(touches), request, rating, member, purchase)


def _stopped(person: Person, geometry: ZoneGeometry) -> float:
    """The longest the person stood still (on the path, sway aside) in the mirror's area."""
    best = 0.0
    for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(person.path):
        if (x0, y0) == (x1, y1) and geometry.zone_of(x0, y0) in _NEAR:
            best = max(best, t1 - t0)
    return best


def _near_span(person: Person, geometry: ZoneGeometry = _GEOMETRY) -> tuple[float, float]:
    """When the person first entered and last left the mirror's area (sampled)."""
    inside = [t for t, zone in _zones(person, geometry) if zone in _NEAR]
    if not inside:
        raise ValueError(f"store day: visitor {person.id} never reaches the mirror's area")
    return inside[0], inside[-1] + _SAMPLE_S


def _zones(person: Person, geometry: ZoneGeometry) -> list[tuple[float, str]]:
    out = []
    n = 0
    t = person.start_s
    while t <= person.end_s:
        pos = person.at(t)
        out.append((t, geometry.zone_of(*pos) if pos is not None else "none"))
        n += 1
        t = person.start_s + n * _SAMPLE_S
    return out


# -- the truth ------------------------------------------------------------------------------


def _runs(samples: list[tuple[float, str]], wanted: tuple[str, ...]) -> list[tuple[float, float]]:
    """Runs of consecutive samples whose zone is one of `wanted`, as (start, end)."""
    runs: list[tuple[float, float]] = []
    start = None
    for t, zone in samples:
        if zone in wanted and start is None:
            start = t
        elif zone not in wanted and start is not None:
            runs.append((start, t))
            start = None
    if start is not None:
        runs.append((start, samples[-1][0] + _SAMPLE_S))
    return runs


def _world_zones(world: World, geometry: ZoneGeometry) -> list[tuple[float, str]]:
    """The world's zone (the nearest warm body's), sampled over each stretch where someone
    is in the front band, with "none" between stretches."""
    order = {"none": 0, "passing": 1, "in_front": 2, "at_glass": 3}
    by_time: dict[int, str] = {}
    for person in world.people:
        if not person.warm:
            continue
        for t, zone in _zones(person, geometry):
            key = round(t / _SAMPLE_S)
            if order[zone] > order[by_time.get(key, "none")]:
                by_time[key] = zone
    out: list[tuple[float, str]] = []
    last = None
    for key in sorted(by_time):
        if last is not None and key > last + 1:
            out.append(((last + 1) * _SAMPLE_S, "none"))
        out.append((key * _SAMPLE_S, by_time[key]))
        last = key
    if last is not None:
        out.append(((last + 1) * _SAMPLE_S, "none"))
    return out


def truth(  # noqa: PLR0913 - the rules, as the report takes them
    plan: DayPlan,
    *,
    visit_gap_s: float = 30.0,
    bounce_s: float = 10.0,
    zone_min_s: float = 5.0,
    assisted_window_h: float = 24.0,
    geometry: ZoneGeometry = _GEOMETRY,
) -> dict[str, Any]:
    """Every funnel metric of the day as the world and the scripts make it (the names of
    `vitrine analytics report --json`)."""
    world, scripts = plan.world, plan.scripts
    warm = [p for p in world.people if p.warm]
    passers = [p for p in warm if any(z != "none" for _t, z in _zones(p, geometry))]
    lookers = [p for p in passers if any(b - a >= 1.0 for a, b in p.looks)]
    visitors = [p for p in warm if _stopped(p, geometry) >= _STOP_S]
    zones = _world_zones(world, geometry)
    near = _runs(zones, _NEAR)
    visits: list[list[float]] = []
    for a, b in near:
        if visits and a - visits[-1][1] < visit_gap_s:
            visits[-1][1] = b
        else:
            visits.append([a, b])
    durations = [b - a for a, b in visits]
    dwell: dict[str, dict[str, float | None]] = {}
    for zone in _NEAR:
        runs = [b - a for a, b in _runs(zones, (zone,)) if b - a >= zone_min_s]
        dwell[zone] = {
            "visits": float(len(runs)),
            "dwell_s": sum(runs),
            "mean_dwell_s": sum(runs) / len(runs) if runs else None,
        }
    sessions = len(scripts)
    engaged = sum(1 for s in scripts if s.engaged)
    buys = [s for s in scripts if s.purchase is not None]
    window = assisted_window_h * 3600.0
    sold = [(s.purchase[0], s.purchase[1]) for s in buys if s.purchase is not None]
    assisted = sum(
        1
        for s in scripts
        if any(
            sku == shown and at <= t <= at + window for at, shown in s.shown_at for t, sku in sold
        )
    )
    requests = [s.request for s in scripts if s.request is not None]
    ratings = [s.rating for s in scripts if s.rating is not None]
    answers = [r[2] for r in ratings if r[2] is not None]
    seen: set[str] = set()
    repeat: set[str] = set()
    for s in sorted(scripts, key=lambda s: s.arrive_s):
        if s.member is None:
            continue
        if s.member in seen:
            repeat.add(s.member)
        seen.add(s.member)

    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    return {
        "passers_by": float(len(passers)),
        "visitors": float(len(visitors)),
        "shopfront_conversion": ratio(len(visitors), len(passers)),
        "attention_rate": ratio(len(lookers), len(passers)),
        "sessions": float(sessions),
        "engagement_rate": ratio(engaged, len(visitors)),
        "visits": float(len(visits)),
        "bounce_rate": ratio(sum(1 for d in durations if d < bounce_s), len(visits)),
        "mean_visit_s": ratio(sum(durations), len(visits)),
        "dwell_by_zone": dwell,
        "transactions": float(len(buys)),
        "sales_amount": round(sum(s.purchase[2] for s in buys if s.purchase), 2),
        "sales_conversion": ratio(len(buys), len(visitors)),
        "assisted_sessions": float(assisted),
        "mirror_assisted_conversion": ratio(assisted, sessions),
        "requests": float(len(requests)),
        "fulfilled": float(len(requests)),
        "mean_fulfil_s": ratio(sum(r[2] for r in requests), len(requests)),
        "ratings": float(len(ratings)),
        "csat": ratio(100.0 * sum(1 for r in ratings if r[1] >= 4), len(ratings)),  # noqa: PLR2004
        "mean_csat": ratio(sum(r[1] for r in ratings), len(ratings)),
        "nps": ratio(
            100.0 * (sum(1 for a in answers if a >= 9) - sum(1 for a in answers if a <= 6)),  # noqa: PLR2004
            len(answers),
        ),
        "members": float(len(seen)),
        "repeat_customers": float(len(repeat)),
        "repeat_rate": ratio(len(repeat), len(seen)),
    }
