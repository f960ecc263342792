"""Backends of the Beacons device (vitrine.devices.beacons.device.Backend): the host's own
Bluetooth adapter through bleak, and the simulator's air played in real time.

bleak is the maintained cross-platform BLE library for Python (BlueZ over D-Bus on Linux,
CoreBluetooth, WinRT); its BleakScanner reports each advertisement with the parts the OS split
it into (manufacturer data by company id, service data by UUID), which the device reads with
adverts.from_parts. The scanner is made by a factory so tests can stand in for the OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from vitrine.devices.beacons.device import OnAdvert, Received
from vitrine.errors import VitrineError
from vitrine.tasks import stop_task

log = logging.getLogger(__name__)


class BackendError(VitrineError):
    """A backend could not start (no adapter, Bluetooth off, permission)."""


def _bleak_scanner(callback: Callable[[Any, Any], None], adapter: str | None) -> Any:
    from bleak import BleakScanner

    kwargs: dict[str, Any] = {"detection_callback": callback, "scanning_mode": "passive"}
    if adapter is not None:
        kwargs["adapter"] = adapter  # BlueZ: "hci0"
    return BleakScanner(**kwargs)


class BleakBackend:
    """The host's adapter. Passive scanning: the loyalty advertisement is all in the
    advertising data, and a passive scanner sends nothing to the phones."""

    def __init__(
        self,
        name: str = "host",
        adapter: str | None = None,
        scanner_factory: Callable[[Callable[[Any, Any], None], str | None], Any] = _bleak_scanner,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.adapter = adapter
        self._factory = scanner_factory
        self._clock = clock
        self._scanner: Any = None

    async def start(self, on_advert: OnAdvert) -> None:
        def callback(device: Any, data: Any) -> None:
            on_advert(
                Received(
                    receiver=self.name,
                    address=str(device.address),
                    rssi_dbm=int(data.rssi),
                    t_s=self._clock(),
                    manufacturer=dict(data.manufacturer_data),
                    service=dict(data.service_data),
                )
            )

        scanner = self._factory(callback, self.adapter)
        try:
            await scanner.start()
        except Exception as err:
            where = self.adapter or "the default adapter"
            raise BackendError(f"BLE scanning on {where} did not start: {err}") from err
        self._scanner = scanner

    async def stop(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            with contextlib.suppress(Exception):
                await scanner.stop()


class AirBackend:
    """The simulator's air (vitrine.sim.air.Air) heard by one receiver, in real time: world time
    0 is the moment start() was called, scaled by speed."""

    def __init__(
        self,
        air: Any,
        receiver: str,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.air = air
        self.name = receiver
        self.speed = speed
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self, on_advert: OnAdvert) -> None:
        await self.stop()
        self._task = asyncio.create_task(self._play(on_advert))

    async def _play(self, on_advert: OnAdvert) -> None:
        t0 = self._clock()
        step = 0.1
        w = 0.0
        while w < self.air.world.duration_s:
            for h in self.air.heard(w, w + step):
                if h.receiver != self.name:
                    continue
                delay = t0 + h.t_s / self.speed - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                on_advert(Received(h.receiver, h.address, h.rssi_dbm, self._clock(), h.data))
            w += step
            delay = t0 + w / self.speed - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await stop_task(task)
