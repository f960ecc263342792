"""The wire protocol over Bluetooth LE, as an asyncio transport: `ble://AA:BB:CC:DD:EE:FF`.

The board offers one GATT service (vitrine_fw.blelink): the host writes the COBS-framed bytes
it would send down a cable to the RX characteristic, with response, in pieces of MTU - 3
bytes, in order; the board notifies its bytes on TX the same way. The link above (vitrine.link.
board) sees a byte stream, as on serial: the same handshake, heartbeats and reconnection.

Security: the client pairs before it connects (bleak's `pair=True`: BlueZ bonds, and with a
board that requires it, LE Secure Connections), and the board's characteristics accept only an
encrypted, authenticated link; a board that will not bond is a PortError, never a plain link.

bleak is the maintained cross-platform BLE client for Python (BlueZ over D-Bus, CoreBluetooth,
WinRT); it is behind `client_factory` so tests (and the simulator) can stand in for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

from vitrine.link.errors import PortError
from vitrine_fw import blelink

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
CONNECT_TIMEOUT_S = 10.0


def address_of(url: str) -> str:
    """The device address in a ble:// URL; raises PortError naming what is wrong."""
    if not url.startswith("ble://"):
        raise PortError(url, "not a ble:// URL")
    address = url[len("ble://") :].rstrip("/")
    if not _ADDRESS.match(address):
        raise PortError(
            url,
            f"address {address!r}: allowed six hex bytes separated by colons (AA:BB:CC:DD:EE:FF)",
        )
    return address.upper()


def _bleak_client(address: str, on_disconnect: Callable[[Any], None]) -> Any:
    from bleak import BleakClient

    return BleakClient(
        address, disconnected_callback=on_disconnect, timeout=CONNECT_TIMEOUT_S, pair=True
    )


ClientFactory = Callable[[str, Callable[[Any], None]], Any]
# What makes the GATT client for an address: bleak's, unless a simulation puts its virtual BLE
# link here (tests and the simulator: a client that reaches a virtual lights board).
client_factory: ClientFactory = _bleak_client


async def open_ble(
    url: str,
    protocol_factory: Callable[[], asyncio.Protocol],
    factory: ClientFactory | None = None,
) -> GattTransport:
    """Connect (bonded) to the board at the URL's address and start its notifications;
    factory: the GATT client's maker (default: the module's client_factory)."""
    address = address_of(url)
    loop = asyncio.get_running_loop()
    holder: list[GattTransport] = []

    def on_disconnect(_client: Any) -> None:
        if holder:
            loop.call_soon_threadsafe(holder[0].lost, ConnectionError(f"{address} disconnected"))

    client = (factory or client_factory)(address, on_disconnect)
    try:
        await client.connect()
    except Exception as err:
        raise PortError(url, f"could not connect and bond: {err or type(err).__name__}") from err
    try:
        if client.services.get_service(blelink.SERVICE_UUID) is None:
            raise PortError(url, f"no Vitrine link service ({blelink.SERVICE_UUID}) on the device")
        transport = GattTransport(loop, protocol_factory(), client, url)
        holder.append(transport)
        await client.start_notify(blelink.TX_UUID, transport.notified)
    except PortError:
        with contextlib.suppress(Exception):
            await client.disconnect()
        raise
    except Exception as err:
        with contextlib.suppress(Exception):
            await client.disconnect()
        raise PortError(url, f"the link service did not start: {err}") from err
    transport.started()
    return transport


class GattTransport(asyncio.Transport):
    """Writes go out in MTU-sized pieces, in order, one write with response at a time;
    notifications are handed to the protocol as they come."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol, client: Any, url: str
    ) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._client = client
        self.url = url
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self.pieces_written = 0

    @property
    def mtu(self) -> int:
        return int(getattr(self._client, "mtu_size", blelink.MIN_MTU))

    def started(self) -> None:
        self._writer = self._loop.create_task(self._write_loop(), name=f"gatt {self.url}")
        self._protocol.connection_made(self)

    def notified(self, _characteristic: Any, data: bytearray) -> None:
        if not self._closing:
            self._protocol.data_received(bytes(data))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._closing:
            self._queue.put_nowait(bytes(data))

    async def _write_loop(self) -> None:
        while True:
            data = await self._queue.get()
            for piece in blelink.pieces(data, self.mtu):
                try:
                    await self._client.write_gatt_char(blelink.RX_UUID, piece, response=True)
                except Exception as err:
                    self.lost(err)
                    return
                self.pieces_written += 1

    def lost(self, error: BaseException | None) -> None:
        """The link went (the board rebooted, the adapter was lost): tell the protocol once."""
        if self._closing:
            return
        self._closing = True
        if self._writer is not None:
            self._writer.cancel()
        self._loop.create_task(self._disconnect())
        self._protocol.connection_lost(error)

    async def _disconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.disconnect()

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self._writer is not None:
            self._writer.cancel()
        self._loop.create_task(self._disconnect())
        self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()
