"""The report rate's timeline (vitrine.bench.touch_timeline) against the firmware's real order
of operations: a logging board seam under the pipeline on the simulated glass records what
Pipeline.step() does, in order, as tools/touch_compute.py logs it under MicroPython; the
timeline's assumptions must hold for that order, and its arithmetic on a small log is checked
by hand."""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

import pytest

from vitrine.bench import touch as bench
from vitrine.bench import touch_timeline
from vitrine_fw.touch import MARK_DETECT, Pipeline


class LoggingSeam:
    """The simulator's frame behind the seam, logging each call as touch_compute.py does."""

    def __init__(self, ir: Any) -> None:
        self.ir = ir
        self.pipe: Any = None
        self.events: list[list[Any]] = []
        self.running: str | None = None  # the pass started and not yet finished
        self.running_plan: Any = None

    def _name(self, plan: Any) -> str:
        p = self.pipe
        for name, own in (("first", p.first), ("full", p.full), ("third", p.third)):
            if plan is own:
                return name
        assert plan is p.seconds[0] or plan is p.seconds[1], "a plan the pipeline does not own"
        return "second"

    def add(self, name: str, length_us: int = 0) -> None:
        self.events.append([name, time.perf_counter() * 1e6, length_us])

    def mark(self, code: int) -> None:
        self.add("detect" if code == MARK_DETECT else "detected")

    def start(self, plan: Any) -> None:
        # the PIO runs one pass at a time: nothing may start while a pass runs
        assert self.running is None, f"{self._name(plan)} started while {self.running} ran"
        self.running = self._name(plan)
        self.running_plan = plan
        self.add("build " + self._name(plan))
        self.ir.start(plan)
        self.add("start " + self._name(plan), plan.timing.us(plan.length_c))

    def prepare(self, plan: Any) -> None:
        # the pipeline gets the next scan's second pass ready, never the one running
        assert self._name(plan) == "second"
        assert plan is not self.running_plan, "prepared the pass being read"
        self.add("build next " + self._name(plan))
        self.add("built next " + self._name(plan))

    def finish(self, plan: Any, readings: Any) -> None:
        assert self.running == self._name(plan), "finish() of a pass that is not running"
        self.running = None
        self.running_plan = None
        self.add("finish " + self._name(plan))
        self.ir.finish(plan, readings)
        self.add("collected " + self._name(plan))


def logged_steps(n: int, steps: int) -> list[list[list[Any]]]:
    from vitrine.sim.board import SimIrFrame
    from vitrine.sim.glass import Glass
    from vitrine.sim.scenario import Scenario
    from vitrine.sim.touch import GAP_US, VirtualClock

    frame = bench._frame("55in")
    rng = random.Random(3)
    fingers = bench._random_paths(rng, frame, n, 2000.0, bench.Draw((20, 100), (8, 14)))
    scenario = Scenario(frame, bench.MODEL, 2000.0, tuple(fingers), 3)
    glass = Glass(frame, bench.MODEL, 3)
    clock = VirtualClock()
    ir = SimIrFrame(glass, frame, lambda: clock.us, gap_us=GAP_US)
    seam = LoggingSeam(ir)
    pipe = Pipeline(frame, seam, clock)
    seam.pipe = pipe
    pipe.start()
    clock.us = ir.busy_until_us
    land_s = clock.us / 1e6
    glass.scene = lambda t_s: scenario.discs(t_s - land_s)
    pipe.probe = seam
    log = []
    for _ in range(steps):
        seam.events = []
        seam.add("begin")
        pipe.step()
        seam.add("end")
        clock.us = ir.busy_until_us
        log.append(seam.events)
    return log


@pytest.fixture(scope="module")
def log2() -> list[list[list[Any]]]:
    return logged_steps(2, 30)


def names(events: list[list[Any]]) -> list[str]:
    return [e[0] for e in events]


