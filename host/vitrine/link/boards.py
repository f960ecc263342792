"""All of the daemon's board links: ports pinned to roles in the config, extra port URLs, and
boards found on USB by vendor/product id (their role is learned from HELLO). Discovery
rescans periodically, so a board plugged in later is picked up, and a discovered board whose
port has vanished and whose link is down is dropped until it comes back; its new link then
goes on from the old one's counters and history (the board is known by its uid), so a board
that left the bus while it reset is counted as a reboot.

A board reached over a UART, through a USB-serial bridge, is opened at the baud rate its
description names (hardware/boards/ROLE.toml, `[link] baud`: the rate its firmware runs the
UART at), known by its role when its port is pinned and by the bridge's USB id when it is
found on USB; every other port takes LinkSettings.baudrate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serial.tools import list_ports

from vitrine.bus import EventBus
from vitrine.link.board import BoardLink, LinkSettings, LinkState
from vitrine.tasks import stop_task

log = logging.getLogger("vitrine.link")

UsbId = tuple[int, int]  # (vid, pid)
Scan = Callable[[Iterable[UsbId]], list[str]]  # device paths of attached ports with those ids


def usb_ports(ids: Iterable[tuple[int, int]]) -> list[str]:
    """Device paths of attached serial ports whose USB (vid, pid) is one of ids."""
    wanted = set(ids)
    return sorted(p.device for p in list_ports.comports() if (p.vid, p.pid) in wanted)


@dataclass(frozen=True, kw_only=True)
class BoardPorts:
    """Where the boards are: pinned ports, extra URLs, USB discovery; and the baud rate of each
    board reached over a UART (from the board descriptions: vitrine.hardware.uart_bauds and
    usb_bauds)."""

    pinned: Mapping[str, str] = field(default_factory=dict)  # role -> port URL
    extra: Sequence[str] = ()  # more port URLs; the role is learned from HELLO
    discover_usb: bool = False
    usb_ids: Collection[UsbId] = frozenset()  # what discovery looks for
    scan_interval_s: float = 2.0
    bauds: Mapping[str, int] = field(default_factory=dict)  # role -> its UART's baud
    usb_bauds: Mapping[UsbId, int] = field(default_factory=dict)  # bridge's id -> its board's

    def find_usb(self, scan: Scan = usb_ports) -> dict[str, int | None]:
        """Attached ports with one of usb_ids: URL -> the baud of the UART board whose bridge
        it is (None: a board on native USB, which has no baud)."""
        groups: dict[int | None, set[UsbId]] = {}
        for ids in self.usb_ids:
            groups.setdefault(self.usb_bauds.get(ids), set()).add(ids)
        found: dict[str, int | None] = {}
        for baud, ids in sorted(groups.items(), key=lambda g: g[0] or 0):
            for url in scan(ids):
                found.setdefault(url, baud)
        return found


def at_baud(settings: LinkSettings, baud: int | None) -> LinkSettings:
    """settings for a port opened at baud (None: at settings.baudrate)."""
    if baud is None or baud == settings.baudrate:
        return settings
    return dataclasses.replace(settings, baudrate=baud)


class Boards:
    """Owns one BoardLink per port and keeps the set current."""

    def __init__(
        self,
        bus: EventBus,
        settings: LinkSettings,
        ports: BoardPorts | None = None,
        *,
        scan: Scan = usb_ports,
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.ports = ports or BoardPorts()
        self._scan = scan
        self.links: dict[str, BoardLink] = {}  # by port URL
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._discovered: set[str] = set()
        # Links dropped with their port, by their board's uid: the board's next link goes on
        # from its counters and history (a board on USB leaves the bus while it resets).
        self._gone: dict[str, BoardLink] = {}

    def _start(self, url: str, role: str | None, baud: int | None = None) -> None:
        link = BoardLink(
            url,
            self.bus,
            at_baud(self.settings, baud),
            role=role,
            history=lambda uid: self._gone.pop(uid, None),
        )
        self.links[url] = link
        self._tasks[url] = asyncio.create_task(link.run(), name=f"link {url}")

    async def _stop(self, url: str) -> None:
        link = self.links.pop(url)
        task = self._tasks.pop(url)
        await link.close()
        await stop_task(task)

    async def run(self) -> None:
        """Start the configured links and keep discovering until cancelled."""
        ports = self.ports
        for role, url in ports.pinned.items():
            self._start(url, role, ports.bauds.get(role))
        for url in ports.extra:
            if url not in self.links:
                self._start(url, None)
        try:
            while True:
                if ports.discover_usb:
                    await self.rescan()
                await asyncio.sleep(ports.scan_interval_s)
        finally:
            for url in list(self.links):
                await self._stop(url)

    async def rescan(self) -> None:
        """Pick up newly attached boards; drop discovered ones that are gone and down."""
        try:
            present = await asyncio.to_thread(self.ports.find_usb, self._scan)
        except OSError as err:
            log.warning("USB scan failed: %s", err)
            return
        for url in sorted(set(present) - set(self.links)):
            log.info("found a board candidate on %s", url)
            self._discovered.add(url)
            self._start(url, None, present[url])
        for url in sorted(self._discovered - set(present)):
            link = self.links.get(url)
            if link is not None and link.state != LinkState.UP:
                log.info("%s is gone", url)
                self._discovered.discard(url)
                await self._stop(url)
                if link.hello is not None:
                    self._gone[link.hello.uid] = link

    def by_name(self, name: str) -> BoardLink | None:
        """The link whose board has this name (role), if any."""
        return next((link for link in self.links.values() if link.name == name), None)

    def snapshot(self) -> list[dict[str, Any]]:
        return [link.snapshot() for link in sorted(self.links.values(), key=lambda x: x.name)]
