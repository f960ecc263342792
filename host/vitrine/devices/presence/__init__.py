"""Presence on the host: the presence board's time-of-flight readings and PIR fused into zones
(passing, in front, at the glass) with hysteresis and a minimum dwell, published as typed
Presence and Zone events (docs/presence.md)."""

from vitrine.devices.presence.events import ZONES, Presence, Zone, ZoneName

__all__ = ["ZONES", "Presence", "Zone", "ZoneName"]
