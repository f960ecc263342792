"""What a VL53L1X time-of-flight sensor's optics see of the world of people: one ranging, given
where the sensor is mounted, its distance mode, timing budget and region of interest.

The geometry: the sensor sits on the mirror (y = 0) at x_m, height_m, looking out along yaw
(about the vertical, positive toward +x) and pitch (positive up). Its field of view is a cone
of 27 degrees (the datasheet's typical full FoV with the whole 16 x 16 SPAD array; a smaller
region of interest narrows it in proportion), sampled by 37 rays. People and bags are upright
cylinders (radius and height from the world), the room has a floor and, maybe, a back wall.
Each ray stops at the first surface it meets; a target's coverage is the share of rays it
stops, and its range the median of its rays' ranges along the sensor's axis (the chip reports
the peak of its histogram, which for a flat target square to it is the perpendicular
distance: that is how ST specifies its accuracy).

The limits, from ST's documentation of the VL53L1X (datasheet DS12385; the STEVAL-EVK user
manual UM2356 / the ULD manual UM2510 summarise them): in the dark, a white (88 %) target is
ranged up to 1.36 m in short mode, 2.9 m in medium, 3.6 m in long (4 m with a budget of
140 ms or more), at a 100 ms budget; in strong ambient light (200 kcps/SPAD, direct sun) up to
1.35 m, 0.76 m and 0.73 m; a 17 % grey target in the dark to 1.7 m in long mode; nothing
nearer than 40 mm is ranged correctly; the ranging error is about +/-20 mm in the dark and
+/-25 mm in strong ambient light. The model that meets those figures: the return signal is
C * reflectance * coverage / d^2 (MCPS), and a target is ranged while

    d <= R_dark(mode) * sqrt(reflectance * coverage * spads / 256 / 0.88)
         * (budget / 100 ms) ** (1/4) / sqrt(1 + ambient / A0(mode))

(the signal falls with the square of the distance and grows with the SPADs of the region of
interest that collect it; the counts needed grow with the ambient light's shot noise; a longer
budget collects more), with A0 fitted so that 200 kcps/SPAD gives the datasheet's
strong-light range. Beyond its mode's phase window a target aliases (short
mode: a bright target beyond 1.36 m wraps around) or is out of bounds (long: beyond 4 m).
The noise grows toward the limit: sigma = 2.5 mm * (1 + ambient / 200) + 35 mm * (d / limit)^4.

This module knows nothing of registers: vitrine.sim.vl53l1x is the chip around it.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

from vitrine.sim.people import Stage, World

FOV_DEG = 27.0  # typical full field of view, 16 x 16 SPADs
MIN_RANGE_MM = 40  # nearer than this the range is not accurate (min clip)
WHITE = 0.88  # the datasheet's white target
STRONG_AMBIENT_KCPS = 200.0  # the datasheet's "strong ambient light", per SPAD
INDOOR_AMBIENT_KCPS = 1.0  # LED shop lighting has next to no 940 nm light
SIGNAL_MCPS_AT_1M = 13.0  # C: a white target filling the view at 1 m
SPADS = 80  # effective SPADs the chip reports (dynamic SPAD selection keeps it about here)

# mode -> (R_dark_m: white target, dark, 100 ms; R_ambient_m: same at 200 kcps/SPAD;
#          phase window m: beyond it a target aliases (short) or is out of bounds)
MODES = {
    "short": (4.0, 1.35, 1.36),
    "medium": (2.9, 0.76, 3.0),
    "long": (3.6, 0.73, 4.0),
}


def ambient_constant(mode: str) -> float:
    """A0 of the module docstring: the ambient rate at which a mode's range has fallen by
    sqrt(2), fitted to the datasheet's dark and strong-light figures."""
    r_dark, r_amb, _ = MODES[mode]
    return STRONG_AMBIENT_KCPS / ((r_dark / r_amb) ** 2 - 1)


def range_limit_m(
    mode: str, reflectance: float, share: float, budget_ms: float, ambient_kcps: float
) -> float:
    """How far a target of that reflectance is ranged when it fills `share` of the whole
    16 x 16 SPAD array's view (its coverage of the region of interest, times the region's
    share of the array)."""
    r_dark = MODES[mode][0]
    if reflectance <= 0 or share <= 0:
        return 0.0
    return (
        r_dark
        * math.sqrt(reflectance * share / WHITE)
        * (max(budget_ms, 1.0) / 100.0) ** 0.25
        / math.sqrt(1 + ambient_kcps / ambient_constant(mode))
    )


@dataclass(frozen=True)
class Mount:
    """Where a sensor sits on the mirror and where it looks."""

    x_m: float = 0.0
    height_m: float = 1.1
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0


