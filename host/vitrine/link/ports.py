"""Serial ports opened by URL, as asyncio transports.

Accepted: a device or pseudo-terminal path (`/dev/ttyACM0`, `/tmp/vitrine-sim/touch`),
`socket://HOST:PORT` (a board behind a TCP bridge, or a test), `ble://AA:BB:CC:DD:EE:FF` (a
board over Bluetooth LE: vitrine.link.gatt), and any other pyserial URL
such as `rfc2217://HOST:PORT` (a remote lab rig) or `loop://`. Device paths and sockets are
driven by the event loop directly (pyserial-asyncio-fast); URLs whose pyserial object has no
file descriptor get a reader thread that hands data to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

import serial
import serial_asyncio_fast

from vitrine.link.errors import PortError

# The one default baud rate: LinkSettings and the config's [link] baudrate take it. USB-CDC,
# sockets and pseudo-terminals ignore it; a USB-serial bridge runs at it, so a board behind
# one (a UART link) is opened at the baud its description names instead (link.boards).
DEFAULT_BAUD = 921_600
_THREAD_READ_TIMEOUT_S = 0.05

_FD_SCHEMES = ("", "file")  # plain paths
_NATIVE_SCHEMES = ("socket",)  # handled by asyncio itself


async def open_port(
    url: str,
    protocol_factory: Callable[[], asyncio.Protocol],
    baudrate: int = DEFAULT_BAUD,
    ble_hci: str = "",
) -> asyncio.Transport:
    """Open a port by URL and connect it to a protocol; raises PortError with the reason.
    ble_hci: for ble:// URLs, a Bumble HCI transport to reach the board through instead of
    bleak (vitrine.link.bumble_central; "" for bleak)."""
    if url.startswith("ble://"):  # a board without a cable: the GATT link (vitrine.link.gatt)
        from vitrine.link.gatt import open_ble

        if ble_hci:
            from vitrine.link.bumble_central import client_factory

            return await open_ble(url, protocol_factory, client_factory(ble_hci))
        return await open_ble(url, protocol_factory)
    loop = asyncio.get_running_loop()
    scheme = urllib.parse.urlparse(url).scheme
    try:
        if scheme in _FD_SCHEMES or scheme in _NATIVE_SCHEMES:
            kwargs: dict[str, Any] = {"baudrate": baudrate}
            if scheme in _FD_SCHEMES:
                kwargs["exclusive"] = True  # a port another program holds is "busy", not shared
            transport, _ = await serial_asyncio_fast.create_serial_connection(
                loop, protocol_factory, url, **kwargs
            )
            with contextlib.suppress(Exception):
                transport.serial.reset_input_buffer()  # stale bytes from before we opened
            return transport
        port = await loop.run_in_executor(
            None, lambda: serial.serial_for_url(url, baudrate=baudrate, timeout=0)
        )
    except (serial.SerialException, OSError, ValueError) as err:
        raise PortError(url, _reason(err)) from err
    protocol = protocol_factory()
    return _ThreadTransport(loop, protocol, port)


def _reason(err: BaseException) -> str:
    text = str(err)
    if "Could not exclusively lock" in text or "Resource temporarily unavailable" in text:
        return "busy: another program has it open (a console, mpremote, a second daemon?)"
    if "No such file or directory" in text:
        return "not present (unplugged, or a wrong path)"
    if "Permission denied" in text:
        return "permission denied (add the user to the dialout group)"
    if isinstance(err, ConnectionRefusedError) or "Connection refused" in text:
        return "connection refused"
    return text or type(err).__name__


class _ThreadTransport(asyncio.Transport):
    """An asyncio transport over a pyserial object without a file descriptor."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol, port: Any
    ) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._port = port
        self._closing = False
        self._port.timeout = _THREAD_READ_TIMEOUT_S
        self._thread = threading.Thread(target=self._reader, name=f"port {port.name}", daemon=True)
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(self._thread.start)

    @property
    def serial(self) -> Any:
        return self._port

    def _reader(self) -> None:
        error: BaseException | None = None
        try:
            while not self._closing:
                data = self._port.read(max(1, self._port.in_waiting))
                if data:
                    self._loop.call_soon_threadsafe(self._protocol.data_received, data)
        except Exception as err:  # the port failed: report it as a lost connection
            error = err
        if not self._closing:
            self._loop.call_soon_threadsafe(self._lost, error)

    def _lost(self, error: BaseException | None) -> None:
        if self._closing:
            return
        self._closing = True
        with contextlib.suppress(Exception):
            self._port.close()
        self._protocol.connection_lost(error)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        try:
            self._port.write(data)
        except Exception as err:
            self._loop.call_soon(self._lost, err)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        with contextlib.suppress(Exception):
            self._port.cancel_read()
        self._thread.join(timeout=1)
        with contextlib.suppress(Exception):
            self._port.close()
        self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()
