"""Per-device RSSI smoothing: a phone's advertisements arrive at uneven times with 4-6 dB of
noise and 8 dB drops when its carrier turns, and zones are decided on the smoothed value.

Two filters, both time-aware (advertisements arrive every 100-1000 ms, and some are lost):

- `Ema`: exponential smoothing with a time constant: x += (1 - exp(-dt / tau)) (z - x).
- `Kalman`: a one-dimensional Kalman filter on a random walk (the state drifts with variance
  q per second; a reading has the variance r = sigma^2 of the radio's noise). Its gain adapts
  to how long it has been since the last reading and how sure it is, so a phone that
  advertises every second is followed as quickly as one that advertises ten times a second.

Which one the Beacons device uses is chosen by numbers: `vitrine bench ble` runs the same
simulated store through both and reports each one's time in the right zone and the p95 delay
of a zone change (docs/beacons.md has the figures and the choice).
"""

from __future__ import annotations

import math
from typing import Protocol


class Smoother(Protocol):
    value: float | None

    def update(self, t_s: float, rssi_dbm: float) -> float:
        """Take one reading at t_s (seconds); return the smoothed RSSI."""
        ...


class Ema:
    """Exponential smoothing with time constant tau_s."""

    def __init__(self, tau_s: float = 1.5) -> None:
        if tau_s <= 0:
            raise ValueError(f"ema tau_s={tau_s!r}: must be > 0")
        self.tau_s = tau_s
        self.value: float | None = None
        self._t: float | None = None

    def update(self, t_s: float, rssi_dbm: float) -> float:
        if self.value is None or self._t is None:
            self.value = float(rssi_dbm)
        else:
            dt = max(0.0, t_s - self._t)
            self.value += (1.0 - math.exp(-dt / self.tau_s)) * (rssi_dbm - self.value)
        self._t = t_s
        return self.value


class Kalman:
    """A 1-D Kalman filter for a random walk: q_db2_s the state's drift (dB^2 per second),
    r_db2 a reading's noise (dB^2)."""

    def __init__(self, q_db2_s: float = 8.0, r_db2: float = 25.0) -> None:
        if q_db2_s <= 0 or r_db2 <= 0:
            raise ValueError(f"kalman q_db2_s={q_db2_s!r}, r_db2={r_db2!r}: both must be > 0")
        self.q = q_db2_s
        self.r = r_db2
        self.value: float | None = None
        self.variance = 0.0
        self._t: float | None = None

    def update(self, t_s: float, rssi_dbm: float) -> float:
        if self.value is None or self._t is None:
            self.value = float(rssi_dbm)
            self.variance = self.r
        else:
            p = self.variance + self.q * max(0.0, t_s - self._t)
            gain = p / (p + self.r)
            self.value += gain * (rssi_dbm - self.value)
            self.variance = (1.0 - gain) * p
        self._t = t_s
        return self.value


SMOOTHERS = ("kalman", "ema")


def make(kind: str) -> Smoother:
    """A fresh smoother of a kind named in SMOOTHERS."""
    if kind == "kalman":
        return Kalman()
    if kind == "ema":
        return Ema()
    raise ValueError(f"smoother={kind!r}: allowed {', '.join(SMOOTHERS)}")
