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

import errno
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vitrine.sim.air import Air, Receiver

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

    # --- the simulation -------------------------------------------------------------------------

    def stop_scanning(self) -> None:
        """The scan ends by itself (a controller's or BlueZ's doing): _IRQ_SCAN_DONE."""
        self.scanning = False
        if self.handler is not None:
            self.handler(IRQ_SCAN_DONE, None)

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
            air = Air(air.world, [receiver], air.keys, air.settings)
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
