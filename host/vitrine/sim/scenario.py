"""Touch scenarios: fingers, palms and sleeves moving over a frame, and the frame's build and
light. The format is public (docs/touch-scenarios.md); `vitrine sim touch` replays one
through the firmware's touch code against the glass model, `vitrine sim play` plays its
fingers on a running virtual touch board, and the touch benchmark generates its scenarios in
this form.

    {"frame": "32in",
     "noise": {"sigma": 0.015, "ambient": 0.2},
     "light": {"top": {"ambient": 0.9, "ramp_to": 0.3}},
     "duration_ms": 1000,
     "seed": 1,
     "fingers": [{"id": 1, "diameter_mm": 9, "approach_ms": 30,
                  "path": [[0, 100.0, 80.0], [500, 300.0, 80.0]]}]}
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.errors import ConfigError
from vitrine.hardware import BEAMS, frame_config, load_frame
from vitrine.sim.glass import (
    BARS,
    LIGHT_BARS,
    NEAR_FIELDS,
    PROFILES,
    BarLight,
    Conditions,
    Dirt,
    Discs,
    Finger,
)

# The fan of a frame given only by its size: two pairs of oblique beams at about these slopes
# (receiver displacement over the beam's length), as the shipped descriptions have.
DEFAULT_SLOPES = {"x": (0.25, 0.5), "y": (0.18, 0.28)}
KINDS = ("finger", "palm", "sleeve")
_PATH_POINT = ("t_ms", "x_mm", "y_mm")  # one point of a finger's path
_SHRUNK = 0.6  # a disc coming down (or lifting) casts this share of its radius at first
MAX_DISCS = 12  # a sleeve's trail of discs, at most


@dataclass(frozen=True)
class PathFinger:
    """Something on the glass from its path's first time to its last, moving linearly: a
    finger or a palm (a disc), or a sleeve (a trail of `discs` discs over `length_mm` behind
    its path's point, along its motion). It comes down over approach_ms (its shadow grows from
    _SHRUNK of its size, and from clear to dark) and lifts over lift_ms, within its times."""

    id: int
    diameter_mm: float
    path: tuple[tuple[float, float, float], ...]  # (t_ms, x_mm, y_mm), times ascending
    kind: str = "finger"
    approach_ms: float = 0.0
    lift_ms: float = 0.0
    length_mm: float = 0.0  # a sleeve's trail
    discs: int = 1

    @property
    def start_ms(self) -> float:
        return self.path[0][0]

    @property
    def end_ms(self) -> float:
        return self.path[-1][0]

    def at(self, t_ms: float) -> tuple[float, float] | None:
        """Position at t_ms, or None when it is not on the glass."""
        path = self.path
        if not path[0][0] <= t_ms <= path[-1][0]:
            return None
        i = bisect.bisect_right([p[0] for p in path], t_ms)
        if i >= len(path):
            return path[-1][1], path[-1][2]
        (t0, x0, y0), (t1, x1, y1) = path[i - 1], path[i]
        a = (t_ms - t0) / (t1 - t0) if t1 > t0 else 1.0
        return x0 + a * (x1 - x0), y0 + a * (y1 - y0)

    def down(self, t_ms: float) -> bool:
        """Wholly down at t_ms: on the glass, past its approach and before its lift."""
        return self.start_ms + self.approach_ms <= t_ms <= self.end_ms - self.lift_ms

    def discs_at(self, t_s: np.ndarray) -> tuple[np.ndarray, ...]:
        """(x, y, r, opacity) of its discs at each moment of t_s, shaped (discs, len(t_s))."""
        t = t_s * 1000
        times = np.array([p[0] for p in self.path])
        xs = np.array([p[1] for p in self.path])
        ys = np.array([p[2] for p in self.path])
        x = np.interp(t, times, xs)
        y = np.interp(t, times, ys)
        present = (t >= times[0]) & (t <= times[-1])
        grow = np.ones_like(t)
        if self.approach_ms > 0:
            grow = np.minimum(grow, np.clip((t - times[0]) / self.approach_ms, 0, 1))
        if self.lift_ms > 0:
            grow = np.minimum(grow, np.clip((times[-1] - t) / self.lift_ms, 0, 1))
        grow = grow * grow * (3 - 2 * grow)  # smooth in and out
        r = self.diameter_mm / 2 * (_SHRUNK + (1 - _SHRUNK) * grow)
        opacity = np.where(present, grow, 0.0)
        if self.kind != "sleeve" or self.discs == 1:
            return x[None], y[None], r[None], opacity[None]
        # the trail lies behind the sleeve's point, against its motion (x when it is still)
        dx, dy = xs[-1] - xs[0], ys[-1] - ys[0]
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = (dx / norm, dy / norm) if math.hypot(dx, dy) else (1.0, 0.0)
        k = np.arange(self.discs)[:, None] * (self.length_mm / (self.discs - 1))
        return (
            x[None] - ux * k,
            y[None] - uy * k,
            np.repeat(r[None], self.discs, axis=0),
            np.repeat(opacity[None], self.discs, axis=0),
        )


@dataclass(frozen=True)
class Truth:
    """Something on the glass at a moment, as the benchmark judges against."""

    id: int
    kind: str
    x_mm: float
    y_mm: float
    diameter_mm: float
    down: bool  # wholly down (past its approach, before its lift)


@dataclass(frozen=True)
class Scenario:
    frame: dict[str, Any]  # the "frame" entry a touch board's config.json has
    noise: Conditions
    duration_ms: float
    fingers: tuple[PathFinger, ...]
    seed: int = 0

    def fingers_at(self, t_ms: float) -> list[tuple[int, Finger]]:
        """(id, finger) for every finger on the glass at t_ms (its full size)."""
        out = []
        for f in self.fingers:
            pos = f.at(t_ms)
            if pos is not None:
                out.append((f.id, Finger(pos[0], pos[1], f.diameter_mm)))
        return out

    def truth(self, t_ms: float) -> tuple[Truth, ...]:
        """What is on the glass at t_ms."""
        out = []
        for f in self.fingers:
            pos = f.at(t_ms)
            if pos is not None:
                out.append(Truth(f.id, f.kind, pos[0], pos[1], f.diameter_mm, f.down(t_ms)))
        return tuple(out)

    def discs(self, t_s: np.ndarray) -> Discs:
        """The glass model's scene: every disc at each moment of t_s (s)."""
        parts = [f.discs_at(t_s) for f in self.fingers]
        if not parts:
            z = np.zeros((0, len(t_s)))
            return Discs(z, z, z, z)
        return Discs(*(np.concatenate([p[i] for p in parts]) for i in range(4)))


