"""The camera's people followed from frame to frame, for the fusion: where each person is now,
though the detector finds a body in only a third to a half of its frames.

Each frame's people (a bearing off the camera's axis, precise to about a degree, and a distance
from the glass, coarse: 5-15 %) are matched to the tracks, nearest first, within a gate; a
person no track takes starts one. A track follows its bearing and its distance with a
constant-velocity alpha-beta filter (two states per coordinate; a Kalman filter would give the
same gains at a steady state for this little, so a library for it is not worth a dependency):
the bearing is measured well, so its rate is a fair estimate of where a walker goes in the
frames the detector misses; the distance is noisy, so it is smoothed harder. Tracking in bearing
and distance keeps the distance's error from entering the lateral position's rate: a walker's
place along the glass is x = d tan(bearing), its error the distance's in proportion.

A track seen in two frames or more is held `hold_s` after its last detection (predicted on
along its velocity); one seen once, whose velocity is unknown, is believed only `first_hold_s`
(a missed frame), though kept `hold_s` for a later frame to find it again. The caller picks
`hold_s` from the detector's measured recall (see PresenceConfig).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

_BEARING_ALPHA = 0.6  # the share of a bearing's residual taken into the estimate
_BEARING_BETA = 0.3  # ... and into its rate (per second of the frame gap)
_DISTANCE_ALPHA = 0.3  # the distance: noisy from frame to frame, smoothed harder
_DISTANCE_BETA = 0.05
_MAX_BEARING_RATE_DEG_S = 120.0  # a walker at 0.7 m straight ahead: 1.5 m/s / 0.7 m
_MAX_DISTANCE_RATE_MM_S = 2000.0  # walking straight at the glass or away
_GATE_X_MM = 250.0  # a detection this far across from a track's prediction may be it ...
_GATE_SPEED_MM_S = 1500.0  # ... plus this much for each second since it was last seen
_GATE_SIGMAS = 3.0  # ... and its distance within this many of its sigma (+ _GATE_X_MM)


@dataclass
class Track:
    """One person the camera follows: bearing (degrees, + toward +x), distance from the glass
    (mm) and their rates, at host time t_ns; seen_ns: the last frame that found them."""

    bearing_deg: float
    distance_mm: float
    sigma_mm: float
    t_ns: int
    seen_ns: int
    bearing_rate: float = 0.0  # degrees per second
    distance_rate: float = 0.0  # mm per second
    hits: int = 1

    def predict(self, t_ns: int) -> tuple[float, float]:
        """(bearing degrees, distance mm) at t_ns, along the track's rates."""
        dt = (t_ns - self.t_ns) / 1e9
        return self.bearing_deg + self.bearing_rate * dt, self.distance_mm + self.distance_rate * dt

    def update(self, bearing_deg: float, distance_mm: float, sigma_mm: float, t_ns: int) -> None:
        """One more detection of this person at t_ns."""
        dt = (t_ns - self.t_ns) / 1e9
        b, d = self.predict(t_ns)
        rb, rd = bearing_deg - b, distance_mm - d
        if dt > 0:
            if self.hits == 1:  # the first rate: the bearing's difference
                self.bearing_rate = rb / dt
            else:
                self.bearing_rate += _BEARING_BETA * rb / dt
            self.distance_rate += _DISTANCE_BETA * rd / dt
        self.bearing_rate = _clamp(self.bearing_rate, _MAX_BEARING_RATE_DEG_S)
        self.distance_rate = _clamp(self.distance_rate, _MAX_DISTANCE_RATE_MM_S)
        # the second detection starts the filter: its bearing as it is, the rate between the two
        self.bearing_deg = bearing_deg if self.hits == 1 else b + _BEARING_ALPHA * rb
        self.distance_mm = d + _DISTANCE_ALPHA * rd
        self.sigma_mm = sigma_mm
        self.t_ns = self.seen_ns = t_ns
        self.hits += 1


@dataclass
class CameraTracks:
    """The camera's people over time (see the module docstring)."""

    hold_s: float
    first_hold_s: float = 0.15
    tracks: list[Track] = field(default_factory=list)

    def update(self, people: list[tuple[float, float, float]], t_ns: int) -> None:
        """One frame's people, (bearing degrees, distance mm, sigma mm) each, at t_ns; tracks
        held past their time are dropped."""
        # a track seen once is believed only a missed frame, but kept for matching as long
        # as any: the detector's next find of that person may be frames later
        hold_ns = round(max(self.hold_s, self.first_hold_s) * 1e9)
        self.tracks = [k for k in self.tracks if t_ns - k.seen_ns <= hold_ns]
        pairs = []
        for i, (bearing, distance, sigma) in enumerate(people):
            for j, track in enumerate(self.tracks):
                cost = self._cost(track, bearing, distance, sigma, t_ns)
                if cost is not None:
                    pairs.append((cost, i, j))
        taken_people: set[int] = set()
        taken_tracks: set[int] = set()
        for _cost, i, j in sorted(pairs):
            if i in taken_people or j in taken_tracks:
                continue
            taken_people.add(i)
            taken_tracks.add(j)
            self.tracks[j].update(*people[i], t_ns)
        for i, (bearing, distance, sigma) in enumerate(people):
            if i not in taken_people:
                self.tracks.append(Track(bearing, distance, sigma, t_ns, t_ns))

    def held(self, track: Track, t_ns: int) -> bool:
        """Whether the track is still believed at t_ns."""
        hold = self.hold_s if track.hits >= 2 else self.first_hold_s  # noqa: PLR2004
        return t_ns - track.seen_ns <= round(hold * 1e9)

    def live(self, t_ns: int) -> list[tuple[Track, float, float]]:
        """The tracks believed at t_ns with where they are predicted: (track, bearing
        degrees, distance mm)."""
        out = []
        for track in self.tracks:
            if self.held(track, t_ns):
                out.append((track, *track.predict(t_ns)))
        return out

    @staticmethod
    def _cost(
        track: Track, bearing: float, distance: float, sigma: float, t_ns: int
    ) -> float | None:
        """How far a detection is from a track's prediction (mm across at the predicted
        distance), None beyond the gate."""
        b, d = track.predict(t_ns)
        dt = max(0.0, (t_ns - track.seen_ns) / 1e9)
        across = abs(d * (math.tan(math.radians(bearing)) - math.tan(math.radians(b))))
        if across > _GATE_X_MM + _GATE_SPEED_MM_S * dt:
            return None
        if abs(distance - d) > _GATE_SIGMAS * max(sigma, track.sigma_mm) + _GATE_X_MM:
            return None
        return across + abs(distance - d) / _GATE_SIGMAS


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))
