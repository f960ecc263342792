"""Boards for the host console's tests: the real firmware (link, supervisor, console, touch
on the glass model) running in this process on a SimBoard, reached over socket://, as the
link tests do; the hardware seam is the only fake."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from vitrine.hardware import board_config, load_boards
from vitrine.sim.board import SimBoard
from vitrine.sim.glass import Noise
from vitrine.sim.world import attach_glass
from vitrine_fw import config as fw_config
from vitrine_fw import supervisor, wire


@dataclass
class InProcessBoard:
    url: str
    supervisors: list[Any] = field(default_factory=list)
    boards: list[SimBoard] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)  # what the firmware's resets asked for

    @property
    def sup(self) -> Any:
        return self.supervisors[-1]


BoardFactory = Callable[..., contextlib.AbstractAsyncContextManager[InProcessBoard]]


@contextlib.asynccontextmanager
async def in_process_board(
    role: str = "touch", *, production: bool = False, noise: Noise | None = None
) -> AsyncIterator[InProcessBoard]:
    """A board of that role's description, accepting one connection at a time."""
    cfg = fw_config.check(board_config(load_boards()[role], "consoletest", production=production))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    state = InProcessBoard(url=f"socket://127.0.0.1:{listener.getsockname()[1]}")
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def accept() -> None:
        while True:
            conn, _ = await loop.sock_accept(listener)
            board = SimBoard(
                uid="c0ffee0001",
                reset_cause=wire.RESET_POWER_ON,
                link_socket=conn,
                exit_process=state.exits.append,
            )
            attach_glass(board, cfg, "c0ffee0001", noise)
            sup = supervisor.build(board, dict(cfg))
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


@pytest.fixture
def board_factory() -> BoardFactory:
    return in_process_board
