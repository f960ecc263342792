"""How late the daemon's event loop runs: a task that asks to wake every PERIOD_S and records
by how much each wake-up was late. Anything that holds the loop (a blocking call, a long
computation) shows as lag, and the loop carries touch, the boards' heartbeats and the web, so
this is the figure that says whether the mirror stays responsive. `/api/status` reports it
(`loop`), and `vitrine bench catalog` reads it before and after a load.

The histogram counts wake-ups by lag since the daemon started: two readings subtracted give
the distribution of any window between them, so "never blocked longer than 20 ms while
serving" is "no wake-up in a bucket above 20 ms" in the difference.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from typing import Any

PERIOD_S = 0.01
RECENT_S = 10.0  # recent_max_ms covers this many seconds
BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)  # upper bounds, inclusive


class LoopLag:
    """Measures the running loop's lag while run() runs."""

    def __init__(self, period_s: float = PERIOD_S) -> None:
        self.period_s = period_s
        self.samples = 0
        self.max_ms = 0.0
        self.counts = [0] * (len(BUCKETS_MS) + 1)  # the last: above the highest bound
        self._recent: deque[tuple[float, float]] = deque()  # (monotonic time, lag ms)

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            due = time.monotonic() + self.period_s
            await asyncio.sleep(self.period_s)
            now = time.monotonic()
            self.record(now, max(0.0, (now - due) * 1000))

    def record(self, now: float, lag_ms: float) -> None:
        """One wake-up, lag_ms late."""
        self.samples += 1
        self.max_ms = max(self.max_ms, lag_ms)
        self.counts[bisect.bisect_left(BUCKETS_MS, lag_ms)] += 1
        recent = self._recent
        recent.append((now, lag_ms))
        while recent and recent[0][0] < now - RECENT_S:
            recent.popleft()

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: period, samples, worst lag since start and in the last RECENT_S, and
        the histogram ("<=1" .. "<=5000", ">5000": wake-ups since start)."""
        labels = [f"<={b}" for b in BUCKETS_MS] + [f">{BUCKETS_MS[-1]}"]
        return {
            "period_ms": round(self.period_s * 1000, 3),
            "samples": self.samples,
            "max_ms": round(self.max_ms, 3),
            "recent_max_ms": round(max((lag for _, lag in self._recent), default=0.0), 3),
            "recent_s": RECENT_S,
            "histogram_ms": dict(zip(labels, self.counts, strict=True)),
        }


def worst_bucket(before: dict[str, int], after: dict[str, int]) -> str | None:
    """The highest histogram bucket that gained wake-ups between two readings, or None."""
    worst = None
    for label, count in after.items():
        if count > before.get(label, 0):
            worst = label
    return worst
