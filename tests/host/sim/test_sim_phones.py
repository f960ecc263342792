"""The world's phones around a running beacon board: the world channel's line with the members'
phones' keys, the radio that hears that world from then on, and the simulation's `phones` op."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from vitrine.devices.beacons import adverts, loyalty
from vitrine.sim.air import Receiver
from vitrine.sim.errors import SimError
from vitrine.sim.manager import Simulation
from vitrine.sim.people import Person, Phone, World
from vitrine.sim.radio import IRQ_SCAN_RESULT, SimRadio
from vitrine.sim.world import apply, world_line

KEY = bytes(range(16))


def member_at_the_mirror() -> World:
    person = Person(
        "m",
        "adult",
        ((0.0, 0.0, 0.5),),
        1.7,
        0.22,
        stays=True,
        looks=((0.0, 1e6),),
        phone=Phone("p", True, "m1"),
    )
    return World((person,), 60.0)


def test_a_board_radio_hears_the_world_from_the_channel_with_the_members_keys() -> None:
    radio = SimRadio(Receiver("board", 0.0, 0.0))
    events: list[tuple[int, object]] = []
    radio.irq(lambda event, data: events.append((event, data)))
    radio.gap_scan(0, 100_000, 100_000)
    board = SimpleNamespace(glass=None, stage=None, parts=None, i2c_stuck=set(), radio=radio)
    epoch = time.monotonic() - 100.0  # the world started 100 s ago, and stays open-ended
    apply(board, world_line(member_at_the_mirror(), epoch, {"m1": KEY}))
    assert radio.pump_now() == 0  # from now on only: nothing of the past 100 s
    time.sleep(1.5)
    assert radio.pump_now() > 0  # past the world's duration_s: its people stay
    tokens = {adverts.parse(bytes(data[4])).loyalty.token for _, data in events}  # type: ignore[index]
    assert {e for e, _ in events} == {IRQ_SCAN_RESULT}
    resolver = loyalty.Resolver(loyalty.Keyring({"m1": KEY}))
    assert {resolver.resolve(t) for t in tokens} == {"m1"}  # the wall clock's tokens


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "keys=[]: allowed {loyalty id: 32 hex digits}"),
        ({"m1": "00ff"}, "keys['m1']='00ff': allowed 32 hex digits (a 16-byte key)"),
        ({"m1": "zz" * 16}, "allowed 32 hex digits"),
    ],
)
def test_a_bad_keys_line_is_refused_naming_it(keys: object, message: str) -> None:
    radio = SimRadio(Receiver("board", 0.0, 0.0))
    board = SimpleNamespace(glass=None, stage=None, parts=None, i2c_stuck=set(), radio=radio)
    line = {"world": member_at_the_mirror().to_json(), "epoch": 0.0, "keys": keys}
    with pytest.raises(ValueError, match=re.escape(message)):
        apply(board, json.dumps(line).encode() + b"\n")
    assert radio.air is None  # and nothing changed


async def test_the_phones_op_checks_its_keys(tmp_path: Path) -> None:
    sim = Simulation(roles=["beacon"], state_dir=tmp_path)
    with pytest.raises(SimError, match=r"phones: keys\['m1'\]='12': allowed 32 hex digits"):
        await sim.handle({"op": "phones", "keys": {"m1": "12"}})
    reply = await sim.handle({"op": "phones", "keys": {"m1": KEY.hex()}})
    assert reply["ok"] and reply["phones"] == 1 and sim.phone_keys == {"m1": KEY}
    line = sim.boards["beacon"]._world_line()
    assert f'"keys":{{"m1":"{KEY.hex()}"}}'.encode() in line
