"""The hardware seam (firmware/lib/vitrine_fw/seam.py) holds every board object to one
interface: the real board (vitrine_fw.hal), the simulator's (vitrine.sim.board) and the tests'
fakes, as micropython-lib's lora drivers are held to BaseModem.

Signatures are read from the source (tests/firmware/signatures.py), so the HAL and the
MicroPython-only fakes are checked without importing them. A complete implementation defines
every member of its base with the base's signature and nothing public besides; a fake defines
what its tests need, each with the base's signature, and inherits NotImplementedError for the
rest. Any class anywhere in the project that defines a member only a seam object has must
derive from the matching base, so a new fake cannot drift unseen.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from vitrine.sim.board import SimBoard
from vitrine_fw import seam

from .signatures import ClassInfo, read_module

ROOT = Path(__file__).resolve().parents[2]
SEAM = ROOT / "firmware" / "lib" / "vitrine_fw" / "seam.py"
HAL = ROOT / "firmware" / "lib" / "vitrine_fw" / "hal.py"
SIM = ROOT / "host" / "vitrine" / "sim" / "board.py"
BASES = ("BaseClock", "BasePort", "BaseBoard")

# (file, class, base): the real board's and the simulator's objects implement all of it.
COMPLETE = (
    (HAL, "Clock", "BaseClock"),
    (HAL, "StreamPort", "BasePort"),
    (HAL, "Board", "BaseBoard"),
    (SIM, "SimClock", "BaseClock"),
    (SIM, "SocketPort", "BasePort"),
    (SIM, "SimBoard", "BaseBoard"),
)

# What only a seam object has: a class defining one of these is a clock, port or board.
DISTINCTIVE = {
    "BaseClock": {"ticks_ms", "ticks_us", "ticks_diff", "ticks_add"},
    "BasePort": {"read_into"},
    "BaseBoard": {"open_link", "ir_frame", "led_strip", "reset_to_repl"},
}
SEARCHED = ("firmware", "host", "tests", "tools")


def seam_classes() -> dict[str, ClassInfo]:
    return read_module(SEAM).classes


def interface(base: str) -> dict[str, list]:
    """{member: [signature]} of a base class, its constructor left out."""
    info = seam_classes()[base]
    return {name: info.signatures(name) for name in info.methods if name != "__init__"}


def project_sources() -> list[Path]:
    out = []
    for top in SEARCHED:
        out += [
            p
            for p in sorted((ROOT / top).rglob("*.py"))
            if "__pycache__" not in p.parts and "node_modules" not in p.parts
        ]
    return out


def derived_classes(paths: list[Path] | None = None) -> list[tuple[ClassInfo, str]]:
    """Every class in the project that derives from a seam base, with the base: directly
    (`seam.BaseBoard`, `BaseBoard`) or through a class of its own module that does."""
    found = []
    for path in project_sources() if paths is None else paths:
        if path == SEAM:
            continue
        classes = read_module(path).classes
        base_of: dict[str, str] = {}
        changed = True
        while changed:  # follow in-module inheritance (AllocatingStrip(Strip), ...)
            changed = False
            for info in classes.values():
                if info.name in base_of:
                    continue
                for b in info.bases:
                    short = b.rsplit(".", 1)[-1]
                    if short in BASES:
                        base_of[info.name] = short
                    elif short in base_of:
                        base_of[info.name] = base_of[short]
                    if info.name in base_of:
                        changed = True
                        break
        found += [(classes[name], base) for name, base in base_of.items()]
    return found


def where(info: ClassInfo) -> str:
    return f"{info.path.relative_to(ROOT)}:{info.line} {info.name}"


# --- the interface itself ----------------------------------------------------------------------


def test_the_bases_declare_the_seam():
    assert set(interface("BaseClock")) == {
        "ticks_ms",
        "ticks_us",
        "ticks_diff",
        "ticks_add",
        "sleep_ms",
    }
    assert set(interface("BasePort")) == {"read_into", "write", "close"}
    assert set(interface("BaseBoard")) == {
        "uid",
        "reset_cause",
        "reset",
        "reset_to_repl",
        "watchdog",
        "open_link",
        "pin",
        "adc",
        "i2c",
        "pwm",
        "led_strip",
        "ir_frame",
        "ble",
        "mcu_temperature",
        "second_core",
    }


@pytest.mark.parametrize(("path", "name", "base"), COMPLETE, ids=lambda v: getattr(v, "name", v))
def test_complete_implementations_have_every_member(path, name, base):
    info = read_module(path).classes[name]
    assert base in [b.rsplit(".", 1)[-1] for b in info.bases], f"{where(info)} derives {base}"
    missing = sorted(set(interface(base)) - set(info.methods))
    assert not missing, f"{where(info)} lacks {missing} of {base}"
    extra = sorted(info.public() - set(interface(base)))
    assert not extra, f"{where(info)} has public members the seam does not: {extra}"


@pytest.mark.parametrize("base", BASES)
def test_every_seam_object_has_the_bases_signatures(base):
    members = interface(base)
    checked = 0
    problems = []
    for info, b in derived_classes():
        if b != base:
            continue
        for name, (want,) in members.items():
            for got in info.signatures(name):
                checked += 1
                if got != want:
                    problems.append(f"{where(info)}.{name}{got}: the seam has {name}{want}")
    assert not problems, "\n".join(problems)
    assert checked >= 2 * len(members), "the real board's and the simulator's at least"


def test_the_fakes_are_found():
    # The discovery works: the tests' fakes of every kind are among the derived classes.
    names = {(info.path.name, info.name) for info, _ in derived_classes()}
    assert {
        ("console_scenarios.py", "FakeBoard"),
        ("lights_scenarios.py", "FakeBoard"),
        ("supervisor_scenarios.py", "BareBoard"),
        ("fw_scenario.py", "FakeClock"),
        ("fw_scenario.py", "FakePort"),
        ("touch_replay.py", "ReplayClock"),
    } <= names


def undeclared(paths: list[Path]) -> list[str]:
    """Classes that define what only a seam object has without deriving from its base."""
    derived = {(info.path, info.name): base for info, base in derived_classes(paths)}
    problems = []
    for path in paths:
        if path == SEAM:
            continue
        for info in read_module(path).classes.values():
            for base, names in DISTINCTIVE.items():
                has = sorted(names & set(info.methods))
                if has and derived.get((path, info.name)) != base:
                    problems.append(f"{info.name} defines {has} but does not derive {base}")
    return problems


def test_every_class_with_seam_members_derives_from_the_seam():
    problems = undeclared(project_sources())
    assert not problems, "\n".join(problems)


def test_a_fake_outside_the_seam_is_caught(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text(
        "from vitrine_fw import seam\n"
        "class Lone:\n    def open_link(self, link_cfg): ...\n"
        "class Clocked(seam.BaseClock):\n    def ticks_ms(self): ...\n"
        "class Inherits(Clocked):\n    def ticks_us(self): ...\n"
        "class Mixed(seam.BaseClock):\n    def ir_frame(self, frame): ...\n",
        encoding="utf-8",
    )
    assert undeclared([fake]) == [
        "Lone defines ['open_link'] but does not derive BaseBoard",
        "Mixed defines ['ir_frame'] but does not derive BaseBoard",
    ]


# --- what the base classes do ------------------------------------------------------------------


def test_a_member_a_board_lacks_says_which():
    class Partial(seam.BaseBoard):
        pass

    board = Partial(clock=None)
    with pytest.raises(NotImplementedError, match=r"^Partial has no ble\(\)$"):
        board.ble()
    with pytest.raises(NotImplementedError, match=r"^Partial has no led_strip\(\)$"):
        board.led_strip(16, 60)


@pytest.mark.parametrize(
    ("mode", "pull", "message"),
    [
        ("input", None, r"^pin 5: mode='input', allowed: 'in', 'out'$"),
        ("in", "UP", r"^pin 5: pull='UP', allowed: None, 'up', 'down'$"),
        ("out", 1, r"^pin 5: pull=1, allowed: None, 'up', 'down'$"),
    ],
)
def test_pin_arguments_are_checked_the_same_on_every_board(mode, pull, message):
    with pytest.raises(ValueError, match=message):
        seam.check_pin(5, mode, pull)
    ours, theirs = socket.socketpair()
    try:
        board = SimBoard(uid="00", reset_cause=0, link_socket=ours, exit_process=lambda _: None)
        with pytest.raises(ValueError, match=message):
            board.pin(5, mode, pull)
        assert board.pin(5, "in", "up").mode == "in"  # and good ones still work
    finally:
        ours.close()
        theirs.close()


def test_the_simulators_board_has_a_virtual_radio_of_its_own():
    from vitrine.sim.radio import SimRadio

    ours, theirs = socket.socketpair()
    try:
        board = SimBoard(uid="00", reset_cause=0, link_socket=ours, exit_process=lambda _: None)
        radio = board.ble()
        assert isinstance(radio, SimRadio)
        assert board.ble() is radio
        assert radio.active(True)
    finally:
        ours.close()
        theirs.close()
