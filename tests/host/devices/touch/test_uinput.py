"""The uinput multitouch device: the type B translation (no device needed), the clear refusal
where uinput is missing, and a real device where /dev/uinput is writable."""

from __future__ import annotations

import select
from pathlib import Path

import pytest

from vitrine.devices.touch import uinput as ui
from vitrine.devices.touch.events import PointerEvent, PointerKind
from vitrine.devices.touch.uinput import (
    ABS_X,
    ABS_Y,
    BTN_TOUCH,
    EV_ABS,
    EV_KEY,
    EV_SYN,
    SYN_REPORT,
    MultitouchTranslator,
    UinputUnavailable,
    open_uinput,
    unavailable_reason,
)

SLOT, TID = ui.ABS_MT_SLOT, ui.ABS_MT_TRACKING_ID
MX, MY = ui.ABS_MT_POSITION_X, ui.ABS_MT_POSITION_Y
SYN = (EV_SYN, SYN_REPORT, 0)


def pe(kind: PointerKind, pid: int, x: float, y: float) -> PointerEvent:
    return PointerEvent(
        kind=kind,
        id=pid,
        x=x,
        y=y,
        x_mm=0.0,
        y_mm=0.0,
        diameter_mm=9.0,
        board="touch",
        t_ns=0,
        scan=0,
    )


def test_codes_match_the_kernel_headers() -> None:
    evdev = pytest.importorskip("evdev")
    e = evdev.ecodes
    for name in (
        "EV_SYN",
        "EV_KEY",
        "EV_ABS",
        "SYN_REPORT",
        "BTN_TOUCH",
        "ABS_X",
        "ABS_Y",
        "ABS_MT_SLOT",
        "ABS_MT_POSITION_X",
        "ABS_MT_POSITION_Y",
        "ABS_MT_TRACKING_ID",
        "INPUT_PROP_DIRECT",
    ):
        assert getattr(ui, name) == getattr(e, name), name


def test_one_finger() -> None:
    tr = MultitouchTranslator(1920, 1080)
    assert tr.translate([pe("down", 7, 100.4, 200.6)]) == [
        (EV_ABS, SLOT, 0),
        (EV_ABS, TID, 0),
        (EV_ABS, MX, 100),
        (EV_ABS, MY, 201),
        (EV_KEY, BTN_TOUCH, 1),
        (EV_ABS, ABS_X, 100),
        (EV_ABS, ABS_Y, 201),
        SYN,
    ]
    assert tr.translate([pe("move", 7, 150, 200.6)]) == [
        (EV_ABS, MX, 150),
        (EV_ABS, MY, 201),
        (EV_ABS, ABS_X, 150),
        (EV_ABS, ABS_Y, 201),
        SYN,
    ]
    assert tr.translate([pe("move", 7, 150.2, 200.9)]) == []  # same pixel: nothing to say
    assert tr.translate([pe("up", 7, 150, 201)]) == [(EV_ABS, TID, -1), (EV_KEY, BTN_TOUCH, 0), SYN]
    assert tr.translate([]) == []
    # the next contact gets a new tracking id
    assert tr.translate([pe("down", 8, 0, 0)])[:2] == [(EV_ABS, TID, 1), (EV_ABS, MX, 0)]


def test_two_fingers_use_slots_and_emulation_follows_the_oldest() -> None:
    tr = MultitouchTranslator(1920, 1080)
    tr.translate([pe("down", 1, 10, 10), pe("down", 2, 500, 500)])
    out = tr.translate([pe("move", 1, 20, 10), pe("move", 2, 510, 500)])
    assert out == [
        (EV_ABS, SLOT, 0),
        (EV_ABS, MX, 20),
        (EV_ABS, MY, 10),
        (EV_ABS, ABS_X, 20),
        (EV_ABS, ABS_Y, 10),
        (EV_ABS, SLOT, 1),
        (EV_ABS, MX, 510),
        (EV_ABS, MY, 500),
        SYN,
    ]
    # the oldest lifts: single-touch emulation moves to the other, BTN_TOUCH stays down
    assert tr.translate([pe("up", 1, 20, 10)]) == [
        (EV_ABS, SLOT, 0),
        (EV_ABS, TID, -1),
        (EV_ABS, ABS_X, 510),
        (EV_ABS, ABS_Y, 500),
        SYN,
    ]
    out = tr.translate([pe("move", 2, 520, 500)])
    assert (EV_ABS, ABS_X, 520) in out
    # a new contact takes the freed lowest slot
    assert tr.translate([pe("down", 3, 1, 1)])[0] == (EV_ABS, SLOT, 0)


def test_positions_are_clamped_to_the_screen() -> None:
    tr = MultitouchTranslator(1920, 1080)
    out = tr.translate([pe("down", 1, 1920.0, -3.0)])
    assert (EV_ABS, MX, 1919) in out
    assert (EV_ABS, MY, 0) in out


def test_contacts_beyond_the_slots_wait_for_a_free_one() -> None:
    tr = MultitouchTranslator(100, 100, slots=2)
    tr.translate([pe("down", 1, 1, 1), pe("down", 2, 2, 2)])
    assert tr.translate([pe("down", 3, 3, 3)]) == []
    assert tr.translate([pe("move", 3, 4, 4), pe("up", 3, 4, 4)]) == []
    tr.translate([pe("up", 1, 1, 1), pe("move", 2, 3, 3)])  # slot 0 free, slot 1 selected
    assert tr.translate([pe("down", 4, 5, 5)])[0] == (EV_ABS, SLOT, 0)


def test_missing_devnode_is_refused_clearly(tmp_path: Path) -> None:
    pytest.importorskip("evdev")
    missing = tmp_path / "uinput"
    assert "does not exist" in (unavailable_reason(str(missing)) or "")
    with pytest.raises(UinputUnavailable, match=r"uinput touch device: .* does not exist"):
        open_uinput(1920, 1080, devnode=str(missing))
    missing.write_text("")
    assert "is not a character device" in (unavailable_reason(str(missing)) or "")


REASON = unavailable_reason()


@pytest.mark.skipif(REASON is not None, reason=f"no uinput device here: {REASON}")
def test_real_device() -> None:
    import evdev

    touch = open_uinput(1920, 1080, name="Vitrine touch test")
    try:
        dev = touch.device.device
        assert dev is not None, "the created device has no readable event node"
        caps = dev.capabilities()
        abs_codes = {code for code, _ in caps[evdev.ecodes.EV_ABS]}
        assert {ui.ABS_MT_SLOT, ui.ABS_MT_TRACKING_ID, ui.ABS_MT_POSITION_X} <= abs_codes
        assert ui.BTN_TOUCH in caps[evdev.ecodes.EV_KEY]
        assert ui.INPUT_PROP_DIRECT in dev.input_props()
        touch.write([pe("down", 1, 300, 400)])
        touch.write([pe("up", 1, 300, 400)])
        seen = []
        while select.select([dev.fd], [], [], 1.0)[0]:
            seen += [(e.type, e.code, e.value) for e in dev.read()]
            if (EV_KEY, BTN_TOUCH, 0) in seen:
                break
        assert (EV_ABS, MX, 300) in seen
        assert (EV_KEY, BTN_TOUCH, 1) in seen
        assert (EV_KEY, BTN_TOUCH, 0) in seen
    finally:
        touch.close()
