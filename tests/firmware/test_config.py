"""vitrine_fw.config: a good config gets its defaults; every bad value is named with what is
allowed (key, value, allowed range or choices)."""

import copy
import json

import pytest

from vitrine_fw import config

GOOD = {"role": "touch"}
UART = {"kind": "uart", "id": 1, "tx": 17, "rx": 18, "baud": 921600}
STRIP = {"pin": 16, "pixels": 60, "order": "GRBW"}


DEFAULTS = {
    "watchdog_ms": 5000,
    "liveness_ms": 2000,
    "heartbeat_ms": 1000,
    "missed_heartbeats": 4,
    "link": {"kind": "usb-cdc"},
    "subsystems": [],
    "strips": [],
    "build_hash": "dev",
    "production": False,
}


def test_defaults_are_filled_in():
    cfg = config.check(dict(GOOD))
    assert {key: cfg.get(key) for key in DEFAULTS} == DEFAULTS
    assert cfg["role"] == "touch"


def test_explicit_values_are_kept():
    given = {
        "role": "lights",
        "watchdog_ms": 8000,
        "liveness_ms": 200,
        "heartbeat_ms": 100,
        "missed_heartbeats": 20,
        "link": dict(UART),
        "subsystems": ["lighting"],
        "strips": [dict(STRIP), {"pin": 0, "pixels": 1000, "order": "RGB"}],
        "build_hash": "a" * 64,
        "production": True,
    }
    cfg = config.check(copy.deepcopy(given))
    assert {key: cfg.get(key) for key in given} == given


@pytest.mark.parametrize("role", config.ROLES)
def test_every_role_is_accepted(role):
    assert config.check({"role": role})["role"] == role


# (overrides, fragments the error must contain: the key, the value, what is allowed)
BAD = {
    "not_a_dict": (None, ["config.json", "JSON object"]),
    "role_missing": ({"role": None}, ["role=None", "touch, presence, lights, beacon"]),
    "role_unknown": ({"role": "mirror"}, ["role='mirror'", "allowed: touch"]),
    "watchdog_low": ({"watchdog_ms": 999}, ["watchdog_ms=999", "integer 1000..8000"]),
    "watchdog_high": ({"watchdog_ms": 8001}, ["watchdog_ms=8001", "integer 1000..8000"]),
    "watchdog_str": ({"watchdog_ms": "5000"}, ["watchdog_ms='5000'", "integer 1000..8000"]),
    "watchdog_bool": ({"watchdog_ms": True}, ["watchdog_ms=True", "integer"]),
    "watchdog_float": ({"watchdog_ms": 5000.0}, ["watchdog_ms=5000.0", "integer"]),
    "liveness_low": ({"liveness_ms": 199}, ["liveness_ms=199", "integer 200..8000"]),
    "heartbeat_high": ({"heartbeat_ms": 5001}, ["heartbeat_ms=5001", "integer 100..5000"]),
    "missed_low": ({"missed_heartbeats": 1}, ["missed_heartbeats=1", "integer 2..20"]),
    "liveness_not_below_watchdog": (
        {"watchdog_ms": 3000, "liveness_ms": 3000},
        ["liveness_ms=3000", "below watchdog_ms=3000"],
    ),
    "link_kind": ({"link": {"kind": "spi"}}, ["link={'kind': 'spi'}", "usb-cdc, uart"]),
    "link_not_dict": ({"link": "uart"}, ["link='uart'", "allowed kinds"]),
    "uart_no_baud": (
        {"link": {k: v for k, v in UART.items() if k != "baud"}},
        ["link.baud=None", "integer"],
    ),
    "uart_tx_str": ({"link": {**UART, "tx": "17"}}, ["link.tx='17'", "integer"]),
    "subsystems_str": ({"subsystems": "touch"}, ["subsystems='touch'", "list of names"]),
    "subsystems_ints": ({"subsystems": [1]}, ["subsystems=[1]", "list of names"]),
    "build_hash_long": (
        {"build_hash": "b" * 65},
        ["build_hash='" + "b" * 65 + "'", "at most 64"],
    ),
    "build_hash_int": ({"build_hash": 7}, ["build_hash=7", "string"]),
    "production_int": ({"production": 1}, ["production=1", "true or false"]),
    "strips_not_list": ({"strips": STRIP}, ["strips={", "list of {pin, pixels, order}"]),
    "strip_not_dict": ({"strips": [16]}, ["strips[0]=16", "{pin, pixels, order}"]),
    "strip_pin_missing": (
        {"strips": [{"pixels": 60, "order": "GRB"}]},
        ["strips[0].pin=None", "integer 0..255"],
    ),
    "strip_pixels_zero": (
        {"strips": [STRIP, {**STRIP, "pixels": 0}]},
        ["strips[1].pixels=0", "integer 1..1000"],
    ),
    "strip_pixels_bool": ({"strips": [{**STRIP, "pixels": True}]}, ["pixels=True", "integer"]),
    "strip_order_letters": (
        {"strips": [{**STRIP, "order": "GRBX"}]},
        ["strips[0].order='GRBX'", "R, G, B (and W) once each"],
    ),
    "strip_order_twice": ({"strips": [{**STRIP, "order": "GGB"}]}, ["order='GGB'", "GRBW"]),
    "production_str": ({"production": "yes"}, ["production='yes'", "true or false"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_value_is_named(case):
    overrides, fragments = BAD[case]
    cfg = None if overrides is None else {**GOOD, **overrides}
    with pytest.raises(ValueError) as err:
        config.check(cfg)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_load_reads_and_checks(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"role": "beacon", "heartbeat_ms": 500}))
    cfg = config.load(str(path))
    assert (cfg["role"], cfg["heartbeat_ms"], cfg["watchdog_ms"]) == ("beacon", 500, 5000)


def test_load_names_the_file_on_bad_json(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{role: touch")
    with pytest.raises(ValueError, match=r"config\.json: not valid JSON"):
        config.load(str(path))


def test_load_names_the_file_on_bad_value(tmp_path):
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"role": "touch", "missed_heartbeats": 99}))
    with pytest.raises(ValueError, match=r"board\.json: missed_heartbeats=99"):
        config.load(str(path))
