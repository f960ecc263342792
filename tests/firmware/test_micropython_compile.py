"""Every firmware file compiles with MicroPython's own compiler, and every module that needs
no hardware imports there (script: mpy/compile_all.py). CPython accepts things the board
refuses, such as const() of another module's name."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.micropython

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"


@pytest.fixture(scope="module")
def report(micropython):
    return micropython.result("compile_all.py", extra_mounts=[("/fw", "firmware")])


def test_no_failures(report):
    assert report["failures"] == {}


def test_every_file_compiled(report):
    expected = sorted("/fw/" + p.relative_to(FIRMWARE).as_posix() for p in FIRMWARE.rglob("*.py"))
    assert sorted(report["compiled"]) == expected


def test_hardware_free_modules_imported(report):
    assert set(report["imported"]) >= {
        "vitrine_fw.wire",
        "vitrine_fw.link",
        "vitrine_fw.probe",
        "vitrine_fw.supervisor",
        "vitrine_fw.config",
        # importing these imports the vitrine_fw.touch package (its __init__) too
        "vitrine_fw.touch.geometry",
        "vitrine_fw.touch.scan",
        "vitrine_fw.touch.detect",
        "vitrine_fw.touch.track",
        "vitrine_fw.touch.reach",
        "vitrine_fw.lights.fade",  # and so the vitrine_fw.lights package
    }
