"""The physics of an IR touch frame: what its receivers read, dark and lit, at the moments a
scan reads them, for what is on the glass. Built from the frame's description (the dict a
touch board's config.json has, from hardware/frames/*.toml) and the conditions it stands in;
it knows nothing of the firmware (tests/host/sim/test_glass_physics.py makes sure it imports
nothing from vitrine_fw), so that the firmware is measured against physics, not against a
model of itself.

Geometry. The parts sit `bar_gap_mm` outside the active area: x emitters along the bottom bar
at (first + i*pitch, height + gap) facing up, x receivers along the top bar at
(first + j*pitch, -gap) facing down, y emitters along the left bar at (-gap, first + i*pitch)
facing right, y receivers along the right bar at (width + gap, first + j*pitch) facing left.
Each part is placed with an error along its bar (sd `placement_sigma_mm`) and turned by a
small error (sd `tilt_sigma_deg`), both seeded.

A beam is every ray from the emitter's aperture to the receiver's (their widths along the bars
from the frame's optics). Its clear level is the frame's `straight_level` of the ADC's range
(set per axis by the drive current and load resistor, as a frame is built), times the
emitter's intensity at the ray's angle from its axis and the receiver's sensitivity at its
angle from its own axis (each part's half angle from its datasheet; profile shapes: "gaussian"
or "cosine", cos^m with the same half angle), times (straight length / length)^2, times each
part's gain (lognormal, sd `gain_sigma`), less dirt on the bar in front of it, times a slow
drift; a dead part gives no light or reads none. So oblique beams are weaker than straight
ones, and weaker the narrower the parts.

Occlusion. Fingers, palms and sleeves are discs (a sleeve: a trail of them) with an opacity;
a ray is blocked by a disc it passes within the radius of. For each of `EMITTER_SAMPLES`
points across the emitter's aperture (weighted evenly, or "tapered" towards its middle) the
rays to the receiver's aperture that a disc blocks form an interval, found exactly (the
small-angle geometry of rays a few millimetres apart over hundreds); the beam's transmission
is the unblocked share of its rays, discs overlapping counted once. A shadow's edge is
therefore a ramp about an aperture wide whose shape depends on where along the beam the finger
stands (as wide as the emitter's aperture next to the emitter, the receiver's next to the
receiver, a trapezoid between).

Receivers. A phototransistor responds with its rise and fall times (first order,
time constant = rise or fall / 2.2): a lit reading taken `led_on_settle` after the emitter
went on holds that share of the beam's level, and a dark reading still holds what is left of
the previous step's emitter's light. Each reads the ambient light on its bar (per bar: a
level, a ramp along the bar, mains flicker at 100 or 120 Hz with a depth), its dark current
(through a 1 kΩ load) over an offset of OFFSET of the ADC's range, and the beam's light;
saturates softly towards `saturation` of the ADC's range; adds noise (sd `sigma` of a straight
beam's level, in counts, not proportional to the beam) and is quantised by the board's ADC
(`adc_bits`).

Discs move: each is evaluated at the moment of the reading that sees it.

Not modelled: light reflected off fingers or the bezel, multipath, crosstalk between the two
axes (only one emitter is on at a time), the phototransistor's speed varying with its current.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EMITTER_SAMPLES = 12  # points across an emitter's aperture
LOAD_OHM = 1000.0  # the receivers' load resistor, for the dark current in counts
SUPPLY_V = 3.3  # ... and the ADC's range
_KNEE = 0.9  # the receiver's response bends at this share of its saturation
OFFSET = 0.02  # a receiver's output with no light, of the ADC's range (its circuit's offset)
BARS = {"x": ("bottom", "top"), "y": ("left", "right")}  # emitters' bar, receivers' bar
LIGHT_BARS = ("top", "right")  # the receivers' bars: where ambient light matters
PROFILES = ("gaussian", "cosine")
NEAR_FIELDS = ("uniform", "tapered")


@dataclass(frozen=True)
class BarLight:
    """Ambient light on one receiver bar, as a share of a straight beam's level."""

    ambient: float = 0.0  # at the bar's start (x = 0 on the top bar, y = 0 on the right)
    ramp_to: float | None = None  # at its end (None: the same all along)
    flicker_hz: float = 0.0  # mains lighting: 100 or 120 Hz
    flicker_depth: float = 0.0  # share of the ambient that flickers (0..1)


