"""Presence and zones on the bus: someone is (or is no longer) in front of the mirror, and
which zone the nearest person is in.

Published by vitrine.devices.presence.device from the presence board's readings (and, once
vision lands, the camera's people). The experience engine starts and ends sessions from
Presence; Zone says more, for the player and analytics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ZoneName = Literal["none", "passing", "in_front", "at_glass"]
ZONES: tuple[ZoneName, ...] = ("none", "passing", "in_front", "at_glass")  # far to near


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    """Someone arrived in front of the mirror (present=True) or left (False)."""

    present: bool
    distance_mm: float | None  # None when the source does not measure distance
    source: str  # "presence" (the board's sensors), "camera", "sim", ...
    t_ns: int  # host monotonic_ns when it was noticed
    zone: ZoneName | None = None  # the zone that made it so, when a zone device decided


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """The nearest person's zone changed: passing (beyond in_front_mm), in front, at the glass,
    or none (nobody)."""

    zone: ZoneName
    previous: ZoneName
    distance_mm: float | None  # the nearest person's distance from the glass, when measured
    source: str
    t_ns: int  # host monotonic_ns when it was decided

    def to_json(self) -> dict[str, object]:
        return {
            "type": "zone",
            "zone": self.zone,
            "previous": self.previous,
            "distance_mm": self.distance_mm,
        }
