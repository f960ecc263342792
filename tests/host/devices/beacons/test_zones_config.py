"""[beacons]' zone thresholds: in the config with checked ranges and clear errors, and the
device deciding zones by them."""

from __future__ import annotations

import pytest

from vitrine.config import ConfigError, parse_config
from vitrine.devices.beacons.device import BeaconsConfig
from vitrine.devices.beacons.zones import GONE, Tracker


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "mirror.toml")
    return str(info.value)


def test_the_defaults_are_the_zones_measured_by_the_bench() -> None:
    settings = BeaconsConfig().zone_settings()
    assert [(r.zone, r.receiver, r.enter_dbm, r.exit_dbm) for r in settings.rules] == [
        ("at_mirror", "beacon", -62.0, -68.0),
        ("fitting_room", "fitting_room", -62.0, -68.0),
    ]
    assert (settings.dwell_s, settings.gone_s, settings.stale_s) == (0.5, 2.0, 2.0)


def test_the_thresholds_come_from_the_config_file() -> None:
    text = "[beacons]\nenter_dbm = -55\nexit_dbm = -60.5\ndwell_s = 1\ngone_s = 5\n"
    settings = parse_config(text, "mirror.toml").beacons.zone_settings()
    assert {(r.enter_dbm, r.exit_dbm) for r in settings.rules} == {(-55.0, -60.5)}
    assert (settings.dwell_s, settings.gone_s, settings.stale_s) == (1.0, 5.0, 5.0)
    # and the tracker goes by them: -58 dBm is in the store, not at the mirror, at -55
    tracker = Tracker(settings, 0.0)
    for i in range(30):
        tracker.reading(i * 0.1, "beacon", -58.0)
    assert tracker.zone == "in_store"
    default = Tracker(BeaconsConfig().zone_settings(), 0.0)
    for i in range(30):
        default.reading(i * 0.1, "beacon", -58.0)
    assert default.zone == "at_mirror"
    # gone only after gone_s without a reading
    tracker.tick(2.9 + 4.0)
    assert tracker.zone == "in_store"
    tracker.tick(2.9 + 5.5)
    assert tracker.zone == GONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("enter_dbm = -20", "beacons.enter_dbm = -20: Input should be less than or equal to -30"),
        (
            "exit_dbm = -120",
            "beacons.exit_dbm = -120: Input should be greater than or equal to -95",
        ),
        ("dwell_s = 11", "beacons.dwell_s = 11: Input should be less than or equal to 10"),
        ("gone_s = 0.1", "beacons.gone_s = 0.1: Input should be greater than or equal to 0.5"),
        ('enter_dbm = "-60"', "beacons.enter_dbm = '-60'"),
        (
            "enter_dbm = -70\nexit_dbm = -65",
            "exit_dbm=-65 is above enter_dbm=-70: allowed exit_dbm <= enter_dbm",
        ),
    ],
)
def test_a_bad_threshold_is_refused_naming_it(text: str, expected: str) -> None:
    assert expected in error_of(f"[beacons]\n{text}\n")
