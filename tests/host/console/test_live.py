"""The live area: beam maps parsed from `beams`, squeezed to the terminal, and rendered with
the link's counters and the contacts from TOUCH_REPORT."""

from __future__ import annotations

import asyncio

from vitrine.console import ConsoleClient
from vitrine.console.live import LiveView, parse_beam_map, squeeze
from vitrine.link import messages as m
from vitrine.sim.glass import Finger
from vitrine_fw import wire

from .conftest import BoardFactory

ANSWER = """852 beams in 10 families: 1 failed, 0 saturated, 2 blocked
map: . clear  - dimmed  # blocked  x failed  ! saturated  ? no reading
x+0      0 ....x...
x+0      8 ..##
y+0      0 .-..
failed: x4->4"""


def test_a_map_is_joined_per_family_across_lines() -> None:
    beam_map = parse_beam_map(ANSWER)
    assert beam_map.summary.startswith("852 beams in 10 families")
    assert beam_map.families == {"x+0": "....x.....##", "y+0": ".-.."}


def test_squeezing_keeps_the_worst_beam_of_each_cell() -> None:
    assert squeeze("....x.....##", 12) == "....x.....##"
    assert squeeze("....x.....##", 4) == ".x.#"
    assert squeeze("..-...!.", 2) == "-!"
    assert squeeze("....", 0) == ""


async def test_the_live_area_shows_counters_the_map_and_contacts(
    board_factory: BoardFactory,
) -> None:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        live = LiveView(console)
        board.boards[-1].glass.set_fingers([Finger(120.0, 80.0, 9.0)])
        with console.bus.subscribe(m.TouchReport, m.Heartbeat) as sub:
            report = await sub.next(m.TouchReport, 3, lambda r: bool(r.contacts))
            live.feed(report)
            live.feed(await sub.next(m.Heartbeat, 3))
        poll = asyncio.create_task(live.poll(0.05))
        for _ in range(100):
            if live.beam_map is not None and "blocked" in live.beam_map.summary:
                break
            await asyncio.sleep(0.02)
        poll.cancel()
        lines = live.lines(100)
    assert lines[0].startswith("touch 0.1.0 (consoletest)  link up  up ")
    assert lines[1].startswith("host rx ") and "| board rx " in lines[1]
    assert "| contacts 1: #0 (120, 80)" in lines[2]
    x_map, y_map = lines[3], lines[4]
    assert x_map.startswith("x+0  |") and len(x_map) == 100 and "#" in x_map
    assert y_map.startswith("y+0  |") and y_map.endswith("|") and "#" in y_map
    assert all(len(line) <= 100 for line in lines)


async def test_a_board_without_a_frame_says_so(board_factory: BoardFactory) -> None:
    async with board_factory("lights") as board, ConsoleClient(board.url) as console:
        live = LiveView(console)
        await live.poll()  # returns at once: nothing to poll
        lines = live.lines(80)
    assert lines[2] == "no touch frame; running: link, lighting, console, probe"
    assert live.beam_map is None


def test_a_lifted_contact_leaves_the_live_area() -> None:
    live = LiveView(ConsoleClient("socket://127.0.0.1:9"))  # never connected: fed by hand
    down = m.Contact(3, wire.CONTACT_DOWN, 10.0, 20.0, 9.0, 9.0)
    up = m.Contact(3, wire.CONTACT_UP, 10.0, 20.0, 9.0, 9.0)
    live.feed(m.TouchReport(board="touch", seq=1, rx_ns=0, scan=1, t_us=0, contacts=(down,)))
    assert live.contacts == (down,)
    live.feed(m.TouchReport(board="touch", seq=2, rx_ns=0, scan=2, t_us=0, contacts=(up,)))
    assert live.contacts == ()
