"""Presence on the host: the presence board's time-of-flight readings and PIR, and the camera's
people, fused into zones (passing, in front, at the glass) with hysteresis and a minimum
dwell, published as typed Presence and Zone events (docs/presence.md)."""

from vitrine.devices.presence.events import (
    ZONES,
    CameraPeople,
    CameraPerson,
    Presence,
    Zone,
    ZoneName,
)

__all__ = ["ZONES", "CameraPeople", "CameraPerson", "Presence", "Zone", "ZoneName"]
