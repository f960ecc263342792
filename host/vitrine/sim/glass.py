"""The physical model of an IR touch frame: what its receivers read, emitter off and on, for
the fingers on the glass. It answers the firmware's `board.ir_frame(...).read(on, off)`.

Model (the same conventions as vitrine_fw.touch.geometry, whose beam tables it uses):
- Every beam is the band between an emitter's aperture and a receiver's, one pitch wide along
  the bars; in a family's coordinate u it covers [u_j - pitch/2, u_j + pitch/2].
- A finger is an opaque disc; in family f it shadows [u_c - r*sec_f, u_c + r*sec_f]. A beam's
  transmission is 1 minus the fraction of its band inside the union of the shadows (fingers
  side by side do not block a beam twice): an analogue attenuation, not blocked/unblocked.
- A receiver reads ambient + gain * transmission * drift (emitter on) or ambient (emitter
  off), each with Gaussian noise, clipped to the 16-bit ADC: strong light saturates it.
- Per-beam gains vary (LED and photodiode tolerances); a dead emitter reads dark on all its
  beams; a dirty window halves its beams' gain; the whole frame's gain drifts slowly.

Not modelled: light reflected off fingers or the bezel, multipath, crosstalk between beams,
ambient flicker (the dark and lit readings are microseconds apart, so it cancels).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vitrine_fw.touch.geometry import AXIS_X, Geometry, Q

FULL_SCALE = 65535
CLEAR_LEVEL = 40000  # ADC counts a clear beam adds with its emitter on, at gain 1
GAIN_SPREAD = 0.2  # per-beam gains are uniform in 1 +- GAIN_SPREAD


@dataclass(frozen=True)
class Noise:
    """Imperfections of the glass and the electronics (see docs/touch-scenarios.md)."""

    sigma: float = 0.01  # sd of a beam's measured level (lit - dark), fraction of its clear level
    ambient: float = 0.0  # ambient light on the receivers, fraction of CLEAR_LEVEL
    dead: dict[str, list[int]] = field(default_factory=dict)  # axis -> dead emitter indices
    dirty: dict[str, list[int]] = field(default_factory=dict)  # axis -> emitters behind dirt
    drift_per_min: float = 0.0  # relative gain change per minute (LED ageing, temperature)


@dataclass(frozen=True)
class Finger:
    x_mm: float
    y_mm: float
    diameter_mm: float


class Glass:
    """The frame's optics and receivers; fingers are set from any thread."""

    def __init__(self, frame: dict, noise: Noise | None = None, seed: int = 0) -> None:
        self.geometry = g = Geometry(frame)
        self.noise = noise or Noise()
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._fingers: tuple[Finger, ...] = ()
        self.t_s = 0.0  # model time, for the drift; the owner advances it
        n = g.beams
        fam = np.frombuffer(bytes(g.beam_family), dtype=np.uint8).astype(np.int64)
        emitter = np.array(g.beam_emitter, dtype=np.int64)
        axis = np.array(g.fam_axis, dtype=np.int64)[fam]
        self._family = [(g.fam_start[f], g.fam_len[f], f) for f in range(g.families)]
        self._u = np.empty(n)  # centre of each beam's tile, mm
        self._pitch = np.empty(n)
        for start, length, f in self._family:
            j = np.arange(length)
            self._u[start : start + length] = (g.fam_first[f] + j * g.fam_pitch[f]) / Q
            self._pitch[start : start + length] = g.fam_pitch[f] / Q
        gain = self._rng.uniform(1 - GAIN_SPREAD, 1 + GAIN_SPREAD, n)
        for name, code in (("x", AXIS_X), ("y", 1 - AXIS_X)):
            for e in self.noise.dirty.get(name, []):
                gain[(axis == code) & (emitter == e)] *= 0.5
            for e in self.noise.dead.get(name, []):
                gain[(axis == code) & (emitter == e)] = 0.0
        self._gain = gain * CLEAR_LEVEL
        self._frame = frame

    @property
    def fingers(self) -> tuple[Finger, ...]:
        return self._fingers

    def set_fingers(self, fingers: Iterable[Finger]) -> None:
        """The fingers on the glass from now on (replaces the previous set)."""
        fingers = tuple(fingers)
        with self._lock:
            self._fingers = fingers

    def transmission(self) -> np.ndarray:
        """Per beam, the fraction of its light reaching the receiver (1 = clear)."""
        g = self.geometry
        blocked = np.zeros(g.beams)
        fingers = self._fingers
        if not fingers:
            return 1 - blocked
        w_mm, h_mm = g.width / Q, g.height / Q
        for start, length, f in self._family:
            shift = g.fam_shift[f] / Q
            sec = math.hypot(1.0, shift / (h_mm if g.fam_axis[f] == AXIS_X else w_mm))
            spans = []
            for fg in fingers:
                if g.fam_axis[f] == AXIS_X:
                    uc = fg.x_mm - shift * (h_mm - fg.y_mm) / h_mm
                else:
                    uc = fg.y_mm - shift * fg.x_mm / w_mm
                half = fg.diameter_mm / 2 * sec
                spans.append((uc - half, uc + half))
            spans.sort()
            merged = [list(spans[0])]
            for lo, hi in spans[1:]:
                if lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            sl = slice(start, start + length)
            u, p = self._u[sl], self._pitch[sl]
            for lo, hi in merged:
                blocked[sl] += (
                    np.clip(np.minimum(hi, u + p / 2) - np.maximum(lo, u - p / 2), 0, p) / p
                )
        return 1 - np.minimum(blocked, 1.0)

    def levels(self) -> tuple[np.ndarray, np.ndarray]:
        """One scan's readings, lit and dark, as the ADC gives them (float counts, clipped)."""
        nz = self.noise
        drift = 1.0 + nz.drift_per_min * self.t_s / 60
        ambient = nz.ambient * CLEAR_LEVEL
        sd = nz.sigma * self._gain / math.sqrt(2)  # the lit - dark difference has sd sigma
        n = self.geometry.beams
        dark = ambient + self._rng.standard_normal(n) * sd
        lit = ambient + self._gain * drift * self.transmission() + self._rng.standard_normal(n) * sd
        return np.clip(lit, 0, FULL_SCALE), np.clip(dark, 0, FULL_SCALE)

    def read(self, on: Any, off: Any) -> None:
        """The board seam: fill the firmware's arrays (beam order) with one scan."""
        lit, dark = self.levels()
        np.frombuffer(on, dtype=np.uint16)[:] = np.rint(lit).astype(np.uint16)
        np.frombuffer(off, dtype=np.uint16)[:] = np.rint(dark).astype(np.uint16)
