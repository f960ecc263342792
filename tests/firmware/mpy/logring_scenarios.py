# vitrine_fw.logring.LogRing: the last log lines kept for the console's `log`. Runs unchanged
# on MicroPython (node tools/micropython.mjs) and CPython (tests/firmware/test_scenarios.py);
# under MicroPython, adding a line is also checked to allocate nothing (heap_lock).

import sys

from fw_scenario import eq, measure, ok, run_all

from vitrine_fw import wire
from vitrine_fw.logring import CAPACITY, LogRing


def texts(ring, level=0):
    return [line[3] for line in ring.lines(level)]


def scenario_lines_come_out_oldest_first_with_their_fields():
    ring = LogRing(4)
    ring.add(10, wire.LOG_INFO, "supervisor", "boot")
    ring.add(25, wire.LOG_WARNING, "touch", "2 beams failed")
    eq(
        ring.lines(),
        [
            (10, wire.LOG_INFO, "supervisor", "boot"),
            (25, wire.LOG_WARNING, "touch", "2 beams failed"),
        ],
        "lines()",
    )
    eq((ring.count, ring.dropped), (2, 0), "count, dropped")


def scenario_a_level_keeps_that_level_and_above():
    ring = LogRing(8)
    for level, text in ((10, "d"), (20, "i"), (30, "w"), (40, "e"), (20, "i2")):
        ring.add(0, level, "s", text)
    eq(texts(ring, wire.LOG_WARNING), ["w", "e"], "warning and above")
    eq(texts(ring, wire.LOG_ERROR), ["e"], "error")
    eq(texts(ring, 0), ["d", "i", "w", "e", "i2"], "everything")


def scenario_a_full_ring_overwrites_the_oldest_and_counts_them():
    ring = LogRing(3)
    for i in range(7):
        ring.add(i, wire.LOG_INFO, "s", f"line {i}")
    eq(texts(ring), ["line 4", "line 5", "line 6"], "the newest three")
    eq((ring.count, ring.dropped), (3, 4), "count, dropped")


def scenario_the_default_capacity_is_kept():
    ring = LogRing()
    for i in range(CAPACITY + 5):
        ring.add(i, wire.LOG_INFO, "s", "x")
    eq(ring.count, CAPACITY, "count")
    eq(ring.lines()[0][0], 5, "the oldest kept line's time")


def scenario_adding_a_line_allocates_nothing():
    if sys.implementation.name != "micropython":
        return  # heap_lock exists only there
    ring = LogRing(4)
    subsystem = "touch"
    text = "a line made before the lock"
    for i in range(6):  # also once the ring has wrapped
        outcome = measure(ring.add, i, wire.LOG_WARNING, subsystem, text)
        eq(outcome, None, f"ring.add under heap_lock (call {i})")
    ok(ring.lines()[-1][3] is text, "the ring keeps the caller's string itself")


if __name__ == "__main__":
    run_all(globals())
