"""The presence board end to end: the virtual board's firmware ranges a person the simulation
walks up to the mirror (the VL53L1X chips and the PIR emulated, behind the pseudo-terminal),
the daemon's Presence device decides the zones, the engine starts a session; and the board's
failing parts are named in the status while everything else runs on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vitrine.devices.presence import CameraPeople, CameraPerson, Presence, Zone

from .conftest import Rig, make_rig

pytestmark = pytest.mark.hil


async def _presence(rig: Rig, check: Any, timeout: float = 30.0) -> dict[str, Any]:
    # 30 s: on a busy machine the board's process brings its three sensors up one after the
    # other (XSHUT, boot, address change) slowly, and retries a failed part every 5 s.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = (await rig.status())["presence"]
        if check(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(f"presence never satisfied the check; last status: {status}")
        await asyncio.sleep(0.05)


async def _engine(rig: Rig, check: Any) -> None:
    """Wait (2 s at most) until the engine's session machine satisfies check."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while not check(rig.daemon.engine.machine):
        assert loop.time() < deadline, vars(rig.daemon.engine.machine)
        await asyncio.sleep(0.01)


async def test_a_visitor_walks_up_and_the_engine_notices(tmp_path) -> None:
    async with make_rig(tmp_path, ["presence", "lights"]) as rig:
        await rig.wait_board("presence", lambda b: b["state"] == "up")
        # each sensor "warming up" ("starting") as the board resends its health at the
        # handshake, then "ok" once it ranges
        status = await _presence(
            rig, lambda s: all(s["health"].get(f"tof {n}", {}).get("state") == "ok" for n in NAMES)
        )
        assert status["pir"] == "warming up"  # the HC-SR501's minute
        assert status["zone"] == "none" and status["present"] is False
        with rig.daemon.bus.subscribe(Zone, Presence) as events:
            reply = await rig.sim.handle({"op": "visitor", "present": True, "distance_mm": 700})
            assert reply["ok"], reply
            zones = []
            async with asyncio.timeout(10):
                while True:
                    event = await events.get(10)
                    if isinstance(event, Zone):
                        zones.append(event.zone)
                    elif event.present:
                        break
            assert zones[-1] in ("in_front", "at_glass")
            # the engine takes the same event from the bus: the session starts
            await _engine(rig, lambda machine: machine.phase == "approached")
            # they stop 0.7 m from the glass (where they stand: their body's centre)
            status = await _presence(
                rig, lambda s: s["distance_mm"] is not None and s["distance_mm"] < 850
            )
            assert status["zone"] == "in_front"
            assert status["distance_mm"] > 550
            await rig.sim.handle({"op": "visitor", "present": False})
            async with asyncio.timeout(10):
                while not (
                    isinstance(event := await events.get(10), Presence) and not event.present
                ):
                    pass
            await _presence(rig, lambda s: s["zone"] == "none")
            await _engine(rig, lambda machine: machine.present is False)


async def test_a_bus_held_low_is_named_and_the_rest_runs_on(tmp_path) -> None:
    async with make_rig(tmp_path, ["presence", "lights"]) as rig:
        await rig.wait_board("presence", lambda b: b["state"] == "up")
        await rig.wait_board("lights", lambda b: b["state"] == "up")
        await _presence(rig, lambda s: all(f"tof {n}" in s["health"] for n in NAMES))
        await rig.fault("presence", "bus-low")
        status = await _presence(
            rig, lambda s: all(s["health"][f"tof {n}"]["state"] == "failed" for n in NAMES)
        )
        detail = status["health"]["tof centre"]["detail"]  # each part by name, and why
        assert detail.startswith("I2C0 held low (ETIMEDOUT)"), detail
        # (a PIR stuck high is named after stuck_s, 10 minutes: mpy/proximity_scenarios.py)
        # the board and the daemon's other devices go on: the lights take a scene
        result = await rig.daemon.lights.set_scene("shop", fade_ms=0)
        assert result.status == "applied", result
        board = await rig.board("presence")
        assert board["state"] == "up"
        await rig.fault("presence", "bus-ok")  # tried again every 5 s
        await _presence(
            rig,
            lambda s: all(s["health"][f"tof {n}"]["state"] == "ok" for n in NAMES),
        )
        assert (await rig.board("presence"))["state"] == "up"


NAMES = ("centre", "left", "right")


async def test_the_camera_fills_in_beyond_the_boards_sensors(tmp_path) -> None:
    """The camera's people on the daemon's bus, beside a working presence board: a person the
    sensors would see (1 m) and do not is not believed; one beyond their reach (2.5 m) makes
    the zone passing; a camera gone quiet lets it go."""
    async with make_rig(tmp_path, ["presence"]) as rig:
        await rig.wait_board("presence", lambda b: b["state"] == "up")
        await _presence(rig, lambda s: len(s["sensors"]) == len(NAMES))

        def frame(distance_mm: float) -> CameraPeople:
            person = CameraPerson(
                distance_mm=distance_mm, bearing_deg=0.0, sigma_mm=300.0, confidence=0.8
            )
            return CameraPeople(people=(person,), t_ns=0)

        with rig.daemon.bus.subscribe(Zone) as events:
            for _ in range(10):  # a second of frames of someone the sensors do not see
                rig.daemon.bus.publish(frame(1000.0))
                await asyncio.sleep(0.1)
            assert rig.daemon.presence.fusion.zone == "none"
            assert [e.zone for e in events.drain()] == []
            rig.daemon.bus.publish(frame(2500.0))
            zone = await events.next(Zone, timeout=5)
            assert (zone.zone, zone.source, zone.distance_mm) == ("passing", "camera", 2500.0)
            gone = await events.next(Zone, timeout=5)  # no more frames: stale, not believed
            assert gone.zone == "none"
