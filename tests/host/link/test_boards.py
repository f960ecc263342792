"""Boards: pinned ports, extra URLs, and discovery that picks up and drops boards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import select
import termios
import tty
from collections.abc import Iterator

from vitrine.bus import EventBus
from vitrine.link.board import BoardLink, LinkState
from vitrine.link.boards import BoardPorts, Boards
from vitrine.link.ports import DEFAULT_BAUD
from vitrine.tasks import stop_task

from .peers import FAST, FakeBoard


def discovering(scan) -> Boards:
    """Boards that discover RP2040 boards on USB through scan, rescanning every 50 ms."""
    return Boards(
        EventBus(),
        FAST,
        BoardPorts(usb_ids={(0x2E8A, 0x0005)}, discover_usb=True, scan_interval_s=0.05),
        scan=scan,
    )


async def heartbeats(board: FakeBoard) -> None:
    while True:
        board.heartbeat()
        await asyncio.sleep(FAST.heartbeat_s)


async def wait_for(predicate, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_discovered_boards_are_named_by_their_hello_role_and_dropped_when_gone():
    async with FakeBoard(role="presence") as presence, FakeBoard(role="beacon") as beacon:
        attached = {presence.url}
        seen_ids: list[set] = []

        def scan(ids):
            seen_ids.append(set(ids))
            return sorted(attached)

        boards = discovering(scan)
        task = asyncio.create_task(boards.run())
        alive = asyncio.create_task(heartbeats(presence))  # presence stays up throughout
        try:
            await wait_for(
                lambda: boards.by_name("presence") is not None and boards.by_name("presence").is_up
            )
            attached.add(beacon.url)  # plugged in later
            await wait_for(
                lambda: boards.by_name("beacon") is not None and boards.by_name("beacon").is_up
            )
            assert {b["name"] for b in boards.snapshot()} == {"presence", "beacon"}

            attached.discard(beacon.url)  # unplugged: its link goes down, then it is dropped
            for writer in beacon.writers:
                writer.close()
            await beacon.__aexit__()
            await wait_for(lambda: boards.by_name("beacon") is None, timeout=5)
            assert boards.by_name("presence").state == LinkState.UP
            assert boards.by_name("presence").counters.link_losses == 0
        finally:
            await stop_task(alive)
            await stop_task(task)
    assert seen_ids[0] == {(0x2E8A, 0x0005)}
    assert boards.links == {}  # everything closed on the way out


async def test_pinned_and_extra_ports_are_connected_without_discovery():
    async with FakeBoard(role="touch") as touch, FakeBoard(role="lights") as lights:
        boards = Boards(
            EventBus(),
            FAST,
            BoardPorts(pinned={"touch": touch.url}, extra=[lights.url], discover_usb=False),
            scan=lambda ids: (_ for _ in ()).throw(AssertionError("scanned")),
        )
        task = asyncio.create_task(boards.run())
        try:
            await wait_for(
                lambda: all(link.is_up for link in boards.links.values()) and len(boards.links) == 2
            )
            assert boards.links[touch.url].expected_role == "touch"
            assert boards.links[lights.url].name == "lights"
        finally:
            await stop_task(task)


async def test_cancelled_while_dropping_a_board_it_stops(monkeypatch):
    """Cancelling the boards while they drop a vanished board ends them; the cancellation
    is not taken for the dropped link's own and swallowed (the daemon would never stop)."""
    run = BoardLink.run

    async def slow_to_stop(self):
        try:
            await run(self)
        finally:
            await asyncio.shield(asyncio.sleep(0.3))  # a port that takes its time to close

    monkeypatch.setattr(BoardLink, "run", slow_to_stop)
    async with FakeBoard(role="beacon") as beacon:
        attached = {beacon.url}
        boards = discovering(lambda ids: sorted(attached))
        task = asyncio.create_task(boards.run())
        try:
            await wait_for(lambda: boards.by_name("beacon") is not None)
            attached.clear()  # unplugged while its link is still connecting
            await beacon.__aexit__()
            await wait_for(lambda: boards.by_name("beacon") is None)  # now being dropped
            task.cancel()
            await asyncio.wait({task}, timeout=3)
            assert task.cancelled(), "the boards ran on after being cancelled"
        finally:
            await stop_task(task)
    assert boards.links == {}