def frame_from_size(width_mm: float, height_mm: float, pitch_mm: float) -> dict[str, Any]:
    """A frame config for a frame given only by its size: beams centred on the active area,
    the default fan, the 32-inch frame's optics, wiring and timing."""
    base = frame_config(load_frame("32in"))
    frame: dict[str, Any] = {"width_mm": float(width_mm), "height_mm": float(height_mm)}
    for axis, span, across in (("x", width_mm, height_mm), ("y", height_mm, width_mm)):
        count = int(span // pitch_mm)
        if not BEAMS[0] <= count <= BEAMS[1]:
            raise ConfigError(
                f"frame: {axis} axis of {span:g} mm at pitch {pitch_mm:g} mm has {count} beams,"
                f" allowed {BEAMS[0]}..{BEAMS[1]}"
            )
        near, far = (
            min(round(slope * across / pitch_mm), count // 2 - 1) for slope in DEFAULT_SLOPES[axis]
        )
        frame[axis] = {
            "count": count,
            "pitch_mm": float(pitch_mm),
            "first_mm": (span - (count - 1) * pitch_mm) / 2,
            "fan": [0, *(k for o in sorted({near, far} - {0}) for k in (-o, o))],
        }
    for key in ("optics", "wiring", "timing"):
        frame[key] = base[key]
    return frame


def _number(where: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}={value!r}: allowed a number in {lo:g}..{hi:g}")
    if not lo <= value <= hi:
        raise ConfigError(f"{where}={value!r}: allowed {lo:g}..{hi:g}")
    return float(value)


def _choice(where: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}={value!r}: allowed {', '.join(allowed)}")
    return str(value)


def _only(where: str, data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be an object with keys {', '.join(sorted(allowed))}")
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    return data


def _frame(data: Any, base: Path | None) -> dict[str, Any]:
    if isinstance(data, str):
        path = Path(data)
        if base is not None and path.suffix == ".toml" and not path.is_absolute():
            path = base / path
        return frame_config(load_frame(path if path.suffix == ".toml" else data))
    spec = _only("frame", data, {"width_mm", "height_mm", "pitch_mm"})
    for key in ("width_mm", "height_mm"):
        if key not in spec:
            raise ConfigError(f"frame.{key}: missing")
    return frame_from_size(
        _number("frame.width_mm", spec["width_mm"], 50, 3000),
        _number("frame.height_mm", spec["height_mm"], 50, 3000),
        _number("frame.pitch_mm", spec.get("pitch_mm", 5.0), 2, 20),
    )


def _indices(where: str, data: Any, frame: dict[str, Any]) -> dict[str, list[int]]:
    spec = _only(where, data, {"x", "y"})
    out = {}
    for axis, indices in spec.items():
        count = frame[axis]["count"]
        if not isinstance(indices, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count for i in indices
        ):
            raise ConfigError(
                f"{where}.{axis}={indices!r}: allowed a list of indices 0..{count - 1}"
            )
        out[axis] = list(indices)
    return out


def _light(data: Any) -> dict[str, BarLight]:
    spec = _only("light", data, set(LIGHT_BARS))
    out = {}
    for bar, raw in spec.items():
        where = f"light.{bar}"
        item = _only(where, raw, {"ambient", "ramp_to", "flicker_hz", "flicker_depth"})
        ramp = item.get("ramp_to")
        out[bar] = BarLight(
            ambient=_number(f"{where}.ambient", item.get("ambient", 0.0), 0, 5),
            ramp_to=None if ramp is None else _number(f"{where}.ramp_to", ramp, 0, 5),
            flicker_hz=_number(f"{where}.flicker_hz", item.get("flicker_hz", 0.0), 0, 1000),
            flicker_depth=_number(f"{where}.flicker_depth", item.get("flicker_depth", 0.0), 0, 1),
        )
    return out


def _dirt(data: Any, frame: dict[str, Any]) -> tuple[Dirt, ...]:
    if not isinstance(data, list):
        raise ConfigError("dirt: must be a list of {bar, from_mm, to_mm, loss}")
    bars = [bar for pair in BARS.values() for bar in pair]
    out = []
    for i, raw in enumerate(data):
        where = f"dirt[{i}]"
        item = _only(where, raw, {"bar", "from_mm", "to_mm", "loss"})
        for key in ("bar", "from_mm", "to_mm"):
            if key not in item:
                raise ConfigError(f"{where}.{key}: missing")
        bar = _choice(f"{where}.bar", item["bar"], tuple(bars))
        span = frame["width_mm"] if bar in ("top", "bottom") else frame["height_mm"]
        lo = _number(f"{where}.from_mm", item["from_mm"], 0, span)
        hi = _number(f"{where}.to_mm", item["to_mm"], lo, span)
        out.append(Dirt(bar, lo, hi, _number(f"{where}.loss", item.get("loss", 0.5), 0, 1)))
    return tuple(out)


_GLASS_KEYS = {
    "aperture_mm": (0.5, 10),
    "placement_sigma_mm": (0, 2),
    "tilt_sigma_deg": (0, 10),
    "gain_sigma": (0, 1),
    "emitter_half_angle_deg": (5, 80),
    "receiver_half_angle_deg": (5, 85),
}


def _conditions(top: dict[str, Any], frame: dict[str, Any]) -> Conditions:
    nz = _only(
        "noise",
        top.get("noise", {}),
        {"sigma", "ambient", "dead_beams", "dead_receivers", "dirty_beams", "drift_per_min"},
    )
    glass = _only(
        "glass",
        top.get("glass", {}),
        {*_GLASS_KEYS, "emitter_profile", "receiver_profile", "near_field", "adc_bits"},
    )
    extra: dict[str, Any] = {}
    for key, (lo, hi) in _GLASS_KEYS.items():
        if key in glass:
            extra[key] = _number(f"glass.{key}", glass[key], lo, hi)
    for key, allowed in (
        ("emitter_profile", PROFILES),
        ("receiver_profile", PROFILES),
        ("near_field", NEAR_FIELDS),
    ):
        if key in glass:
            extra[key] = _choice(f"glass.{key}", glass[key], allowed)
    if "adc_bits" in glass:
        extra["adc_bits"] = int(_number("glass.adc_bits", glass["adc_bits"], 8, 16))
    return Conditions(
        sigma=_number("noise.sigma", nz.get("sigma", 0.015), 0, 0.5),
        ambient=_number("noise.ambient", nz.get("ambient", 0.0), 0, 5),
        dead=_indices("noise.dead_beams", nz.get("dead_beams", {}), frame),
        dead_receivers=_indices("noise.dead_receivers", nz.get("dead_receivers", {}), frame),
        dirty=_indices("noise.dirty_beams", nz.get("dirty_beams", {}), frame),
        drift_per_min=_number("noise.drift_per_min", nz.get("drift_per_min", 0.0), -1, 1),
        light=_light(top.get("light", {})),
        dirt=_dirt(top.get("dirt", []), frame),
        **extra,
    )


def parse_scenario(data: Any, source: str = "scenario", base: Path | None = None) -> Scenario:
    """Validate a scenario (the parsed JSON); raises ConfigError naming key, value, allowed."""
    try:
        return _parse(data, base)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from err


def _finger(n: int, raw: Any, w: float, h: float) -> PathFinger:
    where = f"fingers[{n}]"
    f = _only(
        where,
        raw,
        {"id", "kind", "diameter_mm", "path", "approach_ms", "lift_ms", "length_mm", "discs"},
    )
    fid = f.get("id", n + 1)
    if isinstance(fid, bool) or not isinstance(fid, int) or fid < 0:
        raise ConfigError(f"{where}.id={fid!r}: allowed a whole number >= 0")
    kind = _choice(f"{where}.kind", f.get("kind", "finger"), KINDS)
    path = f.get("path")
    if not isinstance(path, list) or not path:
        raise ConfigError(f"{where}.path: allowed a non-empty list of [t_ms, x_mm, y_mm]")
    points = []
    for i, p in enumerate(path):
        if not isinstance(p, list) or len(p) != len(_PATH_POINT):
            raise ConfigError(f"{where}.path[{i}]={p!r}: allowed [t_ms, x_mm, y_mm]")
        t = _number(f"{where}.path[{i}][0]", p[0], 0, 86_400_000)
        if points and t < points[-1][0]:
            raise ConfigError(f"{where}.path[{i}]: t_ms={t:g} goes back in time")
        points.append(
            (
                t,
                _number(f"{where}.path[{i}][1]", p[1], 0, w),
                _number(f"{where}.path[{i}][2]", p[2], 0, h),
            )
        )
    default_d = {"finger": 9, "palm": 60, "sleeve": 35}[kind]
    discs = f.get("discs", 4 if kind == "sleeve" else 1)
    if isinstance(discs, bool) or not isinstance(discs, int) or not 1 <= discs <= MAX_DISCS:
        raise ConfigError(f"{where}.discs={discs!r}: allowed a whole number 1..{MAX_DISCS}")
    return PathFinger(
        fid,
        _number(f"{where}.diameter_mm", f.get("diameter_mm", default_d), 1, 120),
        tuple(points),
        kind=kind,
        approach_ms=_number(f"{where}.approach_ms", f.get("approach_ms", 0), 0, 1000),
        lift_ms=_number(f"{where}.lift_ms", f.get("lift_ms", 0), 0, 1000),
        length_mm=_number(
            f"{where}.length_mm", f.get("length_mm", 80 if kind == "sleeve" else 0), 0, 500
        ),
        discs=discs,
    )


def _parse(data: Any, base: Path | None) -> Scenario:
    top = _only(
        "scenario",
        data,
        {"frame", "noise", "glass", "light", "dirt", "duration_ms", "fingers", "seed"},
    )
    if "frame" not in top:
        raise ConfigError("frame: missing (a size object, a frame name, or a .toml path)")
    frame = _frame(top["frame"], base)
    conditions = _conditions(top, frame)
    raw_fingers = top.get("fingers", [])
    if not isinstance(raw_fingers, list):
        raise ConfigError("fingers: must be a list")
    w, h = frame["width_mm"], frame["height_mm"]
    fingers = [_finger(n, raw, w, h) for n, raw in enumerate(raw_fingers)]
    ids = [f.id for f in fingers]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"fingers: ids {ids} are not unique")
    end = max((f.end_ms for f in fingers), default=0.0)
    seed = top.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed={seed!r}: allowed a whole number")
    duration = _number("duration_ms", top.get("duration_ms", end), 0, 86_400_000)
    return Scenario(frame, conditions, duration, tuple(fingers), seed)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; raises ConfigError naming the file."""
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON: {err}") from err
    return parse_scenario(data, str(path), path.parent)