def test_each_step_waits_for_its_first_pass_and_hands_over_after_starting_the_next(log2):
    for events in log2[1:]:  # the first step starts its own first pass
        seq = names(events)
        assert seq[0] == "begin" and seq[-1] == "end"
        assert seq[1] in ("finish first", "finish full")  # started by the step before
        # detection comes after the next scan's first pass started: the two overlap
        start_next = max(i for i, s in enumerate(seq) if s in ("start first", "start full"))
        assert seq[start_next + 1 :] == ["detect", "detected", "end"]
        # a second pass is started right after the first is in, before the scanner's update
        if "start second" in seq:
            i = seq.index("collected first")
            assert seq[i + 1 : i + 3] == ["build second", "start second"]
            # the next second pass prepared, or none: then the second is waited for
            assert seq[i + 3] in ("build next second", "finish second")


def test_the_two_fingers_scans_have_a_second_pass(log2):
    assert sum("start second" in names(e) for e in log2) >= len(log2) - 2


def test_every_segment_of_the_log_is_described(log2):
    for events in log2:
        seq = names(events)
        for a, b in itertools.pairwise(seq):
            assert not touch_timeline.describe(a, b).startswith("between "), (a, b)
    t = touch_timeline.build(log2, cores=2, floor_us=0)
    assert t.segments["detect -> detected"]["core"] == 1


def step(detect_us: float, update_us: float) -> list[list[Any]]:
    # begin, first pass in (wait), 100 µs collect, second pass of 3000 µs started, update
    # (update_us), second in, 200 µs, next first pass (5000 µs) started, detection
    t = 0.0
    out: list[list[Any]] = [["begin", t, 0], ["finish first", t, 0]]
    for name, d, length in (
        ("collected first", 100, 0),
        ("build second", 0, 0),
        ("start second", 0, 3000),
        ("finish second", update_us, 0),
        ("collected second", 0, 0),
        ("build first", 200, 0),
        ("start first", 0, 5000),
        ("detect", 0, 0),
        ("detected", detect_us, 0),
        ("end", 0, 0),
    ):
        t += d
        out.append([name, t, length])
    return out


def test_the_timeline_by_hand():
    # Serial: a step is first pass 5000 (waited for, less the detection that overlapped it),
    # then 100 + 3000 (update 1000 inside) + 200, then detection 4000 while the next first
    # pass runs: 5000 - 4000 left to wait. Period = 4000 + 1000 + 100 + 3000 + 200 = 8300.
    log = [step(4000, 1000) for _ in range(10)]
    one = touch_timeline.build(log, cores=1, floor_us=0)
    assert one.period_us == pytest.approx(8300)
    # Two cores: detection moves to core 1; core 0 waits the whole first pass:
    # 5000 + 100 + 3000 + 200 = 8300 too (the PIO bounds it), and core 0 never waits for
    # core 1 (4000 < 8300)
    two = touch_timeline.build(log, cores=2, floor_us=0)
    assert two.period_us == pytest.approx(8300)
    assert two.core0_wait_core1_us == 0
    # a detection longer than core 0's scan bounds the period on two cores
    slow = [step(9000, 1000) for _ in range(10)]
    assert touch_timeline.build(slow, cores=2, floor_us=0).period_us == pytest.approx(9000)
    assert touch_timeline.build(slow, cores=1, floor_us=0).period_us == pytest.approx(
        9000 + 100 + 3000 + 200
    )
    # an update longer than the second pass: core 0 busy, the PIO waits
    busy = [step(0, 4000) for _ in range(10)]
    assert touch_timeline.build(busy, cores=2, floor_us=0).period_us == pytest.approx(
        5000 + 100 + 4000 + 200
    )
    # the task's period floor
    assert touch_timeline.build(log, cores=2, floor_us=10_000).period_us == pytest.approx(10_000)


def test_bad_logs_are_refused():
    with pytest.raises(ValueError, match="cores=3"):
        touch_timeline.build([step(1, 1)] * 3, cores=3, floor_us=0)
    with pytest.raises(ValueError, match="at least 2"):
        touch_timeline.build([step(1, 1)], cores=1, floor_us=0)
