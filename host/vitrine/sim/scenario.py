"""Touch scenarios: fingers moving over a frame, with the frame's imperfections. The format is
public (docs/touch-scenarios.md); `vitrine sim touch` replays one through the firmware's
algorithm and `vitrine sim play` plays one on a running virtual touch board.

    {"frame": {"width_mm": 700, "height_mm": 400, "pitch_mm": 5},   # or "32in", or a path
     "noise": {"sigma": 0.01, "ambient": 0.2, "dead_beams": {"x": [12], "y": []}},
     "duration_ms": 1000,
     "seed": 1,
     "fingers": [{"id": 1, "diameter_mm": 9, "path": [[0, 100.0, 80.0], [500, 300.0, 80.0]]}]}
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.errors import ConfigError
from vitrine.hardware import BEAMS, frame_config, load_frame
from vitrine.sim.glass import Finger, Noise

# The fan of a frame given only by its size: two pairs of oblique beams at about these slopes
# (receiver displacement over the beam's length), as the shipped descriptions have.
DEFAULT_SLOPES = {"x": (0.25, 0.5), "y": (0.18, 0.28)}
_PATH_POINT = ("t_ms", "x_mm", "y_mm")  # one point of a finger's path


@dataclass(frozen=True)
class PathFinger:
    """A finger on the glass from its path's first time to its last, moving linearly."""

    id: int
    diameter_mm: float
    path: tuple[tuple[float, float, float], ...]  # (t_ms, x_mm, y_mm), times ascending

    @property
    def start_ms(self) -> float:
        return self.path[0][0]

    @property
    def end_ms(self) -> float:
        return self.path[-1][0]

    def at(self, t_ms: float) -> tuple[float, float] | None:
        """Position at t_ms, or None when the finger is not on the glass."""
        path = self.path
        if not path[0][0] <= t_ms <= path[-1][0]:
            return None
        i = bisect.bisect_right([p[0] for p in path], t_ms)
        if i >= len(path):
            return path[-1][1], path[-1][2]
        (t0, x0, y0), (t1, x1, y1) = path[i - 1], path[i]
        a = (t_ms - t0) / (t1 - t0) if t1 > t0 else 1.0
        return x0 + a * (x1 - x0), y0 + a * (y1 - y0)


@dataclass(frozen=True)
class Scenario:
    frame: dict[str, Any]  # the "frame" entry a touch board's config.json has
    noise: Noise
    duration_ms: float
    fingers: tuple[PathFinger, ...]
    seed: int = 0

    def fingers_at(self, t_ms: float) -> list[tuple[int, Finger]]:
        """(id, finger) for every finger on the glass at t_ms."""
        out = []
        for f in self.fingers:
            pos = f.at(t_ms)
            if pos is not None:
                out.append((f.id, Finger(pos[0], pos[1], f.diameter_mm)))
        return out


def frame_from_size(width_mm: float, height_mm: float, pitch_mm: float) -> dict[str, Any]:
    """A frame config for a frame given only by its size: beams centred on the active area,
    the default fan, the 32-inch frame's wiring and timing."""
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
    frame["wiring"] = base["wiring"]
    return frame


def _number(where: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}={value!r}: allowed a number in {lo:g}..{hi:g}")
    if not lo <= value <= hi:
        raise ConfigError(f"{where}={value!r}: allowed {lo:g}..{hi:g}")
    return float(value)


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


def _beams(where: str, data: Any, frame: dict[str, Any]) -> dict[str, list[int]]:
    spec = _only(where, data, {"x", "y"})
    out = {}
    for axis, indices in spec.items():
        count = frame[axis]["count"]
        if not isinstance(indices, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count for i in indices
        ):
            raise ConfigError(
                f"{where}.{axis}={indices!r}: allowed a list of beam indices 0..{count - 1}"
            )
        out[axis] = list(indices)
    return out


def parse_scenario(data: Any, source: str = "scenario", base: Path | None = None) -> Scenario:
    """Validate a scenario (the parsed JSON); raises ConfigError naming key, value, allowed."""
    try:
        return _parse(data, base)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from err


def _parse(data: Any, base: Path | None) -> Scenario:
    top = _only("scenario", data, {"frame", "noise", "duration_ms", "fingers", "seed"})
    if "frame" not in top:
        raise ConfigError("frame: missing (a size object, a frame name, or a .toml path)")
    frame = _frame(top["frame"], base)
    nz = _only(
        "noise",
        top.get("noise", {}),
        {"sigma", "ambient", "dead_beams", "dirty_beams", "drift_per_min"},
    )
    noise = Noise(
        sigma=_number("noise.sigma", nz.get("sigma", 0.01), 0, 0.5),
        ambient=_number("noise.ambient", nz.get("ambient", 0.0), 0, 5),
        dead=_beams("noise.dead_beams", nz.get("dead_beams", {}), frame),
        dirty=_beams("noise.dirty_beams", nz.get("dirty_beams", {}), frame),
        drift_per_min=_number("noise.drift_per_min", nz.get("drift_per_min", 0.0), -1, 1),
    )
    fingers = []
    raw_fingers = top.get("fingers", [])
    if not isinstance(raw_fingers, list):
        raise ConfigError("fingers: must be a list")
    w, h = frame["width_mm"], frame["height_mm"]
    for n, raw in enumerate(raw_fingers):
        where = f"fingers[{n}]"
        f = _only(where, raw, {"id", "diameter_mm", "path"})
        fid = f.get("id", n + 1)
        if isinstance(fid, bool) or not isinstance(fid, int) or fid < 0:
            raise ConfigError(f"{where}.id={fid!r}: allowed a whole number >= 0")
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
        fingers.append(
            PathFinger(
                fid, _number(f"{where}.diameter_mm", f.get("diameter_mm", 9), 1, 60), tuple(points)
            )
        )
    ids = [f.id for f in fingers]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"fingers: ids {ids} are not unique")
    end = max((f.end_ms for f in fingers), default=0.0)
    seed = top.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed={seed!r}: allowed a whole number")
    duration = _number("duration_ms", top.get("duration_ms", end), 0, 86_400_000)
    return Scenario(frame, noise, duration, tuple(fingers), seed)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; raises ConfigError naming the file."""
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON: {err}") from err
    return parse_scenario(data, str(path), path.parent)
