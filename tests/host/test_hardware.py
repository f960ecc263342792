"""Board descriptions (hardware/boards/*.toml), the config.json made from them (checked with
the firmware's own validator), and the firmware build hash."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import vitrine
from vitrine.config import Config
from vitrine.errors import ConfigError
from vitrine.firmware import build_hash, firmware_files
from vitrine.hardware import (
    BoardDescription,
    board_config,
    load_board,
    load_boards,
    uart_bauds,
    usb_bauds,
    usb_ids,
)
from vitrine.link.ports import DEFAULT_BAUD
from vitrine.paths import firmware_dir, hardware_dir
from vitrine_fw import config as fw_config

ROLES = ("touch", "presence", "lights", "beacon")
SHIPPED = hardware_dir() / "boards"


def description(**changes: Any) -> dict[str, Any]:
    """A valid description as TOML would give it, with changes."""
    data: dict[str, Any] = {
        "role": "lights",
        "name": "Lighting controller",
        "mcu": "RP2040",
        "module": "Raspberry Pi Pico",
        "micropython_port": "rp2",
        "mpy_arch": "armv6m",
        "subsystems": ["lighting"],
        "usb": {"vid": 0x10C4, "pid": 0xEA60},
        "link": {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600},
        "pins": {"status_led": 25},
    }
    data.update(changes)
    return data


def toml_text(data: dict[str, Any]) -> str:
    """Enough of a TOML writer for descriptions: scalars, lists, then tables."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f"{kk} = {value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def write_board(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    folder = tmp_path / "boards"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(toml_text(data))
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_board(path)
    return str(info.value)


# --- the shipped descriptions ------------------------------------------------------------------


def test_every_role_has_a_shipped_description() -> None:
    boards = load_boards()
    assert sorted(boards) == sorted(ROLES)
    for role, board in boards.items():
        assert board.role == role
        assert board.subsystems, role
        assert board.liveness_ms < board.watchdog_ms


@pytest.mark.parametrize("role", ROLES)
def test_shipped_description_loads_and_matches_its_toml(role: str) -> None:
    path = SHIPPED / f"{role}.toml"
    board = load_board(path)
    raw = tomllib.loads(path.read_text())
    assert board.role == raw["role"] == role
    assert board.usb.vid == raw["usb"]["vid"]
    assert board.usb.pid == raw["usb"]["pid"]
    assert board.link.kind == raw["link"]["kind"]
    assert dict(board.pins) == raw.get("pins", {})


@pytest.mark.parametrize("role", ROLES)
def test_board_config_passes_the_firmware_check(role: str) -> None:
    board = load_boards()[role]
    cfg = board_config(board, "0123456789ab")
    checked = fw_config.check(dict(cfg), f"{role} config.json")
    assert checked["role"] == role
    assert checked["build_hash"] == "0123456789ab"
    assert checked["watchdog_ms"] == board.watchdog_ms
    assert checked["liveness_ms"] == board.liveness_ms
    assert checked["subsystems"] == board.subsystems
    assert checked["link"]["kind"] == board.link.kind


def test_board_config_of_a_uart_board_carries_its_wiring() -> None:
    cfg = board_config(load_boards()["lights"], "b")
    assert cfg["link"] == {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600}
    assert cfg["board"] == "Raspberry Pi Pico"
    assert cfg["pins"]["strip_left"] == 16


def test_the_lights_board_config_carries_its_strips_by_gpio() -> None:
    cfg = board_config(load_boards()["lights"], "b")
    assert cfg["strips"] == [
        {"pin": 16, "pixels": 60, "order": "GRBW", "led_ma": 60, "white_k": 4500},
        {"pin": 17, "pixels": 60, "order": "GRBW", "led_ma": 60, "white_k": 4500},
        {
            "kind": "cct",
            "warm": 18,
            "cool": 19,
            "warm_k": 2700,
            "cool_k": 6500,
            "leds": 120,
            "led_ma": 20,
            "pwm_hz": 2000,
        },
    ]
    assert cfg["lighting"]["budget_ma"] == 5500  # a 6 A supply less 500 mA
    assert fw_config.check(dict(cfg))["strips"] == cfg["strips"]
    assert "strips" not in board_config(load_boards()["touch"], "b")


def test_a_strip_names_a_pin_of_the_description() -> None:
    strips = [{"pin": "status_led", "pixels": 8}, {"pin": "strip_top", "pixels": 8}]
    with pytest.raises(ValidationError, match=r"strips\[1\]\.pin='strip_top' is not one of"):
        BoardDescription.model_validate(description(strips=strips))
    board = BoardDescription.model_validate(description(strips=strips[:1]))
    assert board_config(board, "b")["strips"] == [
        {"pin": 25, "pixels": 8, "order": "GRB", "led_ma": 60, "white_k": 4500}
    ]


@pytest.mark.parametrize(
    ("strip", "problem"),
    [
        ({"pixels": 0}, "pixels"),
        ({"pixels": 1001}, "pixels"),
        ({"order": "GRBX"}, "R, G, B (and W) once each"),
        ({"order": "RGBWW"}, "R, G, B (and W) once each"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_strips_are_refused(strip: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        BoardDescription.model_validate(
            description(strips=[{"pin": "status_led", "pixels": 8, **strip}])
        )


def test_board_config_of_a_usb_board_has_no_unset_wiring() -> None:
    cfg = board_config(load_boards()["touch"], "b")
    assert cfg["link"] == {"kind": "usb-cdc"}


def test_board_config_is_not_production_unless_the_description_or_the_caller_says() -> None:
    development = BoardDescription.model_validate(description())
    production = BoardDescription.model_validate(description(production=True))
    assert board_config(development, "b")["production"] is False
    assert board_config(production, "b")["production"] is True
    assert board_config(development, "b", production=True)["production"] is True
    assert board_config(production, "b", production=False)["production"] is False
    assert fw_config.check(board_config(production, "b"))["production"] is True


def test_board_description_production_must_be_a_boolean() -> None:
    with pytest.raises(ValidationError, match="production"):
        BoardDescription.model_validate(description(production="yes"))


def test_board_config_with_the_real_build_hash_passes_the_firmware_check() -> None:
    for board in load_boards().values():
        fw_config.check(board_config(board, build_hash()))


_LINKS = st.one_of(
    st.just({"kind": "usb-cdc"}),
    st.fixed_dictionaries(
        {"kind": st.just("uart")},
        optional={
            "id": st.integers(0, 3),
            "tx": st.integers(0, 255),
            "rx": st.integers(0, 255),
            "baud": st.integers(9600, 3_000_000),
        },
    ),
)
_DESCRIPTIONS = st.fixed_dictionaries(
    {
        "role": st.sampled_from(ROLES),
        "link": _LINKS,
        "subsystems": st.lists(st.sampled_from(["touch", "proximity", "beacon", "lighting"])),
    },
    optional={"watchdog_ms": st.integers(0, 9000), "liveness_ms": st.integers(0, 9000)},
)


@settings(max_examples=200, deadline=None)
@given(changes=_DESCRIPTIONS)
def test_whatever_the_host_accepts_the_firmware_accepts(changes: dict[str, Any]) -> None:
    try:
        board = BoardDescription.model_validate(description(**changes))
    except ValidationError:
        return  # the host refuses it; nothing reaches a board
    fw_config.check(board_config(board, "0123456789ab"))


def test_usb_ids_of_the_shipped_boards() -> None:
    ids = usb_ids(load_boards())
    assert ids == {(0x303A, 0x1001), (0x2E8A, 0x0005), (0x10C4, 0xEA60)}


def test_usb_ids_are_a_set_of_pairs(tmp_path: Path) -> None:
    a = BoardDescription.model_validate(description(usb={"vid": 1, "pid": 2}))
    b = BoardDescription.model_validate(description(role="touch", usb={"vid": 1, "pid": 2}))
    c = BoardDescription.model_validate(description(role="beacon", usb={"vid": 3, "pid": 4}))
    assert usb_ids({"lights": a, "touch": b, "beacon": c}) == {(1, 2), (3, 4)}


def test_the_host_opens_a_uart_board_at_its_descriptions_baud(tmp_path: Path) -> None:
    # The shipped lights board runs its UART at the rate its description names; a board
    # described with another rate is opened at that one, whatever [link] baudrate says.
    assert uart_bauds(load_boards()) == {"lights": 921600}
    folder = tmp_path / "boards"
    folder.mkdir()
    lights = (SHIPPED / "lights.toml").read_text()
    assert "\nbaud = 921600" in lights
    (folder / "lights.toml").write_text(lights.replace("baud = 921600", "baud = 460800"))
    shutil.copy(SHIPPED / "touch.toml", folder)
    ports = Config().boards.board_ports(load_boards(tmp_path))
    assert ports.bauds == {"lights": 460800}  # touch is on native USB: no baud
    assert ports.usb_bauds == {(0x10C4, 0xEA60): 460800}
    assert Config().link.baudrate == DEFAULT_BAUD  # only for ports of boards not known


def test_one_bridge_with_two_bauds_is_refused() -> None:
    a = BoardDescription.model_validate(description())
    link = {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 115200}
    b = BoardDescription.model_validate(description(role="beacon", link=link))
    with pytest.raises(ConfigError) as info:
        usb_bauds({"lights": a, "beacon": b})
    assert str(info.value) == (
        "boards beacon and lights share the USB id 10c4:ea60 but name different bauds "
        "(115200 and 921600): give both one rate"
    )


def test_the_default_baud_is_written_once_in_the_host() -> None:
    # LinkSettings, the config's [link] baudrate and open_port() all take link.ports'.
    package = Path(vitrine.__file__).parent
    written = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if re.search(r"\b921_?600\b", p.read_text())
    )
    assert written == ["link/ports.py"]


# --- bad descriptions ------------------------------------------------------------------------


def test_a_valid_written_description_loads(tmp_path: Path) -> None:
    path = write_board(tmp_path, "lights", description())
    board = load_board(path)
    assert board.link.baud == 921600
    assert board.watchdog_ms == 5000  # the default
    assert load_boards(tmp_path) == {"lights": board}


def test_role_must_match_the_file_name(tmp_path: Path) -> None:
    path = write_board(tmp_path, "touch", description(role="lights"))
    assert load_error(path) == f"{path}: role='lights' must match the file name 'touch'"


@pytest.mark.parametrize(
    ("missing", "named"),
    [(("tx",), "tx"), (("tx", "rx"), "tx, rx"), (("id", "baud"), "id, baud")],
)
def test_uart_link_needs_its_wiring(tmp_path: Path, missing: tuple[str, ...], named: str) -> None:
    link = {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600}
    for key in missing:
        del link[key]
    path = write_board(tmp_path, "lights", description(link=link))
    text = load_error(path)
    assert text.startswith(f"{path}: link = ")
    assert text.endswith(f"a uart link needs {named}")


@pytest.mark.parametrize("value", [999, 8001, 0])
def test_watchdog_out_of_range(tmp_path: Path, value: int) -> None:
    path = write_board(tmp_path, "lights", description(watchdog_ms=value, liveness_ms=200))
    text = load_error(path)
    assert text.startswith(f"{path}: watchdog_ms = {value}: ")
    assert ("1000" if value < 1000 else "8000") in text


def test_liveness_not_below_watchdog_is_refused(tmp_path: Path) -> None:
    # The firmware's own check refuses this at boot; the host must refuse it first.
    path = write_board(tmp_path, "lights", description(watchdog_ms=1000, liveness_ms=2000))
    text = load_error(path)
    assert text.startswith(f"{path}: liveness_ms = 2000: ")
    assert "must be below watchdog_ms=1000" in text
    with pytest.raises(ValueError, match="liveness_ms=2000 must be below watchdog_ms=1000"):
        fw_config.check({"role": "lights", "watchdog_ms": 1000, "liveness_ms": 2000})


def test_default_liveness_is_checked_against_a_short_watchdog(tmp_path: Path) -> None:
    path = write_board(tmp_path, "lights", description(watchdog_ms=1500))
    assert "liveness_ms = 2000: " in load_error(path)
    path = write_board(tmp_path, "lights", description(watchdog_ms=1500, liveness_ms=1499))
    assert load_board(path).liveness_ms == 1499


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write_board(tmp_path, "lights", description(colour="red"))
    assert load_error(path).startswith(
        f"{path}: colour: unknown key; allowed: beacon, frame, lighting, link, liveness_ms"
    )
    data = description()
    data["usb"] = {"vid": 1, "pid": 2, "serial": "x"}
    path = write_board(tmp_path, "lights", data)
    assert load_error(path) == f"{path}: usb.serial: unknown key; allowed: pid, vid"


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    data = description()
    del data["usb"]
    path = write_board(tmp_path, "lights", data)
    assert load_error(path) == f"{path}: usb: required, missing"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"pins": {"status_led": 256}}, "pins.status_led = 256"),
        ({"usb": {"vid": 0x10000, "pid": 1}}, "usb.vid = 65536"),
        ({"micropython_port": "stm32"}, "micropython_port = 'stm32'"),
        ({"role": "kitchen"}, "role = 'kitchen'"),
        ({"link": {"kind": "spi"}}, "link.kind = 'spi'"),
        ({"subsystems": ["lighting", "sonar"]}, "subsystems.1 = 'sonar'"),
    ],
)
def test_bad_values_name_file_key_and_value(
    tmp_path: Path, changes: dict[str, Any], key: str
) -> None:
    path = write_board(tmp_path, "lights", description(**changes))
    assert f"{path}: {key}: " in load_error(path)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "boards"
    folder.mkdir()
    path = folder / "lights.toml"
    path.write_text('role = "lights"\n[link\n')
    assert load_error(path).startswith(f"{path}: ")


def test_a_bad_file_stops_load_boards(tmp_path: Path) -> None:
    write_board(tmp_path, "lights", description())
    bad = write_board(tmp_path, "touch", description(role="lights"))
    with pytest.raises(ConfigError, match=str(bad)):
        load_boards(tmp_path)


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "boards").mkdir()
    with pytest.raises(ConfigError, match="no board descriptions"):
        load_boards(tmp_path)


