"""The touch board's report period from a timeline of what its firmware really does.

tools/touch_compute.py runs Pipeline.step() under MicroPython (one core, serially) over the
passes a simulated board handed it, and logs every step's events in the order the code makes
them (its docstring lists them): the seam's start() and finish() of each pass, with the pass's
length from its plan, and the pipeline's probe around detection. The time between two events
is CPU work on the core that runs that part of the code; everything else follows from the
code's order of operations:

- a pass runs on the PIO from when start() has built its words, for its plan's length, one pass
  at a time; the core meanwhile goes on with the code after start();
- finish() waits until the pass has ended (the DMA done), then copies its readings;
- detection ("detect" to "detected") runs on core 0 after the hand-over (serial), or on core 1
  (`cores=2`): core 0 then first waits at the hand-over until core 1 has finished the scan
  before, hands this one over and goes on scanning;
- the touch task sends the report on the link after step() (logged from "returned" to
  "end"), and starts a step no sooner than `floor_us` after the last one began (its loop:
  PERIOD_MS in vitrine_fw/touch/__init__.py);
- a scan's report is ready when its detection ends; the report period is the mean time between
  consecutive reports.

Nothing else overlaps: the work between the events is counted where the code does it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# What the code between two events does (events as tools/touch_compute.py names them; P a pass)
_INTO_STEP = "into step()"
_UPDATE_CHOOSE = (
    "scanner update of the first pass, uncovered shadows, choose the next scan's passes "
    "(the second pass runs)"
)
_HAND_OVER = (
    "scanner update of the scan's last pass, end of scan, hand-over (the next scan's first "
    "pass runs)"
)
_BACK = "back from the hand-over"
SEGMENTS = {
    ("finish P", "collected P"): "copy a pass's readings out (pio.collect)",
    ("build P", "start P"): "build a pass's PIO words (a plan that is not fixed)",
    ("start second", "finish second"): _UPDATE_CHOOSE,
    ("start second", "build next second"): _UPDATE_CHOOSE,
    ("build next second", "built next second"): "build the next scan's second pass's PIO "
    "words ahead (prepare; the second pass runs)",
    ("built next second", "finish second"): "nothing: the second pass runs",
    ("start third", "finish third"): "scanner update of the second pass (the third runs)",
    ("start first", "detect"): _HAND_OVER,
    ("start full", "detect"): _HAND_OVER,
    ("detect", "detected"): "detect, track, report (core 1 with two cores)",
    ("collected first", "build second"): "the first pass's readings in: the second is next",
    ("detected", "end"): _BACK,
    ("detected", "returned"): _BACK,
    ("returned", "end"): "the touch task sends the report on the link (core 0)",
    ("begin", "finish P"): _INTO_STEP,
    ("begin", "build P"): _INTO_STEP,
}


def _generic(name: str) -> str:
    verb, _, what = name.partition(" ")
    return f"{verb} P" if verb in ("finish", "collected", "build", "start") and what else name


def describe(a: str, b: str) -> str:
    """What the code between events a and b does."""
    for key in ((a, b), (_generic(a), _generic(b))):
        if key in SEGMENTS:
            return SEGMENTS[key]
    if a in ("collected first", "collected full"):
        return "scanner update of the first pass, uncovered shadows, choose the next passes"
    if a in ("collected second", "collected third", "built next second"):
        return "the pass's readings in: the next pass is started"
    if _generic(a) == "start P" and _generic(b) == "finish P":
        return "nothing: the pass runs"
    return "between " + a + " and " + b


@dataclass
class Timeline:
    """The result: the report period and what it is made of (µs)."""

    period_us: float
    scans: int
    core0_busy_us: float  # per scan, working (not waiting)
    core1_busy_us: float
    pio_busy_us: float
    core0_wait_pio_us: float  # per scan, core 0 waiting in finish() for a pass
    core0_wait_core1_us: float  # ... at the hand-over for core 1
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rate_hz(self) -> float:
        return 1e6 / self.period_us


_TWO = 2  # cores: detection on the second


class _Run:
    """The cursors of one timeline: each core's and the PIO's next free moment (µs)."""

    def __init__(self, cores: int, floor_us: float) -> None:
        self.two = cores == _TWO
        self.floor_us = floor_us
        self.core0 = self.pio = self.core1 = 0.0
        self.busy0 = self.busy1 = self.busy_pio = self.wait_pio = self.wait_core1 = 0.0
        self.reports: list[float] = []
        self.last_begin: float | None = None
        self.detecting = False

    def begin(self) -> None:
        if self.last_begin is not None:
            self.core0 = max(self.core0, self.last_begin + self.floor_us)
        self.last_begin = self.core0
        self.detecting = False

    def work(self, d: float) -> None:
        if self.detecting and self.two:
            self.core1 += d
            self.busy1 += d
        else:
            self.core0 += d
            self.busy0 += d

    def event(self, name: str, length_us: float) -> None:
        if name.startswith("start "):  # the pass runs once the PIO is free
            self.pio = max(self.core0, self.pio) + length_us
            self.busy_pio += length_us
        elif name.startswith("finish ") and self.pio > self.core0:  # core 0 waits for it
            self.wait_pio += self.pio - self.core0
            self.core0 = self.pio
        elif name == "detect":
            self.detecting = True
            if self.two:
                if self.core1 > self.core0:  # the scan before is still with core 1
                    self.wait_core1 += self.core1 - self.core0
                    self.core0 = self.core1
                self.core1 = self.core0
        elif name == "detected":
            self.detecting = False
            self.reports.append(self.core1 if self.two else self.core0)


def build(
    log: list[list[list[Any]]],
    *,
    cores: int,
    floor_us: float,
    scale: float = 1.0,
    event_cost_us: float = 0.0,
) -> Timeline:
    """The timeline of the logged steps (tools/touch_compute.py's "log") with detection on
    core 0 (cores=1) or core 1 (cores=2). `scale` multiplies every CPU segment (the measured
    CPU time over the wall clock), `event_cost_us` is taken off each (what logging costs)."""
    if cores not in (1, _TWO):
        raise ValueError(f"cores={cores!r}: allowed 1 or 2")
    if len(log) < _TWO:
        raise ValueError(f"{len(log)} logged steps: the report period needs at least 2")
    run = _Run(cores, floor_us)
    seg_sum: dict[tuple[str, str], float] = defaultdict(float)
    seg_n: dict[tuple[str, str], int] = defaultdict(int)
    for events in log:
        if not events or events[0][0] != "begin" or events[-1][0] != "end":
            raise ValueError(f"a logged step must go from begin to end: {events[:1]}...")
        run.begin()
        prev_name, prev_t = events[0][0], float(events[0][1])
        for name, t, length_us in events[1:]:
            d = max(0.0, (float(t) - prev_t - event_cost_us) * scale)
            seg_sum[(prev_name, name)] += d
            seg_n[(prev_name, name)] += 1
            prev_name, prev_t = name, float(t)
            run.work(d)
            run.event(name, float(length_us))
    reports = run.reports
    if len(reports) < _TWO:
        raise ValueError("fewer than 2 detections logged: no report period")
    n = len(log)
    segments = {
        f"{a} -> {b}": {
            "what": describe(a, b),
            "core": 1 if (a, b) == ("detect", "detected") and run.two else 0,
            "mean_us": round(seg_sum[(a, b)] / seg_n[(a, b)], 1),
            "per_scan_us": round(seg_sum[(a, b)] / n, 1),
            "scans": seg_n[(a, b)],
        }
        for (a, b) in seg_sum
        if seg_sum[(a, b)] / n >= 1.0  # leave out what costs nothing (the events' order)
    }
    return Timeline(
        period_us=(reports[-1] - reports[0]) / (len(reports) - 1),
        scans=n,
        core0_busy_us=run.busy0 / n,
        core1_busy_us=run.busy1 / n,
        pio_busy_us=run.busy_pio / n,
        core0_wait_pio_us=run.wait_pio / n,
        core0_wait_core1_us=run.wait_core1 / n,
        segments=segments,
    )
