"""Asking a person which role the board on a port has (the roles whose USB VID/PID it
shows are offered)."""

from __future__ import annotations

import sys

from serial.tools import list_ports

from vitrine.flash.fileset import FlashError
from vitrine.hardware import load_boards


def roles_by_usb() -> dict[tuple[int, int], list[str]]:
    out: dict[tuple[int, int], list[str]] = {}
    for role, desc in sorted(load_boards().items()):
        out.setdefault((desc.usb.vid, desc.usb.pid), []).append(role)
    return out


def ask_role(port: str) -> str:
    """The role of the board on port, asked on the terminal; FlashError when nobody can be
    asked (not a terminal)."""
    info = next((p for p in list_ports.comports() if p.device == port), None)
    choices = sorted(load_boards())
    if info is not None and info.vid is not None:
        choices = roles_by_usb().get((info.vid, info.pid), choices)
    if len(choices) == 1:
        return choices[0]
    if not sys.stdin.isatty():
        raise FlashError(
            f"which role is the board on {port}? One of {', '.join(choices)}: give "
            f"--map {port}=ROLE (no terminal to ask on)"
        )
    what = f" ({info.description}, serial {info.serial_number})" if info else ""
    while True:
        answer = input(f"Role of the board on {port}{what}? [{'/'.join(choices)}] ").strip()
        if answer in choices:
            return answer
        print(f"  one of: {', '.join(choices)}")