@dataclass(frozen=True)
class Dirt:
    """Dirt on a bar's window over a length: the parts behind it lose `loss` of their light."""

    bar: str  # bottom, top, left, right
    from_mm: float
    to_mm: float
    loss: float


@dataclass(frozen=True)
class Conditions:
    """How one frame was built and what it stands in (docs/touch-scenarios.md)."""

    sigma: float = 0.015  # additive noise per reading, sd, of a straight beam's level
    ambient: float = 0.0  # ambient light on both receiver bars, of a straight beam's level
    light: Mapping[str, BarLight] = field(default_factory=dict)  # per bar, over `ambient`
    dead: Mapping[str, list[int]] = field(default_factory=dict)  # axis -> dead emitters
    dead_receivers: Mapping[str, list[int]] = field(default_factory=dict)
    dirty: Mapping[str, list[int]] = field(default_factory=dict)  # emitters losing half
    dirt: tuple[Dirt, ...] = ()
    drift_per_min: float = 0.0  # relative gain change per minute (LED ageing, temperature)
    placement_sigma_mm: float = 0.2
    tilt_sigma_deg: float = 1.0
    gain_sigma: float = 0.12
    # Overrides of the frame's optics (None: the frame's own).
    aperture_mm: float | None = None  # both apertures
    emitter_half_angle_deg: float | None = None
    receiver_half_angle_deg: float | None = None
    emitter_profile: str = "gaussian"
    receiver_profile: str = "cosine"
    near_field: str = "uniform"  # how an emitter's light spreads across its aperture
    adc_bits: int | None = None

    def describe(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """The model's parameters for this frame, as printed beside a figure."""
        optics = frame["optics"]
        timing = frame["timing"]
        ap = self.aperture_mm
        return {
            "apertures_mm": [
                ap or optics["emitter_aperture_mm"],
                ap or optics["receiver_aperture_mm"],
            ],
            "placement_sigma_mm": self.placement_sigma_mm,
            "tilt_sigma_deg": self.tilt_sigma_deg,
            "gain_sigma": self.gain_sigma,
            "noise_of_straight_level": self.sigma,
            "adc_bits": self.adc_bits or timing["adc_bits"],
            "emitter": {
                "part": optics["emitter"]["part"],
                "half_angle_deg": self.emitter_half_angle_deg
                or optics["emitter"]["half_angle_deg"],
                "profile": self.emitter_profile,
                "near_field": self.near_field,
            },
            "receiver": {
                "part": optics["receiver"]["part"],
                "half_angle_deg": self.receiver_half_angle_deg
                or optics["receiver"]["half_angle_deg"],
                "profile": self.receiver_profile,
                "rise_us": optics["receiver"]["rise_us"],
                "fall_us": optics["receiver"]["fall_us"],
            },
            "bar_gap_mm": optics["bar_gap_mm"],
            "straight_level": optics["straight_level"],
            "ambient": self.ambient,
            "light": {k: vars(v) for k, v in sorted(self.light.items())},
            "dead_emitters": dict(self.dead),
            "dead_receivers": dict(self.dead_receivers),
            "dirt": [vars(d) for d in self.dirt],
        }


@dataclass(frozen=True)
class Finger:
    """A disc resting on the glass (the world channel's fingers)."""

    x_mm: float
    y_mm: float
    diameter_mm: float


@dataclass(frozen=True)
class Discs:
    """Discs at N moments: x, y, radius (mm) and opacity, each shaped (D, N)."""

    x: np.ndarray
    y: np.ndarray
    r: np.ndarray
    opacity: np.ndarray

    @property
    def count(self) -> int:
        return int(self.x.shape[0])


Scene = Callable[[np.ndarray], Discs]  # moments (s) -> the discs then


@dataclass(frozen=True)
class Requests:
    """N readings for sample(): the pair each reads, and when.

    e_axis/e_index: the emitter switched on for the lit reading; r_index: the receiver read
    (on the same axis' receiver bar). t_on: when that emitter went on; t_dark, t_lit: the
    readings' moments. prev_axis/prev_index (-1: none), prev_on, prev_off: the emitter the
    step before had on, and when (its light is still fading in the dark reading). Times in s.
    """

    e_axis: np.ndarray
    e_index: np.ndarray
    r_index: np.ndarray
    t_on: np.ndarray
    t_dark: np.ndarray
    t_lit: np.ndarray
    prev_axis: np.ndarray
    prev_index: np.ndarray
    prev_on: np.ndarray
    prev_off: np.ndarray


def profile(angle_rad: np.ndarray, half_angle_deg: float, shape: str) -> np.ndarray:
    """Relative intensity (or sensitivity) at an angle from a part's axis: 1 on the axis, 0.5
    at the half angle; "gaussian" in the angle, or "cosine" (cos^m, 0 beyond 90°)."""
    half = math.radians(half_angle_deg)
    a = np.abs(angle_rad)
    if shape == "gaussian":
        return np.exp(-math.log(2) * (a / half) ** 2)
    if shape == "cosine":
        m = math.log(0.5) / math.log(math.cos(half))
        return np.where(a < math.pi / 2, np.cos(np.minimum(a, math.pi / 2)) ** m, 0.0)
    raise ValueError(f"profile {shape!r}: allowed {', '.join(PROFILES)}")


class Glass:
    """One frame's optics and receivers, with what is on it (a scene of moving discs, or
    fingers set from any thread)."""

    def __init__(
        self, frame: Mapping[str, Any], conditions: Conditions | None = None, seed: int = 0
    ) -> None:
        self.frame = frame
        c = self.conditions = conditions or Conditions()
        optics = frame["optics"]
        timing = frame["timing"]
        self.width = float(frame["width_mm"])
        self.height = float(frame["height_mm"])
        self.gap = float(optics["bar_gap_mm"])
        self.aperture_e = float(c.aperture_mm or optics["emitter_aperture_mm"])
        self.aperture_r = float(c.aperture_mm or optics["receiver_aperture_mm"])
        self.full = (1 << int(c.adc_bits or timing["adc_bits"])) - 1
        self.level = float(optics["straight_level"]) * self.full
        self.saturation = float(optics["saturation"]) * self.full
        self.e_half = float(c.emitter_half_angle_deg or optics["emitter"]["half_angle_deg"])
        self.r_half = float(c.receiver_half_angle_deg or optics["receiver"]["half_angle_deg"])
        receiver = optics["receiver"]
        self.tau_rise = float(receiver["rise_us"]) * 1e-6 / 2.2
        self.tau_fall = float(receiver["fall_us"]) * 1e-6 / 2.2
        self.dark_counts = float(receiver["dark_current_na"]) * 1e-9 * LOAD_OHM / SUPPLY_V
        self.dark_counts *= self.full
        for name, value, allowed in (
            ("emitter_profile", c.emitter_profile, PROFILES),
            ("receiver_profile", c.receiver_profile, PROFILES),
            ("near_field", c.near_field, NEAR_FIELDS),
        ):
            if value not in allowed:
                raise ValueError(f"{name}={value!r}: allowed {', '.join(allowed)}")
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._fingers: tuple[Finger, ...] = ()
        self.scene: Scene | None = None  # moving discs; None: the fingers set
        self.t_s = 0.0  # model time for the drift, when the owner advances it
        self._build(seed)
        w = np.arange(EMITTER_SAMPLES) + 0.5
        self._e_offsets = w / EMITTER_SAMPLES - 0.5  # across the aperture, of its width
        if c.near_field == "tapered":
            self._e_weights = np.cos(math.pi * self._e_offsets) ** 2
        else:
            self._e_weights = np.ones(EMITTER_SAMPLES)
        self._e_weights = self._e_weights / self._e_weights.sum()
        self._flicker_phase = self._rng.uniform(0, 2 * math.pi, 2)

    # --- the frame as built ----------------------------------------------------------------

    def _build(self, seed: int) -> None:
        c = self.conditions
        rng = np.random.default_rng([seed, 1])
        self.parts: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for axis in ("x", "y"):
            spec = self.frame[axis]
            n = int(spec["count"])
            nominal = float(spec["first_mm"]) + float(spec["pitch_mm"]) * np.arange(n)
            for role, bar in zip(("emitter", "receiver"), BARS[axis], strict=True):
                along = nominal + rng.normal(0, c.placement_sigma_mm, n)
                tilt = np.radians(rng.normal(0, c.tilt_sigma_deg, n))
                sigma = c.gain_sigma
                gain = np.exp(rng.normal(-sigma * sigma / 2, sigma, n))
                for d in c.dirt:
                    if d.bar == bar:
                        gain[(along >= d.from_mm) & (along <= d.to_mm)] *= 1 - d.loss
                dead = (c.dead if role == "emitter" else c.dead_receivers).get(axis, [])
                gain[list(dead)] = 0.0
                if role == "emitter":
                    for e in c.dirty.get(axis, []):
                        gain[e] *= 0.5
                self.parts[axis, role] = {"along": along, "tilt": tilt, "gain": gain}
        # the straight beams' length per axis (the levels are set for it)
        self.length0 = {"x": self.height + 2 * self.gap, "y": self.width + 2 * self.gap}

    def _position(self, axis: str, role: str, index: np.ndarray) -> tuple[np.ndarray, ...]:
        """(x, y, facing angle, bar direction angle, gain) of parts."""
        p = self.parts[axis, role]
        along = p["along"][index]
        tilt = p["tilt"][index]
        g = self.gap
        if axis == "x":
            if role == "emitter":  # bottom bar, facing up
                return along, np.full_like(along, self.height + g), -math.pi / 2 + tilt, 0.0
            return along, np.full_like(along, -g), math.pi / 2 + tilt, 0.0
        if role == "emitter":  # left bar, facing right
            return np.full_like(along, -g), along, tilt, math.pi / 2
        return np.full_like(along, self.width + g), along, math.pi + tilt, math.pi / 2

    def _pairs(
        self, e_axis: np.ndarray, e_index: np.ndarray, r_axis: np.ndarray, r_index: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Per pair: its ends, direction, apertures across it, and its clear level."""
        n = len(e_index)
        ex = np.empty(n)
        ey = np.empty(n)
        e_face = np.empty(n)
        e_bar = np.empty(n)
        e_gain = np.empty(n)
        rx = np.empty(n)
        ry = np.empty(n)
        r_face = np.empty(n)
        r_bar = np.empty(n)
        r_gain = np.empty(n)
        length0 = np.empty(n)
        for code, axis in ((0, "x"), (1, "y")):
            sel = e_axis == code
            if sel.any():
                x, y, face, bar = self._position(axis, "emitter", e_index[sel])
                ex[sel], ey[sel], e_face[sel], e_bar[sel] = x, y, face, bar
                e_gain[sel] = self.parts[axis, "emitter"]["gain"][e_index[sel]]
            sel = r_axis == code
            if sel.any():
                x, y, face, bar = self._position(axis, "receiver", r_index[sel])
                rx[sel], ry[sel], r_face[sel], r_bar[sel] = x, y, face, bar
                r_gain[sel] = self.parts[axis, "receiver"]["gain"][r_index[sel]]
                length0[sel] = self.length0[axis]
        dx = rx - ex
        dy = ry - ey
        length = np.hypot(dx, dy)
        ux = dx / length
        uy = dy / length
        heading = np.arctan2(uy, ux)
        theta_e = _wrap(heading - e_face)
        theta_r = _wrap(heading + math.pi - r_face)
        c = self.conditions
        level = (
            self.level
            * e_gain
            * r_gain
            * profile(theta_e, self.e_half, c.emitter_profile)
            * profile(theta_r, self.r_half, c.receiver_profile)
            * (length0 / length) ** 2
        )
        # the apertures' widths across the pair (they lie along their bars)
        nx = -uy
        ny = ux
        across_e = self.aperture_e * np.abs(np.cos(e_bar) * nx + np.sin(e_bar) * ny)
        across_r = self.aperture_r * np.abs(np.cos(r_bar) * nx + np.sin(r_bar) * ny)
        return {
            "ex": ex,
            "ey": ey,
            "ux": ux,
            "uy": uy,
            "length": length,
            "level": level,
            "across_e": np.maximum(across_e, 1e-3),
            "across_r": np.maximum(across_r, 1e-3),
        }

    # --- what is on the glass ----------------------------------------------------------------

    @property
    def fingers(self) -> tuple[Finger, ...]:
        return self._fingers

    def set_fingers(self, fingers: Iterable[Finger]) -> None:
        """The fingers on the glass from now on (replaces the previous set)."""
        fingers = tuple(fingers)
        with self._lock:
            self._fingers = fingers

    def discs(self, t: np.ndarray) -> Discs:
        """The discs on the glass at each moment of t (s)."""
        if self.scene is not None:
            return self.scene(t)
        fingers = self._fingers
        n = len(t)
        if not fingers:
            z = np.zeros((0, n))
            return Discs(z, z, z, z)
        col = np.ones((1, n))
        return Discs(
            np.array([[f.x_mm] for f in fingers]) * col,
            np.array([[f.y_mm] for f in fingers]) * col,
            np.array([[f.diameter_mm / 2] for f in fingers]) * col,
            np.ones((len(fingers), n)),
        )

    def transmission(self, pairs: dict[str, np.ndarray], t: np.ndarray) -> np.ndarray:
        """Per pair, the share of its light that reaches the receiver with the discs at t."""
        n = len(t)
        out = np.ones(n)
        discs = self.discs(t)
        if discs.count == 0 or n == 0:
            return out
        ex, ey, ux, uy = pairs["ex"][None], pairs["ey"][None], pairs["ux"][None], pairs["uy"][None]
        length = pairs["length"][None]
        # each disc in each pair's frame: along (s, a share of the length) and across (c)
        px = discs.x - ex
        py = discs.y - ey
        along = (px * ux + py * uy) / length
        across = -px * uy + py * ux
        reach = discs.r + (pairs["across_e"] + pairs["across_r"])[None] / 2 + 0.5
        near = (np.abs(across) < reach) & (along > 0) & (along < 1) & (discs.opacity > 0)
        rows = np.nonzero(near.any(axis=0))[0]
        if len(rows) == 0:
            return out
        s = np.clip(along[:, rows].T, 1e-6, 1 - 1e-6)[:, None, :]  # (P, 1, D)
        c = across[:, rows].T[:, None, :]
        r = np.where(near[:, rows].T, discs.r[:, rows].T, 0.0)[:, None, :]
        op = np.where(near[:, rows].T, discs.opacity[:, rows].T, 0.0)[:, None, :]
        ae = pairs["across_e"][rows][:, None, None]
        ar = pairs["across_r"][rows][:, None, None]
        e = self._e_offsets[None, :, None] * ae  # (P, K, 1): points across the emitter
        # the receiver-aperture interval of rays from e that pass within r of the disc
        lo = np.clip((c - r - (1 - s) * e) / s, -ar / 2, ar / 2)
        hi = np.clip((c + r - (1 - s) * e) / s, -ar / 2, ar / 2)
        cuts = np.sort(np.concatenate([lo, hi], axis=2), axis=2)  # (P, K, 2D)
        mid = (cuts[:, :, 1:] + cuts[:, :, :-1]) / 2
        seg = cuts[:, :, 1:] - cuts[:, :, :-1]
        inside = (mid[..., None] > lo[:, :, None, :]) & (mid[..., None] < hi[:, :, None, :])
        passing = np.prod(1 - op[:, :, None, :] * inside, axis=3)  # (P, K, 2D-1)
        blocked = ((1 - passing) * seg).sum(axis=2) / ar[:, :, 0]  # (P, K)
        out[rows] = 1 - blocked @ self._e_weights
        return np.clip(out, 0.0, 1.0)

    # --- readings ------------------------------------------------------------------------------

    def ambient(self, r_axis: np.ndarray, r_index: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Ambient light on each receiver at t, in counts (before saturation)."""
        c = self.conditions
        out = np.full(len(t), c.ambient * self.level)
        for code, axis in ((0, "x"), (1, "y")):
            sel = r_axis == code
            if not sel.any():
                continue
            bar = BARS[axis][1]
            light = c.light.get(bar)
            if light is None:
                continue
            span = self.width if axis == "x" else self.height
            pos = np.clip(self.parts[axis, "receiver"]["along"][r_index[sel]] / span, 0, 1)
            end = light.ambient if light.ramp_to is None else light.ramp_to
            level = light.ambient + (end - light.ambient) * pos
            if light.flicker_hz > 0:
                phase = self._flicker_phase[code]
                wave = np.sin(2 * math.pi * light.flicker_hz * t[sel] + phase)
                level = level * (1 + light.flicker_depth * wave)
            out[sel] += level * self.level
        for code, axis in ((0, "x"), (1, "y")):
            sel = r_axis == code
            if sel.any():
                gain = self.parts[axis, "receiver"]["gain"][r_index[sel]]
                out[sel] *= np.minimum(gain, 1.0) > 0  # a dead receiver sees nothing
        return out

    def sample(self, req: Requests) -> tuple[np.ndarray, np.ndarray]:
        """The ADC counts of each reading, dark and lit (int arrays)."""
        n = len(req.r_index)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        drift = 1.0 + self.conditions.drift_per_min * self.t_s / 60
        own = self._pairs(req.e_axis, req.e_index, req.e_axis, req.r_index)
        lit_level = own["level"] * drift * self.transmission(own, req.t_lit)
        rise = 1 - np.exp(-np.maximum(req.t_lit - req.t_on, 0) / self.tau_rise)
        tail_dark = np.zeros(n)
        tail_lit = np.zeros(n)
        has_prev = req.prev_index >= 0
        if has_prev.any():
            k = np.nonzero(has_prev)[0]
            prev = self._pairs(req.prev_axis[k], req.prev_index[k], req.e_axis[k], req.r_index[k])
            mid = (req.prev_on[k] + req.prev_off[k]) / 2
            level = prev["level"] * drift * self.transmission(prev, mid)
            risen = 1 - np.exp(-(req.prev_off[k] - req.prev_on[k]) / self.tau_rise)
            left = level * risen
            tail_dark[k] = left * np.exp(
                -np.maximum(req.t_dark[k] - req.prev_off[k], 0) / self.tau_fall
            )
            tail_lit[k] = left * np.exp(
                -np.maximum(req.t_lit[k] - req.prev_off[k], 0) / self.tau_fall
            )
        dark_light = self.ambient(req.e_axis, req.r_index, req.t_dark) + tail_dark
        lit_light = self.ambient(req.e_axis, req.r_index, req.t_lit) + tail_lit + lit_level * rise
        sd = self.conditions.sigma * self.level
        base = self.dark_counts + OFFSET * self.full
        dark = self._adc(dark_light + base, sd, n)
        lit = self._adc(lit_light + base, sd, n)
        return dark, lit

    # --- the straight beams at a glance (diagnostics and tests) ---------------------------------

    def straight_requests(self, axis: str = "x", t_s: float = 0.0) -> Requests:
        """Readings of every straight beam of an axis, each emitter on long enough to settle
        wholly, at t_s."""
        code = 0 if axis == "x" else 1
        n = int(self.frame[axis]["count"])
        index = np.arange(n)
        none = np.full(n, -1)
        t = np.full(n, t_s)
        return Requests(np.full(n, code), index, index, t - 1e-3, t - 2e-3, t, none, none, t, t)

    def straight_transmission(self, axis: str = "x") -> np.ndarray:
        """The share of each straight beam's light that reaches its receiver now."""
        req = self.straight_requests(axis)
        return self.transmission(
            self._pairs(req.e_axis, req.e_index, req.e_axis, req.r_index), req.t_lit
        )

    def scan_straight(self, axis: str = "x") -> tuple[np.ndarray, np.ndarray]:
        """One reading, dark and lit, of every straight beam of an axis (sample()'s)."""
        return self.sample(self.straight_requests(axis))

    def _adc(self, light: np.ndarray, sd: float, n: int) -> np.ndarray:
        # the phototransistor's soft saturation, then noise, then the ADC
        sat = self.saturation
        knee = _KNEE * sat
        over = np.maximum(light - knee, 0)
        out = np.where(
            light > knee, knee + (sat - knee) * (1 - np.exp(-over / (sat - knee))), light
        )
        out = out + self._rng.standard_normal(n) * sd
        return np.clip(np.rint(out), 0, self.full).astype(np.int64)


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + math.pi) % (2 * math.pi) - math.pi
