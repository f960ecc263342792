"""A protocol that records what a port or cable delivers, for the host tests."""

from __future__ import annotations

import asyncio


class Recorder(asyncio.Protocol):
    """Collects what a port delivers."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.made = asyncio.Event()
        self.lost = asyncio.Event()
        self.lost_with: BaseException | None = None
        self._grew = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.set()

    def data_received(self, data: bytes) -> None:
        self.data += data
        self._grew.set()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost_with = exc
        self.lost.set()

    async def wait_for(self, n: int, timeout: float = 2.0) -> bytes:
        async with asyncio.timeout(timeout):
            while len(self.data) < n:
                self._grew.clear()
                await self._grew.wait()
        return bytes(self.data)
