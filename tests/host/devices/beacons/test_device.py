"""The Beacons device: members' phones in zones; strangers' tokens leave no trace; bad input
counted; backends behind the seam (bleak's scanner stood in for), and the watchdog."""

import asyncio
import gc
from types import SimpleNamespace

import pytest

from vitrine.devices.beacons import loyalty
from vitrine.devices.beacons.backends import AirBackend, BackendError, BleakBackend
from vitrine.devices.beacons.device import Beacons, BeaconZone, Received
from vitrine.devices.beacons.zones import GONE, IN_STORE, ZoneSettings
from vitrine.link.messages import BeaconSightings, Sighting
from vitrine.sim.air import EPOCH_UNIX_S, Air, Receiver
from vitrine.sim.people import Person, Phone, World
from vitrine_fw.beacon import adverts as fw

KEY = bytes(range(16))
STRANGER = bytes(range(16, 32))
NOW = EPOCH_UNIX_S


@pytest.fixture
def published():
    return []


@pytest.fixture
def beacons(published):
    resolver = loyalty.Resolver(loyalty.Keyring({"m1": KEY}), clock=lambda: NOW)
    return Beacons(resolver, ZoneSettings(dwell_s=0.0), publish=published.append)


def advert(key, company=fw.TEST_COMPANY):
    return fw.loyalty(company, loyalty.token(key, NOW))


def received(data, t, rssi=-50, receiver="beacon"):
    return Received(receiver, "40:00:00:00:00:01", rssi, t, data)


