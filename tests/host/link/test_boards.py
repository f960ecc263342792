"""Boards: pinned ports, extra URLs, and discovery that picks up and drops boards."""

from __future__ import annotations

import asyncio
import contextlib

from vitrine.bus import EventBus
from vitrine.link.board import LinkState
from vitrine.link.boards import Boards

from .peers import FAST, FakeBoard


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

        boards = Boards(
            EventBus(),
            FAST,
            usb_ids={(0x2E8A, 0x0005)},
            discover_usb=True,
            scan_interval_s=0.05,
            scan=scan,
        )
        task = asyncio.create_task(boards.run())
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
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert seen_ids[0] == {(0x2E8A, 0x0005)}
    assert boards.links == {}  # everything closed on the way out


async def test_pinned_and_extra_ports_are_connected_without_discovery():
    async with FakeBoard(role="touch") as touch, FakeBoard(role="lights") as lights:
        boards = Boards(
            EventBus(),
            FAST,
            pinned={"touch": touch.url},
            extra=[lights.url],
            discover_usb=False,
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
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
