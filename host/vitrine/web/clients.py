"""Which HTTP clients are this machine: the kiosk browser and the technicians' tools run
on the mirror itself, so by default only they may drive its screen."""

from __future__ import annotations

import ipaddress

REMOTE_REFUSED = 4403  # WebSocket close code: this socket answers this machine only
REMOTE_HINT = (
    "this socket answers programs on the mirror itself; "
    "set [http] remote_control = true to let other machines drive its screen"
)


def is_local(host: str | None) -> bool:
    """Whether a client address is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
