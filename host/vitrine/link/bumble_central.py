"""The host's BLE central through Bumble, for `ble://` boards where bleak cannot run: bleak
needs BlueZ (over D-Bus) on Linux, and a simulation's virtual adapter, or an adapter that
BlueZ does not own, is an HCI transport. Bumble (Google's pure-Python BLE host stack) drives
any HCI transport it knows: the simulation's virtual adapter (`unix:STATE/ble/host.hci`,
vitrine.sim.ble_air), a USB dongle (`usb:0`), a raw HCI socket (`hci-socket:0`).

`[link] ble_hci` names the transport; set, the daemon puts `client_factory(spec)` into
vitrine.link.gatt's seam in bleak's place, so `ble://` URLs go through the same GATT
transport, handshake and reconnection either way. `BumbleClient` is what vitrine.link.gatt
uses of bleak's BleakClient (connect with pairing, services, start_notify, write_gatt_char,
disconnect, mtu_size) over one central `Device` per transport, opened at the first connection
and again after its adapter went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from typing import Any

from bumble import hci
from bumble.core import UUID
from bumble.device import Device, Peer
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport

from vitrine_fw import blelink

log = logging.getLogger(__name__)

HOST_ADDRESS = "F0:0D:00:00:00:01"  # the central's static random address
WANTED_MTU = 185  # what the central asks for (a board's stack may give less)


class Central:
    """One Bumble central on one HCI transport, opened when first needed."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.device: Device | None = None
        self._transport: Any = None
        self._lock = asyncio.Lock()
        self.opened = 0
        self.clients: set[BumbleClient] = set()  # connected through this adapter now

    async def device_now(self) -> Device:
        async with self._lock:
            transport = self._transport
            if transport is not None and transport.source.terminated.done():
                self.device = None  # the adapter went away: open it again
                with contextlib.suppress(Exception):
                    await transport.close()
            if self.device is None:
                self._transport = await open_transport(self.spec)
                device = Device.with_hci(
                    "vitrine-host",
                    hci.Address(HOST_ADDRESS),
                    self._transport.source,
                    self._transport.sink,
                )
                device.pairing_config_factory = lambda _c: PairingConfig(
                    sc=True, mitm=False, bonding=True, delegate=PairingDelegate()
                )
                await device.power_on()
                self.device = device
                self.opened += 1
                self._transport.source.terminated.add_done_callback(self._adapter_lost)
            return self.device

    def _adapter_lost(self, _terminated: object) -> None:
        """The adapter went away (unplugged, the simulation stopped): every connection through
        it is gone, and its clients say so at once rather than at the next heartbeat."""
        log.warning("BLE adapter %s lost", self.spec)
        self.device = None
        for client in list(self.clients):
            client.adapter_lost()


# each event loop's centrals by transport (a loop that ends takes its own with it)
_centrals: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Central]] = (
    weakref.WeakKeyDictionary()
)


def central(spec: str) -> Central:
    """The central for this transport in this event loop (one adapter, many boards)."""
    ours = _centrals.setdefault(asyncio.get_running_loop(), {})
    if spec not in ours:
        ours[spec] = Central(spec)
    return ours[spec]


class BumbleClient:
    """bleak's BleakClient as vitrine.link.gatt uses it, over a Bumble central."""

    def __init__(
        self,
        spec: str,
        address: str,
        on_disconnect: Callable[[Any], None],
        pair: bool = True,
        timeout_s: float = 10.0,
    ) -> None:
        self.spec = spec
        self.address = address
        self.on_disconnect = on_disconnect
        self.pair = pair
        self.timeout_s = timeout_s
        self.mtu_size = blelink.MIN_MTU
        self.connection: Any = None
        self.peer: Peer | None = None
        self._central: Central | None = None
        self._told = False  # on_disconnect was called (once per client)

    async def connect(self) -> None:
        self._central = central(self.spec)
        device = await self._central.device_now()
        # the board's static random address, as the URL names it
        address = hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)
        try:
            self.connection = await device.connect(address, timeout=self.timeout_s)
        except Exception as err:
            raise ConnectionError(f"no board answered at {self.address}: {err}") from err
        self.connection.on("disconnection", lambda *_: self._gone())
        self._central.clients.add(self)
        try:
            if self.pair:
                await self.connection.pair()  # LE Secure Connections, bonded
            self.peer = Peer(self.connection)
            self.mtu_size = await self.peer.request_mtu(WANTED_MTU)
            await self.peer.discover_services()
            await self.peer.discover_characteristics()
        except BaseException:
            await self.disconnect()
            raise

    def _gone(self) -> None:
        if self._central is not None:
            self._central.clients.discard(self)
        if not self._told:
            self._told = True
            self.on_disconnect(self)

    def adapter_lost(self) -> None:
        """The central's adapter went: this connection with it."""
        self.connection = None
        self._gone()

    @property
    def services(self) -> BumbleClient:
        return self

    def get_service(self, uuid: str) -> object | None:
        assert self.peer is not None
        found = self.peer.get_services_by_uuid(UUID(uuid))
        return found[0] if found else None

    def _characteristic(self, uuid: str) -> Any:
        assert self.peer is not None
        return self.peer.get_characteristics_by_uuid(UUID(uuid))[0]

    async def start_notify(self, uuid: str, callback: Callable[[Any, bytearray], None]) -> None:
        assert self.peer is not None
        await self.peer.subscribe(
            self._characteristic(uuid), lambda value: callback(None, bytearray(value))
        )

    async def write_gatt_char(self, uuid: str, data: bytes, response: bool | None = None) -> None:
        assert self.peer is not None
        await self.peer.write_value(
            self._characteristic(uuid), bytes(data), with_response=bool(response)
        )

    async def disconnect(self) -> None:
        if self._central is not None:
            self._central.clients.discard(self)
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.disconnect()


def client_factory(spec: str) -> Callable[[str, Callable[[Any], None]], BumbleClient]:
    """vitrine.link.gatt's client_factory for ble:// over the HCI transport spec."""

    def make(address: str, on_disconnect: Callable[[Any], None]) -> BumbleClient:
        return BumbleClient(spec, address, on_disconnect)

    return make
