"""All of the daemon's board links: ports pinned to roles in the config, extra port URLs, and
boards found on USB by vendor/product id (their role is learned from HELLO). Discovery
rescans periodically, so a board plugged in later is picked up, and a discovered board whose
port has vanished and whose link is down is dropped until it comes back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from serial.tools import list_ports

from vitrine.bus import EventBus
from vitrine.link.board import BoardLink, LinkSettings, LinkState
from vitrine.tasks import stop_task

log = logging.getLogger("vitrine.link")


def usb_ports(ids: Iterable[tuple[int, int]]) -> list[str]:
    """Device paths of attached serial ports whose USB (vid, pid) is one of ids."""
    wanted = set(ids)
    return sorted(p.device for p in list_ports.comports() if (p.vid, p.pid) in wanted)


class Boards:
    """Owns one BoardLink per port and keeps the set current."""

    def __init__(
        self,
        bus: EventBus,
        settings: LinkSettings,
        *,
        pinned: dict[str, str] | None = None,
        extra: list[str] | None = None,
        usb_ids: Iterable[tuple[int, int]] = (),
        discover_usb: bool = False,
        scan_interval_s: float = 2.0,
        scan: Callable[[Iterable[tuple[int, int]]], list[str]] = usb_ports,
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.pinned = dict(pinned or {})
        self.extra = list(extra or [])
        self.usb_ids = set(usb_ids)
        self.discover_usb = discover_usb
        self.scan_interval_s = scan_interval_s
        self._scan = scan
        self.links: dict[str, BoardLink] = {}  # by port URL
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._discovered: set[str] = set()

    def _start(self, url: str, role: str | None) -> None:
        link = BoardLink(url, self.bus, self.settings, role=role)
        self.links[url] = link
        self._tasks[url] = asyncio.create_task(link.run(), name=f"link {url}")

    async def _stop(self, url: str) -> None:
        link = self.links.pop(url)
        task = self._tasks.pop(url)
        await link.close()
        await stop_task(task)

    async def run(self) -> None:
        """Start the configured links and keep discovering until cancelled."""
        for role, url in self.pinned.items():
            self._start(url, role)
        for url in self.extra:
            if url not in self.links:
                self._start(url, None)
        try:
            while True:
                if self.discover_usb:
                    await self.rescan()
                await asyncio.sleep(self.scan_interval_s)
        finally:
            for url in list(self.links):
                await self._stop(url)

    async def rescan(self) -> None:
        """Pick up newly attached boards; drop discovered ones that are gone and down."""
        try:
            present = set(await asyncio.to_thread(self._scan, self.usb_ids))
        except OSError as err:
            log.warning("USB scan failed: %s", err)
            return
        for url in sorted(present - set(self.links)):
            log.info("found a board candidate on %s", url)
            self._discovered.add(url)
            self._start(url, None)
        for url in sorted(self._discovered - present):
            link = self.links.get(url)
            if link is not None and link.state != LinkState.UP:
                log.info("%s is gone", url)
                self._discovered.discard(url)
                await self._stop(url)

    def by_name(self, name: str) -> BoardLink | None:
        """The link whose board has this name (role), if any."""
        return next((link for link in self.links.values() if link.name == name), None)

    def snapshot(self) -> list[dict[str, Any]]:
        return [link.snapshot() for link in sorted(self.links.values(), key=lambda x: x.name)]
