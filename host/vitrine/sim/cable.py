"""A virtual board's cable: a pseudo-terminal the host opens like a USB serial device, with a
stable symlink (like /dev/serial/by-id/...) that follows the pty across unplug/replug.

Bytes flow between the pty's master side and the board process's socket. Board output is
queued toward the pty in order (so injected garbage lands between whole frames); when the
host reads too slowly for MAX_QUEUE bytes, further output is dropped and counted, as a UART
with nobody listening loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import tty
from collections import deque
from pathlib import Path

MAX_QUEUE = 1 << 20  # bytes of board output held for a slow host


class PtyCable:
    """One plugged-or-unplugged pseudo-terminal with a stable path."""

    def __init__(self, link_path: Path) -> None:
        self.link_path = link_path
        self.master: int | None = None
        self._slave: int | None = None
        self.tty_path: str | None = None
        self._out: deque[bytes] = deque()
        self._out_bytes = 0
        self._writer_armed = False
        self.on_host_data = lambda data: None  # set by the owner: bytes from the host
        self.dropped_bytes = 0
        self.to_host_bytes = 0
        self.from_host_bytes = 0

    @property
    def plugged(self) -> bool:
        return self.master is not None

    def plug(self) -> None:
        """Create a fresh pty and point the stable path at it."""
        if self.plugged:
            raise RuntimeError(f"{self.link_path} is already plugged in")
        master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no line editing: a serial line carries bytes
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.tty_path = os.ttyname(slave)
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(self.tty_path)
        tmp.replace(self.link_path)
        asyncio.get_running_loop().add_reader(master, self._read_host)

    def unplug(self) -> None:
        """Remove the path and close the pty: the host's open port fails, as on a real unplug."""
        if not self.plugged:
            raise RuntimeError(f"{self.link_path} is not plugged in")
        with contextlib.suppress(FileNotFoundError):
            self.link_path.unlink()
        loop = asyncio.get_running_loop()
        assert self.master is not None and self._slave is not None
        loop.remove_reader(self.master)
        if self._writer_armed:
            loop.remove_writer(self.master)
            self._writer_armed = False
        os.close(self.master)
        os.close(self._slave)
        self.master = self._slave = None
        self.tty_path = None
        self._out.clear()
        self._out_bytes = 0

    def to_host(self, data: bytes) -> None:
        """Queue bytes toward the host (board output, or injected garbage)."""
        if not self.plugged:
            self.dropped_bytes += len(data)
            return
        if self._out_bytes + len(data) > MAX_QUEUE:
            self.dropped_bytes += len(data)
            return
        self._out.append(data)
        self._out_bytes += len(data)
        self._flush()

    def _flush(self) -> None:
        assert self.master is not None
        while self._out:
            chunk = self._out[0]
            try:
                n = os.write(self.master, chunk)
            except BlockingIOError:
                n = 0
            except OSError:  # the pty went away under us
                self.dropped_bytes += self._out_bytes
                self._out.clear()
                self._out_bytes = 0
                return
            self.to_host_bytes += n
            self._out_bytes -= n
            if n < len(chunk):
                self._out[0] = chunk[n:]
                if not self._writer_armed:
                    asyncio.get_running_loop().add_writer(self.master, self._flush)
                    self._writer_armed = True
                return
            self._out.popleft()
        if self._writer_armed:
            asyncio.get_running_loop().remove_writer(self.master)
            self._writer_armed = False

    def _read_host(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # EIO: no process has the port open right now
            return
        if data:
            self.from_host_bytes += len(data)
            self.on_host_data(data)

    def close(self) -> None:
        if self.plugged:
            self.unplug()
