"""The simulated air: what BLE receivers in a store hear from the phones the world's people
carry. A witness, not a judge: it turns where people are (the world, vitrine.sim.people) into
advertisements and RSSI through the radio model (vitrine.sim.rf); benchmarks take the truth
from the world, never from what a receiver made of these.

Each phone advertises at an interval of its own, drawn once from 100-1000 ms (what phones'
background advertising does: Android's ADVERTISE_MODE_LOW_LATENCY is 100 ms,
ADVERTISE_MODE_LOW_POWER 1000 ms), plus a random 0-10 ms advDelay per event. What it sends:

- a consenting member's phone whose key the mirror holds: the loyalty advertisement with the
  token of the moment (vitrine.devices.beacons.loyalty; the air plays the store's app);
- a consenting phone whose member the mirror does not know (forgotten, or enrolled at another
  mirror): the loyalty advertisement under a key the mirror never had;
- anybody else's phone: what phones send anyway (Apple's Nearby Info manufacturer data with
  random bytes), nothing that names them.

Each phone's BLE address is a random resolvable private address that changes every 15
minutes, as the phones' OSes do. Positions and facing come from the world: a walking person
faces where they go, a standing one faces the mirror while looking at it and turns away from
it otherwise (the phone is carried in front, so a body turned away from a receiver shadows it).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from vitrine.devices.beacons import loyalty
from vitrine.sim.people import STILL_M_S, Person, World
from vitrine.sim.rf import ADV_DELAY_S, RadioModel, body_between, collision_survival
from vitrine_fw.beacon import adverts as fw

MIN_INTERVAL_S = 0.100
MAX_INTERVAL_S = 1.000
ADDRESS_ROTATION_S = 900.0  # phones change their random address every 15 minutes
EPOCH_UNIX_S = 1_800_000_000.0  # the wall-clock time of world t = 0 (for the tokens)
_APPLE = 0x004C
_NEARBY_INFO = 0x10


@dataclass(frozen=True)
class Receiver:
    """A BLE scanner in the store: the mirror's beacon board, the host's adapter, or a receiver
    in a fitting room. duty: the fraction of the time it listens (scan window / interval)."""

    name: str
    x_m: float
    y_m: float
    duty: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 < self.duty <= 1.0:
            raise ValueError(f"receiver {self.name}: duty={self.duty!r}, allowed 0 < duty <= 1")


@dataclass(frozen=True, slots=True)
class Heard:
    """One advertisement as a receiver read it. t_s is world time."""

    t_s: float
    receiver: str
    address: str
    data: bytes
    rssi_dbm: int


@dataclass(frozen=True)
class AirSettings:
    """The radio model, the loyalty app's company id, the seed of every random draw, and the
    wall-clock time of world t = 0 (the tokens depend on it)."""

    model: RadioModel = field(default_factory=RadioModel)
    company_id: int = fw.TEST_COMPANY
    seed: int = 0
    epoch_unix_s: float = EPOCH_UNIX_S


def facing(person: Person, t: float) -> float | None:
    """Where a person faces at t (radians, x axis 0, the glass at -pi/2 from in front), or
    None when they are not there."""
    if not person.here(t):
        return None
    vx, vy = person.velocity(t)
    if math.hypot(vx, vy) >= STILL_M_S:
        return math.atan2(vy, vx)
    return -math.pi / 2 if person.looking(t) else math.pi / 2


class Air:
    """The advertisements every receiver hears from a world's phones, in time order."""

    def __init__(
        self,
        world: World,
        receivers: list[Receiver] | tuple[Receiver, ...],
        keys: Mapping[str, bytes],
        settings: AirSettings | None = None,
        open_ended: bool = False,
    ) -> None:
        """open_ended: the phones advertise until their carriers leave, whatever the world's
        duration_s says (a running simulation's world, whose people may stay for good)."""
        if not receivers:
            raise ValueError("air: at least one receiver is needed")
        settings = settings or AirSettings()
        self.settings = settings
        self.world = world
        self.receivers = tuple(receivers)
        self.keys = dict(keys)
        self.model = settings.model
        self.company_id = settings.company_id
        self.seed = settings.seed
        self.epoch_unix_s = settings.epoch_unix_s
        self.carriers = [p for p in world.people if p.phone is not None]
        self.open_ended = open_ended
        self._interval: dict[str, float] = {}
        self._offset: dict[str, float] = {}
        self._foreign: dict[str, bytes] = {}
        self._schedules: dict[str, list[float]] = {}
        self._next: dict[str, tuple[float, random.Random]] = {}  # a schedule's next event
        for p in self.carriers:
            rng = self._rng("phone", p.id)
            self._interval[p.id] = rng.uniform(MIN_INTERVAL_S, MAX_INTERVAL_S)
            self._offset[p.id] = rng.gauss(0.0, self.model.phone_spread_db)
            self._foreign[p.id] = rng.randbytes(loyalty.KEY_BYTES)

    def _rng(self, *parts: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "little"))

    def interval_s(self, person: Person) -> float:
        """The phone's advertising interval (advDelay not included)."""
        return self._interval[person.id]

    def address(self, person: Person, t: float) -> str:
        """The phone's random resolvable private address at t (top bits 01)."""
        period = math.floor(t / ADDRESS_ROTATION_S)
        raw = bytearray(self._rng("address", person.id, period).randbytes(6))
        raw[0] = (raw[0] & 0x3F) | 0x40
        return ":".join(f"{b:02X}" for b in raw)

    def advert(self, person: Person, t: float, rng: random.Random) -> bytes:
        """What the phone sends at world time t."""
        phone = person.phone
        assert phone is not None
        if phone.consented and phone.loyalty_id is not None:
            key = self.keys.get(phone.loyalty_id, self._foreign[person.id])
            token = loyalty.token(key, self.epoch_unix_s + t)
            return fw.loyalty(self.company_id, token)
        nearby = bytes((_NEARBY_INFO, 5)) + rng.randbytes(5)
        return fw.FLAGS + fw.ad(fw.AD_MANUFACTURER, _APPLE.to_bytes(2, "little") + nearby)

    def schedule(self, person: Person, until_s: float | None = None) -> list[float]:
        """Every advertising event of the phone, world times, from when its carrier arrives to
        when they leave or the world ends, or (until_s) at least up to until_s: made once, in
        order, so the same whatever the windows asked. An open-ended air's schedules are made
        as far as they are asked for."""
        end = person.end_s if self.open_ended else min(person.end_s, self.world.duration_s)
        if until_s is None:
            if math.isinf(end):
                raise ValueError(f"phone of {person.id}: an endless schedule; ask until_s")
            until_s = end
        times = self._schedules.setdefault(person.id, [])
        if person.id not in self._next:
            rng = self._rng("events", person.id)
            self._next[person.id] = (
                person.start_s + rng.uniform(0.0, self._interval[person.id]),
                rng,
            )
        t, rng = self._next[person.id]
        while t < end and t <= until_s:
            times.append(t)
            t += self._interval[person.id] + rng.uniform(0.0, ADV_DELAY_S)
        self._next[person.id] = (t, rng)
        return times

    def _events(self, t0: float, t1: float) -> list[tuple[float, Person]]:
        """Every advertising event of every phone in [t0, t1)."""
        out: list[tuple[float, Person]] = []
        for p in self.carriers:
            times = self.schedule(p, t1)
            lo, hi = bisect.bisect_left(times, t0), bisect.bisect_left(times, t1)
            out.extend((t, p) for t in times[lo:hi])
        out.sort(key=lambda e: e[0])
        return out

    def heard(self, t0: float, t1: float) -> Iterator[Heard]:
        """What the receivers hear from t0 to t1 (world time), in time order."""
        rng = self._rng("air", t0)
        for t, person in self._events(t0, t1):
            pos = person.at(t)
            if pos is None:
                continue
            rate = sum(1.0 / self._interval[p.id] for p in self.carriers if p.here(t))
            data = self.advert(person, t, rng)
            address = self.address(person, t)
            face = facing(person, t)
            for r in self.receivers:
                if rng.random() >= r.duty or rng.random() >= collision_survival(rate):
                    continue
                distance = math.hypot(pos[0] - r.x_m, pos[1] - r.y_m)
                body = body_between(face, pos, (r.x_m, r.y_m))
                rssi = self.model.sample(rng, distance, body, self._offset[person.id])
                if rssi is not None:
                    yield Heard(t, r.name, address, data, rssi)
