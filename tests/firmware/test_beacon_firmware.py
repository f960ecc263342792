"""The beacon's interrupt handler and forwarding under MicroPython's heap lock (script:
mpy/beacon_heap_lock.py). Its behaviour on a board (frames, scanning, the queue, status) is in
mpy/beacon_scenarios.py, which runs on both runtimes (test_scenarios.py)."""

import pytest


@pytest.fixture(scope="module")
def report(micropython):
    return micropython.result("beacon_heap_lock.py")


@pytest.mark.micropython
@pytest.mark.parametrize("name", ["irq_loyalty", "irq_others", "forward", "irq_overflow"])
def test_the_scan_path_allocates_nothing(report, name):
    assert report["checks"][name] is None, f"{name} allocated: {report['checks'][name]}"


@pytest.mark.micropython
def test_an_allocating_handler_is_caught(report):
    assert report["controls"]["allocating_handler"].startswith("MemoryError")


@pytest.mark.micropython
def test_the_locked_calls_did_their_work(report):
    values = report["values"]
    assert values["sent"] == [3, 0]  # the 30 queued tokens in three frames; the queue empty
    assert values["counters"] == [41, 31]  # warm-up 1 + 30 + 10 others heard; 31 loyalty
    assert values["dropped"] == 6  # 70 into a queue of 64
