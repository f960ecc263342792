"""The presence board's readings fused into one zone: the synchronous core of the Presence
device (no bus, no clock: every input carries its host time).

Each time-of-flight sensor's last filtered distance (DISTANCE's filtered_mm, the board's
median) is placed in the mirror's frame from where the board description mounts it: a target
d mm along a sensor at x_s turned by yaw is at x = x_s + d sin(yaw) (the centre of its view:
the cone's 27 degrees make x uncertain by about d / 4) and, since the sensor sees the front of
a body and a person stands where their centre is, y = d cos(yaw) + body_half_depth_mm. Its
zone:

    at_glass   y < at_glass_mm    and |x| <= half_width_mm
    in_front   y < in_front_mm    and |x| <= half_width_mm
    passing    y < passing_mm     (anywhere the sensors see)
    none       no sensor sees a target (or none it believes: silent for stale_s, failed)

The camera's people (CameraPeople, vision's report of each frame) are followed from frame to
frame (vitrine.devices.presence.tracks: bearing and distance, each with its rate, at the frame's
own time), since its detector finds a body in only a third to a half of its frames; a track is
placed from where the camera sits: a person at distance d (along its axis, which looks straight
out) and bearing b is at x = camera_x_mm + d tan(b), y = d. Camera distance is coarse (feet on
the floor beyond 2.95 m, a box's width nearer: vitrine.vision.people.place gives each its sigma,
5-15 %), its bearing good to a degree, so:

- the time-of-flight sensors win where they measure: while any sensor is believed (reporting,
  fresh, not failed), a camera person nearer than tof_reach_mm is not believed (the sensors
  would see them); beyond it, or with no sensor believed (no presence board, or its sensors
  silent or failed), the camera's people make zones like a sensor's targets;
- the camera says where across a sensor's target is (camera_across): a sensor's cone (27
  degrees) reaches beyond the mirror's half width at the glass's edges, so someone walking
  past the edge is seen by a side sensor; where the cone (and a body's half width beside it)
  reaches beyond it and the camera follows someone at about the sensor's distance (2 sigma +
  200 mm) in that cone, the target is placed across
  where the camera's bearing puts them at the sensor's distance (one inside the width wins);
- a track seen in two frames or more is held camera_hold_s after the last frame that found it,
  predicted on along its rates; one seen once, a missed frame; the camera silent for
  camera_stale_s (its worker down) is not believed at all.

An approach is read from a sensor's trend (approach_lead): when its last three filtered
distances were each nearer than the one before, over at most 400 ms of the board's clock
(DISTANCE's t_ms), at a walker's 0.3-3 m/s, the target is taken on toward the glass by that speed
for half the board's timing budget (a ranging measures the middle of its integration) plus the
time since the reading came (at most 100 ms in all), and is in front once that puts them across
the in-front line. The at-glass line is left to the readings (people slow down to stop there).

The nearest zone of any sensor or camera person is the candidate. Hysteresis: a zone is left only
beyond its edges plus hysteresis_mm (toward the glass and sideways). Minimum dwell: a candidate
nearer the glass than the zone announced is announced at once (an approach is news), one farther out
(or none) only once it has held for min_dwell_s, so a reading lost for a moment, or a body at an
edge, does not make the zone flicker. With pir_hold, someone the sensors saw and lost while the PIR
sees motion is passing (moving on out of their view) rather than gone; the PIR alone never makes a
zone (its output is as happy with a warm draught).

A zone change is a Zone event; a change between in front of the mirror (in_front, at_glass)
and not is also a Presence event, which is what the engine's sessions start and end from.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from vitrine.devices.presence.config import PresenceConfig
from vitrine.devices.presence.events import (
    ZONES,
    CameraPeople,
    CameraPerson,
    Presence,
    Zone,
    ZoneName,
)
from vitrine.devices.presence.tracks import CameraTracks, Track
from vitrine.link import messages as m
from vitrine_fw import wire

_FRONT = ("in_front", "at_glass")
_TOF_HALF_FOV_DEG = 13.5  # half the VL53L1X's field of view (27 degrees, its datasheet)
_BODY_HALF_WIDTH_MM = 250.0  # a cone's edge catches a body whose centre is this far beyond it
# a camera person is taken for a sensor's target up to this far beyond the edge of its cone: a
# body's half width and where the track's prediction may be off across
_CONE_MARGIN_MM = 600.0
_CAMERA_MATCH_SIGMAS = 2.0  # a camera person is a sensor's target within this many of its
_CAMERA_MATCH_MM = 200.0  # ... distance's sigma + this (not a passer-by behind a shopper)
# An approach read from a sensor's trend: its last three filtered distances each nearer than
# the one before, over at most _TREND_SPAN_MS of the board's time, at a speed a person walks
_TREND_READINGS = 3
_TREND_SPAN_MS = 400  # three rangings at the longest period a board description sets here
_TREND_MIN_MM_S = 300.0  # slower: a body swaying, or a reading's noise (sigma ~10-25 mm)
_TREND_MAX_MM_S = 3000.0  # faster: no one walks at the glass so fast; a jump, not a trend
_LEAD_MAX_S = 0.1  # an approach is carried on at most this long (a period of the board's)
_TICKS_MS_PERIOD = 0x40000000  # the board's ticks_ms wrap (MicroPython: 2^30)


@dataclass(frozen=True)
class Mount:
    """A sensor of the board description: its name, where it sits on the mirror (mm along the
    glass from its centre) and where it looks (degrees, turned toward +x)."""

    name: str = ""
    x_mm: float = 0.0
    yaw_deg: float = 0.0
    budget_ms: float = 0.0  # the board's timing budget: a ranging measures its middle


@dataclass
class Reading:
    target_mm: float | None  # the board's filtered distance; None: no target
    rx_ns: int
    status: int = wire.RANGE_NONE
    approach_mm_s: float = 0.0  # how fast the target is coming nearer, from the trend (>= 0)


@dataclass(frozen=True)
class Seen:
    """A person the camera saw, placed in the mirror's frame (mm), at host time rx_ns."""

    x_mm: float
    y_mm: float
    sigma_mm: float
    rx_ns: int


