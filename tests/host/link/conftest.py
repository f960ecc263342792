"""Fixtures for link tests; the peers themselves live in peers.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from vitrine.hardware import board_config, load_boards
from vitrine_fw import config as fw_config

from .peers import FirmwareBoards, serve_firmware


@pytest.fixture
async def firmware_board() -> AsyncIterator[FirmwareBoards]:
    cfg = fw_config.check(board_config(load_boards()["lights"], "testbuild0001"))
    cfg["heartbeat_ms"] = 100
    async with serve_firmware(cfg, "00c0ffee") as state:
        yield state
