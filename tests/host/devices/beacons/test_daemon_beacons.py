"""The daemon's beacons: members' keys made at enrolment reach the resolver, the beacon board's
sightings on the bus become members' zones on the bus, and a forgotten member's phone is
dropped at once."""

from __future__ import annotations

import asyncio
import time

from vitrine.config import BoardsConfig, Config, DataConfig
from vitrine.daemon import Daemon
from vitrine.devices.beacons import loyalty
from vitrine.devices.beacons.device import BeaconZone
from vitrine.link.messages import BeaconSightings, Sighting
from vitrine.tasks import stop_task


def sightings(*tokens: bytes) -> BeaconSightings:
    return BeaconSightings(
        board="beacon",
        seq=1,
        rx_ns=time.monotonic_ns(),
        dropped=0,
        sightings=tuple(Sighting(age_ms=0, rssi_dbm=-50, token=t) for t in tokens),
    )


async def test_a_members_phone_seen_by_the_beacon_board_is_placed(tmp_path):
    d = Daemon(Config(boards=BoardsConfig(discover_usb=False), data=DataConfig(dir=str(tmp_path))))
    try:
        assert d.engine.member_keys is d.member_keys
        d.store.enrol_member("L-1", "v1", time.time())  # what enrolment does
        key = d.member_keys.enrolled("L-1")
        assert d.beacons.resolver.keyring is d.keyring and "L-1" in d.keyring
        with d.bus.subscribe(BeaconZone) as zones:
            task = asyncio.create_task(d.beacons.serve(d.bus))
            await asyncio.sleep(0)
            stranger = loyalty.token(bytes(16), time.time())
            d.bus.publish(sightings(loyalty.token(key, time.time()), stranger))
            event = await zones.get(timeout=5)
            assert (event.member, event.zone) == ("L-1", "at_mirror")
            # forgotten: the key leaves the keyring, and the phone's zone goes with it
            d.store.forget_member("L-1")
            d.member_keys.forgotten("L-1")
            await asyncio.sleep(1.2)  # two watchdog periods
            assert d.beacons.zones() == {}
            d.bus.publish(sightings(loyalty.token(key, time.time())))
            await asyncio.sleep(0.2)
            assert d.beacons.zones() == {}
            assert zones.drain() == []
            await stop_task(task)
    finally:
        d.engine.close()


def test_the_hosts_adapter_listens_when_the_config_names_it(tmp_path):
    from vitrine.devices.beacons.backends import BleakBackend
    from vitrine.devices.beacons.device import BeaconsConfig

    def daemon(beacons):
        return Daemon(
            Config(
                boards=BoardsConfig(discover_usb=False),
                data=DataConfig(dir=str(tmp_path)),
                beacons=beacons,
            )
        )

    d = daemon(
        BeaconsConfig(
            host_adapter="hci1", company_id=0x0ABC, smoother="ema", enter_dbm=-58.0, dwell_s=1.5
        )
    )
    try:
        (backend,) = d.beacon_backends
        assert isinstance(backend, BleakBackend) and backend.adapter == "hci1"
        assert d.beacons.company_id == 0x0ABC and d.beacons.settings.smoother == "ema"
        assert d.beacons.settings.dwell_s == 1.5  # the zones' thresholds too
        assert {r.enter_dbm for r in d.beacons.settings.rules} == {-58.0}
    finally:
        d.engine.close()
    d = daemon(BeaconsConfig())
    try:
        assert d.beacon_backends == []  # only the beacon board listens
    finally:
        d.engine.close()


def test_bad_beacons_settings_are_named():
    import pytest

    from vitrine.config import parse_config
    from vitrine.errors import ConfigError

    with pytest.raises(ConfigError, match="host_adapter"):
        parse_config("[beacons]\nhost_adapter = 'usb0'\n", "test.toml")
    with pytest.raises(ConfigError, match="company_id"):
        parse_config("[beacons]\ncompany_id = 70000\n", "test.toml")
    assert parse_config("[beacons]\nhost_adapter = 'default'\n", "t").beacons.host_adapter


def _dump(db_path) -> dict[str, list[tuple]]:
    import sqlite3

    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


async def test_strangers_sightings_reach_no_store_and_nothing_on_the_bus(tmp_path):
    """A flood of tokens of nobody enrolled (another mirror's member, random bytes) from the
    beacon board: every table of events.db is as it was, the database file does not hold the
    tokens, and nothing at all is published on the bus for them."""
    d = Daemon(Config(boards=BoardsConfig(discover_usb=False), data=DataConfig(dir=str(tmp_path))))
    try:
        d.store.enrol_member("L-1", "v1", time.time())
        d.member_keys.enrolled("L-1")
        before = _dump(tmp_path / "events.db")
        strangers = [loyalty.token(bytes([i] * 16), time.time()) for i in range(1, 40)]
        with d.bus.subscribe(object) as everything:
            task = asyncio.create_task(d.beacons.serve(d.bus))
            await asyncio.sleep(0)
            for i in range(0, len(strangers), 12):
                d.bus.publish(sightings(*strangers[i : i + 12]))
            await asyncio.sleep(1.2)
            await stop_task(task)
            seen = [e for e in everything.drain() if not isinstance(e, BeaconSightings)]
        assert seen == []
        assert d.beacons.zones() == {}
        assert _dump(tmp_path / "events.db") == before
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("events.db*"))
        assert not any(t in raw for t in strangers)
    finally:
        d.engine.close()