@contextlib.contextmanager
def bridge() -> Iterator[tuple[str, int, int]]:
    """A pseudo-terminal standing in for a serial port: its path (what the host opens), the
    port side's fd (kept open to read the line settings the host made) and the board side's."""
    board, port = pty.openpty()
    tty.setraw(port)
    try:
        yield os.ttyname(port), port, board
    finally:
        os.close(port)
        os.close(board)


def line_baud(fd: int) -> int:
    """The baud rate a serial line is set to."""
    speeds = {getattr(termios, f"B{n}"): n for n in (9600, 38400, 115200, 460800, 921600)}
    return speeds[termios.tcgetattr(fd)[5]]


def heard(board: int) -> bool:
    """Whether the host has written to this line (its HELLO), i.e. opened and set it up."""
    return bool(select.select([board], [], [], 0)[0])


async def test_a_uart_board_is_opened_at_its_descriptions_baud_the_others_at_the_default():
    with bridge() as (lights, lights_fd, lights_board), bridge() as (touch, touch_fd, touch_board):
        boards = Boards(
            EventBus(),
            FAST,
            BoardPorts(pinned={"lights": lights, "touch": touch}, bauds={"lights": 460800}),
        )
        task = asyncio.create_task(boards.run())
        try:
            await wait_for(lambda: heard(lights_board) and heard(touch_board))
            assert line_baud(lights_fd) == 460800
            assert line_baud(touch_fd) == FAST.baudrate == DEFAULT_BAUD
        finally:
            await stop_task(task)


async def test_a_bridge_found_on_usb_is_opened_at_its_boards_baud():
    cp2102, rp2040 = (0x10C4, 0xEA60), (0x2E8A, 0x0005)
    with bridge() as (uart, uart_fd, uart_board), bridge() as (native, native_fd, native_board):
        attached = {cp2102: uart, rp2040: native}
        boards = Boards(
            EventBus(),
            FAST,
            BoardPorts(
                discover_usb=True,
                usb_ids={cp2102, rp2040},
                usb_bauds={cp2102: 115200},
                scan_interval_s=0.05,
            ),
            scan=lambda ids: sorted(attached[i] for i in ids),
        )
        task = asyncio.create_task(boards.run())
        try:
            await wait_for(lambda: heard(uart_board) and heard(native_board))
            assert line_baud(uart_fd) == 115200
            assert line_baud(native_fd) == DEFAULT_BAUD
        finally:
            await stop_task(task)


async def test_a_discovered_board_back_after_a_reset_goes_on_from_its_old_link():
    # A board on USB leaves the bus while it resets; discovery may drop its link meanwhile.
    # The link it gets when it is back (known by its uid) goes on from the old one: the reset
    # counts as a reboot, the counters add up.
    async with FakeBoard(role="presence") as presence:
        attached = {presence.url}
        boards = discovering(lambda ids: sorted(attached))

        def presence_up(other_than: BoardLink | None = None) -> bool:
            link = boards.by_name("presence")
            return link is not None and link is not other_than and link.is_up

        task = asyncio.create_task(boards.run())
        try:
            await wait_for(presence_up)
            first = boards.by_name("presence")
            assert first is not None
            presence.heartbeat(uptime_ms=600_000)
            await wait_for(lambda: first.last_reset is not None)

            attached.clear()  # off the bus: dropped once its link is down
            presence.unplug()
            await wait_for(lambda: boards.by_name("presence") is None, timeout=5)
            await asyncio.sleep(0.3)
            attached.add(presence.url)  # back, freshly booted
            await wait_for(lambda: presence_up(other_than=first))
            second = boards.by_name("presence")
            assert second is not None
            presence.heartbeat(uptime_ms=150)
            await wait_for(lambda: second.counters.reboots == 1)
        finally:
            await stop_task(task)
    assert second.last_reset is not None and second.last_reset.seen == "while away"
    assert second.counters.connects == 2 and second.counters.reconnects == 1
    assert second.counters.frames_rx > first.counters.frames_rx  # both links' frames
    assert second.error is not None  # the old link's loss stays on record
