"""A virtual board's Bluetooth LE radio: `bluetooth.BLE` as far as the firmware's beacon uses
it (irq, gap_advertise, gap_scan, active), wired to the simulated air instead of an antenna.

- What the firmware advertises goes into the air: `advertising` holds the current
  (interval_us, data, connectable), `sent(now)` counts the advertising events since, and
  `on_advertise` is told of every change (a simulated phone or the host's simulated adapter
  hears it from there). Advertising data over 31 bytes is refused as MicroPython's port refuses
  it (OSError EINVAL), so the firmware's own limits are exercised.
- While the firmware scans, `pump(now_s)` hands it what its receiver heard from the world's
  phones (vitrine.sim.air.Air) since the last pump, each through the firmware's interrupt
  handler as `_IRQ_SCAN_RESULT` with the tuple MicroPython gives: (addr_type, addr, adv_type,
  rssi, adv_data), addr and adv_data as memoryviews. The scan window over the scan interval is
  the receiver's duty (the share of advertisements it can hear). `stop_scanning()` is what
  BlueZ or a controller does now and then: the scan ends with `_IRQ_SCAN_DONE` and the firmware
  must notice and scan again.

The virtual board's process pumps it from a thread, as a real radio interrupts the firmware
from the BLE stack's task (the firmware's queue is written only by its handler, read only by
its task).
"""

from __future__ import annotations

import asyncio
import errno
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vitrine.sim.air import Air, AirSettings, Receiver
from vitrine.sim.people import World
from vitrine_fw.beacon import adverts as fw

IRQ_SCAN_RESULT = 5
IRQ_SCAN_DONE = 6
ADV_IND = 0x00  # connectable undirected; what a phone's advertisement arrives as
ADV_NONCONN_IND = 0x03
ADV_MAX = 31
_ADDR_RANDOM = 1


