"""The simulation's control requests, checked without starting board processes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vitrine.firmware import build_hash
from vitrine.sim.manager import FAULTS, SimError, Simulation, default_state_dir, request

ROLES = ["beacon", "lights", "presence", "touch"]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Simulation]:
    simulation = Simulation(state_dir=tmp_path)
    yield simulation
    for board in simulation.boards.values():
        board.cable.close()


async def sim_error(simulation: Simulation, req: dict) -> str:
    with pytest.raises(SimError) as info:
        await simulation.handle(req)
    return str(info.value)


def test_all_roles_by_default_and_their_stable_paths(tmp_path: Path) -> None:
    simulation = Simulation(state_dir=tmp_path)
    assert sorted(simulation.boards) == ROLES
    assert simulation.ports() == {role: str(tmp_path / role) for role in ROLES}
    assert simulation.control_path == tmp_path / "control.sock"
    assert simulation.build == build_hash()
    assert not any(tmp_path.iterdir())  # nothing is created before start()


def test_chosen_roles(tmp_path: Path) -> None:
    simulation = Simulation(roles=["touch", "lights"], state_dir=tmp_path)
    assert sorted(simulation.boards) == ["lights", "touch"]
    assert simulation.boards["lights"].config["link"]["kind"] == "uart"
    assert simulation.boards["touch"].usb


def test_a_role_without_a_description_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SimError) as info:
        Simulation(roles=["touch", "kitchen"], state_dir=tmp_path)
    assert str(info.value) == (
        "no board description for role kitchen; known: beacon, lights, presence, touch"
    )


def test_boards_get_distinct_stable_uids(tmp_path: Path) -> None:
    a = Simulation(state_dir=tmp_path, seed=1)
    b = Simulation(state_dir=tmp_path, seed=1)
    c = Simulation(state_dir=tmp_path, seed=2)
    uids = {role: board.uid for role, board in a.boards.items()}
    assert len(set(uids.values())) == 4
    assert {role: board.uid for role, board in b.boards.items()} == uids
    assert all(c.boards[role].uid != uid for role, uid in uids.items())


async def test_status_before_start(sim: Simulation, tmp_path: Path) -> None:
    reply = await sim.handle({"op": "status"})
    assert reply["ok"] is True
    boards = {b["role"]: b for b in reply["boards"]}
    assert sorted(boards) == ROLES
    touch = boards["touch"]
    assert touch["path"] == str(tmp_path / "touch")
    assert touch["plugged"] is False
    assert touch["tty"] is None
    assert touch["pid"] is None
    assert touch["boots"] == 0
    assert touch["link"] == "usb-cdc"
    assert boards["lights"]["link"] == "uart"


@pytest.mark.parametrize("op", ["restart", None, 5])
async def test_unknown_op_lists_the_allowed(sim: Simulation, op: object) -> None:
    assert await sim_error(sim, {"op": op}) == f"unknown op {op!r}; allowed: status, fault"


async def test_fault_for_an_unknown_role_lists_the_running(tmp_path: Path) -> None:
    simulation = Simulation(roles=["touch", "lights"], state_dir=tmp_path)
    text = await sim_error(simulation, {"op": "fault", "role": "kitchen", "fault": "unplug"})
    assert text == "no virtual board 'kitchen'; running: touch, lights"
    text = await sim_error(simulation, {"op": "fault", "fault": "unplug"})
    assert text.startswith("no virtual board None")


@pytest.mark.parametrize("arg", ["10", 1.5, [1]])
async def test_fault_argument_must_be_an_integer(sim: Simulation, arg: object) -> None:
    req = {"op": "fault", "role": "touch", "fault": "garbage", "arg": arg}
    assert await sim_error(sim, req) == f"fault argument {arg!r} must be an integer"


@pytest.mark.parametrize("fault", ["melt", None])
async def test_unknown_fault_lists_the_allowed(sim: Simulation, fault: object) -> None:
    text = await sim_error(sim, {"op": "fault", "role": "touch", "fault": fault})
    assert text == f"unknown fault {str(fault)!r}; allowed: {', '.join(FAULTS)}"
    assert FAULTS == ("unplug", "replug", "reboot", "garbage", "stall")


@pytest.mark.parametrize("arg", [None, 0, 100_000_001])
async def test_garbage_needs_a_byte_count(sim: Simulation, arg: int | None) -> None:
    req = {"op": "fault", "role": "touch", "fault": "garbage", "arg": arg}
    assert await sim_error(sim, req) == "garbage needs a byte count N, 1..100000000"


async def test_faults_that_need_a_running_or_plugged_board(sim: Simulation) -> None:
    base = {"op": "fault", "role": "touch"}
    assert await sim_error(sim, {**base, "fault": "garbage", "arg": 10}) == "touch is unplugged"
    assert await sim_error(sim, {**base, "fault": "unplug"}) == "touch is already unplugged"
    assert await sim_error(sim, {**base, "fault": "stall"}) == "touch is not running"


async def test_replug_and_unplug_move_the_cable(sim: Simulation, tmp_path: Path) -> None:
    base = {"op": "fault", "role": "presence"}
    reply = await sim.handle({**base, "fault": "replug"})
    cable = sim.boards["presence"].cable
    assert reply == {"ok": True, "role": "presence", "done": "plugged", "tty": cable.tty_path}
    assert (tmp_path / "presence").is_symlink()
    assert await sim_error(sim, {**base, "fault": "replug"}) == "presence is already plugged in"
    garbage = await sim.handle({**base, "fault": "garbage", "arg": 32})
    assert garbage["done"] == "32 random bytes sent toward the host"
    assert cable.to_host_bytes == 32
    assert await sim.handle({**base, "fault": "unplug"}) == {
        "ok": True,
        "role": "presence",
        "done": "unplugged",
    }
    assert not (tmp_path / "presence").exists()
    status = {b["role"]: b for b in (await sim.handle({"op": "status"}))["boards"]}
    # refused faults (the second replug) are not counted
    assert status["presence"]["faults"] == {"replug": 1, "garbage": 1, "unplug": 1}
    assert status["presence"]["bytes_to_host"] == 32


async def test_request_without_a_simulation_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(SimError) as info:
        await request(tmp_path, {"op": "status"}, timeout=1)
    text = str(info.value)
    assert text.startswith(f"no simulation running in {tmp_path} (")
    assert text.endswith("start one with: vitrine sim")


async def test_request_to_a_stale_control_socket(tmp_path: Path) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / "control.sock"))  # a socket file nobody listens on
    stale.close()
    with pytest.raises(SimError, match="start one with: vitrine sim"):
        await request(tmp_path, {"op": "status"}, timeout=1)


async def test_requests_over_the_control_socket(sim: Simulation, tmp_path: Path) -> None:
    # The control socket's handler, served without starting any board process.
    server = await asyncio.start_unix_server(sim._serve, path=str(sim.control_path))
    try:
        reply = await request(tmp_path, {"op": "status"}, timeout=2)
        assert reply["ok"] is True
        assert sorted(b["role"] for b in reply["boards"]) == ROLES
        with pytest.raises(SimError, match="unknown op 'nope'; allowed: status, fault"):
            await request(tmp_path, {"op": "nope"}, timeout=2)
        with pytest.raises(SimError, match="unknown fault 'melt'"):
            await request(tmp_path, {"op": "fault", "role": "touch", "fault": "melt"}, timeout=2)
        with pytest.raises(SimError, match="a request is a JSON object"):
            await request(tmp_path, [1, 2], timeout=2)  # type: ignore[arg-type]
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_a_simulation_that_hangs_up_is_a_clear_error(tmp_path: Path) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.close()

    server = await asyncio.start_unix_server(hang_up, path=str(tmp_path / "control.sock"))
    try:
        with pytest.raises(SimError, match="hung up without answering"):
            await request(tmp_path, {"op": "status"}, timeout=2)
    finally:
        server.close()


def test_default_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VITRINE_SIM_DIR", str(tmp_path / "sim"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert default_state_dir() == tmp_path / "sim"
    monkeypatch.delenv("VITRINE_SIM_DIR")
    assert default_state_dir() == tmp_path / "run" / "vitrine-sim"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert str(default_state_dir()).startswith("/tmp/vitrine-sim-")
