"""Boards for the host console's tests: the real firmware (link, supervisor, console, touch
on the glass model) running in this process on a SimBoard, reached over socket://, as the
link tests do; the hardware seam is the only fake."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from tests.host.link.peers import FirmwareBoards, serve_firmware
from vitrine.hardware import board_config, load_boards
from vitrine.sim.glass import Conditions
from vitrine.sim.world import attach_glass
from vitrine_fw import config as fw_config

BoardFactory = Callable[..., contextlib.AbstractAsyncContextManager[FirmwareBoards]]


@contextlib.asynccontextmanager
async def in_process_board(
    role: str = "touch", *, production: bool = False, noise: Conditions | None = None
) -> AsyncIterator[FirmwareBoards]:
    """A board of that role's description, accepting one connection at a time."""
    cfg = fw_config.check(board_config(load_boards()[role], "consoletest", production=production))
    uid = "c0ffee0001"
    async with serve_firmware(cfg, uid, lambda board: attach_glass(board, cfg, uid, noise)) as b:
        yield b


@pytest.fixture
def board_factory() -> BoardFactory:
    return in_process_board
