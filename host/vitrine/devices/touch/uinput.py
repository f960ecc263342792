"""An optional Linux multitouch device (uinput, through python-evdev) fed with pointer events,
so that any application on the host (a browser, a kiosk) sees the frame as a touchscreen.

Multitouch protocol type B: each contact owns a slot (ABS_MT_SLOT) from down to up, named by
ABS_MT_TRACKING_ID (-1 frees it), positioned by ABS_MT_POSITION_X/Y; BTN_TOUCH and ABS_X/ABS_Y
emulate a single-touch screen with the oldest contact; INPUT_PROP_DIRECT marks a touchscreen.
The translation to (type, code, value) events is MultitouchTranslator, which needs neither
evdev nor /dev/uinput; UInputTouch writes its output to the device.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from typing import Any

from vitrine.devices.touch.events import PointerEvent
from vitrine.errors import VitrineError

# linux/input-event-codes.h (a stable kernel ABI; a test compares them with evdev.ecodes).
EV_SYN = 0x00
EV_KEY = 0x01
EV_ABS = 0x03
SYN_REPORT = 0
BTN_TOUCH = 0x14A
ABS_X = 0x00
ABS_Y = 0x01
ABS_MT_SLOT = 0x2F
ABS_MT_POSITION_X = 0x35
ABS_MT_POSITION_Y = 0x36
ABS_MT_TRACKING_ID = 0x39
INPUT_PROP_DIRECT = 0x01

InputEvent = tuple[int, int, int]  # (type, code, value)
DEVNODE = "/dev/uinput"
SLOTS = 10  # contacts the device tracks at once (the frame reports up to 10)


class UinputUnavailable(VitrineError):
    """The uinput device cannot be created here; the message says why."""


class MultitouchTranslator:
    """Pointer events to type B multitouch input events, for a screen of width x height px.
    Contacts beyond the slots are ignored until a slot frees."""

    def __init__(self, width_px: int, height_px: int, slots: int = SLOTS) -> None:
        self._max_x = width_px - 1
        self._max_y = height_px - 1
        self._free = list(range(slots))  # free slots, lowest first
        self._contacts: dict[int, list[int]] = {}  # pointer id -> [slot, x, y], oldest first
        self._slot = -1  # the slot the device last selected
        self._tracking = 0

    def translate(self, events: Iterable[PointerEvent]) -> list[InputEvent]:
        """The input events of one report's pointer events, ending with SYN_REPORT (none at
        all when nothing changed)."""
        out: list[InputEvent] = []
        for e in events:
            if e.kind == "down":
                self._down(e, out)
            elif e.kind == "move":
                self._move(e, out)
            else:
                self._up(e.id, out)
        if out:
            out.append((EV_SYN, SYN_REPORT, 0))
        return out

    def _xy(self, e: PointerEvent) -> tuple[int, int]:
        x = min(max(round(e.x), 0), self._max_x)
        y = min(max(round(e.y), 0), self._max_y)
        return x, y

    def _select(self, slot: int, out: list[InputEvent]) -> None:
        if slot != self._slot:
            out.append((EV_ABS, ABS_MT_SLOT, slot))
            self._slot = slot

    def _down(self, e: PointerEvent, out: list[InputEvent]) -> None:
        if e.id in self._contacts:  # a repeated down: release the old contact first
            self._up(e.id, out)
        if not self._free:
            return
        slot = self._free.pop(0)
        first = not self._contacts
        x, y = self._xy(e)
        self._contacts[e.id] = [slot, x, y]
        self._select(slot, out)
        out.append((EV_ABS, ABS_MT_TRACKING_ID, self._tracking))
        self._tracking = (self._tracking + 1) & 0xFFFF
        out += ((EV_ABS, ABS_MT_POSITION_X, x), (EV_ABS, ABS_MT_POSITION_Y, y))
        if first:
            out += ((EV_KEY, BTN_TOUCH, 1), (EV_ABS, ABS_X, x), (EV_ABS, ABS_Y, y))

    def _move(self, e: PointerEvent, out: list[InputEvent]) -> None:
        contact = self._contacts.get(e.id)
        if contact is None:
            return
        x, y = self._xy(e)
        if x == contact[1] and y == contact[2]:
            return
        contact[1] = x
        contact[2] = y
        self._select(contact[0], out)
        out += ((EV_ABS, ABS_MT_POSITION_X, x), (EV_ABS, ABS_MT_POSITION_Y, y))
        if next(iter(self._contacts)) == e.id:  # the oldest contact drives ABS_X/ABS_Y
            out += ((EV_ABS, ABS_X, x), (EV_ABS, ABS_Y, y))

    def _up(self, pid: int, out: list[InputEvent]) -> None:
        contact = self._contacts.get(pid)
        if contact is None:
            return
        oldest = next(iter(self._contacts)) == pid
        del self._contacts[pid]
        self._free.append(contact[0])
        self._free.sort()
        self._select(contact[0], out)
        out.append((EV_ABS, ABS_MT_TRACKING_ID, -1))
        if not self._contacts:
            out.append((EV_KEY, BTN_TOUCH, 0))
        elif oldest:  # single-touch emulation moves on to the next oldest contact
            _, x, y = next(iter(self._contacts.values()))
            out += ((EV_ABS, ABS_X, x), (EV_ABS, ABS_Y, y))


def unavailable_reason(devnode: str = DEVNODE) -> str | None:
    """Why a uinput device cannot be created here, or None when it can."""
    try:
        import evdev  # noqa: F401
    except ImportError:
        return "python-evdev is not installed (pip install evdev)"
    try:
        mode = os.stat(devnode).st_mode
    except OSError:
        return f"{devnode} does not exist (load the uinput kernel module: modprobe uinput)"
    if not stat.S_ISCHR(mode):
        return f"{devnode} is not a character device"
    if not os.access(devnode, os.W_OK):
        return f"{devnode} is not writable by this user (add a udev rule or the input group)"
    return None


class UInputTouch:
    """A uinput multitouch screen of width x height px; write() takes a report's pointer
    events. Create with open_uinput()."""

    def __init__(self, device: Any, width_px: int, height_px: int, slots: int) -> None:
        self._device = device
        self.translator = MultitouchTranslator(width_px, height_px, slots)

    @property
    def device(self) -> Any:
        """The evdev.UInput."""
        return self._device

    def write(self, events: Iterable[PointerEvent]) -> None:
        device = self._device
        for typ, code, value in self.translator.translate(events):
            device.write(typ, code, value)

    def close(self) -> None:
        self._device.close()


def open_uinput(
    width_px: int,
    height_px: int,
    name: str = "Vitrine touch frame",
    slots: int = SLOTS,
    devnode: str = DEVNODE,
) -> UInputTouch:
    """Create the device; raises UinputUnavailable saying why when this host cannot."""
    reason = unavailable_reason(devnode)
    if reason is not None:
        raise UinputUnavailable(f"uinput touch device: {reason}")
    import evdev

    def axis(maximum: int) -> evdev.AbsInfo:
        return evdev.AbsInfo(value=0, min=0, max=maximum, fuzz=0, flat=0, resolution=0)

    capabilities = {
        EV_KEY: [BTN_TOUCH],
        EV_ABS: [
            (ABS_X, axis(width_px - 1)),
            (ABS_Y, axis(height_px - 1)),
            (ABS_MT_SLOT, axis(slots - 1)),
            (ABS_MT_TRACKING_ID, axis(0xFFFF)),
            (ABS_MT_POSITION_X, axis(width_px - 1)),
            (ABS_MT_POSITION_Y, axis(height_px - 1)),
        ],
    }
    try:
        device = evdev.UInput(
            capabilities, name=name, devnode=devnode, input_props=[INPUT_PROP_DIRECT]
        )
    except (OSError, evdev.UInputError) as err:
        raise UinputUnavailable(f"uinput touch device: cannot create it: {err}") from err
    return UInputTouch(device, width_px, height_px, slots)
