"""A virtual board reached through an RFC 2217 server, as a remote lab rig would be: the host
opens rfc2217://HOST:PORT and gets the same link as on a local port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import serial
import serial.rfc2217

from vitrine.bus import EventBus
from vitrine.link import BoardLink
from vitrine.link import messages as m
from vitrine.sim.manager import Simulation
from vitrine_fw import wire

pytestmark = pytest.mark.hil


class PtyLines:
    """A pty as the RFC 2217 server sees a serial port. A pty has no modem or control lines
    (their ioctls fail), so this stands in for a cable with CTS, DSR and CD up and keeps
    DTR, RTS and break itself; everything else goes to the pty."""

    _LINES: ClassVar[dict[str, bool]] = {"cts": True, "dsr": True, "cd": True, "ri": False}
    _CONTROLS = ("dtr", "rts", "break_condition")

    def __init__(self, line: serial.Serial) -> None:
        object.__setattr__(self, "_line", line)
        object.__setattr__(self, "_state", dict.fromkeys(self._CONTROLS, False))

    def __getattr__(self, name: str) -> object:
        if name in self._LINES:
            return self._LINES[name]
        if name in self._CONTROLS:
            return self._state[name]
        return getattr(self._line, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name in self._CONTROLS:
            self._state[name] = value
        else:
            setattr(self._line, name, value)


@contextlib.contextmanager
def rfc2217_server(device: str) -> Iterator[int]:
    """Serve one serial device over RFC 2217 (pyserial's PortManager does the telnet side)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(0.2)
        with serial.serial_for_url(device, timeout=0.05) as line:
            lock = threading.Lock()

            class Connection:
                def write(self, data: bytes) -> None:
                    with lock:
                        conn.sendall(data)

            manager = serial.rfc2217.PortManager(PtyLines(line), Connection())

            def to_client() -> None:
                while not stop.is_set():
                    data = line.read(line.in_waiting or 1)
                    if data:
                        Connection().write(b"".join(manager.escape(data)))

            reader = threading.Thread(target=to_client, daemon=True)
            reader.start()
            while not stop.is_set():
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    break
                line.write(b"".join(manager.filter(data)))
            stop.set()
            reader.join(1)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        listener.close()
        thread.join(3)


async def test_board_over_rfc2217_handshakes_and_streams(tmp_path: Path) -> None:
    sim = Simulation(roles=["lights"], state_dir=tmp_path / "sim")
    await sim.start()
    try:
        with rfc2217_server(sim.ports()["lights"]) as tcp_port:
            bus = EventBus()
            link = BoardLink(f"rfc2217://127.0.0.1:{tcp_port}", bus)

            task = asyncio.create_task(link.run())
            try:
                hello = await link.wait_up(15)
                with bus.subscribe(m.Probe) as sub:
                    await link.command(wire.PROBE_START, 100, 20, 32)
                    indices = [(await sub.next(m.Probe, 5)).index for _ in range(20)]
            finally:
                await link.close()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await sim.stop()
    assert hello.role == "lights"
    assert indices == list(range(20))
    assert link.counters.crc_errors == 0