class SimRadio:
    """See the module docstring. receiver: where the board is in the world (its name and
    position); air: what the world's phones send (None: an empty shop)."""

    def __init__(self, receiver: Receiver, air: Air | None = None) -> None:
        self.receiver = receiver
        self.air = air
        self.handler: Callable[[int, Any], None] | None = None
        self.on = True
        self.advertising: tuple[int, bytes, bool] | None = None
        self.advertising_since: float | None = None
        self.on_advertise: Callable[[tuple[int, bytes, bool] | None], None] | None = None
        self.scanning = False
        self.scan_duty = 1.0
        self.delivered = 0
        self._pumped: float | None = None
        self.gatt = SimGattServer(self)
        # the monotonic time of the air's world t = 0 (hear() sets the world's own)
        self.epoch = time.monotonic()
        self.company_id = fw.TEST_COMPANY  # the loyalty app's, for the phones' advertisements
        self.seed = 0
        self._lock = threading.Lock()  # hear() from the world channel's thread, pump() from ours

    # --- bluetooth.BLE ------------------------------------------------------------------------

    def active(self, on: bool | None = None) -> bool:
        if on is not None:
            self.on = bool(on)
        return self.on

    def irq(self, handler: Callable[[int, Any], None]) -> None:
        self.handler = handler

    def gap_advertise(
        self,
        interval_us: int | None,
        adv_data: bytes | None = None,
        resp_data: bytes | None = None,
        connectable: bool = True,
    ) -> None:
        if interval_us is None:
            self.advertising = None
        else:
            data = bytes(adv_data or b"")
            if len(data) > ADV_MAX or len(bytes(resp_data or b"")) > ADV_MAX:
                raise OSError(errno.EINVAL, "advertising data over 31 bytes")
            self.advertising = (int(interval_us), data, bool(connectable))
        if self.on_advertise is not None:
            self.on_advertise(self.advertising)

    def gap_scan(
        self,
        duration_ms: int | None,
        interval_us: int = 1_280_000,
        window_us: int = 11_250,
        active: bool = False,
    ) -> None:
        if duration_ms is None:
            self.scanning = False
            return
        if not 0 < window_us <= interval_us:
            raise OSError(errno.EINVAL, f"scan window {window_us} us, interval {interval_us} us")
        self.scanning = True
        self.scan_duty = window_us / interval_us

    def config(self, **settings: Any) -> None:
        self.gatt.config.update(settings)

    def gatts_register_services(self, services: Any) -> tuple[tuple[int, ...], ...]:
        return self.gatt.gatts_register_services(services)

    def gatts_set_buffer(self, handle: int, size: int, append: bool = False) -> None:
        self.gatt.gatts_set_buffer(handle, size, append)

    def gatts_read(self, handle: int) -> bytes:
        return self.gatt.gatts_read(handle)

    def gatts_notify(self, conn: int, handle: int, data: Any = None) -> None:
        self.gatt.gatts_notify(conn, handle, data)

    # --- the simulation -------------------------------------------------------------------------

    def stop_scanning(self) -> None:
        """The scan ends by itself (a controller's or BlueZ's doing): _IRQ_SCAN_DONE."""
        self.scanning = False
        if self.handler is not None:
            self.handler(IRQ_SCAN_DONE, None)

    def hear(self, world: World, epoch: float, keys: dict[str, bytes]) -> None:
        """From now on the receiver hears this world's phones (a running simulation's world,
        its t = 0 at the monotonic time epoch; keys: what the store's app holds on each
        member's phone), from now on only: nothing of the past is delivered."""
        unix_epoch = time.time() - time.monotonic() + epoch  # the tokens go by the wall clock
        settings = AirSettings(company_id=self.company_id, seed=self.seed, epoch_unix_s=unix_epoch)
        air = Air(world, [self.receiver], keys, settings, open_ended=True)
        with self._lock:
            self.air, self.epoch, self._pumped = air, epoch, None

    def pump_now(self) -> int:
        """pump() at the machine's time now (the board's radio thread calls it)."""
        with self._lock:
            return self.pump(time.monotonic() - self.epoch)

    def pump(self, now_s: float) -> int:
        """Deliver what the receiver heard from the last pump to now_s (world time); how many."""
        start, self._pumped = self._pumped, now_s
        if start is None or self.air is None or not self.scanning or self.handler is None:
            return 0
        if now_s <= start:
            return 0
        receiver = replace(self.receiver, duty=self.scan_duty)
        air = self.air
        if receiver != air.receivers[0] or len(air.receivers) != 1:
            air = Air(air.world, [receiver], air.keys, air.settings, air.open_ended)
            self.air = air
        n = 0
        for h in air.heard(start, now_s):
            addr = bytes.fromhex(h.address.replace(":", ""))
            self.handler(
                IRQ_SCAN_RESULT,
                (_ADDR_RANDOM, memoryview(addr), ADV_IND, h.rssi_dbm, memoryview(h.data)),
            )
            n += 1
        self.delivered += n
        return n


