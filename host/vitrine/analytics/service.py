"""Analytics inside the daemon: the writer's thread, the recorder on the bus, the roll-ups and
retention every minute (off the event loop), and the outbox's publisher when [fleet] names a
broker. The dashboard reads through `reader()`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from vitrine.analytics import store as db
from vitrine.analytics.config import AnalyticsConfig, FleetConfig
from vitrine.analytics.recorder import Recorder
from vitrine.analytics.rollup import Rules, roll
from vitrine.analytics.sqldb import SqliteDb
from vitrine.analytics.writer import ObservationWriter
from vitrine.bus import EventBus
from vitrine.tasks import stop_task

MAINTAIN_S = 60.0  # roll-ups this often
PRUNE_S = 3600.0  # retention this often

log = logging.getLogger("vitrine.analytics")


def rules_of(config: AnalyticsConfig) -> Rules:
    return Rules(config.visit_gap_s, config.bounce_s, config.zone_min_s, config.assisted_window_h)


class Analytics:
    """One mirror's analytics; `run()` until cancelled, then `close()`."""

    def __init__(
        self,
        path: Path,
        store: str,
        mirror: str,
        config: AnalyticsConfig,
        fleet: FleetConfig,
    ) -> None:
        self.path = Path(path)
        self.config = config
        self.fleet = fleet
        self.rules = rules_of(config)
        self.writer = ObservationWriter(path, store, mirror, outbox=bool(fleet.broker))
        self.recorder = Recorder(self.writer, config, time.time)
        self.publisher: Any = None
        if fleet.broker:
            from vitrine.analytics.outbox import Publisher

            self.publisher = Publisher(path, fleet, store, mirror)
            self.writer.on_written = self.publisher.wake_threadsafe
        self.rolled = 0
        self.pruned = 0

    def status(self) -> dict[str, Any]:
        """For /api/status: the writer's state and, with a fleet, the outbox's."""
        out = self.writer.status()
        if self.publisher is not None:
            out["fleet"] = self.publisher.status()
        return out

    async def run(self, bus: EventBus) -> None:
        self.writer.start()
        tasks = [asyncio.create_task(self.recorder.run(bus), name="analytics-recorder")]
        tasks.append(asyncio.create_task(self._maintain(), name="analytics-rollup"))
        if self.publisher is not None:
            tasks.append(asyncio.create_task(self.publisher.run(), name="analytics-outbox"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                with contextlib.suppress(Exception):
                    await stop_task(task)

    def close(self) -> None:
        """Write what is queued (a clean stop loses nothing), then stop the writer."""
        self.writer.close()

    @contextlib.contextmanager
    def reader(self):
        """A reading connection for a report or the dashboard (another thread's)."""
        conn = db.open_store_reader(self.path)
        try:
            yield SqliteDb(conn)
        finally:
            conn.close()

    async def _maintain(self) -> None:
        next_prune = time.monotonic() + MAINTAIN_S
        while True:
            await asyncio.sleep(MAINTAIN_S)
            try:
                self.rolled += await asyncio.to_thread(
                    self.maintain_once, time.monotonic() >= next_prune
                )
            except Exception as err:  # a disk in trouble shows in the writer's state
                log.warning("analytics: roll-ups failed (%s); trying again in a minute", err)
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + PRUNE_S

    def maintain_once(self, prune: bool = False) -> int:
        """Roll up the hours that are due (and, with prune, apply retention); how many hours
        were rolled up."""
        conn = db.open_store(self.path)
        try:
            done = roll(SqliteDb(conn), time.time(), self.rules, self.config.zone())
            if prune:
                self.pruned += db.prune(
                    conn, time.time(), dict(self.config.retention_kinds), self.config.retention_days
                )
            return done
        finally:
            conn.close()
