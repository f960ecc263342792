"""One board's link: open the port, handshake, supervise heartbeats, reconnect, send commands.

States:

    connecting --port open--> handshake --ACK(HELLO), compatible, ACK(LINK_TIMING)--> up
        ^                        |  \\--NACK / incompatible HELLO--> refused (waits for a
        |                        |                                   compatible HELLO)
        +--- backoff <--- down <-+-- port lost, or no HEARTBEAT for missed_heartbeats periods

The handshake ends with LINK_TIMING: the board adopts this host's heartbeat period and
patience, so both sides supervise each other with the same numbers. What the board sends
between its ACK to HELLO and the ACK to LINK_TIMING (its LOG backlog, the state its subsystems
resend as a host comes up) is kept and taken in once up; other frames before that are dropped.

While up, a HELLO frame from the board means it has just reset (boards send HELLO only at
boot); the link reports BoardRebooted with the reset cause and shakes hands again without
closing the port. A board that reset while the link was down (a board on native USB drops off
the bus while it resets) is found out by its first HEARTBEAT after the handshake: it has been
up for less time than the host was without it (vitrine.link.resets). Either way the reset is
counted in `reboots` and kept as `last_reset`; a reset that is an error (the watchdog, a crash)
is also the link's last problem, at the time the board started again.

The link shakes hands again, too, when the board has stopped hearing this host: a command
answered NACK(not_ready), or this host's own heartbeats paused for as long as the board waits
for them (its event loop stalled); the command is then sent once more. Received messages are
published on the bus as typed dataclasses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import cobs.cobs

from vitrine.bus import EventBus
from vitrine.link import messages as m
from vitrine.link.errors import CommandRejected, CommandTimeout, LinkDown, PortError
from vitrine.link.ports import DEFAULT_BAUD, open_port
from vitrine.link.resets import BoardReset, Seen, restarted_while_away
from vitrine.tasks import stop_task
from vitrine_fw import __version__, wire

log = logging.getLogger("vitrine.link")

_BOARD_LOG_LEVELS = {
    wire.LOG_DEBUG: logging.DEBUG,
    wire.LOG_INFO: logging.INFO,
    wire.LOG_WARNING: logging.WARNING,
    wire.LOG_ERROR: logging.ERROR,
}


class LinkState(StrEnum):
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    UP = "up"
    REFUSED = "refused"
    DOWN = "down"
    CLOSED = "closed"


@dataclass(frozen=True)
class LinkSettings:
    """Timing of one link (validated by the daemon's config schema)."""

    heartbeat_s: float = 1.0
    missed_heartbeats: int = 4
    hello_interval_s: float = 0.25  # HELLO retry period during the handshake
    handshake_patience_s: float = 2.0  # after this, say the board is not answering
    command_timeout_s: float = 0.25
    command_retries: int = 3
    reconnect_min_s: float = 0.05
    reconnect_max_s: float = 1.0
    baudrate: int = DEFAULT_BAUD  # a UART board's own is in its description (BoardPorts)
    # the BLE adapter for ble:// boards: "" bleak (BlueZ); else a Bumble HCI transport such as
    # the simulation's "unix:STATE/ble/host.hci" (vitrine.link.bumble_central)
    ble_hci: str = ""


@dataclass
class LinkCounters:
    """Host-side counters of one board link, kept across reconnects."""

    frames_rx: int = 0
    bytes_rx: int = 0
    frames_tx: int = 0
    crc_errors: int = 0
    framing_errors: int = 0
    bytes_skipped: int = 0
    gaps: int = 0  # frames missing from the board's sequence
    duplicates: int = 0  # frames behind the expected sequence (retransmissions)
    unknown_types: int = 0
    version_errors: int = 0
    bad_payloads: int = 0
    early_frames: int = 0  # frames before the handshake completed (dropped)
    connects: int = 0  # sessions that reached "up"
    reconnects: int = 0  # of those, the ones after the first
    link_losses: int = 0
    heartbeat_timeouts: int = 0
    reboots: int = 0  # board resets: a boot HELLO while up, or a restart while the link was down
    rehandshakes: int = 0  # handshakes again because the board had stopped hearing this host
    commands: int = 0
    retries: int = 0
    command_timeouts: int = 0
    nacks: int = 0

    @property
    def resyncs(self) -> int:
        """Times the decoder dropped a corrupt frame and resynchronised at a delimiter."""
        return self.crc_errors + self.framing_errors

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "resyncs": self.resyncs}


