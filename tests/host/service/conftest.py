"""A real AF_UNIX datagram socket standing in for systemd's notification socket."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


class Listener:
    """The receiving end: what systemd would read, one datagram per notification."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address  # as $NOTIFY_SOCKET spells it

    def receive(self, timeout: float = 2.0) -> dict[str, str]:
        """The next notification's assignments; raises TimeoutError when none comes."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096)
        return dict(line.split("=", 1) for line in data.decode().split("\n"))

    def pending(self) -> list[dict[str, str]]:
        """Every notification already waiting, without blocking."""
        out = []
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(4096)
                out.append(dict(line.split("=", 1) for line in data.decode().split("\n")))
        except BlockingIOError:
            return out


@pytest.fixture
def path_listener() -> Iterator[Listener]:
    # A short folder of its own: a socket path must fit in sun_path (108 bytes).
    with (
        tempfile.TemporaryDirectory(prefix="vitrine-notify-") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        path = str(Path(folder) / "notify")
        sock.bind(path)
        yield Listener(sock, path)


@pytest.fixture
def abstract_listener() -> Iterator[Listener]:
    name = f"vitrine-test-{os.getpid()}-{os.urandom(4).hex()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        yield Listener(sock, "@" + name)
