"""Replay a touch scenario through the firmware's own plan -> scan -> detect -> track code, scan
by scan, against the glass model: what `vitrine sim touch` prints and the touch benchmark
measures. No processes, no link: the firmware's Pipeline runs in this process on a virtual
clock, so a replay is deterministic for a given scenario and seed.

Timeline: the frame is switched on and takes its baseline (the firmware's START_SCANS full
scans) before the scenario's t = 0, with nothing on the glass (the replay's clock, and a
capture's, starts at the baseline; the scenario's times are counted from its end). Then scans
follow one another as on the board:
each pass starts when the one before has ended and `gap_us` more have passed (the firmware's
work between them), every reading at the moment the plan's timing gives it, and the glass is
looked at then (things on it move within a scan)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from vitrine.link.messages import Contact, unpack_contacts
from vitrine.sim.board import SimIrFrame
from vitrine.sim.glass import Glass
from vitrine.sim.scenario import Scenario, Truth
from vitrine_fw import seam, wire
from vitrine_fw.touch import Pipeline
from vitrine_fw.touch.scan import START_SCANS

GAP_US = 1000  # between a pass and the next: the firmware's work in between, on a board


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
class ScanReadings:
    """One scan's raw readings, as a capture holds them: t0 in µs on the replay's clock, and
    per reading (beam, dark, lit, µs after t0)."""

    t0_us: int
    rows: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class Scan:
    t_ms: float  # the moment the reported positions describe (halfway through the scan)
    contacts: tuple[Contact, ...]  # as reported (down, move and up)
    truth: tuple[Truth, ...]  # what is on the glass then
    span_ms: tuple[float, float] = (0.0, 0.0)  # the scan's first and last reading

    @property
    def touches(self) -> tuple[Contact, ...]:
        """The contacts on the glass after this scan (those not reported up)."""
        return tuple(c for c in self.contacts if c.state != wire.CONTACT_UP)

    def json(self) -> dict[str, object]:
        return {"t_ms": round(self.t_ms, 3), "touches": touches_json(self.touches)}


def touches_json(contacts: tuple[Contact, ...]) -> list[dict[str, object]]:
    """Contacts as `vitrine sim touch` and `vitrine touch replay` print them."""
    return [
        {
            "id": c.id,
            "x_mm": round(c.x_mm, 3),
            "y_mm": round(c.y_mm, 3),
            "w_mm": c.w_mm,
            "h_mm": c.h_mm,
            "kind": c.kind_name,
        }
        for c in contacts
    ]


class _Collector:
    """Takes each scan's readings from the pipeline (its recorder hook)."""

    def __init__(self, out: Callable[[ScanReadings], None], ir: SimIrFrame) -> None:
        self.out = out
        self.ir = ir
        self.done = False

    def scan(self, readings: Any) -> None:
        n = readings.n
        rows = tuple(
            (readings.beam[i], readings.dark[i], readings.lit[i], readings.t_us[i])
            for i in range(n)
        )
        self.out(ScanReadings(self.ir.scan_start_us, rows))


def replay(
    scenario: Scenario,
    *,
    gap_us: int = GAP_US,
    adaptive: bool = True,
    capture: Callable[[ScanReadings], None] | None = None,
) -> Iterator[Scan]:
    """Every scan of the scenario, from t = 0 to its duration; `capture` gets every scan's
    readings, the baseline's first."""
    glass = Glass(scenario.frame, scenario.noise, scenario.seed)
    clock = VirtualClock()
    ir = SimIrFrame(glass, scenario.frame, lambda: clock.us, gap_us=gap_us)
    pipe = Pipeline(scenario.frame, ir, clock, adaptive=adaptive)
    # the baseline's full scans, then the scenario from their end
    start_us = START_SCANS * (pipe.timing.us(pipe.full.length_c) + gap_us)
    glass.scene = lambda t_s: scenario.discs(t_s - start_us / 1e6)
    if capture is not None:
        pipe.record_with(_Collector(capture, ir))
    pipe.start()
    end_us = start_us + scenario.duration_ms * 1000
    clock.us = start_us
    while True:
        size = pipe.step()
        clock.us = ir.busy_until_us
        report_us = ir.scan_start_us + pipe.readings.end_us // 2
        if report_us > end_us:
            break
        contacts = unpack_contacts(bytes(pipe.report[7:size])) if size else ()
        t_ms = (report_us - start_us) / 1000
        glass.t_s = t_ms / 1000
        first_ms = (ir.scan_start_us - start_us) / 1000
        span = (first_ms, first_ms + pipe.readings.end_us / 1000)
        yield Scan(t_ms, contacts, scenario.truth(t_ms), span)