def host_hello_values() -> tuple[Any, ...]:
    """The host's own HELLO field values."""
    return (
        wire.SCHEMA_REV,
        wire.SCHEMA_HASH,
        "host",
        __version__,
        "",
        socket.gethostname()[:64],
        wire.RESET_UNKNOWN,
        0,
    )


def compatibility_problem(hello: m.Hello) -> str | None:
    """Why this host cannot talk to the board that sent `hello`, or None when it can."""
    if hello.schema_rev == wire.SCHEMA_REV and hello.schema_hash == wire.SCHEMA_HASH:
        return None
    ours = f"rev {wire.SCHEMA_REV} (0x{wire.SCHEMA_HASH:08x})"
    theirs = f"rev {hello.schema_rev} (0x{hello.schema_hash:08x})"
    if hello.schema_rev < wire.SCHEMA_REV:
        advice = f"update the board firmware: vitrine flash --role {hello.role}"
    elif hello.schema_rev > wire.SCHEMA_REV:
        advice = "update the host software (the board's firmware is newer)"
    else:
        advice = (
            "same revision, different tables (a development build): flash the board "
            f"from this host's build: vitrine flash --role {hello.role}"
        )
    return (
        f"{hello.role} board (firmware {hello.fw_version}) speaks wire schema {theirs}, "
        f"this host speaks {ours}: {advice}"
    )


class _Protocol(asyncio.Protocol):
    def __init__(self, link: BoardLink, lost: asyncio.Future[str]) -> None:
        self._link = link
        self._lost = lost

    def data_received(self, data: bytes) -> None:
        self._link._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._lost.done():
            self._lost.set_result(f"port closed ({exc})" if exc else "port closed")


