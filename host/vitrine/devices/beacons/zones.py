"""Where a member's phone is, in zones, never in metres: at the mirror, in the fitting room, in
the store, gone. RSSI says little about distance (4-6 dB of noise, 8 dB when a body turns, a
few dB between phone models), but a phone next to a receiver reads clearly stronger than one
across the shop, which is all a zone needs.

A zone tied to a receiver (the mirror's beacon board, a receiver in the fitting room) is entered
when the phone's smoothed RSSI at that receiver reaches `enter_dbm` and left only when it falls
below `exit_dbm` (hysteresis: the gap keeps noise from flipping the zone), and a new zone is
taken only after it has held for `dwell_s`. A phone heard by some receiver within `gone_s` but
in no receiver's zone is in the store; one heard by none for `gone_s` is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vitrine.devices.beacons import smoothing

IN_STORE = "in_store"
GONE = "gone"


@dataclass(frozen=True)
class ZoneRule:
    """A zone around one receiver."""

    zone: str  # "at_mirror", "fitting_room", ...
    receiver: str
    enter_dbm: float
    exit_dbm: float

    def __post_init__(self) -> None:
        if self.exit_dbm > self.enter_dbm:
            raise ValueError(
                f"zone {self.zone}: exit_dbm={self.exit_dbm} above enter_dbm={self.enter_dbm}; "
                "exit must be at or below enter (hysteresis)"
            )
        if self.zone in (IN_STORE, GONE):
            raise ValueError(f"zone {self.zone!r} is reserved; name a receiver's zone otherwise")


@dataclass(frozen=True)
class ZoneSettings:
    rules: tuple[ZoneRule, ...] = (
        ZoneRule("at_mirror", "beacon", -62.0, -68.0),  # the beacon board, at the mirror
        ZoneRule("fitting_room", "fitting_room", -62.0, -68.0),
    )
    dwell_s: float = 0.5  # a new zone must hold this long before it is taken
    stale_s: float = 2.0  # a receiver silent this long no longer places the phone in its zone
    gone_s: float = 2.0  # heard by no receiver this long: gone
    smoother: str = "kalman"
    zones: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        smoothing.make(self.smoother)  # raises for an unknown kind
        for name in ("dwell_s", "stale_s", "gone_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"zones: {name}={getattr(self, name)!r}, must be >= 0")
        object.__setattr__(self, "zones", (*(r.zone for r in self.rules), IN_STORE, GONE))


class Tracker:
    """One phone's zone (a member's), from its readings at each receiver."""

    def __init__(self, settings: ZoneSettings, t_s: float) -> None:
        self.settings = settings
        self.zone = GONE
        self.since_s = t_s
        self._smoothers: dict[str, smoothing.Smoother] = {}
        self._heard: dict[str, float] = {}
        self._candidate = GONE
        self._candidate_since = t_s

    def reading(self, t_s: float, receiver: str, rssi_dbm: float) -> str | None:
        """Take a reading; return the new zone when the zone changed."""
        smoother = self._smoothers.get(receiver)
        if smoother is None:
            smoother = self._smoothers[receiver] = smoothing.make(self.settings.smoother)
        smoother.update(t_s, rssi_dbm)
        self._heard[receiver] = t_s
        return self.tick(t_s)

    def silent(self, t_s: float) -> bool:
        """Heard by no receiver for gone_s (nothing left to decide for this phone)."""
        last = max(self._heard.values(), default=None)
        return last is None or t_s - last > self.settings.gone_s

    def smoothed(self, receiver: str) -> float | None:
        smoother = self._smoothers.get(receiver)
        return None if smoother is None else smoother.value

    def _wanted(self, t_s: float) -> str:
        s = self.settings
        best: tuple[float, str] | None = None
        for rule in s.rules:
            heard = self._heard.get(rule.receiver)
            value = self.smoothed(rule.receiver)
            if heard is None or value is None or t_s - heard > s.stale_s:
                continue
            if rule.zone == self.zone and value >= rule.exit_dbm:
                return rule.zone  # hysteresis: stay while above exit
            if value >= rule.enter_dbm and (best is None or value - rule.enter_dbm > best[0]):
                best = (value - rule.enter_dbm, rule.zone)
        if best is not None:
            return best[1]
        last = max(self._heard.values(), default=None)
        if last is not None and t_s - last <= s.gone_s:
            return IN_STORE
        return GONE

    def tick(self, t_s: float) -> str | None:
        """Decide the zone at t_s; return it when it changed."""
        wanted = self._wanted(t_s)
        if wanted == self.zone:
            self._candidate = wanted
            return None
        if wanted != self._candidate:
            self._candidate, self._candidate_since = wanted, t_s
        if wanted != GONE and t_s - self._candidate_since < self.settings.dwell_s:
            return None
        self.zone, self.since_s = wanted, t_s
        if wanted == GONE:
            self._smoothers.clear()
            self._heard.clear()
        return wanted


def rules_from(items: Sequence[tuple[str, str, float, float]]) -> tuple[ZoneRule, ...]:
    """Rules from (zone, receiver, enter_dbm, exit_dbm) tuples (the config file's shape)."""
    return tuple(ZoneRule(*item) for item in items)
