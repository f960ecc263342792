"""The simulation's control requests, checked without starting board processes."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vitrine.firmware import build_hash
from vitrine.sim import crowds
from vitrine.sim.control import FAULTS, ControlClient, request
from vitrine.sim.errors import SimError
from vitrine.sim.glass import Finger
from vitrine.sim.manager import Simulation

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
    # The lights board's strips, dark until its firmware latches anything.
    assert [(s["pin"], s["colour"], s["writes"]) for s in boards["lights"]["strips"]] == [
        (16, [0, 0, 0, 0], 0),
        (17, [0, 0, 0, 0], 0),
    ]
    assert "strips" not in touch


@pytest.mark.parametrize("op", ["restart", None, 5])
async def test_unknown_op_lists_the_allowed(sim: Simulation, op: object) -> None:
    assert await sim_error(sim, {"op": op}) == (
        f"unknown op {op!r}; allowed: status, fault, fingers, visitor, world, phones"
    )


async def test_a_visitor_walks_up_to_the_mirror_in_the_world_and_away(tmp_path: Path) -> None:
    simulation = Simulation(roles=["touch"], state_dir=tmp_path)
    assert await sim_error(simulation, {"op": "visitor", "present": True}) == (
        "no board in this simulation watches people or hears their phones: run one with "
        "--role presence or --role beacon"
    )
    simulation = Simulation(roles=["presence"], state_dir=tmp_path)
    reply = await simulation.handle({"op": "visitor", "present": True, "distance_mm": 650})
    assert reply == {
        "ok": True,
        "present": True,
        "done": "a visitor walks up to the mirror and stops 0.65 m from it",
    }
    visitor = simulation.world.person("visitor")
    assert visitor.stays and visitor.path[-1][1:] == (0.0, 0.65)
    now = simulation.now()
    assert simulation.world.zone(now) in ("passing", "none")  # walking up, from 2.4 m
    assert simulation.world.zone(now + 10) == "in_front"
    assert await sim_error(simulation, {"op": "visitor", "present": True}) == (
        "visitor: already in front of the mirror (leave first)"
    )
    await simulation.handle({"op": "visitor", "present": False})
    leaving = simulation.world.person("visitor")
    assert not leaving.stays and simulation.world.zone(simulation.now() + 10) == "none"
    for bad, text in [
        ({"present": "yes"}, "visitor: present must be true or false, not 'yes'"),
        ({"present": True, "distance_mm": -5}, "visitor: distance_mm=-5: allowed 200..3000"),
        ({"present": False}, "visitor: nobody is in front of the mirror (approach first)"),
    ]:
        assert await sim_error(simulation, {"op": "visitor", **bad}) == text


async def test_a_whole_world_is_put_in_front_of_the_sensors(tmp_path: Path) -> None:
    simulation = Simulation(roles=["presence"], state_dir=tmp_path)
    world = crowds.crossing_set(1, 2)
    reply = await simulation.handle({"op": "world", "world": world.to_json(), "at": 100.0})
    assert reply["people"] == 2 and reply["at"] == 100.0
    assert simulation.world.people[0].path[0][0] == world.people[0].path[0][0] + 100.0
    text = await sim_error(simulation, {"op": "world", "world": {"people": [{"kind": "cat"}]}})
    assert text.startswith("world: people[0].kind='cat'")


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
    assert FAULTS == (
        "unplug",
        "replug",
        "reboot",
        "garbage",
        "stall",
        "bus-low",
        "bus-ok",
        "pir-stuck",
        "pir-ok",
    )


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


async def test_requests_over_the_control_socket(sim: Simulation, tmp_path: Path) -> None:
    # The control socket's handler, served without starting any board process.
    server = await asyncio.start_unix_server(sim._serve, path=str(sim.control_path))
    try:
        reply = await request(tmp_path, {"op": "status"}, timeout=2)
        assert reply["ok"] is True
        assert sorted(b["role"] for b in reply["boards"]) == ROLES
        with pytest.raises(SimError, match="unknown op 'nope'; allowed: status, fault, fingers"):
            await request(tmp_path, {"op": "nope"}, timeout=2)
        with pytest.raises(SimError, match="unknown fault 'melt'"):
            await request(tmp_path, {"op": "fault", "role": "touch", "fault": "melt"}, timeout=2)
        with pytest.raises(SimError, match="a request is a JSON object"):
            await request(tmp_path, [1, 2], timeout=2)  # type: ignore[arg-type]
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


def fingers(*items: object) -> dict:
    return {"op": "fingers", "role": "touch", "fingers": list(items)}


async def test_fingers_are_checked_and_kept_until_replaced(sim: Simulation) -> None:
    touch = sim.boards["touch"]
    assert touch.frame is not None
    assert (touch.frame["width_mm"], touch.frame["height_mm"]) == (700.0, 400.0)
    reply = await sim.handle(fingers({"x_mm": 0, "y_mm": 400, "diameter_mm": 60}))
    assert reply == {"ok": True, "role": "touch", "fingers": 1, "done": "1 finger on the glass"}
    assert touch.fingers == (Finger(0.0, 400.0, 60.0),)
    many = [{"x_mm": 30 * n + 5.5, "y_mm": 200, "diameter_mm": 1} for n in range(20)]
    assert (await sim.handle(fingers(*many)))["fingers"] == 20
    assert touch.fingers[-1] == Finger(575.5, 200.0, 1.0)
    assert (await sim.handle(fingers({"x_mm": 350, "y_mm": 200})))["fingers"] == 1
    assert touch.fingers == (Finger(350.0, 200.0, 9.0),)  # 9 mm unless told
    reply = await sim.handle(fingers())
    assert reply["done"] == "0 fingers on the glass"
    assert touch.fingers == ()
    assert touch.set_fingers([Finger(1, 2, 3)]) == (Finger(1.0, 2.0, 3.0),)


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([{"x_mm": 701, "y_mm": 10}], "fingers[0].x_mm=701: allowed 0..700"),
        ([{"x_mm": -0.5, "y_mm": 10}], "fingers[0].x_mm=-0.5: allowed 0..700"),
        (
            [{"x_mm": 1, "y_mm": 1}, {"x_mm": 1, "y_mm": 400.1}],
            "fingers[1].y_mm=400.1: allowed 0..400",
        ),
        ([{"x_mm": "1", "y_mm": 1}], "fingers[0].x_mm='1': allowed a number in 0..700"),
        ([{"x_mm": True, "y_mm": 1}], "fingers[0].x_mm=True: allowed a number in 0..700"),
        ([{"x_mm": None, "y_mm": 1}], "fingers[0].x_mm=None: allowed a number in 0..700"),
        ([{"x_mm": float("nan"), "y_mm": 1}], "fingers[0].x_mm=nan: allowed a number in 0..700"),
        ([{"x_mm": 1, "y_mm": 1, "diameter_mm": 0.5}], "fingers[0].diameter_mm=0.5: allowed 1..60"),
        ([{"x_mm": 1, "y_mm": 1, "diameter_mm": 61}], "fingers[0].diameter_mm=61: allowed 1..60"),
        ([{"y_mm": 1}], "fingers[0].x_mm: missing"),
        ([{"x_mm": 1}], "fingers[0].y_mm: missing"),
        (
            [{"x_mm": 1, "y_mm": 1, "pressure": 2}],
            "fingers[0]: unknown key 'pressure'; allowed: x_mm, y_mm, diameter_mm",
        ),
        ([[1, 2, 9]], "fingers[0]=[1, 2, 9]: allowed an object with keys x_mm, y_mm, diameter_mm"),
        ([{"x_mm": 1, "y_mm": 1}] * 21, "fingers: 21 given, allowed at most 20"),
    ],
)
async def test_bad_fingers_name_the_field_and_change_nothing(
    sim: Simulation, items: list, error: str
) -> None:
    touch = sim.boards["touch"]
    touch.set_fingers([Finger(5, 5, 9)])
    assert await sim_error(sim, fingers(*items)) == error
    assert touch.fingers == (Finger(5.0, 5.0, 9.0),)


@pytest.mark.parametrize("value", ["x", 3, {"x_mm": 1, "y_mm": 1}, None])
async def test_fingers_must_be_a_list(sim: Simulation, value: object) -> None:
    text = await sim_error(sim, {"op": "fingers", "role": "touch", "fingers": value})
    assert text == f"fingers={value!r}: allowed a list of {{x_mm, y_mm, diameter_mm}} objects"
    text = await sim_error(sim, {"op": "fingers", "role": "touch"})
    assert text == "fingers: missing (a list; an empty one lifts every finger)"


async def test_fingers_need_a_board_with_a_touch_frame(sim: Simulation) -> None:
    text = await sim_error(sim, {"op": "fingers", "role": "lights", "fingers": []})
    assert text == (
        "lights has no touch frame; fingers go on a board whose description names a frame "
        "(the touch role)"
    )
    with pytest.raises(SimError, match="lights has no touch frame"):
        sim.boards["lights"].set_fingers([])
    text = await sim_error(sim, {"op": "fingers", "role": "kitchen", "fingers": []})
    assert text == "no virtual board 'kitchen'; running: beacon, lights, presence, touch"
    text = await sim_error(sim, {"op": "fingers", "role": ["touch"], "fingers": []})
    assert text.startswith("no virtual board ['touch']")


async def test_many_requests_on_one_connection(sim: Simulation, tmp_path: Path) -> None:
    # as `vitrine sim play` sends its fingers; an error does not end the connection
    server = await asyncio.start_unix_server(sim._serve, path=str(sim.control_path))
    client = await ControlClient.open(tmp_path, timeout=2)
    try:
        for x in (10, 20, 30):
            reply = await client.ask(fingers({"x_mm": x, "y_mm": 5}))
            assert reply["fingers"] == 1
        with pytest.raises(SimError, match=re.escape("fingers[0].x_mm=800: allowed 0..700")):
            await client.ask(fingers({"x_mm": 800, "y_mm": 5}))
        status = await client.ask({"op": "status"})
        touch = next(b for b in status["boards"] if b["role"] == "touch")
        assert touch["fingers"] == [{"x_mm": 30.0, "y_mm": 5.0, "diameter_mm": 9.0}]
        assert touch["frame_mm"] == [700.0, 400.0]
    finally:
        client.close()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