def holds(obj, needle, seen=None):  # noqa: PLR0911 - one return per kind of object
    """Whether needle (bytes or str) is anywhere in obj's object graph."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if isinstance(obj, (bytes, bytearray, str)):
        return needle == obj or (type(needle) is type(obj) and needle in obj)
    if isinstance(obj, dict):
        return any(holds(k, needle, seen) or holds(v, needle, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return any(holds(v, needle, seen) for v in obj)
    if hasattr(obj, "__dict__"):
        return holds(vars(obj), needle, seen)
    if hasattr(obj, "__slots__"):
        return any(holds(getattr(obj, s, None), needle, seen) for s in obj.__slots__)
    return False


def test_a_member_is_placed_in_zones_and_each_change_published(beacons, published):
    for i in range(5):
        beacons.heard(received(advert(KEY), i * 0.2))
    assert beacons.zones() == {"m1": "at_mirror"}
    beacons.tick(10.0)
    assert beacons.zones() == {}
    zones = [(e.member, e.zone, e.previous) for e in published]
    assert zones == [("m1", "at_mirror", GONE), ("m1", GONE, "at_mirror")]
    assert all(isinstance(e, BeaconZone) for e in published)


def test_a_token_that_names_no_member_leaves_no_trace(beacons, published):
    """Dropped on arrival: not published, not kept in any state, not counted (only the
    advertisement's arrival is, as every advertisement's is)."""
    before = vars(beacons.counters).copy()
    token = loyalty.token(STRANGER, NOW)
    for i in range(50):
        beacons.heard(received(advert(STRANGER), i * 0.1))
        beacons.token("board", token, -40, i * 0.1)
    beacons.tick(1.0)
    after = vars(beacons.counters).copy()
    assert after.pop("received") == before.pop("received") + 50
    assert after == before
    assert published == []
    assert beacons.zones() == {}
    assert not holds(beacons, token)
    assert not any(holds(o, token) for o in gc.get_referrers(token) if o is not token)


def test_a_member_the_mirror_forgot_leaves_no_trace_either(beacons, published):
    beacons.heard(received(advert(KEY), 0.0))
    assert published
    published.clear()
    beacons.resolver.keyring.remove("m1")
    beacons.forget("m1")
    for i in range(20):
        beacons.heard(received(advert(KEY), 1 + i * 0.1))
    beacons.tick(3.5)
    assert published == [] and beacons.zones() == {}
    assert not holds(beacons, "m1")


def test_bad_input_is_dropped_with_a_counter_and_nothing_raises(beacons, published):
    good = advert(KEY)
    beacons.heard(received(good[:-3], 0.0))  # truncated
    beacons.heard(received(good + bytes(10), 0.0))  # oversized
    beacons.heard(received(advert(KEY, company=0x004C), 0.0))  # Apple's id, not ours
    beacons.heard(received(b"", 0.0))
    beacons.heard(received(bytes([0xFF] * 31), 0.0))
    assert beacons.counters.malformed == 3
    assert published == []


def test_duplicates_from_one_receiver_are_ignored(beacons):
    beacons.heard(received(advert(KEY), 1.0))
    beacons.heard(received(advert(KEY), 1.005))
    beacons.heard(received(advert(KEY), 1.005, receiver="host"))  # another receiver: not one
    assert beacons.counters.duplicates == 1


def test_bleaks_split_advertisement_is_read_too(beacons):
    data = advert(KEY)
    manufacturer = {fw.TEST_COMPANY: data[7:]}
    beacons.heard(Received("host", "40:00:00:00:00:02", -50, 0.0, None, manufacturer))
    assert beacons.zones() == {"m1": IN_STORE}  # no zone rule for the host's adapter


def test_the_boards_sightings_are_placed_at_the_time_they_were_heard(beacons, published):
    token = loyalty.token(KEY, NOW)
    message = BeaconSightings(
        board="beacon",
        seq=1,
        rx_ns=0,
        dropped=2,
        sightings=(
            Sighting(age_ms=400, rssi_dbm=-50, token=token),
            Sighting(age_ms=0, rssi_dbm=-50, token=loyalty.token(STRANGER, NOW)),
        ),
    )
    beacons.board_sightings("beacon", message, 10.0)
    assert beacons.counters.board_dropped == 2
    assert [e.zone for e in published] == ["at_mirror"]
    assert beacons._trackers["m1"].since_s == pytest.approx(9.6)
    with pytest.raises(TypeError, match="not BeaconSightings"):
        beacons.board_sightings("beacon", object(), 10.0)


class FakeScanner:
    def __init__(self, callback, adapter, fail=False):
        self.callback, self.adapter, self.fail = callback, adapter, fail
        self.running = False

    async def start(self):
        if self.fail:
            raise OSError("org.bluez.Error.NotReady")
        self.running = True

    async def stop(self):
        self.running = False


async def test_the_bleak_backend_hands_over_what_the_scanner_reports():
    scanners = []

    def factory(callback, adapter):
        scanners.append(FakeScanner(callback, adapter))
        return scanners[-1]

    got = []
    backend = BleakBackend("host", "hci1", factory, clock=lambda: 5.0)
    await backend.start(got.append)
    assert scanners[0].running and scanners[0].adapter == "hci1"
    data = SimpleNamespace(rssi=-61, manufacturer_data={0xFFFF: b"V\x01"}, service_data={})
    scanners[0].callback(SimpleNamespace(address="40:11:22:33:44:55"), data)
    assert got == [Received("host", "40:11:22:33:44:55", -61, 5.0, None, {0xFFFF: b"V\x01"}, {})]
    await backend.stop()
    assert not scanners[0].running


async def test_an_adapter_that_is_not_there_is_named():
    backend = BleakBackend("host", "hci7", lambda cb, a: FakeScanner(cb, a, fail=True))
    with pytest.raises(BackendError, match=r"hci7 did not start: org\.bluez\.Error\.NotReady"):
        await backend.start(lambda r: None)


class SilentBackend:
    """Starts, then hears nothing (BlueZ's silent stop); the first start fails."""

    name = "host"

    def __init__(self):
        self.starts = self.stops = self.failures = 0

    async def start(self, on_advert):
        if self.failures == 0:
            self.failures += 1
            raise BackendError("adapter gone")
        self.starts += 1

    async def stop(self):
        self.stops += 1


async def test_the_watchdog_retries_a_failed_start_and_restarts_a_silent_scanner(beacons):
    backend = SilentBackend()
    beacons.silence_s = 0.6
    task = asyncio.create_task(beacons.run([backend]))
    await asyncio.sleep(2.4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.failures == 1
    assert backend.starts >= 2  # started again after each silence
    assert beacons.counters.restarts == backend.starts - 1
    assert backend.stops >= backend.starts  # and stopped when run() ended


async def test_the_simulated_air_is_a_backend_too():
    person = Person(
        "a",
        "adult",
        ((0.0, 0.0, 0.5), (60.0, 0.0, 0.5)),
        1.7,
        0.22,
        looks=((0.0, 60.0),),
        phone=Phone("p", True, "m1"),
    )
    air = Air(World((person,), 60.0), [Receiver("mirror", 0.0, 0.0)], {"m1": KEY})
    got = []
    backend = AirBackend(air, "mirror", speed=20.0)
    await backend.start(got.append)
    await asyncio.sleep(0.5)  # 10 s of world time
    await backend.stop()
    assert len(got) >= 5
    assert all(r.receiver == "mirror" and r.data for r in got)