class SimGattServer:
    """The GATT server half of bluetooth.BLE on a virtual board, and the central's side of a
    virtual BLE link to it (what `SimGattClient` drives). Handles are numbered from 1 in the
    order services are registered; a write to a characteristic that requires encryption on a
    link that is not encrypted is refused, as the stack refuses it."""

    FLAG_WRITE_ENCRYPTED = 0x1000

    def __init__(self, radio: SimRadio) -> None:
        self.radio = radio
        self.config: dict[str, Any] = {}
        self.uuids: dict[str, int] = {}  # characteristic or service UUID -> value handle
        self.flags: dict[int, int] = {}
        self.values: dict[int, bytearray] = {}
        self.append: set[int] = set()
        self.conn: int | None = None
        self.encrypted = False
        self.on_notify: Callable[[int, bytes], None] | None = None
        self._next_conn = 0

    # --- bluetooth.BLE (the board's side) -------------------------------------------------------

    def gatts_register_services(self, services: Any) -> tuple[tuple[int, ...], ...]:
        handles = []
        handle = 0
        for service_uuid, characteristics in services:
            handle += 1
            self.uuids[str(service_uuid)] = handle
            ours = []
            for uuid, flags in characteristics:
                handle += 2  # the declaration, then the value
                self.uuids[str(uuid)] = handle
                self.flags[handle] = flags
                self.values[handle] = bytearray()
                ours.append(handle)
            handles.append(tuple(ours))
        return tuple(handles)

    def gatts_set_buffer(self, handle: int, size: int, append: bool = False) -> None:
        if append:
            self.append.add(handle)

    def gatts_read(self, handle: int) -> bytes:
        value = bytes(self.values[handle])
        if handle in self.append:
            self.values[handle].clear()
        return value

    def gatts_notify(self, conn: int, handle: int, data: Any = None) -> None:
        if conn != self.conn:
            raise OSError(errno.ENOTCONN, f"no connection {conn}")
        if self.on_notify is not None:
            self.on_notify(handle, bytes(data if data is not None else self.values[handle]))

    # --- the central's side ---------------------------------------------------------------------

    def _irq(self, event: int, data: Any) -> None:
        if self.radio.handler is not None:
            self.radio.handler(event, data)

    def connect(self, mtu: int, bonded: bool) -> int:
        """A central connects (the board must be advertising connectably), exchanges the MTU
        and, bonded, encrypts the link; the connection handle."""
        advertising = self.radio.advertising
        if advertising is None or not advertising[2]:
            raise ConnectionRefusedError("the board is not advertising connectably")
        self._next_conn += 1
        self.conn = self._next_conn
        self.encrypted = False
        self._irq(1, (self.conn, 1, b"\x00" * 6))  # _IRQ_CENTRAL_CONNECT
        self._irq(21, (self.conn, mtu))  # _IRQ_MTU_EXCHANGED
        if bonded:
            self.encrypted = True
            self._irq(28, (self.conn, True, True, True, 16))  # _IRQ_ENCRYPTION_UPDATE
        return self.conn

    def write(self, conn: int, handle: int, data: bytes) -> None:
        if conn != self.conn:
            raise ConnectionError("not connected")
        if self.flags.get(handle, 0) & self.FLAG_WRITE_ENCRYPTED and not self.encrypted:
            raise PermissionError("ATT error 0x0F: insufficient encryption")
        value = self.values[handle]
        if handle not in self.append:
            value.clear()
        value += data
        self._irq(3, (conn, handle))  # _IRQ_GATTS_WRITE

    def disconnect(self, conn: int) -> None:
        if conn == self.conn:
            self.conn = None
            self.encrypted = False
            self._irq(2, (conn, 1, b"\x00" * 6))  # _IRQ_CENTRAL_DISCONNECT


class SimGattClient:
    """bleak's BleakClient as vitrine.link.gatt uses it, reaching a virtual board's GATT server
    through the simulated radio (the virtual BLE link): put a factory of these in
    vitrine.link.gatt.client_factory and `ble://` opens the virtual board."""

    def __init__(
        self,
        server: SimGattServer,
        on_disconnect: Callable[[Any], None],
        mtu: int = 185,
        pair: bool = True,
    ) -> None:
        self.server = server
        self.on_disconnect = on_disconnect
        self.mtu_size = mtu
        self.pair = pair
        self.conn: int | None = None
        self._notify: dict[int, Callable[[Any, bytearray], None]] = {}

    @property
    def services(self) -> SimGattClient:
        return self

    def get_service(self, uuid: str) -> object | None:
        return object() if uuid in self.server.uuids else None

    async def connect(self) -> None:
        self.conn = self.server.connect(self.mtu_size, self.pair)
        self.server.on_notify = self._notified

    def _notified(self, handle: int, data: bytes) -> None:
        callback = self._notify.get(handle)
        if callback is not None:
            callback(None, bytearray(data))

    async def start_notify(self, uuid: str, callback: Callable[[Any, bytearray], None]) -> None:
        self._notify[self.server.uuids[uuid]] = callback

    async def write_gatt_char(self, uuid: str, data: bytes, response: bool | None = None) -> None:
        if self.conn is None or self.conn != self.server.conn:
            raise ConnectionError("not connected")
        self.server.write(self.conn, self.server.uuids[uuid], bytes(data))
        await asyncio.sleep(0)  # a write with response waits for the board's answer

    async def disconnect(self) -> None:
        if self.conn is not None:
            self.server.disconnect(self.conn)
            self.conn = None

    def board_went(self) -> None:
        """The board rebooted or left radio range: the link drops on both sides."""
        if self.conn is not None:
            self.server.disconnect(self.conn)
            self.conn = None
            self.on_disconnect(self)
