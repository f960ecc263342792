"""ConsoleClient against the real firmware in this process (over socket://), and against
ports that are busy, missing, or behind a board without a console."""

from __future__ import annotations

import asyncio
import os
import pty
import socket
import time

import pytest
import serial

from vitrine.console import (
    ConsoleClient,
    ConsoleError,
    ConsoleRefused,
    ConsoleUnavailable,
    PortBusy,
    Waits,
)
from vitrine.console.client import MAX_LINE
from vitrine.link.board import LinkSettings
from vitrine.sim.board import EXIT_REPL, EXIT_SOFT_RESET
from vitrine_fw import wire
from vitrine_fw.console import RATE_BURST, RATE_INTERVAL_MS

from ..link.peers import FakeBoard
from .conftest import BoardFactory

QUICK = LinkSettings(hello_interval_s=0.05, handshake_patience_s=0.5)


async def test_an_answer_in_several_parts_arrives_whole(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        answer = await console.run("beams x+0")
        expected = board.sup.console.answer.decode()  # what the board kept for CONSOLE_READ
    assert len(expected.encode()) > 10 * wire.CONSOLE_PART  # 140 beams, one line each
    assert answer.status == wire.CONSOLE_OK and answer.succeeded
    assert answer.text == expected
    assert console.role == "touch"


async def test_a_refused_line_raises_with_the_boards_detail(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        with pytest.raises(ConsoleRefused) as err:
            await console.run("prox")
    assert err.value.reason == "refused"
    assert err.value.detail == "no proximity sensor on this board (role touch)"
    assert str(err.value) == "prox: refused: no proximity sensor on this board (role touch)"


async def test_confirm_sends_the_line_with_yes(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        first = await console.run("calibrate")
        second = await console.run("calibrate", confirm=True)
    assert (first.status, first.succeeded) == (wire.CONSOLE_CONFIRM, False)
    assert "calibrate --yes" in first.text
    assert (second.line, second.status) == ("calibrate --yes", wire.CONSOLE_OK)
    assert second.text.startswith("calibrated: 1112 beams")


async def test_a_busy_production_board_is_asked_again_after_its_retry_time(
    board_factory: BoardFactory,
) -> None:
    async with (
        board_factory("touch", production=True) as board,
        ConsoleClient(board.url) as console,
    ):
        for _ in range(RATE_BURST):
            await console.run("reset-cause")
        started = time.monotonic()
        answer = await console.run("reset-cause")
        waited_s = time.monotonic() - started
        with pytest.raises(ConsoleRefused) as err:
            for _ in range(RATE_BURST + 1):
                await console.run("reset-cause", busy_wait_s=0)
    assert answer.status == wire.CONSOLE_OK
    assert waited_s >= RATE_INTERVAL_MS / 1000 * 0.8  # it waited for the bucket, then got in
    assert err.value.reason == "busy"
    assert err.value.detail.startswith("retry after ")


async def test_a_line_too_long_for_a_frame_is_refused_here(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        with pytest.raises(ConsoleError, match=f"at most {MAX_LINE}"):
            await console.run("log " + "x" * MAX_LINE)
        with pytest.raises(ConsoleRefused, match="log takes one level"):
            await console.run("log " + "é" * 121)  # 246 bytes: the longest line that fits


async def test_a_board_without_a_console_is_named_with_what_to_do() -> None:
    async with FakeBoard("lights") as fake:
        client = ConsoleClient(fake.url, settings=QUICK)
        with pytest.raises(ConsoleUnavailable, match="runs no console") as err:
            await client.connect(3)
    assert "vitrine flash --role lights" in str(err.value)


async def test_a_port_that_is_not_there_fails_at_once(tmp_path) -> None:
    missing = tmp_path / "ttyACM9"
    started = time.monotonic()
    with pytest.raises(ConsoleUnavailable, match="not present"):
        await ConsoleClient(str(missing)).connect(5)
    assert time.monotonic() - started < 2


async def test_a_port_held_by_another_program_is_busy() -> None:
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    holder = serial.Serial(path, exclusive=True)
    try:
        client = ConsoleClient(path, daemon_url="http://127.0.0.1:9")  # no daemon there
        with pytest.raises(PortBusy) as err:
            await client.connect(3)
    finally:
        holder.close()
        os.close(master)
        os.close(slave)
    assert f"port {path} is busy: another program has it open" in str(err.value)
    assert "stop the daemon" in str(err.value)


async def test_nothing_answering_says_what_a_board_at_the_repl_needs() -> None:
    master, slave = pty.openpty()
    try:
        with pytest.raises(ConsoleUnavailable) as err:
            await ConsoleClient(os.ttyname(slave), settings=QUICK).connect(0.5)
    finally:
        os.close(master)
        os.close(slave)
    assert "no board came up within 0.5 s" in str(err.value)
    assert "reset it to start its firmware" in str(err.value)


async def test_commands_wait_for_a_board_that_comes_back(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board:
        settings = LinkSettings(heartbeat_s=0.2, reconnect_min_s=0.02, reconnect_max_s=0.05)
        async with ConsoleClient(board.url, settings=settings) as console:
            # The cable is cut at the board's end (its reads see the end, its writes fail) ...
            board.boards[-1]._link_socket.shutdown(socket.SHUT_RDWR)
            answer = await console.run("status")  # ... and the link reconnects to a new one
    assert len(board.supervisors) == 2
    assert "role touch" in answer.text


async def test_one_command_at_a_time(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        answers = await asyncio.gather(
            *(console.run(line) for line in ("beams x+0", "beams y+0", "log", "beams x-20"))
        )
    assert [a.line for a in answers] == ["beams x+0", "beams y+0", "log", "beams x-20"]
    assert answers[1].text.startswith("y+0: 80 beams")
    assert answers[3].text.startswith("x-20: 120 beams")


async def test_confirmed_repl_closes_the_port_then_resets_into_the_repl(
    board_factory: BoardFactory,
) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        answer = await console.run("repl", confirm=True)
        for _ in range(100):
            if board.exits:
                break
            await asyncio.sleep(0.01)
    assert answer.left_firmware and answer.succeeded
    assert board.exits[:1] == [EXIT_REPL]
    assert board.boards[0].port is not None
    assert board.boards[0].port._sock.fileno() == -1  # closed before the reset


async def test_a_reboot_that_shows_no_reset_on_the_link_is_reported(
    board_factory: BoardFactory,
) -> None:
    # In this process the firmware's reset only records its exit code: the link stays up.
    async with (
        board_factory("touch") as board,
        ConsoleClient(board.url, waits=Waits(reconnect_s=0.5)) as console,
    ):
        with pytest.raises(ConsoleUnavailable, match=r"showed no reset within 0\.5 s"):
            await console.run("reboot --yes")
    assert board.exits[:1] == [EXIT_SOFT_RESET]
