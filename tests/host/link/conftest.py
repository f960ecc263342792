"""Fixtures for link tests; the peers themselves live in peers.py."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest

from vitrine.hardware import board_config, load_boards
from vitrine.sim.board import SimBoard
from vitrine_fw import config as fw_config
from vitrine_fw import supervisor, wire

from .peers import FirmwareBoards


@pytest.fixture
async def firmware_board() -> AsyncIterator[FirmwareBoards]:
    cfg = fw_config.check(board_config(load_boards()["lights"], "testbuild0001"))
    cfg["heartbeat_ms"] = 100
    state = FirmwareBoards(url="")
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    state.url = f"socket://127.0.0.1:{listener.getsockname()[1]}"

    async def accept() -> None:
        while True:
            conn, _ = await loop.sock_accept(listener)
            board = SimBoard(
                uid="00c0ffee",
                reset_cause=wire.RESET_POWER_ON,
                link_socket=conn,  # the firmware reads the connection as its UART
                exit_process=state.exits.append,
            )
            sup = supervisor.build(board, dict(cfg))
            if state.tweak:
                state.tweak(sup)
            state.boards.append(board)
            state.supervisors.append(sup)
            tasks.append(asyncio.create_task(sup.run()))

    acceptor = asyncio.create_task(accept())
    try:
        yield state
    finally:
        for task in [acceptor, *tasks]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        listener.close()
        for board in state.boards:
            if board.port:
                board.port.close()
