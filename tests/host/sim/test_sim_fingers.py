"""Fingers on a virtual board's glass, from the simulation to the board process over the world
channel: with a stand-in board that reports what reaches it (echo_board.py), and once with
the real board process."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vitrine.sim.glass import Conditions, Finger
from vitrine.sim.manager import Simulation
from vitrine.sim.virtual_board import BoardOptions, VirtualBoard
from vitrine.sim.world import noise_json

ECHO_BOARD = Path(__file__).with_name("echo_board.py")


class Heard:
    """What a board sent toward the host, line by line."""

    def __init__(self) -> None:
        self._buffer = b""
        self._lines: asyncio.Queue[str] = asyncio.Queue()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._lines.put_nowait(line.decode())

    async def next(self, timeout: float = 3.0) -> str:
        async with asyncio.timeout(timeout):
            return await self._lines.get()


def world(*fingers: tuple[float, float, float]) -> str:
    return "world " + json.dumps({"fingers": [list(f) for f in fingers]}, separators=(",", ":"))


Echo = tuple[Simulation, dict[str, Heard]]


@pytest.fixture
async def echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Echo]:
    monkeypatch.setattr(VirtualBoard, "boot_command", (sys.executable, str(ECHO_BOARD)))
    options = {"touch": BoardOptions(noise=Conditions(sigma=0.03, dead={"x": [5]}))}
    simulation = Simulation(roles=["touch", "lights"], state_dir=tmp_path, options=options)
    heard = {role: Heard() for role in simulation.boards}
    for role, board in simulation.boards.items():
        board.cable.to_host = heard[role].feed  # type: ignore[method-assign]
    try:
        yield simulation, heard
    finally:
        await simulation.stop()


async def test_fingers_reach_the_board_and_stay_on_the_glass_across_resets(echo: Echo) -> None:
    sim, heard = echo
    touch = sim.boards["touch"]
    touch.set_fingers([Finger(100, 200, 9)])  # before power-on: the board gets them at boot
    await sim.start()
    noise = noise_json(Conditions(sigma=0.03, dead={"x": [5]}))
    assert await heard["touch"].next() == f"boot power_on {noise}"
    assert await heard["touch"].next() == world((100.0, 200.0, 9.0))
    assert await heard["lights"].next() == "boot power_on -"

    reply = await sim.handle(
        {
            "op": "fingers",
            "role": "touch",
            "fingers": [{"x_mm": 10, "y_mm": 20.5, "diameter_mm": 12}, {"x_mm": 700, "y_mm": 0}],
        }
    )
    assert reply == {"ok": True, "role": "touch", "fingers": 2, "done": "2 fingers on the glass"}
    assert await heard["touch"].next() == world((10.0, 20.5, 12.0), (700.0, 0.0, 9.0))

    await sim.handle({"op": "fault", "role": "touch", "fault": "reboot"})
    assert await heard["touch"].next() == f"boot power_on {noise}"  # the reset button
    assert await heard["touch"].next() == world((10.0, 20.5, 12.0), (700.0, 0.0, 9.0))

    touch.set_fingers([])  # lifted: nothing to send again after the next reset
    assert await heard["touch"].next() == world()
    await sim.handle({"op": "fault", "role": "touch", "fault": "reboot"})
    assert await heard["touch"].next() == f"boot power_on {noise}"  # the reset button
    touch.set_fingers([Finger(1, 2, 3)])
    assert await heard["touch"].next() == world((1.0, 2.0, 3.0))
    status = {b["role"]: b for b in (await sim.handle({"op": "status"}))["boards"]}
    assert status["touch"]["fingers"] == [{"x_mm": 1.0, "y_mm": 2.0, "diameter_mm": 3.0}]
    assert status["touch"]["frame_mm"] == [700.0, 400.0]
    assert status["touch"]["boots"] == 3
    assert "fingers" not in status["lights"]


async def test_a_full_channel_sends_whole_lines_and_the_newest_last(tmp_path: Path) -> None:
    # A board that reads slowly: the channel takes part of a line; the rest follows when it
    # can, then the newest set. Sets in between are never half-sent, and may be skipped.
    board = Simulation(roles=["touch"], state_dir=tmp_path).boards["touch"]
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    ours.setblocking(False)
    board._world = ours
    sets = [[Finger(1 + n % 600, 1 + i * 10, 9) for i in range(20)] for n in range(200)]
    for fingers in sets:
        board.set_fingers(fingers)
    assert board._world_partial or board._world_next  # the channel is full: some wait
    theirs.setblocking(False)
    received = b""
    for _ in range(500):
        await asyncio.sleep(0.002)
        try:
            received += theirs.recv(65536)
        except BlockingIOError:
            if not (board._world_partial or board._world_next):
                break
    lines = [json.loads(line) for line in received.splitlines()]
    assert len(lines) < len(sets)
    expected = [{"fingers": [[f.x_mm, f.y_mm, f.diameter_mm] for f in s]} for s in sets]
    assert all(line in expected for line in lines)
    assert lines[-1] == expected[-1]
    board._close_world()
    theirs.close()


async def test_the_real_board_process_reads_the_world_channel(tmp_path: Path) -> None:
    sim = Simulation(roles=["touch"], state_dir=tmp_path)
    await sim.start()
    try:
        touch = sim.boards["touch"]
        touch.set_fingers([Finger(350, 200, 9)])
        touch._send_world(
            "fingers", b'{"fingers": "everywhere"}\n'
        )  # what a simulation never sends
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not any("world: ignored" in line for line in touch.stderr_tail):
            assert loop.time() < deadline, touch.stderr_tail
            await asyncio.sleep(0.02)
        said = [line for line in touch.stderr_tail if line.startswith("world:")]
        # only the bad line: the fingers before it were taken
        assert said == ['world: ignored \'{"fingers": "everywhere"}\': fingers: not a list']
        assert touch.status()["boots"] == 1  # the board took no harm
    finally:
        await sim.stop()
