# The board's end of the wire: HELLO handshake, heartbeats, command dispatch with
# acknowledgement and duplicate suppression, gap counting, and the outgoing frame path.
#
# The core is synchronous (receive() / send()) so it can be driven byte by byte in tests on
# either runtime; rx_loop() and heartbeat_loop() are the thin asyncio tasks around it.
#
# Handshake: the board sends a HELLO once at boot (so the host can tell a reset from anything
# else, and see its cause). The host sends HELLO as a command; the board answers ACK with its
# own HELLO payload as the result, or NACK(schema_mismatch) saying which side to update.
#
# Right after the handshake the host sends LINK_TIMING with its heartbeat period and the
# missed periods after which a side is declared gone: the board adopts both for its own
# HEARTBEAT and for supervising the host, so the two sides agree by construction (a board
# told values it cannot follow answers NACK(refused) naming them and the allowed range).
#
# Host state machine, as the board sees it:
#
#   host_up = False --(HELLO from host, schema matches)--> host_up = True
#        ^                                                      |
#        +------(no host HEARTBEAT for missed_heartbeats periods, plus half a period)
#
# While the host is not up the board answers commands with NACK(not_ready) (which makes the
# host shake hands again), holds LOG lines in a small backlog that is sent after the next
# handshake, and sends nothing else but its HEARTBEAT: every other frame send() is asked for
# (the subsystems' streams and events) is dropped and counted in tx_paused, because nobody
# takes it and a USB-CDC or UART buffer that nobody drains would only fill up. A host that
# comes back catches up: touch reports list every contact in each scan, and the on_up
# callbacks resend state (the touch frame's health) after each handshake.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio

from vitrine_fw import wire

_RX_CHUNK = const(64)  # bytes read from the port per wake-up
_READ_TIMEOUT_MS = const(200)  # read wake-up period, so the rx task always reports liveness
_DEDUP = const(8)  # remembered replies to recent commands (retries are answered from here)
_BACKLOG = const(16)  # LOG lines kept while the host is away


class Refused(Exception):
    """Raised by a command handler to answer NACK(refused) with the message as detail."""


class Busy(Exception):
    """Raised by a command handler to answer NACK(busy) with the message as detail."""