def test_hardware_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_board(tmp_path, "beacon", description(role="beacon"))
    monkeypatch.setenv("VITRINE_HARDWARE_DIR", str(tmp_path))
    assert list(load_boards()) == ["beacon"]


# --- firmware build hash ---------------------------------------------------------------------


@pytest.fixture
def firmware_copy(tmp_path: Path) -> Path:
    root = tmp_path / "firmware"
    shutil.copytree(firmware_dir(), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_build_hash_is_12_hex_digits_and_stable() -> None:
    first = build_hash()
    assert len(first) == 12
    assert all(c in "0123456789abcdef" for c in first)
    assert build_hash() == first
    assert build_hash(firmware_dir()) == first


def test_build_hash_of_an_identical_copy_is_the_same(firmware_copy: Path) -> None:
    assert build_hash(firmware_copy) == build_hash()


def test_firmware_files_are_main_and_the_library(firmware_copy: Path) -> None:
    files = firmware_files(firmware_copy)
    assert files[0] == Path("main.py")
    assert Path("lib/vitrine_fw/wire.py") in files
    assert files[1:] == sorted(files[1:])
    assert all(not f.is_absolute() for f in files)


def test_build_hash_changes_with_a_file_content(firmware_copy: Path) -> None:
    before = build_hash(firmware_copy)
    wire_py = firmware_copy / "lib" / "vitrine_fw" / "wire.py"
    wire_py.write_bytes(wire_py.read_bytes() + b"\n# changed\n")
    after = build_hash(firmware_copy)
    assert after != before
    assert len(after) == 12


def test_build_hash_changes_with_main_py(firmware_copy: Path) -> None:
    before = build_hash(firmware_copy)
    main_py = firmware_copy / "main.py"
    main_py.write_bytes(main_py.read_bytes().replace(b"\n", b"\n\n", 1))
    assert build_hash(firmware_copy) != before


def test_build_hash_changes_with_a_new_or_renamed_module(firmware_copy: Path) -> None:
    before = build_hash(firmware_copy)
    lib = firmware_copy / "lib" / "vitrine_fw"
    (lib / "extra.py").write_text("X = 1\n")
    added = build_hash(firmware_copy)
    assert added != before
    (lib / "extra.py").rename(lib / "other.py")
    assert build_hash(firmware_copy) not in (before, added)


def test_build_hash_ignores_bytecode_caches(firmware_copy: Path) -> None:
    before = build_hash(firmware_copy)
    cache = firmware_copy / "lib" / "vitrine_fw" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "stale.py").write_text("junk = 1\n")
    assert build_hash(firmware_copy) == before


def test_build_hash_follows_the_environment(
    firmware_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (firmware_copy / "main.py").write_text("# another build\n")
    monkeypatch.setenv("VITRINE_FIRMWARE_DIR", str(firmware_copy))
    assert build_hash() == build_hash(firmware_copy)
    monkeypatch.delenv("VITRINE_FIRMWARE_DIR")
    assert build_hash() != build_hash(firmware_copy)
