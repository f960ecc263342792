"""Presence on the bus: someone is (or is no longer) in front of the mirror.

Published by whatever notices people: the presence board (time-of-flight, PIR), the camera,
or the simulator's virtual visitor. The experience engine turns these into sessions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    """Someone arrived (present=True) or left (False)."""

    present: bool
    distance_mm: float | None  # None when the source does not measure distance
    source: str  # "presence", "camera", "sim", ...
    t_ns: int  # host monotonic_ns when it was noticed
