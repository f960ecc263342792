"""The virtual Bluetooth LE air between processes: Bumble's virtual controllers on one link,
each behind an HCI socket, so a virtual board's process and the daemon each run a real host
stack (Bumble's: HCI, L2CAP, ATT, SMP) against a controller of their own, as a board and a
mirror each have a radio.

The simulation holds the air (`BleAir`): Bumble's `LocalLink` with `bumble.controller.
Controller`s on it, the way Bumble's own `bumble-controllers` app joins controllers to HCI
transports. Each adapter is a Unix socket speaking HCI's UART framing (H4, what Bumble's
`unix:` transport speaks): the host's (`host.hci`, for the daemon: `[link] ble_hci =
"unix:PATH"`) and one per BLE board (`ROLE.hci`, for the board's process). Every connection to
a socket is a controller freshly powered on; when the process behind it goes (a board reset,
the daemon stopped), its controller leaves the air and its connections end on the other side
with a supervision timeout, as they do when a radio falls silent.

Why HCI between processes, and not the link layer: Bumble 0.0.236 no longer has its link relay
(`RemoteLink` and the `link-relay:` transport were removed: "use open_transport instead"), so
its controllers share a link only within one process, and each process reaches one over an HCI
transport. Bumble's own `unix-server:` transport keeps one packet parser and one controller for
every client in turn, so a second boot would inherit the first's half-read packet and its
connections; this module makes a controller per connection from Bumble's pieces
(`StreamPacketSource`, `StreamPacketSink`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from bumble import hci, ll
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport.common import StreamPacketSink, StreamPacketSource

log = logging.getLogger(__name__)

_SUN_PATH_MAX = 107  # a Unix socket's path, in bytes (sockaddr_un.sun_path, less its NUL)


class _Adapter(StreamPacketSource):
    """One HCI connection: a controller on the air for as long as it lasts."""

    def __init__(self, air: BleAir, name: str) -> None:
        super().__init__()
        self.air = air
        self.name = name
        self.controller: Controller | None = None
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.controller = Controller(
            self.name, host_source=self, host_sink=StreamPacketSink(transport), link=self.air.link
        )
        self.air.adapters.add(self)
        self.air.powered_on[self.name] = self.air.powered_on.get(self.name, 0) + 1

    def connection_lost(self, exc: BaseException | None) -> None:
        self.power_off()

    def power_off(self) -> None:
        """The radio goes silent: its peers see their connections time out; it leaves the air."""
        controller, self.controller = self.controller, None
        self.air.adapters.discard(self)
        if controller is None:
            return
        timeout = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
        for connection in list(controller.le_connections.values()):
            with contextlib.suppress(Exception):  # the peer may have gone at the same moment
                connection.send_ll_control_pdu(ll.TerminateInd(timeout))
        controller.le_connections.clear()
        controller.host = None  # nothing is listening any more
        with contextlib.suppress(KeyError):
            self.air.link.remove_controller(controller)


class BleAir:
    """See the module docstring. `serve(name, path)` opens an adapter's socket."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self.adapters: set[_Adapter] = set()
        self.powered_on: dict[str, int] = {}  # adapter name -> connections so far
        self._servers: list[asyncio.AbstractServer] = []

    async def serve(self, name: str, path: Path) -> None:
        """An adapter named name, its HCI at the Unix socket path (replaced if it exists)."""
        if len(str(path).encode()) > _SUN_PATH_MAX:
            raise ValueError(
                f"BLE adapter {name}: socket path {path} is {len(str(path).encode())} bytes; "
                f"allowed at most {_SUN_PATH_MAX} (a Unix socket's): choose a shorter state folder"
            )
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # noqa: ASYNC240 - one unlink of a local socket path
        loop = asyncio.get_running_loop()
        server = await loop.create_unix_server(lambda: _Adapter(self, name), str(path))
        self._servers.append(server)

    def drop(self, name: str) -> int:
        """Power off every controller of that adapter now (its host sees the socket close, the
        peers their connections time out); how many."""
        gone = [a for a in self.adapters if a.name == name]
        for adapter in gone:
            adapter.power_off()
            if adapter.transport is not None:
                adapter.transport.close()
        return len(gone)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for adapter in list(self.adapters):
            adapter.power_off()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()


def board_address(uid: str) -> str:
    """A virtual board's BLE address from its uid: a static random address (its two top bits
    set, Core 5.4 Vol 6 Part B §1.3.2.1), the same at every boot."""
    raw = bytearray(bytes.fromhex(uid.ljust(12, "0")[:12]))
    raw[0] |= 0xC0
    return ":".join(f"{b:02X}" for b in raw)
