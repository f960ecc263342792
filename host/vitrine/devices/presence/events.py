"""Presence and zones on the bus: someone is (or is no longer) in front of the mirror, and
which zone the nearest person is in.

Published by vitrine.devices.presence.device from the presence board's readings and the
camera's people (CameraPeople, from vitrine.vision). The experience engine starts and ends
sessions from Presence; Zone says more, for the player and analytics.
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


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraPerson:
    """One person the camera sees, where its geometry puts them: distance_mm from the glass
    (along the camera's axis, which looks straight out), bearing_deg off that axis (+: toward
    the mirror's +x, the right of a shopper facing it), sigma_mm the distance's one-sigma error
    (camera distance is coarse: vitrine.vision.people.place says how), confidence the
    detector's score 0..1."""

    distance_mm: float
    bearing_deg: float
    sigma_mm: float
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraPeople:
    """What the camera saw in one frame (people may be empty: it looked and saw nobody). The
    Presence device fuses it with the time-of-flight readings; it is sent several times a
    second while the camera works, so its silence means the camera is not to be believed."""

    people: tuple[CameraPerson, ...]
    source: str = "camera"
    t_ns: int  # host monotonic_ns of the frame
