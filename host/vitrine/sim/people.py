"""The simulator's one world of people: who is where in front of the mirror, when, and what
they do there. Every simulated sensor (the time-of-flight chips, the PIR, and later the
camera's synthetic frames and the BLE air) observes this one world in its own physics, and
benchmarks take their ground truth from it, never from a sensor. Nothing here knows about a
sensor: a person has a body, a path, a gaze, hands, a phone and a face; the room has its
light and its draughts.

Coordinates are metres in the mirror's frame, seen from above: x along the glass (0 at the
mirror's centre, positive to the right of a shopper facing the mirror), y the distance from
the glass (positive in front of it); heights are metres above the floor. Times are seconds
of world time (a world's t = 0 is its start; the live simulation's is its power-on).

A person moves along a path of (t_s, x_m, y_m) waypoints, linearly between them; before the
first waypoint they are not there, after the last they are gone, or stand there for good
when `stays` is set. Standing (slower than STILL_M_S), people sway a little, as people in
front of a mirror do (`sway_m`, a few centimetres): the truth includes it. A bag is a kind of
"person" with no warmth, no gaze and no sway: an object left on the floor.

The world serialises to JSON (`to_json` / `from_json`), which is how it reaches a virtual
board's process over the world channel (vitrine.sim.world) and how scenarios are saved.
docs/simulator.md describes the model and the API.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["adult", "child", "bag"]
KINDS: tuple[Kind, ...] = ("adult", "child", "bag")
ZoneName = Literal["none", "passing", "in_front", "at_glass"]
ZONES: tuple[ZoneName, ...] = ("none", "passing", "in_front", "at_glass")

STILL_M_S = 0.05  # slower than this a person is standing (and sways)
_SWAY_PERIOD_S = 4.3  # a standing person's slow side-to-side sway, one cycle
_EPS_S = 1e-9

# What a kind of body is like, for the generators and for from_json's defaults: (height range
# m, radius m: half the shoulders' or the object's width, half its depth front to back, warm,
# sway m). An adult's shoulders are about 0.45 m across and the chest 0.25 m deep; a child's
# about two thirds of that (anthropometric tables, e.g. NASA-STD-3000 / DINED).
BODIES: dict[Kind, tuple[tuple[float, float], float, float, bool, float]] = {
    "adult": ((1.55, 1.95), 0.22, 0.13, True, 0.03),
    "child": ((0.95, 1.35), 0.15, 0.09, True, 0.05),
    "bag": ((0.35, 0.55), 0.20, 0.12, False, 0.0),
}

SHARED_FACES = (  # the photos in the shared images folder a person's face may be
    "pexels_neutral.jpeg",
    "pexels_angry.jpg",
    "pexels_surprised.jpeg",
    "pexels_happy-baby.jpeg",
    "pexels_sad-baby.jpeg",
)


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone a person carries: its advertised id, whether its owner consented to the loyalty
    programme, and their loyalty id when they did."""

    id: str
    consented: bool = False
    loyalty_id: str | None = None


Interval = tuple[float, float]  # (start_s, end_s)


