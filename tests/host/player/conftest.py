"""Fixtures for the player's server-side tests: a real engine over the sample catalogue and
a real events store, and the player's routes around it in a FastAPI app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vitrine.bus import EventBus
from vitrine.catalog import Catalog, import_files
from vitrine.catalog.sample import write_sample
from vitrine.devices.touch.events import Gesture, PointerEvent
from vitrine.engine import Engine, EngineConfig, EventStore
from vitrine.player import player_router


@dataclass
class Rig:
    """The engine, its bus and stores, and a test client of the player's app."""

    bus: EventBus
    engine: Engine
    catalog: Catalog
    store: EventStore
    client: TestClient


KIOSK = ("127.0.0.1", 50000)


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=1)
    return folder


@pytest.fixture
def rig(tmp_path: Path, sample_files: Path) -> Iterator[Rig]:
    catalog = Catalog.open(tmp_path / "catalog.db", tmp_path / "media")
    import_files(catalog, [sample_files])
    store = EventStore.open(tmp_path / "events.db")
    bus = EventBus()
    engine = Engine(bus, catalog, store, EngineConfig())
    app = FastAPI()
    app.include_router(player_router(engine, bus, (PointerEvent, Gesture)))
    try:
        with TestClient(app, client=KIOSK) as client:  # the kiosk browser, on the mirror
            yield Rig(bus, engine, catalog, store, client)
    finally:
        store.close()
        catalog.close()
