"""A virtual board's radio on the virtual BLE air (vitrine.sim.ble_air), in the board's process:
a Bumble peripheral on the board's HCI socket serves the link's GATT service (the layout of
vitrine_fw.blelink: RX write with encryption required, TX notify), with LE Secure Connections
pairing and bonding and the MTU the central asks for, and bridges it to the firmware's own GATT
server on the simulated radio (vitrine.sim.radio.SimGattServer), which the real firmware's
GattPort registered. So the firmware's chunking runs unchanged, and the security and the MTU
exchange are Bumble's stack's, not ours.

It runs in a thread of its own with its own event loop, as a board's BLE stack runs in a task
of its own and interrupts the firmware: the firmware's interrupt handler is called from that
thread (GattPort's ring is written only by its handler), and what the firmware advertises and
notifies crosses back with call_soon_threadsafe.

- Advertising follows the firmware's gap_advertise: its data and interval, connectable.
- The firmware's side of a connection starts at the first encrypted write (Bumble refused any
  before: the characteristic requires encryption), with the MTU the link exchanged; it ends
  when Bumble's connection does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from bumble import hci
from bumble.device import Device
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport

from vitrine.sim.radio import SimRadio
from vitrine_fw import blelink

log = logging.getLogger(__name__)


def link_service(on_write: Any) -> tuple[Service, Characteristic]:
    """The link's service as vitrine_fw.blelink describes it, in Bumble's terms; and its TX."""
    rx = Characteristic(
        blelink.RX_UUID,
        Characteristic.Properties.WRITE,
        Characteristic.Permissions.WRITE_REQUIRES_ENCRYPTION,
        CharacteristicValue(write=on_write),
    )
    tx = Characteristic(
        blelink.TX_UUID,
        Characteristic.Properties.NOTIFY,
        Characteristic.Permissions.READ_REQUIRES_ENCRYPTION,
        b"",
    )
    return Service(blelink.SERVICE_UUID, [rx, tx]), tx


def secure_pairing(_connection: Any = None) -> PairingConfig:
    """LE Secure Connections with bonding, no display or keyboard (what the firmware asks of
    its stack: config(bond=True, le_secure=True))."""
    return PairingConfig(sc=True, mitm=False, bonding=True, delegate=PairingDelegate())


class BlePeripheral:
    """See the module docstring. start() runs it on its own thread."""

    def __init__(self, radio: SimRadio, hci_spec: str, address: str) -> None:
        self.radio = radio
        self.server = radio.gatt
        self.hci_spec = hci_spec
        self.address = address
        self.loop: asyncio.AbstractEventLoop | None = None
        self.device: Device | None = None
        self._tx: Characteristic | None = None
        self._conn: int | None = None  # the firmware's side of the connection
        self._outbox: asyncio.Queue[bytes] | None = None
        self._ready = threading.Event()
        self._wanted: tuple[int, bytes, bool] | None = radio.advertising
        self.error: BaseException | None = None
        self._tasks: set[asyncio.Future[None]] = set()  # advertising changes under way

    def start(self) -> None:
        # hooked before the thread starts: what the firmware advertises and notifies from now
        self.radio.on_advertise = self._advertise_soon
        self.server.on_notify = self._notify_soon
        threading.Thread(target=self._run, name="ble stack", daemon=True).start()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as err:  # the radio died: the board carries on without it
            self.error = err
            log.error("ble: %s", err)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._outbox = asyncio.Queue()
        async with await open_transport(self.hci_spec) as transport:
            device = Device.with_hci(
                "vitrine", hci.Address(self.address), transport.source, transport.sink
            )
            service, self._tx = link_service(self._written)
            device.add_service(service)
            device.pairing_config_factory = secure_pairing
            device.on("connection", self._connected)
            await device.power_on()
            self.device = device
            self._ready.set()
            await self._advertise(self._wanted)
            sender = asyncio.create_task(self._send())
            try:
                await transport.source.terminated  # the air went away
            finally:
                sender.cancel()

    # --- firmware -> air --------------------------------------------------------------------

    def _advertise_soon(self, advertising: tuple[int, bytes, bool] | None) -> None:
        self._wanted = advertising
        if self.loop is not None and self._ready.is_set():
            self.loop.call_soon_threadsafe(self._advertise_later, advertising)

    def _advertise_later(self, advertising: tuple[int, bytes, bool] | None) -> None:
        task = asyncio.ensure_future(self._advertise(advertising))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _advertise(self, advertising: tuple[int, bytes, bool] | None) -> None:
        device = self.device
        if device is None or advertising is not self._wanted:
            return  # a newer one is on its way
        with contextlib.suppress(Exception):
            await device.stop_advertising()
        if advertising is None or not advertising[2]:
            return
        interval_ms = advertising[0] / 1000
        await device.start_advertising(
            advertising_data=advertising[1],
            advertising_interval_min=interval_ms,
            advertising_interval_max=interval_ms,
        )

    def _notify_soon(self, _handle: int, data: bytes) -> None:
        if self.loop is not None and self._outbox is not None:
            self.loop.call_soon_threadsafe(self._outbox.put_nowait, data)

    async def _send(self) -> None:
        assert self._outbox is not None and self.device is not None and self._tx is not None
        while True:
            data = await self._outbox.get()
            with contextlib.suppress(Exception):  # the central went between two pieces
                await self.device.notify_subscribers(self._tx, data)

    # --- air -> firmware --------------------------------------------------------------------

    def _connected(self, connection: Any) -> None:
        connection.on("disconnection", lambda *_: self._disconnected())

    def _written(self, connection: Any, value: bytes) -> None:
        # Bumble let this through only on an encrypted link (WRITE_REQUIRES_ENCRYPTION)
        if self._conn is None:
            self._conn = self.server.connect(connection.att_mtu, bonded=connection.is_encrypted)
        self.server.write(self._conn, self.server.uuids[blelink.RX_UUID], bytes(value))

    def _disconnected(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self.server.disconnect(conn)  # the firmware advertises again (_advertise_soon)
        else:
            self._advertise_later(self._wanted)
