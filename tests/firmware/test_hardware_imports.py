"""Only vitrine_fw/hal.py may touch the hardware modules (machine, bluetooth, neopixel, rp2) or
micropython.kbd_intr; every other firmware file must run in the simulator under CPython.

Parsed with ast, so imports inside functions count and comments or strings do not."""

import ast
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
HAL = FIRMWARE / "lib" / "vitrine_fw" / "hal.py"
HARDWARE = {"machine", "bluetooth", "neopixel", "rp2"}
SOURCES = sorted(FIRMWARE.rglob("*.py"))


def hardware_uses(path):
    """(line, what) for every hardware import or kbd_intr use in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            uses += [
                (node.lineno, f"import {a.name}")
                for a in node.names
                if a.name.split(".")[0] in HARDWARE
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in HARDWARE:
                uses.append((node.lineno, f"from {node.module} import ..."))
            elif root == "micropython" and any(a.name == "kbd_intr" for a in node.names):
                uses.append((node.lineno, "from micropython import kbd_intr"))
        elif isinstance(node, ast.Attribute) and node.attr == "kbd_intr":
            uses.append((node.lineno, "kbd_intr"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).split(".")[0] in HARDWARE
        ):
            uses.append((node.lineno, f"__import__({node.args[0].value!r})"))
    return uses


def test_sources_found():
    assert HAL in SOURCES
    assert FIRMWARE / "main.py" in SOURCES


def test_hal_is_seen_touching_hardware():
    # The detector works: hal.py does import machine and use kbd_intr.
    found = {what for _, what in hardware_uses(HAL)}
    assert {"import machine", "import neopixel", "import bluetooth", "kbd_intr"} <= found


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if p != HAL], ids=lambda p: str(p.relative_to(FIRMWARE))
)
def test_no_hardware_outside_hal(path):
    assert hardware_uses(path) == []