@dataclass(frozen=True)
class Settings:
    """What the chip's registers ask of a ranging."""

    mode: str = "long"  # short, medium or long
    budget_ms: float = 100.0
    roi_x: int = 16  # SPADs wide
    roi_y: int = 16  # SPADs high
    sigma_limit_mm: float = 90.0  # RANGE_CONFIG__SIGMA_THRESH
    min_signal_mcps: float = 1.0  # RANGE_CONFIG__MIN_COUNT_RATE_RTN_LIMIT_MCPS


# Device range status codes (RESULT__RANGE_STATUS bits 4:0, as ST's API names them).
DEVICE_RANGE_COMPLETE = 9  # a valid range
DEVICE_SIGMA_FAIL = 6  # SIGMATHRESHOLDCHECK
DEVICE_NO_TARGET = 4  # MSRCNOTARGET: the signal was too weak
DEVICE_OUT_OF_BOUNDS = 5  # RANGEPHASECHECK
DEVICE_WRAP = 7  # PHASECONSISTENCY: a bright target beyond the phase window aliased
DEVICE_MIN_CLIP = 8  # MINCLIP: nearer than the sensor ranges correctly


@dataclass(frozen=True)
class Ranging:
    """One ranging's results, as the chip's result registers hold them."""

    device_status: int
    distance_mm: int
    signal_mcps: float
    ambient_kcps: float  # per SPAD
    sigma_mm: float
    spads: int = SPADS
    target: str | None = None  # what was ranged (for tests; not a register)


@dataclass(frozen=True)
class _Hit:
    distance_m: float
    target: str
    reflectance: float


def _rays(half_x: float, half_y: float) -> list[tuple[float, float]]:
    """Angular offsets (yaw, pitch) in radians of the rays that sample the cone: the centre
    and rings of 6, 12 and 18 rays, each ray standing for an equal share of the view."""
    out = [(0.0, 0.0)]
    for ring, count in ((1, 6), (2, 12), (3, 18)):
        r = ring / 3.0
        for k in range(count):
            a = 2 * math.pi * (k + 0.5 * (ring % 2)) / count
            out.append((half_x * r * math.cos(a), half_y * r * math.sin(a)))
    return out