@dataclass(frozen=True)
class Person:
    """One body in the world: a shopper (adult or child) or a bag on the floor."""

    id: str
    kind: Kind
    path: tuple[tuple[float, float, float], ...]  # (t_s, x_m, y_m), times ascending
    height_m: float
    radius_m: float  # half its width (along the glass)
    depth_m: float = 0.0  # half its depth (toward the glass); 0: as the radius
    nir_reflectance: float = 0.5  # clothes (or the bag) at 940 nm, 0..1
    stays: bool = False  # after the last waypoint: stands there for good (else gone)
    sway_m: float = 0.0  # amplitude of a standing person's sway
    looks: tuple[Interval, ...] = ()  # when they look at the mirror
    waves: tuple[Interval, ...] = ()  # when they wave a hand at it
    phone: Phone | None = None
    face: str | None = None  # a photo from the shared images folder
    _times: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"person {self.id}: kind={self.kind!r}, allowed: {', '.join(KINDS)}")
        if not self.path:
            raise ValueError(f"person {self.id}: the path needs at least one waypoint")
        times = tuple(p[0] for p in self.path)
        if any(b < a for a, b in itertools.pairwise(times)):
            raise ValueError(f"person {self.id}: path times must not go back ({times})")
        for name, lo, hi in (
            ("height_m", 0.1, 2.5),
            ("radius_m", 0.02, 1.0),
            ("depth_m", 0.0, 1.0),
            ("nir_reflectance", 0.0, 1.0),
            ("sway_m", 0.0, 0.5),
        ):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"person {self.id}: {name}={value!r}, allowed {lo:g}..{hi:g}")
        object.__setattr__(self, "_times", times)
        if not self.depth_m:
            object.__setattr__(self, "depth_m", self.radius_m)

    # --- where ---------------------------------------------------------------------------

    @property
    def start_s(self) -> float:
        return self.path[0][0]

    @property
    def end_s(self) -> float:
        """When they leave the world (inf for one who stays)."""
        return math.inf if self.stays else self.path[-1][0]

    @property
    def warm(self) -> bool:
        """A living body (its warmth is what a PIR sees); a bag is not."""
        return BODIES[self.kind][3]

    def here(self, t: float) -> bool:
        return self.start_s <= t <= self.end_s

    def _walk(self, t: float) -> tuple[float, float, float, float]:
        """(x, y, vx, vy) on the path at t, without sway (t inside the person's time)."""
        path, times = self.path, self._times
        i = bisect.bisect_right(times, t)
        if i <= 0:
            return path[0][1], path[0][2], 0.0, 0.0
        if i >= len(path):
            return path[-1][1], path[-1][2], 0.0, 0.0
        (t0, x0, y0), (t1, x1, y1) = path[i - 1], path[i]
        if t1 - t0 <= _EPS_S:
            return x1, y1, 0.0, 0.0
        a = (t - t0) / (t1 - t0)
        vx, vy = (x1 - x0) / (t1 - t0), (y1 - y0) / (t1 - t0)
        return x0 + a * (x1 - x0), y0 + a * (y1 - y0), vx, vy

    def at(self, t: float) -> tuple[float, float] | None:
        """(x_m, y_m) at t, sway included, or None when they are not in the world."""
        if not self.here(t):
            return None
        x, y, vx, vy = self._walk(t)
        if self.sway_m and math.hypot(vx, vy) < STILL_M_S:
            x += self.sway_m * math.sin(2 * math.pi * t / _SWAY_PERIOD_S + self._phase())
        return x, y

    def velocity(self, t: float) -> tuple[float, float]:
        """(vx, vy) in m/s at t, sway included; (0, 0) when not there."""
        if not self.here(t):
            return 0.0, 0.0
        _, _, vx, vy = self._walk(t)
        if self.sway_m and math.hypot(vx, vy) < STILL_M_S:
            w = 2 * math.pi / _SWAY_PERIOD_S
            vx += self.sway_m * w * math.cos(w * t + self._phase())
        return vx, vy

    def _phase(self) -> float:
        return (sum(self.id.encode()) % 628) / 100.0

    # --- what they do ----------------------------------------------------------------------

    def looking(self, t: float) -> bool:
        """Looking at the mirror at t."""
        return self.here(t) and _inside(self.looks, t)

    def waving(self, t: float) -> bool:
        """Waving a hand at the mirror at t."""
        return self.here(t) and _inside(self.waves, t)

    # --- JSON --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": [list(p) for p in self.path],
            "height_m": self.height_m,
            "radius_m": self.radius_m,
            "depth_m": self.depth_m,
            "nir_reflectance": self.nir_reflectance,
            "stays": self.stays,
            "sway_m": self.sway_m,
            "looks": [list(i) for i in self.looks],
            "waves": [list(i) for i in self.waves],
            "phone": (
                {
                    "id": self.phone.id,
                    "consented": self.phone.consented,
                    "loyalty_id": self.phone.loyalty_id,
                }
                if self.phone
                else None
            ),
            "face": self.face,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "person") -> Person:
        """A person from to_json's shape; raises ValueError naming the field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: not an object")
        kind = data.get("kind", "adult")
        if kind not in KINDS:
            raise ValueError(f"{where}.kind={kind!r}: allowed {', '.join(KINDS)}")
        heights, radius, depth, _warm, sway = BODIES[kind]
        phone = data.get("phone")
        try:
            return cls(
                id=str(data["id"]),
                kind=kind,
                path=tuple(_triple(p, f"{where}.path") for p in data["path"]),
                height_m=_number(data.get("height_m", sum(heights) / 2), f"{where}.height_m"),
                radius_m=_number(data.get("radius_m", radius), f"{where}.radius_m"),
                depth_m=_number(data.get("depth_m", depth), f"{where}.depth_m"),
                nir_reflectance=_number(
                    data.get("nir_reflectance", 0.5), f"{where}.nir_reflectance"
                ),
                stays=bool(data.get("stays", False)),
                sway_m=_number(data.get("sway_m", sway), f"{where}.sway_m"),
                looks=tuple(_pair(i, f"{where}.looks") for i in data.get("looks", ())),
                waves=tuple(_pair(i, f"{where}.waves") for i in data.get("waves", ())),
                phone=(
                    Phone(str(phone["id"]), bool(phone.get("consented")), phone.get("loyalty_id"))
                    if phone
                    else None
                ),
                face=data.get("face"),
            )
        except KeyError as err:
            raise ValueError(f"{where}: missing {err.args[0]!r}") from err
        except TypeError as err:
            raise ValueError(f"{where}: {err}") from err


@dataclass(frozen=True)
class Room:
    """What stands in front of the mirror besides people: the opposite wall or shelves."""

    back_wall_m: float | None = None  # its distance from the glass; None: open floor
    wall_reflectance: float = 0.5  # at 940 nm
    floor_reflectance: float = 0.3


@dataclass(frozen=True)
class ZoneGeometry:
    """Where the truth's zones lie: by where a person stands, the centre of their body (a
    line on the floor 1.5 m from the glass is crossed when they step over it). A warm body in
    front of the mirror (its x within half_width_m of the mirror's centre) is at the glass
    nearer than at_glass_m, in front nearer than in_front_m, passing nearer than passing_m;
    anywhere else it is none (beside the mirror, or far down the shop). The nearest zone any
    warm body is in is the world's zone."""

    at_glass_m: float = 0.6
    in_front_m: float = 1.5
    passing_m: float = 3.0
    half_width_m: float = 0.6

    def zone_of(self, x: float, y: float) -> ZoneName:
        """The zone of a body standing at (x, y)."""
        if y < 0 or abs(x) > self.half_width_m:
            return "none"
        if y < self.at_glass_m:
            return "at_glass"
        if y < self.in_front_m:
            return "in_front"
        if y < self.passing_m:
            return "passing"
        return "none"


@dataclass(frozen=True)
class Crossing:
    """A warm body crossing the line y = line_m within the front band: toward the glass
    ("in") or away from it ("out")."""

    t_s: float
    person: str
    direction: Literal["in", "out"]


@dataclass(frozen=True)
class World:
    """People and a room over time, with the light and the draughts that bother sensors."""

    people: tuple[Person, ...] = ()
    duration_s: float = 60.0
    room: Room = Room()
    # Sunlight on the mirror's front: (t_s, level) points, linear between them; 1.0 is direct
    # sun through the shop window. Held at the ends; none given: an indoor 0.02.
    sunlight: tuple[tuple[float, float], ...] = ()
    # Warm draughts and sun patches moving over the floor (a heater's gust, a cloud passing):
    # (t_s, strength 0..1) events a heat sensor may take for a body.
    heat: tuple[tuple[float, float], ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        ids = [p.id for p in self.people]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"world: person ids must be unique; repeated: {', '.join(doubles)}")

    # --- queries --------------------------------------------------------------------------

    def present(self, t: float) -> list[tuple[Person, float, float]]:
        """(person, x, y) of everybody (and every bag) in the world at t."""
        out = []
        for person in self.people:
            pos = person.at(t)
            if pos is not None:
                out.append((person, pos[0], pos[1]))
        return out

    def person(self, pid: str) -> Person:
        for p in self.people:
            if p.id == pid:
                return p
        raise KeyError(f"no person {pid!r} in this world")

    def zone(self, t: float, geometry: ZoneGeometry = ZoneGeometry()) -> ZoneName:
        """The truth: the nearest zone any warm body is in at t."""
        best = 0
        for person, x, y in self.present(t):
            if person.warm:
                best = max(best, ZONES.index(geometry.zone_of(x, y)))
        return ZONES[best]

    def nearest(
        self, t: float, geometry: ZoneGeometry = ZoneGeometry()
    ) -> tuple[Person, float] | None:
        """The warm body nearest the glass in front of the mirror at t, with its distance."""
        best: tuple[Person, float] | None = None
        for person, x, y in self.present(t):
            inside = person.warm and y >= 0 and abs(x) <= geometry.half_width_m
            if inside and (best is None or y < best[1]):
                best = (person, y)
        return best

    def sunlight_at(self, t: float) -> float:
        """Sunlight on the mirror's front at t, 0..1."""
        return _profile(self.sunlight, t, 0.02)

    def heat_between(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """The heat events in [t0, t1)."""
        return [(t, s) for t, s in self.heat if t0 <= t < t1]

    def crossings(self, line_m: float, geometry: ZoneGeometry = ZoneGeometry()) -> list[Crossing]:
        """Every crossing of the line line_m from the glass by a warm body walking in front of
        the mirror, solved on the paths' straight segments (sway leaves y alone), in time
        order."""
        out = []
        for person in self.people:
            if not person.warm:
                continue
            path = person.path
            line = line_m
            for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(path):
                if (y0 - line) * (y1 - line) >= 0 or t1 <= t0:
                    continue
                a = (line - y0) / (y1 - y0)
                x = x0 + a * (x1 - x0)
                if abs(x) <= geometry.half_width_m:
                    out.append(Crossing(t0 + a * (t1 - t0), person.id, "in" if y1 < y0 else "out"))
        return sorted(out, key=lambda c: c.t_s)

    # --- changing it (a world is immutable: these return a new one) -----------------------------

    def with_person(self, person: Person) -> World:
        """This world with the person added, or replaced when one has their id."""
        people = [p for p in self.people if p.id != person.id] + [person]
        return replace(self, people=tuple(people))

    def without(self, pid: str) -> World:
        return replace(self, people=tuple(p for p in self.people if p.id != pid))

    def shifted(self, dt: float) -> World:
        """The same world dt seconds later in time (a scenario placed after another)."""
        return replace(
            self,
            people=tuple(
                replace(
                    p,
                    path=tuple((t + dt, x, y) for t, x, y in p.path),
                    looks=tuple((a + dt, b + dt) for a, b in p.looks),
                    waves=tuple((a + dt, b + dt) for a, b in p.waves),
                )
                for p in self.people
            ),
            sunlight=tuple((t + dt, v) for t, v in self.sunlight),
            heat=tuple((t + dt, s) for t, s in self.heat),
        )

    # --- JSON -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "people": [p.to_json() for p in self.people],
            "duration_s": self.duration_s,
            "room": {
                "back_wall_m": self.room.back_wall_m,
                "wall_reflectance": self.room.wall_reflectance,
                "floor_reflectance": self.room.floor_reflectance,
            },
            "sunlight": [list(p) for p in self.sunlight],
            "heat": [list(p) for p in self.heat],
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> World:
        """A world from to_json's shape; raises ValueError naming the field."""
        if not isinstance(data, Mapping):
            raise ValueError("world: not an object")
        unknown = sorted(set(data) - {"people", "duration_s", "room", "sunlight", "heat", "seed"})
        if unknown:
            raise ValueError(f"world: unknown key {unknown[0]!r}")
        room = data.get("room") or {}
        if not isinstance(room, Mapping):
            raise ValueError("world.room: not an object")
        back = room.get("back_wall_m")
        people = data.get("people", [])
        if not isinstance(people, list):
            raise ValueError("world.people: not a list")
        return cls(
            people=tuple(Person.from_json(p, f"people[{i}]") for i, p in enumerate(people)),
            duration_s=_number(data.get("duration_s", 60.0), "world.duration_s"),
            room=Room(
                None if back is None else _number(back, "world.room.back_wall_m"),
                _number(room.get("wall_reflectance", 0.5), "world.room.wall_reflectance"),
                _number(room.get("floor_reflectance", 0.3), "world.room.floor_reflectance"),
            ),
            sunlight=tuple(_pair(p, "world.sunlight") for p in data.get("sunlight", ())),
            heat=tuple(_pair(p, "world.heat") for p in data.get("heat", ())),
            seed=int(data.get("seed", 0)),
        )


class Stage:
    """A world as a running simulation plays it: the world now (the simulation replaces it
    when someone walks up or leaves) and its epoch, the machine-clock time of its t = 0. The
    sensors of a board process read it at their own clock's time."""

    def __init__(self, world: World | None = None, epoch: float = 0.0) -> None:
        self.world = world
        self.epoch = epoch

    def at(self, clock_s: float) -> tuple[World | None, float]:
        """The world and the world's time at that clock time."""
        return self.world, clock_s - self.epoch


def merge(worlds: Iterable[World], duration_s: float | None = None) -> World:
    """One world holding every person, light and draught of the given ones (ids must differ);
    the room is the first's."""
    worlds = list(worlds)
    if not worlds:
        return World(duration_s=duration_s or 0.0)
    return World(
        people=tuple(p for w in worlds for p in w.people),
        duration_s=duration_s if duration_s is not None else max(w.duration_s for w in worlds),
        room=worlds[0].room,
        sunlight=tuple(sorted(p for w in worlds for p in w.sunlight)),
        heat=tuple(sorted(p for w in worlds for p in w.heat)),
        seed=worlds[0].seed,
    )


def _inside(intervals: Sequence[Interval], t: float) -> bool:
    return any(a <= t < b for a, b in intervals)


def _profile(points: Sequence[tuple[float, float]], t: float, default: float) -> float:
    if not points:
        return default
    if t <= points[0][0]:
        return points[0][1]
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        if t0 <= t < t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return points[-1][1]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}={value!r}: allowed a finite number")
    return float(value)


def _triple(item: Any, where: str) -> tuple[float, float, float]:
    if not isinstance(item, (list, tuple)) or len(item) != 3:  # noqa: PLR2004 - t, x, y
        raise ValueError(f"{where}: {item!r} is not [t_s, x_m, y_m]")
    return (_number(item[0], where), _number(item[1], where), _number(item[2], where))


def _pair(item: Any, where: str) -> tuple[float, float]:
    if not isinstance(item, (list, tuple)) or len(item) != 2:  # noqa: PLR2004 - a pair
        raise ValueError(f"{where}: {item!r} is not a pair of numbers")
    return (_number(item[0], where), _number(item[1], where))
