"""What the engine's tests share: a clock the test moves by hand, the sample catalogue
imported into a fresh SQLite file, and an engine over real stores and a real bus."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from vitrine.bus import EventBus
from vitrine.catalog import Catalog
from vitrine.catalog.importer import import_files
from vitrine.catalog.sample import write_sample
from vitrine.devices.beacons.keys import MemberKeys
from vitrine.devices.beacons.loyalty import Keyring
from vitrine.engine.config import EngineConfig
from vitrine.engine.engine import Engine
from vitrine.engine.store import EventStore

SECRET = bytes(range(32))  # the daemon's secret key, which seals the members' BLE keys
# A Saturday late morning, local time.
WALL0 = datetime(2026, 3, 14, 11, 0).timestamp()


class Clock:
    """The monotonic and the wall clock of a test: both move only when the test says."""

    def __init__(self, mono: float = 5000.0, wall: float = WALL0) -> None:
        self.mono = mono
        self.wall_now = wall

    def __call__(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.wall_now

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall_now += seconds


def sample_catalog(folder: Path, cache: Path) -> Catalog:
    """The sample catalogue imported into folder/catalog.db (the CSVs are written once per
    test run, under cache)."""
    if not (cache / "products.csv").exists():
        write_sample(cache)
    catalog = Catalog.open(folder / "catalog.db", folder / "media")
    import_files(catalog, sorted(cache.glob("*.csv")))
    return catalog


class Rig:
    """An engine with its bus, stores and clock, and a subscription to what it publishes."""

    def __init__(
        self,
        folder: Path,
        catalog: Catalog,
        config: EngineConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.folder = folder
        self.catalog = catalog
        self.config = config or EngineConfig()
        self.clock = clock or Clock()
        self.bus = EventBus()
        self.store = EventStore.open(folder / "events.db")
        self.keyring = Keyring()  # the members' BLE keys, open for the Beacons device
        self.engine = self.new_engine()

    def new_engine(self) -> Engine:
        return Engine(
            self.bus,
            self.catalog,
            self.store,
            self.config,
            (self.clock, self.clock.wall),
            member_keys=MemberKeys(self.store, SECRET, self.keyring, self.clock.wall),
        )

    def restart(self) -> Engine:
        """A new engine over the same files (the daemon restarted)."""
        self.store.close()
        self.bus = EventBus()
        self.keyring = Keyring()
        self.store = EventStore.open(self.folder / "events.db")
        self.engine = self.new_engine()
        return self.engine

    async def act(self, **action: Any) -> dict[str, Any]:
        return await self.engine.act(action)

    async def at(self, seconds: float) -> dict[str, Any]:
        """Move the clocks on and run the timers; the view after."""
        self.clock.advance(seconds)
        await self.engine.tick()
        return self.engine.view()

    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        sql = f"SELECT * FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
        conn = self.store._conn
        return [dict(r) for r in conn.execute(sql, tuple(where.values()))]
