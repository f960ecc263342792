"""sd_notify(3): tell the service manager how the daemon is doing.

One notification is one datagram of newline-separated `NAME=value` assignments (READY=1,
STATUS=..., WATCHDOG=1, STOPPING=1) sent to the AF_UNIX socket named by $NOTIFY_SOCKET: a
file-system path, or an abstract socket written with a leading "@". Without $NOTIFY_SOCKET
(not started by systemd as Type=notify) every call does nothing.

Written here instead of taken from PyPI: the protocol is this module's few lines. `sdnotify`
(0.3.2) wraps the same lines but drops send errors silently, and `systemd-python` links
libsystemd, so it builds from source against libsystemd's headers with a C compiler (no
wheels), which a mirror's Python environment should not need.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("vitrine.service")


class Notifier:
    """Sends notifications to one socket address (None: sends nothing)."""

    def __init__(self, address: str | None) -> None:
        self.address = address or None
        self._target: str | bytes | None = None
        self._full = False  # the last send found the receiver's queue full
        if self.address is None:
            return
        if self.address.startswith("@"):  # abstract namespace: a leading NUL byte
            self._target = b"\0" + self.address[1:].encode()
        elif self.address.startswith("/"):
            self._target = self.address
        else:
            log.warning(
                "NOTIFY_SOCKET=%r: not a socket this daemon can use (allowed: an absolute "
                "path, or @name for an abstract socket); systemd will not hear from it",
                self.address,
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Notifier:
        """The notifier $NOTIFY_SOCKET names."""
        return cls(environ.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self._target is not None

    def send(self, **fields: str | int) -> bool:
        """Send one notification, e.g. send(READY=1, STATUS="4/4 boards up"). True when it
        was delivered; False when disabled or the socket refused it (logged, never raised:
        the daemon keeps running without its service manager)."""
        if self._target is None:
            return False
        # A value is one line: a newline would start an assignment of its own.
        text = "\n".join(f"{k}={' '.join(str(v).splitlines())}" for k, v in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never wait: the caller is the daemon's event loop. A receiver whose queue
                # is full (it is not reading) loses this notification instead.
                sock.sendto(text.encode(), socket.MSG_DONTWAIT, self._target)
        except BlockingIOError:
            if not self._full:
                log.warning("systemd is not reading %s: notifications dropped", self.address)
            self._full = True
            return False
        except OSError as err:
            log.warning("cannot notify systemd at %s: %s", self.address, err.strerror or err)
            return False
        self._full = False
        return True


def watchdog_interval_s(
    environ: Mapping[str, str] = os.environ, pid: int | None = None
) -> float | None:
    """Seconds between WATCHDOG=1 pings: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
    advises. None when the watchdog is off, or $WATCHDOG_PID names another process."""
    usec = environ.get("WATCHDOG_USEC")
    if not usec:
        return None
    owner = environ.get("WATCHDOG_PID")
    if owner and owner != str(pid if pid is not None else os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        value = 0
    if value <= 0:
        log.warning("WATCHDOG_USEC=%r: allowed a positive number of microseconds; ignored", usec)
        return None
    return value / 2 / 1_000_000
