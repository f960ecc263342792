"""Replay a capture through the unchanged firmware touch pipeline (vitrine_fw.touch): the
first START_SCANS scans become its baseline, as at power-on, and every scan after them goes
through Pipeline.process() as a board's scan goes through step(). What `vitrine touch replay`
prints, one line per capture scan:

    {"t_us": T, "touches": [{"id", "x_mm", "y_mm", "w_mm", "h_mm", "kind"}]}

T is the moment the reported positions describe: halfway between the scan's first reading
and its last (the firmware's report time), on the capture's clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vitrine.capture.format import AXES, Capture
from vitrine.link.messages import Contact, unpack_contacts
from vitrine.sim.touch import VirtualClock, touches_json
from vitrine_fw import wire
from vitrine_fw.touch import Pipeline
from vitrine_fw.touch.geometry import AXIS_X
from vitrine_fw.touch.plan import Readings

_TICKS_MASK = 0x3FFFFFFF
_HEADER = 7  # TOUCH_REPORT's fields before the contacts


class _NoHardware:
    """process() needs no scanner hardware; a board's start/finish are never called."""

    def start(self, plan: object) -> None:
        raise RuntimeError("a replay reads no hardware")

    finish = start


@dataclass(frozen=True)
class ReplayScan:
    t_us: int  # the report time, on the capture's clock
    touches: tuple[Contact, ...]

    def json(self) -> dict[str, object]:
        return {"t_us": self.t_us, "touches": touches_json(self.touches)}


def replay_capture(capture: Capture) -> Iterator[ReplayScan]:
    """Every scan of the capture, in order, with the contacts on the glass after it."""
    frame = capture.frame
    pipe = Pipeline(frame, _NoHardware(), VirtualClock())
    g = pipe.geometry
    readings = Readings(sum(frame[a]["count"] * (len(frame[a]["fan"]) + 1) for a in AXES))
    pipe.begin_baseline()
    for scan in capture.scans:
        readings.clear()
        readings.t0 = scan.t_us & _TICKS_MASK
        for code, axis in ((AXIS_X, AXES[0]), (1 - AXIS_X, AXES[1])):
            for row in scan.rows[axis]:
                b = g.beam_index(code, row.emitter, row.receiver)
                readings.add(b, row.dark, row.lit, row.t_us - scan.t_us)
        size = pipe.process(readings)
        t = scan.t_us + (readings.end_us >> 1)
        contacts = unpack_contacts(bytes(pipe.report[_HEADER:size])) if size else ()
        yield ReplayScan(t, tuple(c for c in contacts if c.state != wire.CONTACT_UP))