class Optics:
    """One sensor's view of a world: ranging(t, settings) -> Ranging. Seeded noise."""

    def __init__(
        self, mount: Mount, stage: Stage, *, seed: int = 0, offset_mm: float | None = None
    ) -> None:
        self.mount = mount
        self.stage = stage  # the world now (it changes while the simulation runs)
        self._rng = random.Random(seed)
        # each part has its own small offset, as the chip's part-to-part calibration shows
        self.offset_mm = offset_mm if offset_mm is not None else self._rng.uniform(-5.0, 5.0)
        self._ray_cache: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def ambient_kcps(self, world: World | None, t: float) -> float:
        """Ambient 940 nm light on the sensor, in kcps per SPAD: the shop's own light plus
        the sunlight on the mirror's front (1.0 = the datasheet's strong ambient)."""
        sun = world.sunlight_at(t) if world is not None else 0.0
        return INDOOR_AMBIENT_KCPS + STRONG_AMBIENT_KCPS * sun

    def hits(self, t: float, roi_x: int = 16, roi_y: int = 16) -> list[_Hit | None]:
        """The first surface each ray meets at clock time t (None: nothing within 10 m)."""
        world, t = self.stage.at(t)
        key = (roi_x, roi_y)
        if key not in self._ray_cache:
            half = math.radians(FOV_DEG / 2)
            self._ray_cache[key] = _rays(half * roi_x / 16, half * roi_y / 16)
        m = self.mount
        yaw0, pitch0 = math.radians(m.yaw_deg), math.radians(m.pitch_deg)
        bodies = world.present(t) if world is not None else []
        out = []
        for dyaw, dpitch in self._ray_cache[key]:
            yaw, pitch = yaw0 + dyaw, pitch0 + dpitch
            dx = math.sin(yaw) * math.cos(pitch)
            dy = math.cos(yaw) * math.cos(pitch)
            dz = math.sin(pitch)
            best: _Hit | None = None
            for person, px, py in bodies:
                body = (px, py, person.radius_m, person.depth_m, person.height_m)
                s = _cylinder((m.x_m, m.height_m), (dx, dy, dz), body)
                if s is not None and (best is None or s < best.distance_m):
                    best = _Hit(s, person.id, person.nir_reflectance)
            if world is not None and world.room.back_wall_m is not None and dy > 0:
                s = world.room.back_wall_m / dy
                if best is None or s < best.distance_m:
                    best = _Hit(s, "wall", world.room.wall_reflectance)
            if dz < 0:
                s = m.height_m / -dz
                if best is None or s < best.distance_m:
                    floor = world.room.floor_reflectance if world is not None else 0.3
                    best = _Hit(s, "floor", floor)
            if best is not None and best.distance_m <= 10.0:  # noqa: PLR2004
                # the range along the sensor's axis, as the chip reports a flat target's
                off_axis = math.cos(dyaw) * math.cos(dpitch)
                best = _Hit(best.distance_m * off_axis, best.target, best.reflectance)
            else:
                best = None
            out.append(best)
        return out

    def ranging(self, t: float, settings: Settings) -> Ranging:
        """One ranging completed at clock time t (module docstring: the model)."""
        world, wt = self.stage.at(t)
        ambient = self.ambient_kcps(world, wt)
        rays = self.hits(t, settings.roi_x, settings.roi_y)
        targets: dict[str, list[_Hit]] = {}
        for hit in rays:
            if hit is not None:
                targets.setdefault(hit.target, []).append(hit)
        # the nearest target the chip can range (its signal above the noise), as the VL53L1X
        # reports the first strong peak of its histogram
        candidates = sorted(
            (
                (statistics.median(h.distance_m for h in hs), len(hs) / len(rays), hs[0])
                for hs in targets.values()
            ),
            key=lambda c: c[0],
        )
        mode = settings.mode
        for d, coverage, hit in candidates:
            share = coverage * settings.roi_x * settings.roi_y / 256
            limit = range_limit_m(mode, hit.reflectance, share, settings.budget_ms, ambient)
            signal = SIGNAL_MCPS_AT_1M * hit.reflectance / WHITE * share / max(d, 0.01) ** 2
            threshold = settings.min_signal_mcps * math.sqrt(100.0 / max(settings.budget_ms, 1.0))
            if d > limit or signal < threshold * (1 + ambient / ambient_constant(mode)):
                continue
            sigma = 2.5 * (1 + ambient / STRONG_AMBIENT_KCPS) + 35.0 * (d / limit) ** 4
            status, distance = self._measure(d, sigma, settings)
            return Ranging(status, distance, signal, ambient, sigma, SPADS, hit.target)
        # nothing strong enough: the chip says "no target"
        return Ranging(DEVICE_NO_TARGET, 0, 0.0, ambient, 0.0)

    def _measure(self, d: float, sigma: float, settings: Settings) -> tuple[int, int]:
        """(device status, distance mm) of a target at d m ranged with that noise."""
        measured = d * 1000 + self.offset_mm + self._rng.gauss(0.0, sigma)
        window = MODES[settings.mode][2]
        status = DEVICE_RANGE_COMPLETE
        if d > window:
            if settings.mode == "short":  # radar aliasing: the range wraps
                measured -= window * 1000
                status = DEVICE_WRAP
            else:
                status = DEVICE_OUT_OF_BOUNDS
        elif measured < MIN_RANGE_MM:
            status = DEVICE_MIN_CLIP
        elif sigma > settings.sigma_limit_mm:
            status = DEVICE_SIGMA_FAIL
        return status, max(0, min(0xFFFF, round(measured)))


def _cylinder(
    origin: tuple[float, float],
    ray: tuple[float, float, float],
    body: tuple[float, float, float, float, float],
) -> float | None:
    """Distance along the ray (dx, dy, dz) from origin (ox, 0, oz) to an upright elliptic
    cylinder body (cx, cy, a, b, h): half-width a along x, half-depth b along y, height h,
    standing at (cx, cy); None when it misses. Solved as a circle of radius a after scaling y
    by a / b (the distance along the ray is the same in both spaces)."""
    ox, oz = origin
    dx, dy, dz = ray
    cx, cy, r, depth, h = body
    k = r / depth if depth > 0 else 1.0
    fx, fy = ox - cx, -cy * k
    dyk = dy * k
    a = dx * dx + dyk * dyk
    if a < 1e-12:  # noqa: PLR2004 - looking straight up or down
        return None
    b = 2 * (fx * dx + fy * dyk)
    c = fx * fx + fy * fy - r * r
    disc = b * b - 4 * a * c
    if disc < 0:
        return None
    root = math.sqrt(disc)
    for s in ((-b - root) / (2 * a), (-b + root) / (2 * a)):
        if s > 0 and 0.0 <= oz + s * dz <= h:
            return s
    # the ray may enter through the top (a bag seen from above)
    if dz < 0 and oz > h:
        s = (h - oz) / dz
        px, py = ox + s * dx - cx, (s * dy - cy) * k
        if px * px + py * py <= r * r:
            return s
    return None