@dataclass
class Part:
    state: int
    errors: int
    detail: str

    def to_json(self) -> dict[str, object]:
        return {
            "state": wire.PART_STATES.get(self.state, str(self.state)),
            "errors": self.errors,
            "detail": self.detail,
        }


@dataclass
class Fusion:
    """One board's sensors, fused (see the module docstring)."""

    config: PresenceConfig
    mounts: list[Mount]
    board: str = "presence"
    source: str = "presence"
    readings: dict[int, Reading] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)
    health: dict[str, Part] = field(default_factory=dict)
    motion: int = wire.MOTION_WARMING
    zone: ZoneName = "none"
    distance_mm: float | None = None
    zone_ns: int = 0  # when the zone was announced
    pending: ZoneName | None = None  # a farther candidate waiting out its dwell
    pending_ns: int = 0
    board_verdict: int = wire.PRESENCE_ABSENT  # the board's own PRESENCE state (for status)
    unknown: dict[int, int] = field(default_factory=dict)  # sensor index -> readings ignored
    history: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # (t_ms, mm) each
    camera_ns: int | None = None  # when the camera last reported (None: never)
    tracks: CameraTracks = field(init=False)  # its people, followed from frame to frame
    decided_by: str = "presence"  # the source of the candidate: "presence" or "camera"

    def __post_init__(self) -> None:
        self.tracks = CameraTracks(self.config.camera_hold_s)

    @property
    def camera_seen(self) -> list[Seen]:
        """The camera's people believed now (its tracks held), placed in the mirror's frame."""
        return [] if self.camera_ns is None else self._placed(self.camera_ns)

    @property
    def present(self) -> bool:
        return self.zone in _FRONT

    # --- inputs -------------------------------------------------------------------------------

    def handle(self, msg: object, t_ns: int) -> list[Zone | Presence]:
        """Take one message from the board (others are ignored) at host time t_ns."""
        if isinstance(msg, m.Distance) and msg.board == self.board:
            if not 0 <= msg.sensor < len(self.mounts):
                self._unknown(msg.sensor)
                return []
            approach = self._trend(msg.sensor, msg.t_ms, msg.target_mm)
            self.readings[msg.sensor] = Reading(msg.target_mm, msg.rx_ns, msg.status, approach)
        elif isinstance(msg, m.Motion) and msg.board == self.board:
            self.motion = msg.state
        elif isinstance(msg, m.ProxHealth) and msg.board == self.board:
            self._health(msg)
        elif isinstance(msg, m.Presence) and msg.board == self.board:
            self.board_verdict = msg.state
        elif isinstance(msg, CameraPeople):
            if not self.config.camera:
                return []
            self._camera(msg, t_ns)
        elif isinstance(msg, m.BoardLost | m.BoardRebooted) and msg.board == self.board:
            self.readings.clear()  # nothing it said before holds
            self.motion = wire.MOTION_WARMING
        else:
            return []
        return self.decide(t_ns)

    def _camera(self, msg: CameraPeople, t_ns: int) -> None:
        """One camera frame's people, matched to the tracks (vitrine.devices.presence.tracks)."""
        c = self.config
        self.camera_ns = t_ns
        # the frame's own time (it reaches the host a worker's frame time later): where the
        # people were then; a stamp from another clock, or none, is taken as now
        frame_ns = msg.t_ns if t_ns - round(c.camera_stale_s * 1e9) < msg.t_ns <= t_ns else t_ns
        self.tracks.update(
            [
                (p.bearing_deg, p.distance_mm, p.sigma_mm)
                for p in msg.people
                if p.confidence >= c.camera_min_confidence
            ],
            frame_ns,
        )

    def place(self, person: CameraPerson, t_ns: int) -> Seen:
        """A camera person in the mirror's frame (see the module docstring)."""
        x = self.config.camera_x_mm + person.distance_mm * math.tan(
            math.radians(person.bearing_deg)
        )
        return Seen(x, person.distance_mm, person.sigma_mm, t_ns)

    def _seen(self, track: Track, bearing_deg: float, distance_mm: float) -> Seen:
        x = self.config.camera_x_mm + distance_mm * math.tan(math.radians(bearing_deg))
        return Seen(x, distance_mm, track.sigma_mm, track.seen_ns)

    def _trend(self, sensor: int, t_ms: int, target_mm: int | None) -> float:
        """How fast (mm/s) a sensor's target is coming nearer, from its last _TREND_READINGS
        filtered distances on the board's clock (DISTANCE's t_ms: no link or host jitter in
        it); 0 unless each was nearer than the one before at a walker's speed."""
        history = self.history.setdefault(sensor, [])
        if target_mm is None:
            history.clear()
            return 0.0
        history.append((t_ms, target_mm))
        del history[:-_TREND_READINGS]
        if len(history) < _TREND_READINGS:
            return 0.0
        steps = itertools.pairwise(history)
        if not all(b[1] < a[1] for a, b in steps):
            return 0.0
        span_ms = (history[-1][0] - history[0][0]) % _TICKS_MS_PERIOD
        if not 0 < span_ms <= _TREND_SPAN_MS:
            return 0.0
        speed = (history[0][1] - history[-1][1]) * 1000 / span_ms
        return speed if _TREND_MIN_MM_S <= speed <= _TREND_MAX_MM_S else 0.0

    def _health(self, msg: m.ProxHealth) -> None:
        self.health[msg.part] = Part(msg.state, msg.errors, msg.detail)
        if msg.part.startswith("tof "):
            index = self._sensor_index(msg.part[4:])
            if index is not None:
                if msg.state == wire.PART_FAILED:
                    self.failed.add(index)
                    self.readings.pop(index, None)
                else:
                    self.failed.discard(index)

    def _unknown(self, sensor: int) -> None:
        """A DISTANCE from a sensor the board description does not have (its firmware's
        config and the host's description disagree): counted, named in the health, ignored."""
        count = self.unknown[sensor] = self.unknown.get(sensor, 0) + 1
        known = ", ".join(f"{i} {mount.name}" for i, mount in enumerate(self.mounts)) or "none"
        self.health[f"tof #{sensor}"] = Part(
            wire.PART_FAILED,
            count,
            f"sensor {sensor} is not in the board description's [[tof]] (sensors: {known}); "
            "its readings are ignored",
        )

    def _sensor_index(self, name: str) -> int | None:
        names = [mount.name for mount in self.mounts]
        return names.index(name) if name in names else None

    # --- the decision -------------------------------------------------------------------------

    def candidate(self, t_ns: int) -> tuple[ZoneName, float | None]:
        """The nearest zone any believed reading puts someone in now, and their distance."""
        stale_ns = round(self.config.stale_s * 1e9)
        best: ZoneName = "none"
        nearest: float | None = None
        self.decided_by = self.source
        tof_believed = False
        live = self._camera_live(t_ns)
        for index, reading in self.readings.items():
            if index in self.failed or t_ns - reading.rx_ns > stale_ns:
                continue
            tof_believed = True
            if reading.target_mm is None:
                continue
            mount = self.mounts[index]
            yaw = math.radians(mount.yaw_deg)
            x = mount.x_mm + reading.target_mm * math.sin(yaw)
            y = reading.target_mm * math.cos(yaw) + self.config.body_half_depth_mm
            placed = self._across(mount, reading.target_mm, x, y, live)
            zone = self.zone_of(placed, y, sideways=placed == x)
            if zone == "passing" and reading.approach_mm_s and self.config.approach_lead:
                # coming nearer: in front once where they are now is (not where they were in
                # the middle of the ranging that measured them: half the budget ago, and the
                # link's and host's time since); the at-glass line is left to the readings,
                # since people slow down to stop near it
                lead_s = min(mount.budget_ms / 2e3 + (t_ns - reading.rx_ns) / 1e9, _LEAD_MAX_S)
                now = y - reading.approach_mm_s * math.cos(yaw) * max(0.0, lead_s)
                if self.zone_of(placed, now, sideways=placed == x) == "in_front":
                    zone, y = "in_front", now
            if ZONES.index(zone) > ZONES.index(best):
                best = zone
            if zone != "none" and (nearest is None or y < nearest):
                nearest = y
        for seen in self._camera_believed(t_ns, tof_believed):
            zone = self.zone_of(seen.x_mm, seen.y_mm)
            if ZONES.index(zone) > ZONES.index(best):
                best, self.decided_by = zone, "camera"
            if zone != "none" and (nearest is None or seen.y_mm < nearest):
                nearest = seen.y_mm
        if (
            best == "none"
            and self.zone != "none"
            and self.config.pir_hold
            and self.motion == wire.MOTION_DETECTED
        ):
            return "passing", None  # someone just seen, moving on where the sensors lost them
        return best, nearest

    def _camera_live(self, t_ns: int) -> list[Seen]:
        """The camera's tracked people at t_ns, predicted on through the frames the detector
        missed; none when the camera is off or silent for camera_stale_s (its worker is down
        or stalled)."""
        c = self.config
        if not c.camera or self.camera_ns is None:
            return []
        if t_ns - self.camera_ns > round(c.camera_stale_s * 1e9):
            return []
        return self._placed(t_ns)

    def _placed(self, t_ns: int) -> list[Seen]:
        # the tracks held at t_ns, each placed in the mirror's frame
        return [self._seen(track, b, d) for track, b, d in self.tracks.live(t_ns)]

    def _camera_believed(self, t_ns: int, tof_believed: bool) -> list[Seen]:
        """The camera's people that make zones now (see the module docstring)."""
        reach = self.config.tof_reach_mm
        return [s for s in self._camera_live(t_ns) if not (tof_believed and s.y_mm < reach)]

    def _across(
        self, mount: Mount, target_mm: float, x: float, y: float, live: list[Seen]
    ) -> float:
        """Where along the glass a sensor's target is (mm): the centre of its view, unless
        that view reaches beyond the mirror's half width at this range and the camera follows
        someone there at about this distance; then where the camera's bearing puts them at the
        sensor's distance (the bearing is good to a degree, the camera's distance is not). Of
        several, one within the half width wins (the sensor may be seeing them)."""
        c = self.config
        yaw = math.radians(mount.yaw_deg)
        half = math.radians(_TOF_HALF_FOV_DEG)
        lo = mount.x_mm + target_mm * math.sin(yaw - half)
        hi = mount.x_mm + target_mm * math.sin(yaw + half)
        reach = _BODY_HALF_WIDTH_MM
        if not c.camera_across or (
            -c.half_width_mm <= lo - reach and hi + reach <= c.half_width_mm
        ):
            return x  # whoever the sensor sees stands within the half width
        lo, hi = lo - _CONE_MARGIN_MM, hi + _CONE_MARGIN_MM
        matched = []
        for seen in live:
            along = c.camera_x_mm + (seen.x_mm - c.camera_x_mm) * y / max(seen.y_mm, 1.0)
            near = abs(seen.y_mm - y) <= _CAMERA_MATCH_SIGMAS * seen.sigma_mm + _CAMERA_MATCH_MM
            if near and lo <= along <= hi:
                matched.append(along)
        if not matched:
            return x
        inside = [a for a in matched if abs(a) <= c.half_width_mm]
        return min(inside or matched, key=lambda a: abs(a - x))

    def zone_of(self, x: float, y: float, sideways: bool = True) -> ZoneName:
        """A target's zone (x along the glass, y its distance from it), the current zone's edges
        widened by the hysteresis (sideways=False: not across, for an x the camera's bearing
        gave: it is good to a few centimetres)."""
        c = self.config
        h = c.hysteresis_mm
        here = ZONES.index(self.zone)
        if y < 0 or abs(x) > c.half_width_mm + (h if here and sideways else 0.0):
            return "none"
        if y < c.at_glass_mm + (h if self.zone == "at_glass" else 0.0):
            return "at_glass"
        if y < c.in_front_mm + (h if here >= ZONES.index("in_front") else 0.0):
            return "in_front"
        if y < c.passing_mm + (h if here else 0.0):
            return "passing"
        return "none"

    def decide(self, t_ns: int) -> list[Zone | Presence]:
        """The zone now, and the events if it changed (see the module docstring)."""
        zone, distance = self.candidate(t_ns)
        if zone == self.zone:
            self.pending = None
            self.distance_mm = distance
            return []
        if ZONES.index(zone) < ZONES.index(self.zone):  # farther out: wait out the dwell
            if self.pending != zone:
                self.pending, self.pending_ns = zone, t_ns
            if t_ns - self.pending_ns < round(self.config.min_dwell_s * 1e9):
                return []
        return self._announce(zone, distance, t_ns)

    def tick(self, t_ns: int) -> list[Zone | Presence]:
        """What time alone changes: a dwell served, a reading gone stale."""
        return self.decide(t_ns)

    def _announce(self, zone: ZoneName, distance: float | None, t_ns: int) -> list[Zone | Presence]:
        previous, was_present = self.zone, self.present
        self.zone, self.distance_mm, self.zone_ns, self.pending = zone, distance, t_ns, None
        source = self.decided_by if zone != "none" else self.source
        events: list[Zone | Presence] = [
            Zone(zone=zone, previous=previous, distance_mm=distance, source=source, t_ns=t_ns)
        ]
        if self.present != was_present:
            events.append(
                Presence(
                    present=self.present,
                    distance_mm=distance,
                    source=self.source,  # the fused decision (its Zone says who made it)
                    t_ns=t_ns,
                    zone=zone,
                )
            )
        return events

    # --- for the status page ------------------------------------------------------------------

    def snapshot(self) -> dict[str, object]:
        return {
            "zone": self.zone,
            "present": self.present,
            "distance_mm": None if self.distance_mm is None else round(self.distance_mm),
            "sensors": {
                str(i): r.target_mm
                for i, r in sorted(self.readings.items())
                if i not in self.failed
            },
            "camera": self._camera_snapshot(),
            "pir": wire.MOTION_STATES.get(self.motion, str(self.motion)),
            "board_verdict": wire.PRESENCE_STATES.get(self.board_verdict, str(self.board_verdict)),
            "health": {part: h.to_json() for part, h in sorted(self.health.items())},
        }

    def _camera_snapshot(self) -> dict[str, object]:
        if not self.config.camera:
            return {"state": "off"}
        if self.camera_ns is None:
            return {"state": "silent"}
        return {
            "state": "reporting",
            "people": [
                {"x_mm": round(s.x_mm), "y_mm": round(s.y_mm), "sigma_mm": round(s.sigma_mm)}
                for s in self.camera_seen
            ],
        }
