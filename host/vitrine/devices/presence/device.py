"""The Presence device: the presence board's messages and the camera's people (CameraPeople, from
vision) from the bus in, Zone and Presence events out (vitrine.devices.presence.fusion decides),
with a timer for what time alone changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from vitrine.bus import EventBus
from vitrine.devices.presence.config import PresenceConfig
from vitrine.devices.presence.events import CameraPeople, Presence, Zone
from vitrine.devices.presence.fusion import Fusion, Mount
from vitrine.hardware import BoardDescription
from vitrine.link import messages as m
from vitrine_fw import wire

log = logging.getLogger("vitrine.presence")

TICK_S = 0.05  # how often the dwell and the readings' age are looked at without a message
_INPUTS = (
    m.Distance,
    m.Motion,
    m.ProxHealth,
    m.Presence,
    m.BoardLost,
    m.BoardRebooted,
    CameraPeople,
)


def mounts_of(description: BoardDescription | None) -> list[Mount]:
    """The sensors of the presence board's description, in its [[tof]] order (the DISTANCE
    frames' sensor index)."""
    if description is None:
        return []
    budget_ms = description.proximity.timing_budget_ms if description.proximity else 0.0
    return [Mount(t.name, t.x_mm, t.yaw_deg, budget_ms) for t in description.tof]


class PresenceDevice:
    """Fuses one presence board's sensors into zones and publishes what changes."""

    def __init__(
        self,
        bus: EventBus,
        config: PresenceConfig,
        mounts: list[Mount],
        *,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.bus = bus
        self.fusion = Fusion(config, mounts, board=config.board)
        self._clock = clock

    @classmethod
    def from_descriptions(
        cls, bus: EventBus, config: PresenceConfig, descriptions: dict[str, BoardDescription]
    ) -> PresenceDevice:
        return cls(bus, config, mounts_of(descriptions.get(config.board)))

    def handle(self, msg: object) -> list[Zone | Presence]:
        """Take one bus message now; publish and return what it changed."""
        events = self.fusion.handle(msg, self._clock())
        if isinstance(msg, m.ProxHealth) and msg.state == wire.PART_FAILED:
            log.warning("presence: %s failed: %s", msg.part, msg.detail)
        elif isinstance(msg, m.Distance) and self.fusion.unknown.get(msg.sensor) == 1:
            log.warning("presence: %s", self.fusion.health[f"tof #{msg.sensor}"].detail)
        self._publish(events)
        return events

    def tick(self) -> list[Zone | Presence]:
        events = self.fusion.tick(self._clock())
        self._publish(events)
        return events

    def _publish(self, events: list[Zone | Presence]) -> None:
        for event in events:
            if isinstance(event, Zone):
                mm = "-" if event.distance_mm is None else round(event.distance_mm)
                log.info("presence: %s -> %s (%s mm)", event.previous, event.zone, mm)
            self.bus.publish(event)

    async def run(self) -> None:
        """Consume the board's messages until cancelled, looking at the time every TICK_S."""
        with self.bus.subscribe(*_INPUTS) as sub:
            while True:
                try:
                    msg = await sub.get(timeout=TICK_S)
                except TimeoutError:
                    self.tick()
                    continue
                self.handle(msg)

    def snapshot(self) -> dict[str, object]:
        """For the daemon's status: the zone, the sensors, the PIR and every part's health."""
        return self.fusion.snapshot()
