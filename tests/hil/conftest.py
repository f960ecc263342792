"""HIL fixtures: virtual boards (the real firmware, one process each, behind pseudo-terminals,
or on the simulation's virtual BLE air: BoardOptions(ble=True)) and the real daemon connected
to their ports, with its HTTP API on a free port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from vitrine.config import BoardsConfig, Config, HttpConfig, LinkConfig
from vitrine.daemon import Daemon
from vitrine.sim.manager import Simulation
from vitrine.sim.virtual_board import BoardOptions
from vitrine.tasks import stop_task

pytestmark = pytest.mark.hil


@dataclass
class Rig:
    sim: Simulation
    daemon: Daemon
    http: httpx2.AsyncClient

    async def status(self) -> dict[str, Any]:
        response = await self.http.get("/api/status")
        response.raise_for_status()
        return response.json()

    async def board(self, name: str) -> dict[str, Any]:
        boards = {b["name"]: b for b in (await self.status())["boards"]}
        return boards[name]

    async def wait_board(
        self, name: str, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Poll the status API until the board's entry satisfies check."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            board = await self.board(name)
            if check(board):
                return board
            if loop.time() > deadline:
                raise AssertionError(f"{name} never satisfied the check; last status: {board}")
            await asyncio.sleep(0.05)

    async def touch_ready(self, timeout: float = 30.0) -> None:
        """Poll the status API until the touch frame is ready: the board is up on the link
        before it has taken its baseline, and a finger put down before would be in it."""
        from vitrine.bench.touch import touch_ready

        try:
            await touch_ready(self.daemon.http_port, timeout)
        except TimeoutError:
            status = await self.status()
            raise AssertionError(f"the touch frame never got ready: {status}") from None

    async def fault(self, role: str, kind: str, arg: int | None = None) -> dict[str, Any]:
        return await self.sim.handle({"op": "fault", "role": role, "fault": kind, "arg": arg})


@contextlib.asynccontextmanager
async def simulation(
    tmp_path: Path, roles: list[str] | None, options: dict[str, BoardOptions] | None = None
) -> AsyncIterator[Simulation]:
    """A simulation of these boards (all roles with None) in tmp_path/sim while the block lasts."""
    sim = Simulation(roles=roles, state_dir=tmp_path / "sim", options=options)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def make_rig(
    tmp_path: Path, roles: list[str] | None = None, options: dict[str, BoardOptions] | None = None
) -> AsyncIterator[Rig]:
    async with simulation(tmp_path, roles, options) as sim:
        daemon = Daemon(
            Config(
                http=HttpConfig(port=0),
                # boards on the virtual BLE air are reached through its host adapter
                link=LinkConfig(ble_hci=f"unix:{sim.host_hci}" if sim.air is not None else ""),
                boards=BoardsConfig(discover_usb=False, ports=sim.ports()),
            )
        )
        task = asyncio.create_task(daemon.run())
        try:
            async with asyncio.timeout(10):
                await daemon.ready.wait()
            base = f"http://127.0.0.1:{daemon.http_port}"
            async with httpx2.AsyncClient(base_url=base, timeout=5) as http:
                yield Rig(sim, daemon, http)
        finally:
            await stop_task(task)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with make_rig(tmp_path) as r:
        await asyncio.gather(
            *(r.wait_board(role, lambda b: b["state"] == "up") for role in r.sim.boards)
        )
        yield r
