"""The beacon board's firmware over the simulated air: the real beacon subsystem (built by the
supervisor, as on a beacon board) with the virtual board's radio (vitrine.sim.radio) instead
of an antenna, in a world where a member, a member of another mirror and somebody else stand
near the mirror. Only the member's tokens reach the wire, and the host resolves each of them
to that member; what the board advertises is in the air, byte for byte the specifications'
layouts."""

from __future__ import annotations

import beacon_scenarios as bs
from fw_scenario import feed, host_frame

from vitrine.devices.beacons import adverts, loyalty
from vitrine.link.messages import unpack_sightings
from vitrine.sim.air import EPOCH_UNIX_S, Air, Receiver
from vitrine.sim.people import Person, Phone, World
from vitrine.sim.radio import SimRadio
from vitrine_fw import supervisor, wire

KEY = bytes(range(16))
BOARD = Receiver("beacon", 0.0, 0.0)


def person(pid, x, phone):
    return Person(
        pid,
        "adult",
        ((0.0, x, 1.0), (120.0, x, 1.0)),
        1.7,
        0.22,
        looks=((0.0, 120.0),),
        phone=phone,
    )


def rig():
    world = World(
        (
            person("member", 0.0, Phone("p1", True, "m1")),
            person("elsewhere", 0.5, Phone("p2", True, "m2")),
            person("anybody", -0.5, Phone("p3", False)),
        ),
        120.0,
    )
    board = bs.FakeBoard()
    board.radio = SimRadio(BOARD, Air(world, [BOARD], {"m1": KEY}))
    sup = supervisor.build(board, bs.beacon_cfg(company_id=0xFFFF))
    hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
    feed(sup.link, host_frame(wire.HELLO, 1, hello))
    beacon = sup.subsystems["beacon"]
    beacon.advertise_next()
    beacon.scan(False)
    board.port.take()
    return board, beacon


def run(board, beacon, seconds):
    """Step the firmware every 50 ms, the radio delivering what was heard in between."""
    start = board.clock.ticks_ms()
    frames = []
    for _ in range(int(seconds * 20)):
        board.clock.advance_ms(50)
        board.radio.pump((board.clock.ticks_ms() - start) / 1000)
        beacon.step()
        frames += board.port.take()
    return frames


def test_only_the_members_tokens_reach_the_wire_and_resolve_to_them():
    board, beacon = rig()
    board.radio.pump(0.0)
    frames = run(board, beacon, 30.0)
    sightings = [
        s
        for f in frames
        if f.type == wire.BEACON_SIGHTINGS
        for s in unpack_sightings(bytes(f.values[1]))
    ]
    assert len(sightings) > 20
    resolver = loyalty.Resolver(loyalty.Keyring({"m1": KEY}), clock=lambda: EPOCH_UNIX_S + 15)
    members = [s for s in sightings if resolver.resolve(s.token) == "m1"]
    strangers = [s for s in sightings if resolver.resolve(s.token) is None]
    # the firmware forwards every loyalty token (it holds no keys); the other mirror's member
    # is among them and is dropped by the host; anybody else's phone never reaches the wire
    assert members and strangers
    assert beacon.loyalty == len(sightings) + beacon.dropped
    assert beacon.heard > beacon.loyalty  # the third phone was heard, not forwarded
    assert all(-80 < s.rssi_dbm < -40 for s in sightings)


def test_what_the_board_advertises_is_in_the_air():
    board, beacon = rig()
    seen = []
    board.radio.on_advertise = seen.append
    run(board, beacon, 4.0)
    frames = [adverts.parse(data) for _, data, _ in seen]
    kinds = [type(f.frames[0]).__name__ for f in frames]
    assert {"IBeacon", "EddystoneUID", "EddystoneTLM"} <= set(kinds)
    assert all(not f.problems for f in frames)
    assert all(interval == 100_000 and not connectable for interval, _, connectable in seen)


def test_a_scan_that_ended_by_itself_is_started_again():
    board, beacon = rig()
    board.radio.stop_scanning()
    run(board, beacon, 0.2)
    assert board.radio.scanning
    assert beacon.scan_restarts == 1
