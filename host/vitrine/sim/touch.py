"""Replay a touch scenario through the firmware's own scan -> detect -> track code, scan by
scan, against the glass model: what `vitrine sim touch` prints and the touch benchmark
measures. No processes, no link: the firmware's Pipeline runs in this process on a virtual
clock, so a replay is deterministic for a given scenario and seed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vitrine.link.messages import Contact, unpack_contacts
from vitrine.sim.glass import Finger, Glass
from vitrine.sim.scenario import Scenario
from vitrine_fw import seam, wire
from vitrine_fw.touch import PERIOD_MS, Pipeline


class VirtualClock(seam.BaseClock):
    """MicroPython's ticks over a time the replay sets."""

    def __init__(self) -> None:
        self.us = 0

    def ticks_ms(self) -> int:
        return (self.us // 1000) & 0x3FFFFFFF

    def ticks_us(self) -> int:
        return self.us & 0x3FFFFFFF

    @staticmethod
    def ticks_diff(a: int, b: int) -> int:
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000


@dataclass(frozen=True)
class Scan:
    t_ms: float
    contacts: tuple[Contact, ...]  # as reported (down, move and up)
    truth: tuple[tuple[int, Finger], ...]  # the fingers on the glass, by scenario id

    @property
    def touches(self) -> tuple[Contact, ...]:
        """The contacts on the glass after this scan (those not reported up)."""
        return tuple(c for c in self.contacts if c.state != wire.CONTACT_UP)

    def json(self) -> dict[str, object]:
        return {
            "t_ms": round(self.t_ms, 3),
            "touches": [
                {"id": c.id, "x_mm": round(c.x_mm, 2), "y_mm": round(c.y_mm, 2)}
                for c in self.touches
            ],
        }


def replay(scenario: Scenario, period_ms: float = PERIOD_MS) -> Iterator[Scan]:
    """Every scan of the scenario, from t = 0 to its duration, one period apart."""
    glass = Glass(scenario.frame, scenario.noise, scenario.seed)
    clock = VirtualClock()
    pipe = Pipeline(scenario.frame, glass, clock, max(1, round(period_ms)))
    pipe.start()  # the frame was switched on before anybody touched it
    scans = int(scenario.duration_ms // period_ms) + 1
    for k in range(scans):
        t_ms = k * period_ms
        clock.us = int(t_ms * 1000)
        glass.t_s = t_ms / 1000
        truth = tuple(scenario.fingers_at(t_ms))
        glass.set_fingers(f for _, f in truth)
        size = pipe.step()
        contacts = unpack_contacts(bytes(pipe.report[7:size])) if size else ()
        yield Scan(t_ms, contacts, truth)
