"""What the associate app's tests share: the sample catalogue imported into a fresh SQLite
file, a real engine over a real events store and bus, a wall clock the test moves by hand,
and the FastAPI app with the associate router mounted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.host.engine.harness import Clock
from vitrine.associate import AssociateAuth, AuthStore, associate_router
from vitrine.bus import EventBus
from vitrine.catalog import Catalog
from vitrine.engine.config import AssociateConfig, EngineConfig, SessionConfig
from vitrine.engine.engine import Engine
from vitrine.engine.store import EventStore

PIN = "246810"
KIOSK_TOKEN = "kiosk-tablet-token-0123456789"
SECRET = bytes(range(100, 132))


def variant_skus(catalog: Catalog, count: int) -> list[str]:
    """`count` different variant SKUs from the catalogue."""
    skus: list[str] = []
    for card in catalog.products(limit=100)["items"]:
        detail = catalog.product(card["sku"])
        assert detail is not None
        skus.extend(v["sku"] for v in detail["variants"])
        if len(skus) >= count:
            return skus[:count]
    raise AssertionError(f"the sample catalogue has fewer than {count} variants")


class Rig:
    """An engine with its stores, bus and clock, and the app serving the associate router."""

    def __init__(
        self,
        folder: Path,
        catalog: Catalog,
        associate: AssociateConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.folder = folder
        self.catalog = catalog
        self.clock = clock or Clock()
        associate = associate or AssociateConfig(pin=PIN, tokens=[KIOSK_TOKEN])
        # Sessions that outlast the test: a shopper's requests keep coming from one session.
        session = SessionConfig(engaged_idle_s=3600, stall_s=3600)
        self.config = EngineConfig(associate=associate, session=session)
        self.bus = EventBus()
        self.store = EventStore.open(folder / "events.db")
        self.engine = Engine(
            self.bus, catalog, self.store, self.config, (self.clock, self.clock.wall)
        )
        self.auth_store = AuthStore.open(folder / "auth.db")
        self.auth = AssociateAuth(associate, SECRET, self.auth_store, clock=self.clock.wall)
        self.app = FastAPI()
        self.app.include_router(associate_router(self.engine, self.bus, self.auth))

    async def request(self, kind: str = "size", variant: str | None = None) -> dict[str, Any]:
        """A shopper's request made through the engine, as the associates' queue shows it."""
        action: dict[str, Any] = {"type": "request", "kind": kind}
        if variant is not None:
            action["variant"] = variant
        before = {r["id"] for r in await self.engine.requests()}
        await self.engine.act(action)
        (item,) = [r for r in await self.engine.requests() if r["id"] not in before]
        return item

    def close(self) -> None:
        self.store.close()
        self.auth_store.close()