class BoardLink:
    """The host's link to one board, by port URL. Run it with `await link.run()`."""

    def __init__(
        self,
        url: str,
        bus: EventBus,
        settings: LinkSettings | None = None,
        *,
        role: str | None = None,
        name: str | None = None,
        history: Callable[[str], BoardLink | None] | None = None,
    ) -> None:
        self.url = url
        self.bus = bus
        # Finds, by a board's uid, the link it had on a port that has gone (vitrine.link.boards
        # drops a discovered board's link when its port vanishes): this one goes on from it.
        self._history = history
        self.settings = settings or LinkSettings()
        self.expected_role = role  # a config may pin a role to a port
        self.name = name or role or url
        self.state = LinkState.CONNECTING
        self.state_since = time.monotonic()
        self.error: str | None = None  # the last problem, kept after recovery for the record
        self.port_error: PortError | None = None  # why the port did not open, until it does
        self.error_at: float | None = None
        self.hello: m.Hello | None = None
        self.heartbeat: m.Heartbeat | None = None
        self.last_reset: BoardReset | None = None  # the board's last start this link knows of
        self.counters = LinkCounters()
        self._transport: asyncio.Transport | None = None
        self._reader: wire.FrameReader | None = None
        self._seq = 0
        self._expect_seq: int | None = None
        self._pending: dict[int, asyncio.Future[m.BoardMessage]] = {}
        self._last_heartbeat = 0.0
        # When the board was last known alive (monotonic s) and its uptime then (ms): its last
        # HEARTBEAT, or before the first one the first handshake (uptime unknown); None at
        # first, and again once a boot HELLO said the board started afresh.
        self._board_clock: tuple[float, int | None] | None = None
        # ... as it was when this session began: what its first HEARTBEAT is compared with
        # (never a moment of the same session, which the host's own delays could blur).
        self._before_session: tuple[float, int | None] | None = None
        self._boot_check = False  # the next HEARTBEAT tells whether the board restarted
        self._last_rx = 0.0
        # The first and the last bytes the board sent, frames or not: what a board printed
        # outside the protocol (a traceback at boot, then what a REPL answered to the
        # host's frames) is in there for a person to read (printed_text()).
        self._first_rx = bytearray()
        self._recent_rx = bytearray()
        self._up = asyncio.Event()
        self._hello_seen = asyncio.Event()  # a boot HELLO arrived during the handshake
        # Frames a board sent after accepting our HELLO, before LINK_TIMING ended the
        # handshake (its LOG backlog, the state its subsystems resend as the host comes up):
        # (seq, type, payload, rx ns), delivered once up; None outside that stretch.
        self._held: list[tuple[int, int, bytes, int]] | None = None
        self._closing = False

    # --- public ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep the link up until close(): connect, handshake, supervise, reconnect."""
        backoff = self.settings.reconnect_min_s
        while not self._closing:
            reached_up = False
            try:
                reached_up = await self._session()
            except PortError as err:
                self.port_error = err
                self._note_error(str(err))
            if self._closing:
                break
            self._set_state(LinkState.DOWN)
            if reached_up:
                backoff = self.settings.reconnect_min_s
            delay = backoff * random.uniform(0.8, 1.2)
            backoff = min(backoff * 2, self.settings.reconnect_max_s)
            await asyncio.sleep(delay)
        self._set_state(LinkState.CLOSED)

    async def close(self) -> None:
        """Stop the link and close its port."""
        self._closing = True
        if self._transport is not None:
            self._transport.close()

    def printed_text(self) -> str:
        """The lines of text the board printed outside the protocol lately (a firmware's
        traceback, a REPL's answers), each once (a board resetting in a loop prints the same
        traceback at every boot), in the order first printed; "" when none."""
        seen = bytes(self._first_rx) + b"\n" + bytes(self._recent_rx)
        text = seen.replace(b"\r\n", b"\n").decode("ascii", "replace")
        lines: dict[str, None] = {}
        for line in text.split("\n"):
            # Frames are binary, though a HELLO carries short words (role, version, hash):
            # keep runs of printable text that read as a phrase (8 characters, a space),
            # without a REPL's prompt.
            for run in _PRINTED.findall(line):
                phrase = run.lstrip("> ").rstrip()
                if len(phrase) >= 8 and " " in phrase:
                    lines[phrase] = None
        return "\n".join(lines)

    async def wait_up(self, timeout: float | None = None) -> m.Hello:
        """Wait until the link is up; returns the board's HELLO."""
        async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancellation
            await self._up.wait()
        assert self.hello is not None
        return self.hello

    @property
    def is_up(self) -> bool:
        return self.state == LinkState.UP

    async def command(
        self,
        typ: int,
        *values: Any,
        timeout: float | None = None,
        retries: int | None = None,
        again: bool = True,
    ) -> m.Ack:
        """Send a command and wait for its ACK, retrying with the same seq (commands are
        idempotent and the board answers a retry from its reply cache). A NACK not_ready
        (the board no longer hears this host) makes the link shake hands again and, when
        `again`, the command is sent once more.

        Raises LinkDown, CommandTimeout or CommandRejected (a NACK)."""
        if self.state != LinkState.UP and typ not in _HANDSHAKE_TYPES:
            raise LinkDown(self.name, self.state.value)
        name = wire.message_name(typ) or f"0x{typ:02x}"
        timeout = self.settings.command_timeout_s if timeout is None else timeout
        retries = self.settings.command_retries if retries is None else retries
        seq = self._next_seq()
        frame = wire.encode_frame(typ, seq, wire.FLAG_ACK_REQ, wire.encode_payload(typ, values))
        future: asyncio.Future[m.BoardMessage] = asyncio.get_running_loop().create_future()
        self._pending[seq] = future
        self.counters.commands += 1
        try:
            for attempt in range(retries + 1):
                if attempt:
                    self.counters.retries += 1
                self._write(frame)
                with contextlib.suppress(TimeoutError):
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                    # cancellation that arrives with the ACK, and the caller's task then
                    # never stops (a daemon stopping while a command is answered)
                    async with asyncio.timeout(timeout):
                        reply = await asyncio.shield(future)
                    break
            else:
                self.counters.command_timeouts += 1
                raise CommandTimeout(self.name, name, retries + 1, timeout)
        finally:
            self._pending.pop(seq, None)
            if not future.done():
                future.cancel()
        if isinstance(reply, m.Nack):
            self.counters.nacks += 1
            if reply.reason == wire.NACK_NOT_READY and typ not in _HANDSHAKE_TYPES and again:
                # The board dropped this host (it heard no HEARTBEAT for too long) while this
                # side still shows up: shake hands again, then send the command once more.
                self._rehandshake(f"{name} answered not_ready: the board had stopped hearing us")
                try:
                    await self.wait_up(self.settings.handshake_patience_s)
                except TimeoutError:
                    raise LinkDown(self.name, self.state.value) from None
                return await self.command(
                    typ, *values, timeout=timeout, retries=retries, again=False
                )
            raise CommandRejected(self.name, name, reply.reason_name, reply.detail)
        assert isinstance(reply, m.Ack)
        return reply

    def send(self, typ: int, *values: Any) -> None:
        """Send a stream or event message (no acknowledgement)."""
        if self.state != LinkState.UP:
            raise LinkDown(self.name, self.state.value)
        self._write(wire.encode_message(typ, self._next_seq(), values))

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready state of this link, for the status API."""
        hello = self.hello
        hb = self.heartbeat
        counters = self._live_counters()
        return {
            "name": self.name,
            "role": hello.role if hello else self.expected_role,
            "port": self.url,
            "state": self.state.value,
            "state_for_s": round(time.monotonic() - self.state_since, 3),
            "last_error": self.error,
            "last_error_at": self.error_at,
            "firmware_version": hello.fw_version if hello else None,
            "build_hash": hello.build_hash if hello else None,
            "schema_rev": hello.schema_rev if hello else None,
            "schema_hash": f"0x{hello.schema_hash:08x}" if hello else None,
            "uid": hello.uid if hello else None,
            "reset_cause": hello.reset_cause_name if hello else None,
            "last_reset": self.last_reset.as_dict() if self.last_reset else None,
            "capabilities": hello.capability_names if hello else [],
            "board_uptime_s": round(hb.uptime_ms / 1000, 3) if hb else None,
            "last_rx_s_ago": round(time.monotonic() - self._last_rx, 3) if self._last_rx else None,
            "counters": counters.as_dict(),
            "board_counters": (
                {
                    "rx_frames": hb.rx_frames,
                    "crc_errors": hb.crc_errors,
                    "framing_errors": hb.framing_errors,
                    "gaps": hb.gaps,
                    "unknown_types": hb.unknown_types,
                    "tx_dropped": hb.tx_dropped,
                }
                if hb
                else None
            ),
        }

    # --- session ---------------------------------------------------------------------------

    async def _session(self) -> bool:
        """One connection: open, handshake, supervise until lost. True if it got up."""
        self._set_state(LinkState.CONNECTING)
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[str] = loop.create_future()
        self._reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
        self._expect_seq = None
        transport = await open_port(
            self.url,
            lambda: _Protocol(self, lost),
            baudrate=self.settings.baudrate,
            ble_hci=self.settings.ble_hci,
        )
        self._transport = transport
        self.port_error = None
        reached_up = False
        try:
            while True:
                await self._handshake(lost)
                if lost.done() or self._closing:
                    reason = lost.result() if lost.done() else "closed"
                    break
                reached_up = True
                supervised = await self._supervise(lost)
                if supervised is not None:
                    reason = supervised
                    break
            self._lose(reason)
        finally:
            self._fold_reader_counters()
            self._transport = None
            transport.close()
            self._up.clear()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(LinkDown(self.name, "down"))
        return reached_up

    def _lose(self, reason: str) -> None:
        if self._closing:
            return  # closed on purpose: nothing was lost
        was_up = self.state == LinkState.UP
        self._note_error(reason)
        if was_up:
            self.counters.link_losses += 1
            log.warning("%s: link lost on %s: %s", self.name, self.url, reason)
            self.bus.publish(m.BoardLost(board=self.name, port=self.url, reason=reason))

    async def _handshake(self, lost: asyncio.Future[str]) -> None:
        """Send HELLO until the board accepts it (ACK with its HELLO) or the port is lost."""
        if self.state != LinkState.REFUSED:
            self._set_state(LinkState.HANDSHAKE)
        started = time.monotonic()
        interval = self.settings.hello_interval_s
        while not lost.done() and not self._closing:
            patience_over = time.monotonic() - started > self.settings.handshake_patience_s
            try:
                ack = await self.command(
                    wire.HELLO,
                    *host_hello_values(),
                    timeout=interval if not patience_over else 4 * interval,
                    retries=0,
                )
            except CommandTimeout:
                if patience_over and self.state != LinkState.REFUSED:
                    self._note_error(
                        f"no answer to HELLO on {self.url} for "
                        f"{self.settings.handshake_patience_s:.0f} s "
                        "(is the board running Vitrine firmware?)"
                    )
                continue
            except CommandRejected as err:
                problem = err.detail or str(err)
            except LinkDown:
                return
            else:
                hello, problem = self._check_hello(ack)
                if hello is not None:
                    try:
                        await self._send_timing(interval)
                    except CommandTimeout:
                        self._held = None
                        continue  # HELLO again: the board may have reset meanwhile
                    except CommandRejected as err:
                        problem = (
                            f"the {hello.role} board cannot follow this host's link timing "
                            f"(heartbeat_s = {self.settings.heartbeat_s:g}, missed_heartbeats = "
                            f"{self.settings.missed_heartbeats}): {err.detail}; set [link] "
                            "within what the board follows"
                        )
                    except LinkDown:
                        self._held = None
                        return
                    else:
                        self._connected(hello)
                        return
            self._held = None
            # Refused: say why, then try again when the board resets (its boot HELLO) or a
            # little later (it may have been reflashed meanwhile).
            self._refuse(problem)
            self._hello_seen.clear()
            await self._wait_any(lost, self._hello_seen, 4 * interval)

    async def _send_timing(self, interval: float) -> None:
        """Tell the board this host's heartbeat period and patience (LINK_TIMING), which it
        follows from now on."""
        settings = self.settings
        await self.command(
            wire.LINK_TIMING,
            round(settings.heartbeat_s * 1000),
            settings.missed_heartbeats,
            timeout=interval,
            retries=2,
        )

    def _rehandshake(self, reason: str) -> None:
        # Up on this side, but not on the board's: shake hands again on the open port.
        if self.state != LinkState.UP:
            return
        self.counters.rehandshakes += 1
        self._note_error(reason)
        log.warning("%s: handshake again on %s: %s", self.name, self.url, reason)
        self._up.clear()
        self._set_state(LinkState.HANDSHAKE)
        self._hello_seen.set()

    def _check_hello(self, ack: m.Ack) -> tuple[m.Hello | None, str]:
        """The board's HELLO from its ACK, or None and why this host cannot use the board."""
        try:
            hello = m.from_payload(self.name, ack.seq, wire.HELLO, ack.result, ack.rx_ns)
        except (wire.WireError, KeyError) as err:
            return None, f"unreadable HELLO from the board: {err}"
        assert isinstance(hello, m.Hello)
        problem = compatibility_problem(hello)
        if problem is None and self.expected_role and hello.role != self.expected_role:
            problem = (
                f"{self.url} is configured for role {self.expected_role}, "
                f"but the board there says it is {hello.role}"
            )
        return (None, problem) if problem else (hello, "")

    async def _wait_any(
        self, lost: asyncio.Future[str], event: asyncio.Event, timeout: float
    ) -> None:
        """Wait until the port is lost, the event is set, or the timeout passes."""
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({lost, waiter}, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            waiter.cancel()

    def _refuse(self, problem: str) -> None:
        if self.state != LinkState.REFUSED or self.error != problem:
            log.error("%s: refused on %s: %s", self.name, self.url, problem)
            self.bus.publish(m.BoardRefused(board=self.name, port=self.url, message=problem))
        self._note_error(problem)
        self._set_state(LinkState.REFUSED)

    def _connected(self, hello: m.Hello) -> None:
        if self.counters.connects == 0 and self._history is not None:
            older = self._history(hello.uid)
            if older is not None:
                self._go_on_from(older)
        if self.expected_role is None and self.name == self.url:
            self.name = hello.role
        self.hello = hello
        self.counters.connects += 1
        if self.counters.connects > 1:
            self.counters.reconnects += 1
        self._last_heartbeat = time.monotonic()
        self._boot_check = True
        self._before_session = self._board_clock
        if self._board_clock is None:
            self._board_clock = (self._last_heartbeat, None)
        self._set_state(LinkState.UP)
        self._up.set()
        log.info(
            "%s: up on %s: firmware %s build %s, reset cause %s",
            self.name,
            self.url,
            hello.fw_version,
            hello.build_hash,
            hello.reset_cause_name,
        )
        self.bus.publish(m.BoardConnected(board=self.name, port=self.url, hello=hello))
        held, self._held = self._held or [], None
        for seq, typ, payload, rx_ns in held:
            self._deliver(m.from_payload(self.name, seq, typ, payload, rx_ns), rx_ns)

    async def _supervise(self, lost: asyncio.Future[str]) -> str | None:
        """While up: send our heartbeat, watch the board's. Returns a reason when the link
        must be dropped, None when the board rebooted and needs a new handshake."""
        period = self.settings.heartbeat_s
        limit = period * self.settings.missed_heartbeats + period / 2
        # The board drops this host after `limit` without its HEARTBEAT (the same numbers:
        # LINK_TIMING); a pause of our own heartbeats that long means it has, or is about to.
        paused_limit = period * self.settings.missed_heartbeats
        self._hello_seen.clear()
        while True:
            with contextlib.suppress(LinkDown):
                self.send(wire.HEARTBEAT, *self._host_heartbeat())
            sent = time.monotonic()
            await self._wait_any(lost, self._hello_seen, period)
            if lost.done():
                return lost.result()
            if self.state != LinkState.UP:  # a boot HELLO or a not_ready: shake hands again
                return None
            paused = time.monotonic() - sent
            if paused > paused_limit:
                self._rehandshake(
                    f"this host sent no heartbeat for {paused:.1f} s (its event loop stalled): "
                    "the board has stopped hearing us"
                )
                return None
            silent = time.monotonic() - self._last_heartbeat
            if silent > limit:
                self.counters.heartbeat_timeouts += 1
                return f"no heartbeat for {silent:.1f} s ({self.settings.missed_heartbeats} missed)"

    def _host_heartbeat(self) -> tuple[int, ...]:
        c = self._live_counters()
        return (
            int(time.monotonic() * 1000) & 0xFFFFFFFF,
            c.frames_rx & 0xFFFFFFFF,
            c.crc_errors & 0xFFFFFFFF,
            c.framing_errors & 0xFFFFFFFF,
            c.gaps & 0xFFFFFFFF,
            c.unknown_types & 0xFFFFFFFF,
            0,
        )

    # --- receive path (called from the transport, must not block) --------------------------

    def _on_data(self, data: bytes) -> None:
        reader = self._reader
        if reader is None:
            return
        now_ns = time.monotonic_ns()
        self._last_rx = now_ns / 1e9
        self.counters.bytes_rx += len(data)
        if len(self._first_rx) < _KEPT_RX_BYTES:
            self._first_rx += data[: _KEPT_RX_BYTES - len(self._first_rx)]
        recent = self._recent_rx
        recent += data
        if len(recent) > _KEPT_RX_BYTES:
            del recent[: len(recent) - _KEPT_RX_BYTES]
        for version, flags, seq, typ, payload, _offset in reader.feed(data):
            self._on_frame(version, flags, seq, typ, payload, now_ns)

    def _on_frame(
        self, version: int, flags: int, seq: int, typ: int, payload: bytes, now_ns: int
    ) -> None:
        counters = self.counters
        counters.frames_rx += 1
        if version != wire.PROTOCOL_VERSION:
            counters.version_errors += 1
            side = "host software" if version > wire.PROTOCOL_VERSION else "board firmware"
            self._refuse(
                f"board speaks wire protocol {version}, this host {wire.PROTOCOL_VERSION}: "
                f"update the {side}"
            )
            return
        if flags & wire.FLAG_IS_ACK:
            self._on_reply(seq, typ, payload, now_ns)
            return
        self._count_seq(typ, seq)
        if typ not in m.MESSAGE_CLASSES:
            counters.unknown_types += 1
            if flags & wire.FLAG_ACK_REQ:
                self._write(
                    wire.encode_message(
                        wire.NACK, seq, (typ, wire.NACK_UNKNOWN_TYPE, ""), wire.FLAG_IS_ACK
                    )
                )
            return
        try:
            msg = m.from_payload(self.name, seq, typ, payload, now_ns)
        except wire.WireError as err:
            counters.bad_payloads += 1
            log.debug("%s: bad %s payload: %s", self.name, wire.message_name(typ), err)
            return
        if typ == wire.HELLO:
            self._on_boot_hello(msg)  # type: ignore[arg-type]
            return
        if self.state != LinkState.UP:
            held = self._held
            if held is not None and len(held) < _HELD_FRAMES:
                held.append((seq, typ, payload, now_ns))  # the handshake is ending: kept
            else:
                counters.early_frames += 1
            return
        self._deliver(msg, now_ns)

    def _deliver(self, msg: m.BoardMessage, now_ns: int) -> None:
        typ = msg.TYPE
        if typ == wire.HEARTBEAT:
            assert isinstance(msg, m.Heartbeat)
            self._last_heartbeat = now_ns / 1e9
            self.heartbeat = msg
            self._on_heartbeat(msg.uptime_ms, now_ns / 1e9)
        elif typ == wire.LOG:
            assert isinstance(msg, m.Log)
            log.log(
                _BOARD_LOG_LEVELS.get(msg.level, logging.INFO),
                "%s/%s: %s",
                self.name,
                msg.subsystem,
                msg.text,
            )
        self.bus.publish(msg)

    def _on_reply(self, seq: int, typ: int, payload: bytes, now_ns: int) -> None:
        future = self._pending.get(seq)
        if future is None or future.done():
            return  # a late answer to a retry that was already answered
        try:
            reply = m.from_payload(self.name, seq, typ, payload, now_ns)
        except (wire.WireError, KeyError):
            self.counters.bad_payloads += 1
            return
        if isinstance(reply, m.Ack) and reply.acked_type == wire.HELLO:
            # from here until LINK_TIMING's ACK, the board's frames are kept (self._held):
            # it sends them right after this ACK, in the same read as often as not
            self._held = []
        future.set_result(reply)

    def _on_boot_hello(self, hello: m.Hello) -> None:
        problem = compatibility_problem(hello)
        if problem:
            self.hello = hello
            self._refuse(problem)
            return
        if self.state == LinkState.UP:
            self.counters.reboots += 1
            self.hello = hello
            self._board_clock = None  # a new boot: its uptime starts again
            self._reset_seen(hello, time.time(), "while up")
            log.warning("%s: board reset (cause %s)", self.name, hello.reset_cause_name)
            self.bus.publish(m.BoardRebooted(board=self.name, port=self.url, hello=hello))
            self._up.clear()
            self._set_state(LinkState.HANDSHAKE)
        self._hello_seen.set()

    def _go_on_from(self, older: BoardLink) -> None:
        # The same board (its uid) on a port that came back: its counters add up, and its last
        # problem, last reset and uptime go on, so a reset that dropped it off USB still counts.
        log.info("%s: the board of %s, back on %s", older.name, older.url, self.url)
        mine, theirs = asdict(self.counters), asdict(older._live_counters())
        self.counters = LinkCounters(**{k: mine[k] + theirs[k] for k in mine})
        if older.error_at is not None and (self.error_at is None or older.error_at > self.error_at):
            self.error, self.error_at = older.error, older.error_at
        self.last_reset = older.last_reset
        self._board_clock = older._board_clock

    def _on_heartbeat(self, uptime_ms: int, now_s: float) -> None:
        # The first HEARTBEAT of a session says when the board started: did it restart while
        # the link was down (its port gone while it reset), or before this host first heard it?
        self._board_clock = (now_s, uptime_ms)
        if not self._boot_check or self.hello is None:
            return
        self._boot_check = False
        last = self._before_session
        started_at = time.time() - uptime_ms / 1000
        if last is not None and restarted_while_away(*last, now_s, uptime_ms):
            self.counters.reboots += 1
            self._reset_seen(self.hello, started_at, "while away")
            log.warning(
                "%s: the board reset while the link was down (cause %s, %.1f s ago)",
                self.name,
                self.hello.reset_cause_name,
                uptime_ms / 1000,
            )
        elif self.last_reset is None:
            self._reset_seen(self.hello, started_at, "before")

    def _reset_seen(self, hello: m.Hello, at: float, seen: Seen) -> None:
        # Keep the reset; one that is an error becomes the last problem, at its own time,
        # unless a later problem is on record already.
        self.last_reset = reset = BoardReset(hello.reset_cause_name, at, seen)
        if reset.error and (self.error_at is None or at >= self.error_at):
            self.error = reset.text
            self.error_at = at

    def _count_seq(self, typ: int, seq: int) -> None:
        # Gap counting over the board's sequence; a boot HELLO starts a new sequence.
        expect = self._expect_seq
        if expect is None or typ == wire.HELLO:
            self._expect_seq = (seq + 1) & 0xFFFF
            return
        delta = (seq - expect) & 0xFFFF
        if delta >= 0x8000:
            self.counters.duplicates += 1
            return
        self.counters.gaps += delta
        self._expect_seq = (seq + 1) & 0xFFFF

    # --- helpers ---------------------------------------------------------------------------

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (seq + 1) & 0xFFFF
        return seq

    def _write(self, frame: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise LinkDown(self.name, self.state.value)
        transport.write(frame)
        self.counters.frames_tx += 1

    def _set_state(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            self.state_since = time.monotonic()

    def _note_error(self, error: str) -> None:
        self.error = error
        self.error_at = time.time()

    def _live_counters(self) -> LinkCounters:
        counters = LinkCounters(**asdict(self.counters))
        reader = self._reader
        if reader is not None:
            counters.crc_errors += reader.crc_errors
            counters.framing_errors += reader.framing_errors
            counters.bytes_skipped += reader.bytes_skipped
        return counters

    def _fold_reader_counters(self) -> None:
        reader = self._reader
        if reader is not None:
            self.counters.crc_errors += reader.crc_errors
            self.counters.framing_errors += reader.framing_errors
            self.counters.bytes_skipped += reader.bytes_skipped
        self._reader = None


# Commands a link sends before it is up: the handshake's.
_HANDSHAKE_TYPES = (wire.HELLO, wire.LINK_TIMING)
_KEPT_RX_BYTES = 2048  # printed_text() reads the first and the last this many bytes
_HELD_FRAMES = 64  # frames kept while the handshake ends (a board's LOG backlog is 16 lines)
_PRINTED = re.compile(r"[ -~\t]+")

__all__ = [
    "BoardLink",
    "LinkCounters",
    "LinkSettings",
    "LinkState",
    "compatibility_problem",
]


@contextlib.asynccontextmanager
async def running_link(
    url: str,
    settings: LinkSettings | None = None,
    *,
    role: str | None = None,
    bus: EventBus | None = None,
) -> AsyncIterator[BoardLink]:
    """One board's link, running while the block lasts, then closed: for tools that talk to
    a single board (the flash tool's HELLO wait, the doctor's probe). Its messages go to bus,
    or to a bus of its own."""
    link = BoardLink(url, EventBus() if bus is None else bus, settings, role=role)
    task = asyncio.create_task(link.run(), name=f"link {url}")
    try:
        yield link
    finally:
        await link.close()
        await stop_task(task)
