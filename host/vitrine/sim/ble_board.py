"""A virtual board whose link is Bluetooth LE, in this process: the real firmware of a role
(the lights board, by default) on a SimBoard with `[link] kind = "ble"`, its GATT server on the
virtual radio, and `ble://` URLs reaching it through the virtual BLE link (SimGattClient put in
vitrine.link.gatt.client_factory while the board runs). `reboot()` boots fresh firmware (the
host's connection drops, as when a board resets); `adapter_lost()` drops the connection alone
(the host's adapter went away and came back). The link's unit tests use it; across processes,
the simulation's virtual BLE air does the same (vitrine.sim.ble_air), and `vitrine bench ble`
measures the link over that.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from vitrine.hardware import board_config, load_boards
from vitrine.link import gatt
from vitrine.sim.board import SimBoard
from vitrine.sim.radio import SimGattClient
from vitrine.tasks import stop_task
from vitrine_fw import config as fw_config
from vitrine_fw import supervisor, wire


class VirtualBleBoard:
    """See the module docstring; use as an async context manager."""

    def __init__(self, role: str = "lights", uid: str = "00b1e000", mtu: int = 185) -> None:
        cfg = fw_config.check(board_config(load_boards()[role], "simulated"))
        cfg["link"] = {"kind": "ble"}
        self.cfg = cfg
        self.uid = uid
        self.mtu = mtu
        self.board: SimBoard | None = None
        self.supervisor: Any = None
        self.clients: list[SimGattClient] = []
        self.boots = 0
        self._task: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] = []
        self._factory_before: gatt.ClientFactory | None = None

    def _client(self, address: str, on_disconnect: Any) -> SimGattClient:
        assert self.board is not None
        client = SimGattClient(self.board.ble().gatt, on_disconnect, mtu=self.mtu)
        self.clients.append(client)
        return client

    def _boot(self) -> None:
        ours, theirs = socket.socketpair()  # the unused cable a SimBoard is built with
        self._sockets += [ours, theirs]
        reset = wire.RESET_POWER_ON if self.boots == 0 else wire.RESET_SOFT
        self.board = SimBoard(
            uid=self.uid, reset_cause=reset, link_socket=ours, exit_process=lambda _: None
        )
        self.supervisor = supervisor.build(self.board, dict(self.cfg))
        self._task = asyncio.create_task(self.supervisor.run(), name="virtual ble board")
        self.boots += 1

    async def _halt(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None

    def _drop(self) -> None:
        for client in self.clients:
            client.board_went()

    async def reboot(self) -> None:
        """The board resets: the connection drops, and fresh firmware boots and advertises."""
        await self._halt()
        self._drop()
        self._boot()

    def adapter_lost(self) -> None:
        """The host's adapter went and came back: the connection drops; the board stays."""
        self._drop()

    async def __aenter__(self) -> VirtualBleBoard:
        self._factory_before = gatt.client_factory
        gatt.client_factory = self._client
        self._boot()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._halt()
        if self._factory_before is not None:
            gatt.client_factory = self._factory_before
        for sock in self._sockets:
            sock.close()
