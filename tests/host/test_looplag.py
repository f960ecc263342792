"""The event loop's lag monitor: how late each wake-up is, by bucket, over a window."""

from __future__ import annotations

import asyncio
import time

from vitrine.looplag import LoopLag, worst_bucket


def test_wake_ups_are_counted_by_lateness() -> None:
    lag = LoopLag()
    for t, ms in ((0.0, 0.4), (0.01, 1.0), (0.02, 19.9), (0.03, 20.0), (0.04, 20.1), (0.05, 9e9)):
        lag.record(t, ms)
    snap = lag.snapshot()
    hist = snap["histogram_ms"]
    assert (hist["<=1"], hist["<=20"], hist["<=50"], hist[">5000"]) == (2, 2, 1, 1)
    assert sum(hist.values()) == snap["samples"] == 6
    assert snap["max_ms"] == 9e9


def test_recent_max_forgets_what_is_older_than_the_window() -> None:
    lag = LoopLag()
    lag.record(100.0, 300.0)
    lag.record(105.0, 2.0)
    assert lag.snapshot()["recent_max_ms"] == 300.0
    lag.record(111.0, 3.0)
    snap = lag.snapshot()
    assert snap["recent_max_ms"] == 3.0
    assert snap["max_ms"] == 300.0


def test_worst_bucket_of_a_window() -> None:
    before = {"<=1": 10, "<=20": 1, "<=50": 0}
    assert worst_bucket(before, {"<=1": 30, "<=20": 1, "<=50": 0}) == "<=1"
    assert worst_bucket(before, {"<=1": 30, "<=20": 1, "<=50": 1}) == "<=50"
    assert worst_bucket(before, before) is None


async def test_a_blocked_loop_shows_as_lag() -> None:
    lag = LoopLag(period_s=0.005)
    task = asyncio.create_task(lag.run())
    await asyncio.sleep(0.05)
    quiet = lag.snapshot()
    time.sleep(0.08)  # noqa: ASYNC251 - on purpose: the block to be measured
    await asyncio.sleep(0.03)
    task.cancel()
    blocked = lag.snapshot()
    assert quiet["samples"] >= 3
    assert blocked["max_ms"] >= 70
    assert worst_bucket(quiet["histogram_ms"], blocked["histogram_ms"]) == "<=100"
