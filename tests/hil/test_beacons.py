"""The world's phones reach a running beacon board: the simulation puts its world around the
board process's radio (the world channel, with the keys the store's app holds on the members'
phones), the real beacon firmware scans the simulated air and forwards loyalty tokens over its
link, and the daemon's Beacons device resolves them with the keys its enrolment made. A
consenting member's phone walks up to the mirror: the daemon's zone for them changes and its
engine greets them signed in; a stranger's phone, and a member of another mirror's, leave no
trace."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.host.devices.beacons.test_device import holds
from vitrine.devices.beacons.device import BeaconZone
from vitrine.link.messages import BeaconSightings
from vitrine.sim.people import Person, Phone, World

from .conftest import make_rig

pytestmark = pytest.mark.hil

MEMBER = "M-HIL-1"


def shoppers(member: str) -> World:
    """The member walks from the back of the shop (7 m away) to 0.5 m from the mirror and
    stays; a stranger and a member of another mirror stand near it the whole time."""
    adult = {"height_m": 1.75, "radius_m": 0.22, "depth_m": 0.13}
    walker = Person(
        "member",
        "adult",
        ((0.0, 5.0, 5.0), (6.0, 5.0, 5.0), (11.0, 0.0, 0.5)),
        stays=True,
        looks=((11.0, 1e6),),
        phone=Phone("phone-of-the-member", True, member),
        **adult,
    )
    stranger = Person(
        "stranger",
        "adult",
        ((0.0, 0.6, 0.6),),
        stays=True,
        looks=((0.0, 1e6),),
        phone=Phone("phone-of-a-stranger", False, None),
        **adult,
    )
    elsewhere = Person(
        "elsewhere",
        "adult",
        ((0.0, -0.6, 0.6),),
        stays=True,
        looks=((0.0, 1e6),),
        phone=Phone("phone-of-another-mirrors-member", True, "M-OTHER-MIRROR"),
        **adult,
    )
    return World((walker, stranger, elsewhere), 600.0)


async def test_a_members_phone_walks_up_and_the_daemons_zone_changes(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["beacon"]) as rig:
        await rig.wait_board("beacon", lambda b: b["state"] == "up", timeout=20)
        # what the engine's enrolment does (its consent flow): the member, then their key
        rig.daemon.store.enrol_member(MEMBER, "test", 0.0)
        key = rig.daemon.member_keys.enrolled(MEMBER)
        zones: list[BeaconZone] = []
        tokens: set[bytes] = set()
        with (
            rig.daemon.bus.subscribe(BeaconZone) as changes,
            rig.daemon.bus.subscribe(BeaconSightings) as heard,
        ):
            # the store's app on the member's phone holds the key; the world comes to life
            await rig.sim.handle({"op": "phones", "keys": {MEMBER: key.hex()}})
            reply = await rig.sim.handle({"op": "world", "world": shoppers(MEMBER).to_json()})
            assert reply["ok"] and reply["people"] == 3
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 40
            while not any(z.zone == "at_mirror" for z in zones):
                assert loop.time() < deadline, f"the member never reached the mirror: {zones}"
                try:
                    zones.append(await changes.get(0.5))
                except TimeoutError:
                    pass
                for message in heard.drain():
                    tokens |= {s.token for s in message.sightings}
        # in the shop first (heard from the back), then at the mirror; nobody else has a zone
        assert [z.member for z in zones] == [MEMBER] * len(zones)
        assert zones[0].zone == "in_store" and zones[-1].zone == "at_mirror"
        assert set(rig.daemon.beacons.zones()) == {MEMBER}
        # the board forwarded what it heard over its link: the member's tokens, and the other
        # mirror's member's (loyalty-shaped, under a key this mirror never had), dropped on
        # arrival without a trace in the device; the stranger's phone sends nothing it forwards
        beacons = rig.daemon.beacons
        resolved = {t for t in tokens if beacons.resolver.resolve(t) == MEMBER}
        foreign = tokens - resolved
        assert resolved and foreign
        assert all(beacons.resolver.resolve(t) is None for t in foreign)
        assert not any(holds(beacons, t) for t in foreign)
        assert holds(beacons, MEMBER)  # the walk does find what the device does keep
        # and the engine greeted the member: a session signed in as them (docs/engine.md)
        for _ in range(100):
            member = rig.daemon.engine.view()["session"]["member"]
            if member is not None:
                break
            await asyncio.sleep(0.05)
        assert member is not None and member["loyalty_id"] == MEMBER