class Link:
    """The board's end of the link over one port.

    port: read_into(buf, timeout_ms) coroutine -> bytes read (0 on timeout);
          write(buf, n) -> bytes accepted (fewer when the port drops data).
    clock: ticks_ms(), ticks_diff(a, b).
    identity: dict with role, fw_version, build_hash, uid, reset_cause, capabilities.
    """

    def __init__(self, port, clock, identity, heartbeat_ms=1000, missed_heartbeats=4):
        self.port = port
        self.clock = clock
        self.identity = identity
        self.heartbeat_ms = heartbeat_ms
        self.missed_heartbeats = missed_heartbeats
        self.host_timeout_ms = heartbeat_ms * missed_heartbeats + heartbeat_ms // 2
        self.schema_rev = wire.SCHEMA_REV  # the simulator may pose as an older firmware
        self.schema_hash = wire.SCHEMA_HASH
        self.dec = wire.Decoder()
        self.rx = bytearray(_RX_CHUNK)
        self.tx = bytearray(wire.MAX_WIRE + wire.MAX_FRAME)
        self.seq = 0
        self.host_up = False
        self.host_seen_ms = 0  # ticks_ms of the last HELLO or HEARTBEAT from the host
        self.expect_seq = -1  # next seq expected from the host; -1 before the first frame
        self.handlers = {}  # type -> handler(values) for commands and host streams/events
        self.command_seq = 0  # seq of the command being handled (handlers may read it)
        self.ring = None  # a LogRing that keeps every LOG line for the console, when set
        self._recent = [None] * _DEDUP  # (seq, type, reply frame bytes) of recent commands
        self._recent_i = 0
        self._backlog = []
        self._on_up = []  # callbacks run after each handshake (subsystems resend their state)
        self._tick_ms = clock.ticks_ms()
        self.uptime_ms = 0  # accumulated, so it survives the ticks counter wrapping
        # Counters (reported in every HEARTBEAT).
        self.gaps = 0
        self.duplicates = 0
        self.unknown_types = 0
        self.version_errors = 0
        self.bad_payloads = 0
        self.tx_frames = 0
        self.tx_dropped = 0
        self.tx_paused = 0  # frames not sent because the host was not up (see above)
        self.handshakes = 0
        self.handlers[wire.LINK_TIMING] = self.link_timing

    # --- registration ---------------------------------------------------------------------

    def on(self, typ, handler):
        """Route a message type from the host to handler(values tuple).

        For commands (kind C) the handler's return value (bytes or None) goes back in the
        ACK; raising Refused or wire.WireError answers NACK."""
        self.handlers[typ] = handler

    def on_up(self, callback):
        """Call callback() after every handshake, once the host is up again (a subsystem
        resends the state it announced while nobody listened)."""
        self._on_up.append(callback)

    def link_timing(self, values):
        """LINK_TIMING(heartbeat_ms, missed_heartbeats) command: follow the host's period
        and patience; raises Refused for values outside what this firmware accepts."""
        heartbeat_ms, missed = values
        if not wire.HEARTBEAT_MIN_MS <= heartbeat_ms <= wire.HEARTBEAT_MAX_MS:
            raise Refused(
                "heartbeat_ms=%d, this board follows %d..%d"
                % (heartbeat_ms, wire.HEARTBEAT_MIN_MS, wire.HEARTBEAT_MAX_MS)
            )
        if not wire.MISSED_MIN <= missed <= wire.MISSED_MAX:
            raise Refused(
                "missed_heartbeats=%d, this board follows %d..%d"
                % (missed, wire.MISSED_MIN, wire.MISSED_MAX)
            )
        self.heartbeat_ms = heartbeat_ms
        self.missed_heartbeats = missed
        self.host_timeout_ms = heartbeat_ms * missed + heartbeat_ms // 2
        # the host's silence is measured from now, in the new period
        self.host_seen_ms = self.clock.ticks_ms()

    # --- receiving ------------------------------------------------------------------------

    def receive(self, data, n):
        """Process n bytes received from the port."""
        dec = self.dec
        i = 0
        while i < n:
            i = dec.feed(data, i, n)
            if dec.result == wire.FRAME:
                self._on_frame()

    def _on_frame(self):
        dec = self.dec
        typ = dec.type
        seq = dec.seq
        ack_req = dec.flags & wire.FLAG_ACK_REQ
        if dec.version != wire.PROTOCOL_VERSION:
            self.version_errors += 1
            if ack_req:
                detail = "board speaks protocol %d, host %d: update the %s" % (
                    wire.PROTOCOL_VERSION,
                    dec.version,
                    "board firmware" if dec.version > wire.PROTOCOL_VERSION else "host",
                )
                self._reply(seq, wire.NACK, typ, wire.NACK_VERSION, detail)
            return
        if dec.flags & wire.FLAG_IS_ACK:
            return  # the board sends no commands of its own yet; stray replies are dropped
        self._count_seq(typ, seq)
        kind = wire.message_kind(typ)
        if kind is None:
            self.unknown_types += 1
            if ack_req:
                self._reply(seq, wire.NACK, typ, wire.NACK_UNKNOWN_TYPE, "")
            return
        if typ == wire.HELLO:
            self._on_hello(seq, ack_req)
            return
        if typ == wire.HEARTBEAT:
            self.host_seen_ms = self.clock.ticks_ms()
        if not self.host_up:
            if ack_req:
                self._reply(seq, wire.NACK, typ, wire.NACK_NOT_READY, "send HELLO first")
            return
        if ack_req:
            self._on_command(seq, typ)
            return
        handler = self.handlers.get(typ)
        if handler is not None:
            try:
                values = wire.decode_payload(
                    typ, dec.buf, wire.HEADER_LEN, wire.HEADER_LEN + dec.length
                )
            except wire.WireError:
                self.bad_payloads += 1
                return
            handler(values)

    def _count_seq(self, typ, seq):
        # Gap counting over the host's sequence. A HELLO starts a new sequence (a new host
        # session); a seq behind the expected one is a retransmission, not a gap.
        if self.expect_seq < 0 or typ == wire.HELLO:
            self.expect_seq = (seq + 1) & 0xFFFF
            return
        delta = (seq - self.expect_seq) & 0xFFFF
        if delta >= 0x8000:
            self.duplicates += 1
            return
        self.gaps += delta
        self.expect_seq = (seq + 1) & 0xFFFF

    def _on_hello(self, seq, ack_req):
        dec = self.dec
        try:
            values = wire.decode_payload(
                wire.HELLO, dec.buf, wire.HEADER_LEN, wire.HEADER_LEN + dec.length
            )
        except wire.WireError as err:
            if ack_req:
                self._reply(seq, wire.NACK, wire.HELLO, wire.NACK_BAD_PAYLOAD, str(err))
            return
        rev, schema = values[0], values[1]
        if rev != self.schema_rev or schema != self.schema_hash:
            self.host_up = False
            if ack_req:
                self._reply(seq, wire.NACK, wire.HELLO, wire.NACK_SCHEMA, self._schema_advice(rev))
            return
        # Accepted: the reply carries this board's HELLO, so the host learns who we are from
        # the ACK; a HELLO frame of our own is only ever sent at boot ("I have just reset").
        # A new host session restarts the host's sequence, so forget replies to old commands.
        self._recent = [None] * _DEDUP
        if ack_req:
            self._reply(seq, wire.ACK, wire.HELLO, self.hello_payload())
        self.host_up = True
        self.host_seen_ms = self.clock.ticks_ms()
        self.handshakes += 1
        backlog = self._backlog
        self._backlog = []
        for level, subsystem, text in backlog:
            self.send_fields(wire.LOG, level, subsystem, text)
        for callback in self._on_up:
            callback()

    def _schema_advice(self, host_rev):
        role = self.identity["role"]
        if host_rev > self.schema_rev:
            side = "update the board firmware: vitrine flash --role " + role
        elif host_rev < self.schema_rev:
            side = "update the host software (the board's firmware is newer)"
        else:
            side = "same revision, different tables: flash the board from this host's build"
        return "%s board schema rev %d (0x%08x), host rev %d: %s" % (
            role,
            self.schema_rev,
            self.schema_hash,
            host_rev,
            side,
        )

    def _on_command(self, seq, typ):
        # Commands are idempotent and retried by the host with the same seq: a retry of a
        # command already answered gets the same reply again, without running it twice.
        for entry in self._recent:
            if entry is not None and entry[0] == seq and entry[1] == typ:
                self._write(entry[2], len(entry[2]))
                return
        dec = self.dec
        handler = self.handlers.get(typ)
        self.command_seq = seq
        if handler is None:
            frame = self._reply(seq, wire.NACK, typ, wire.NACK_REFUSED, "not handled by this board")
        else:
            try:
                values = wire.decode_payload(
                    typ, dec.buf, wire.HEADER_LEN, wire.HEADER_LEN + dec.length
                )
                result = handler(values)
                frame = self._reply(seq, wire.ACK, typ, result or b"")
            except wire.WireError as err:
                frame = self._reply(seq, wire.NACK, typ, wire.NACK_BAD_PAYLOAD, str(err))
            except Refused as err:
                frame = self._reply(seq, wire.NACK, typ, wire.NACK_REFUSED, str(err))
            except Busy as err:
                frame = self._reply(seq, wire.NACK, typ, wire.NACK_BUSY, str(err))
            except Exception as err:
                frame = self._reply(seq, wire.NACK, typ, wire.NACK_INTERNAL, repr(err))
        self._recent[self._recent_i] = (seq, typ, frame)
        self._recent_i = (self._recent_i + 1) % _DEDUP

    # --- sending --------------------------------------------------------------------------

    def send(self, typ, payload, n, flags=0):
        """Send payload[0:n] as a frame of type typ with the next seq; returns the seq, or -1
        when the frame was not sent because the host is not up (only HELLO and HEARTBEAT go
        out then). Allocates nothing."""
        # two comparisons, not `in (...)`: MicroPython would build that tuple on every send
        if not self.host_up and typ != wire.HEARTBEAT and typ != wire.HELLO:  # noqa: PLR1714
            self.tx_paused += 1
            return -1
        seq = self.seq
        self.seq = (seq + 1) & 0xFFFF
        size = wire.encode_frame_into(self.tx, typ, seq, flags, payload, n)
        self._write(self.tx, size)
        return seq

    def send_fields(self, typ, *values):
        """Send a message from its field values (allocates; not for hot paths)."""
        payload = wire.encode_payload(typ, values)
        return self.send(typ, payload, len(payload))

    def _reply(self, seq, typ, acked_type, *rest):
        # ACK: (acked_type, result bytes); NACK: (acked_type, reason, detail). A reply carries
        # FLAG_IS_ACK and the acknowledged frame's seq. Returns the wire bytes (for dedup).
        if typ == wire.ACK:
            values = (acked_type, rest[0] if rest else b"")
        else:
            values = (acked_type, rest[0], _clip(rest[1], 200))
        frame = wire.encode_message(typ, seq, values, wire.FLAG_IS_ACK)
        self._write(frame, len(frame))
        return frame

    def _write(self, buf, n):
        sent = self.port.write(buf, n)
        self.tx_frames += 1
        if sent is not None and sent < n:
            self.tx_dropped += 1

    def hello_payload(self):
        """This board's HELLO payload: identity and compatibility."""
        ident = self.identity
        return wire.encode_payload(
            wire.HELLO,
            (
                self.schema_rev,
                self.schema_hash,
                ident["role"],
                ident["fw_version"],
                ident["build_hash"],
                ident["uid"],
                ident["reset_cause"],
                ident["capabilities"],
            ),
        )

    def send_hello(self):
        """Announce a boot (sent once, when the firmware starts)."""
        payload = self.hello_payload()
        self.send(wire.HELLO, payload, len(payload))

    def send_heartbeat(self):
        dec = self.dec
        self.send_fields(
            wire.HEARTBEAT,
            self.uptime_ms & 0xFFFFFFFF,
            dec.frames & 0xFFFFFFFF,
            dec.crc_errors & 0xFFFFFFFF,
            dec.framing_errors & 0xFFFFFFFF,
            self.gaps & 0xFFFFFFFF,
            self.unknown_types & 0xFFFFFFFF,
            self.tx_dropped & 0xFFFFFFFF,
        )

    def log(self, level, subsystem, text):
        """Send a LOG line now, or keep it for the next handshake while the host is away; the
        ring, when set, keeps it either way."""
        text = _clip(text, 200)
        if self.ring is not None:
            self.ring.add(self.uptime_now_ms(), level, subsystem, text)
        if self.host_up:
            self.send_fields(wire.LOG, level, subsystem, text)
        else:
            if len(self._backlog) >= _BACKLOG:
                self._backlog.pop(0)
            self._backlog.append((level, subsystem, text))

    def close(self):
        """Close the port (on USB-CDC this gives Ctrl-C back to the REPL)."""
        close = getattr(self.port, "close", None)
        if close is not None:
            close()

    # --- periodic work --------------------------------------------------------------------

    def uptime_now_ms(self):
        """Milliseconds since boot, now (uptime_ms moves only once per heartbeat period)."""
        return self.uptime_ms + self.clock.ticks_diff(self.clock.ticks_ms(), self._tick_ms)

    def tick(self):
        """Once per heartbeat period: uptime, host supervision, our HEARTBEAT."""
        now = self.clock.ticks_ms()
        self.uptime_ms += self.clock.ticks_diff(now, self._tick_ms)
        self._tick_ms = now
        if self.host_up and self.clock.ticks_diff(now, self.host_seen_ms) > self.host_timeout_ms:
            self.host_up = False
        self.send_heartbeat()

    async def rx_loop(self, alive):
        """Task: read the port and process what arrives."""
        port = self.port
        rx = self.rx
        while True:
            n = await port.read_into(rx, _READ_TIMEOUT_MS)
            if n:
                self.receive(rx, n)
            alive()

    async def heartbeat_loop(self, alive):
        """Task: a HEARTBEAT every heartbeat_ms (the boot HELLO went out before any task)."""
        while True:
            self.tick()
            alive()
            await asyncio.sleep(self.heartbeat_ms / 1000)


def _clip(text, limit):
    # Cut a str to at most `limit` UTF-8 bytes without splitting a character.
    raw = text.encode()
    if len(raw) <= limit:
        return text
    raw = raw[:limit]
    while raw:
        try:
            return raw.decode()
        except UnicodeError:
            raw = raw[:-1]
    return ""
