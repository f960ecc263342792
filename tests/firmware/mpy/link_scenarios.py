# The board's end of the link (vitrine_fw.link.Link), driven through its synchronous core with
# a fake port and a fake clock. Runs unchanged on MicroPython (node tools/micropython.mjs) and
# CPython (tests/firmware/test_link.py imports it); replies are decoded with wire.FrameReader.

from fw_scenario import (
    FakeClock,
    FakePort,
    contains,
    corrupt,
    eq,
    feed,
    host_frame,
    ok,
    run_all,
)

from vitrine_fw import wire
from vitrine_fw.link import Link, Refused
from vitrine_fw.probe import Probe

IDENTITY = {
    "role": "touch",
    "fw_version": "0.1.0",
    "build_hash": "test-build",
    "uid": "e6614103e7452d2f",
    "reset_cause": wire.RESET_WDT,
    "capabilities": wire.CAP_LINK | wire.CAP_PROBE,
}
HEARTBEAT_MS = 1000
MISSED = 4
ZERO_COUNTERS = (0, 0, 0, 0, 0, 0, 0)


def make_link(accept=None):
    clock = FakeClock(1000)
    port = FakePort(accept)
    link = Link(port, clock, IDENTITY, HEARTBEAT_MS, MISSED)
    return link, port, clock


def host_hello(seq, rev=None, schema_hash=None):
    rev = wire.SCHEMA_REV if rev is None else rev
    schema_hash = wire.SCHEMA_HASH if schema_hash is None else schema_hash
    values = (rev, schema_hash, "host", "0.1.0", "dev", "", wire.RESET_UNKNOWN, 0)
    return host_frame(wire.HELLO, seq, values)


def handshake(link, port, seq=100):
    feed(link, host_hello(seq))
    ok(link.host_up, "host is up after a good HELLO")
    port.take()


def only(frames, what):
    eq(len(frames), 1, what + ": number of frames written")
    return frames[0]


def check_reply(frame, typ, seq, acked_type):
    eq(frame.type, typ, "reply type")
    eq(frame.flags, wire.FLAG_IS_ACK, "reply flags")
    eq(frame.seq, seq, "reply seq (the command's)")
    eq(frame.version, wire.PROTOCOL_VERSION, "reply version")
    eq(frame.values[0], acked_type, "acked_type")


def check_nack(frame, seq, acked_type, reason):
    check_reply(frame, wire.NACK, seq, acked_type)
    eq(wire.NACK_REASONS.get(frame.values[1]), wire.NACK_REASONS[reason], "NACK reason")
    return frame.values[2]


def identity_values(link):
    return (
        link.schema_rev,
        link.schema_hash,
        IDENTITY["role"],
        IDENTITY["fw_version"],
        IDENTITY["build_hash"],
        IDENTITY["uid"],
        IDENTITY["reset_cause"],
        IDENTITY["capabilities"],
    )


# --- handshake -------------------------------------------------------------------------------


def scenario_boot_hello_announces_identity():
    link, port, _ = make_link()
    link.send_hello()
    frame = only(port.take(), "boot HELLO")
    eq(frame.type, wire.HELLO, "type")
    eq(frame.flags, 0, "flags (an event, not a command)")
    eq(frame.seq, 0, "first seq")
    eq(frame.values, identity_values(link), "HELLO fields")


def scenario_hello_accepted_acks_and_flushes_backlog():
    link, port, _ = make_link()
    link.log(wire.LOG_INFO, "supervisor", "boot: role touch")
    link.log(wire.LOG_WARNING, "touch", "beam 3 stuck")
    eq(port.take(), [], "nothing is sent before the handshake")
    feed(link, host_hello(100))
    ok(link.host_up, "host_up after a matching HELLO")
    eq(link.handshakes, 1, "handshakes")
    frames = port.take()
    eq([f.name for f in frames], ["ACK", "LOG", "LOG"], "frames after the handshake")
    ack = frames[0]
    check_reply(ack, wire.ACK, 100, wire.HELLO)
    # The ACK's result is the board's own HELLO payload: the host learns who answered.
    board_hello = wire.decode_payload(wire.HELLO, ack.values[1])
    eq(board_hello, identity_values(link), "board HELLO carried in the ACK")
    eq(
        [f.values for f in frames[1:]],
        [
            (wire.LOG_INFO, "supervisor", "boot: role touch"),
            (wire.LOG_WARNING, "touch", "beam 3 stuck"),
        ],
        "backlog, in order",
    )
    eq([f.flags for f in frames[1:]], [0, 0], "LOG flags")
    eq([f.seq for f in frames[1:]], [0, 1], "board seqs of the LOG lines")
    link.log(wire.LOG_INFO, "touch", "now live")
    eq(only(port.take(), "log while up").values[2], "now live", "a LOG sent at once while up")


def scenario_backlog_keeps_the_newest_lines():
    link, port, _ = make_link()
    for i in range(20):
        link.log(wire.LOG_INFO, "t", f"line {i}")
    feed(link, host_hello(5))
    texts = [f.values[2] for f in port.take() if f.type == wire.LOG]
    eq(texts, [f"line {i}" for i in range(4, 20)], "backlog holds the newest 16 lines")


def _schema_mismatch(rev, schema_hash, expected_advice):
    link, port, _ = make_link()
    link.log(wire.LOG_INFO, "t", "held back")
    feed(link, host_hello(7, rev, schema_hash))
    detail = check_nack(only(port.take(), "schema NACK"), 7, wire.HELLO, wire.NACK_SCHEMA)
    contains(detail, expected_advice, "NACK detail")
    contains(detail, f"rev {wire.SCHEMA_REV}", "NACK detail names the board's rev")
    ok(not link.host_up, "host stays down after a schema mismatch")
    eq(link.handshakes, 0, "handshakes")


def scenario_hello_newer_host_schema_says_update_board():
    _schema_mismatch(wire.SCHEMA_REV + 1, wire.SCHEMA_HASH, "update the board firmware")


def scenario_hello_older_host_schema_says_update_host():
    _schema_mismatch(wire.SCHEMA_REV - 1, wire.SCHEMA_HASH, "update the host")


def scenario_hello_same_rev_other_table_says_flash_from_host():
    _schema_mismatch(wire.SCHEMA_REV, wire.SCHEMA_HASH ^ 1, "flash the board")


def scenario_mismatched_hello_takes_an_up_link_down():
    link, port, _ = make_link()
    handshake(link, port)
    feed(link, host_hello(200, wire.SCHEMA_REV + 1))
    check_nack(only(port.take(), "NACK"), 200, wire.HELLO, wire.NACK_SCHEMA)
    ok(not link.host_up, "host_up after a mismatching HELLO")


def scenario_hello_with_bad_payload_is_refused():
    link, port, _ = make_link()
    feed(link, host_frame(wire.HELLO, 3, payload=b"\x01\x00"))
    check_nack(only(port.take(), "NACK"), 3, wire.HELLO, wire.NACK_BAD_PAYLOAD)
    ok(not link.host_up, "host_up")


# --- commands --------------------------------------------------------------------------------


def scenario_command_before_hello_is_not_ready():
    link, port, clock = make_link()
    probe = Probe(link, clock)
    feed(link, host_frame(wire.PROBE_START, 1, (100, 10, 32)))
    check_nack(only(port.take(), "NACK"), 1, wire.PROBE_START, wire.NACK_NOT_READY)
    eq(probe.rate_hz, 0, "probe not started")


def scenario_probe_start_is_acked_and_applied():
    link, port, clock = make_link()
    probe = Probe(link, clock)
    handshake(link, port, 100)
    feed(link, host_frame(wire.PROBE_START, 101, (250, 50, 32)))
    ack = only(port.take(), "ACK")
    check_reply(ack, wire.ACK, 101, wire.PROBE_START)
    eq(ack.values[1], b"", "ACK result")
    eq((probe.rate_hz, probe.count, probe.size, probe.index), (250, 50, 32, 0), "probe state")


def scenario_probe_start_out_of_range_is_refused():
    link, port, clock = make_link()
    probe = Probe(link, clock)
    handshake(link, port, 100)
    feed(link, host_frame(wire.PROBE_START, 101, (5000, 0, 32)))
    detail = check_nack(only(port.take(), "NACK"), 101, wire.PROBE_START, wire.NACK_REFUSED)
    contains(detail, "rate_hz=5000", "detail names the value")
    eq(probe.rate_hz, 0, "probe not started")


def scenario_retried_command_gets_same_reply_without_rerun():
    link, port, clock = make_link()
    probe = Probe(link, clock)
    calls = []

    def counting_start(values):
        calls.append(values)
        return probe.start(values)

    link.on(wire.PROBE_START, counting_start)
    handshake(link, port, 100)
    command = host_frame(wire.PROBE_START, 101, (10, 0, 9))
    feed(link, command)
    first = bytes(port.data)
    port.take()
    feed(link, command)  # the host did not see the ACK and retries with the same seq
    second = bytes(port.data)
    eq(second, first, "reply bytes of the retry")
    eq(len(calls), 1, "handler runs")
    eq(link.duplicates, 1, "the retry counts as a duplicate")
    eq(link.gaps, 0, "gaps")
    port.take()
    feed(link, host_frame(wire.PROBE_START, 102, (10, 0, 9)))
    check_reply(only(port.take(), "ACK"), wire.ACK, 102, wire.PROBE_START)
    eq(len(calls), 2, "a new seq runs the handler again")


def scenario_command_handler_failures_are_nacked():
    link, port, _ = make_link()

    def refuses(values):
        raise Refused("lights are off")

    def breaks(values):
        raise ValueError("boom")

    link.on(wire.PROBE_START, refuses)
    handshake(link, port, 100)
    feed(link, host_frame(wire.PROBE_START, 101, (1, 1, 9)))
    detail = check_nack(only(port.take(), "NACK"), 101, wire.PROBE_START, wire.NACK_REFUSED)
    eq(detail, "lights are off", "Refused detail")
    link.on(wire.PROBE_START, breaks)
    feed(link, host_frame(wire.PROBE_START, 102, (1, 1, 9)))
    detail = check_nack(only(port.take(), "NACK"), 102, wire.PROBE_START, wire.NACK_INTERNAL)
    contains(detail, "boom", "internal error detail")
    feed(link, host_frame(wire.PROBE_START, 103, payload=b"\x01"))
    check_nack(only(port.take(), "NACK"), 103, wire.PROBE_START, wire.NACK_BAD_PAYLOAD)
    feed(link, host_frame(wire.REBOOT, 104, (100,)))  # known, but no handler registered
    detail = check_nack(only(port.take(), "NACK"), 104, wire.REBOOT, wire.NACK_REFUSED)
    contains(detail, "not handled", "detail")


def scenario_unknown_type_with_ack_is_nacked_and_counted():
    link, port, _ = make_link()
    handshake(link, port, 100)
    feed(link, host_frame(0xE7, 101, payload=b"\x01\x02"))
    check_nack(only(port.take(), "NACK"), 101, 0xE7, wire.NACK_UNKNOWN_TYPE)
    eq(link.unknown_types, 1, "unknown_types")


def scenario_unknown_type_without_ack_is_only_counted():
    link, port, _ = make_link()
    handshake(link, port, 100)
    feed(link, host_frame(0x3F, 101, flags=0, payload=b"\x00"))
    eq(port.take(), [], "no reply to an unacknowledged unknown type")
    eq(link.unknown_types, 1, "unknown_types")


def scenario_host_stream_reaches_its_handler():
    link, port, _ = make_link()
    got = []
    link.on(wire.LOG, got.append)
    handshake(link, port, 100)
    feed(link, host_frame(wire.LOG, 101, (wire.LOG_INFO, "host", "hi ✓"), flags=0))
    eq(got, [(wire.LOG_INFO, "host", "hi ✓")], "handler values")
    feed(link, host_frame(wire.LOG, 102, flags=0, payload=b"\x14\x09"))
    eq(link.bad_payloads, 1, "bad_payloads")
    eq(len(got), 1, "a bad payload is not handed on")
    eq(port.take(), [], "streams get no reply")


# --- receive errors and sequence numbers -------------------------------------------------


def scenario_corrupt_frame_is_counted_not_dispatched():
    link, port, clock = make_link()
    probe = Probe(link, clock)
    handshake(link, port, 100)
    feed(link, corrupt(host_frame(wire.PROBE_START, 101, (10, 0, 9))))
    eq(link.dec.crc_errors, 1, "decoder crc_errors")
    eq(port.take(), [], "no reply to a corrupt frame")
    eq(probe.rate_hz, 0, "handler not run")
    eq(link.gaps, 0, "a corrupt frame does not move the expected seq")


def _host_heartbeat(seq):
    return host_frame(wire.HEARTBEAT, seq, ZERO_COUNTERS, flags=0)


def scenario_gaps_and_duplicates_are_counted():
    link, port, _ = make_link()
    handshake(link, port, 10)
    for seq in (11, 12, 16):  # 13, 14 and 15 are lost
        feed(link, _host_heartbeat(seq))
    eq(link.gaps, 3, "gaps after skipping 3 seqs")
    feed(link, _host_heartbeat(14))  # a late retransmission
    eq(link.duplicates, 1, "duplicates")
    eq(link.gaps, 3, "an older seq is not a gap")
    feed(link, _host_heartbeat(17))
    eq((link.gaps, link.duplicates), (3, 1), "counters after the stream resumes")
    eq(port.take(), [], "streams get no reply")


def scenario_seq_wrap_is_not_a_gap():
    link, port, _ = make_link()
    handshake(link, port, 0xFFFE)
    for seq in (0xFFFF, 0x0000, 0x0001):
        feed(link, _host_heartbeat(seq))
    eq((link.gaps, link.duplicates), (0, 0), "gaps, duplicates across 0xFFFF -> 0")


def scenario_new_hello_restarts_the_sequence():
    link, port, _ = make_link()
    handshake(link, port, 500)
    feed(link, host_hello(3))  # a restarted host begins a new sequence
    eq((link.gaps, link.duplicates), (0, 0), "gaps, duplicates")
    feed(link, _host_heartbeat(4))
    eq(link.gaps, 0, "gaps in the new sequence")


def scenario_other_protocol_version_is_nacked():
    link, port, _ = make_link()
    handshake(link, port, 100)
    newer = host_frame(wire.PROBE_START, 101, (1, 1, 9), version=wire.PROTOCOL_VERSION + 1)
    feed(link, newer)
    detail = check_nack(only(port.take(), "NACK"), 101, wire.PROBE_START, wire.NACK_VERSION)
    contains(detail, "update the board firmware", "newer host")
    older = host_frame(wire.HEARTBEAT, 102, ZERO_COUNTERS, version=wire.PROTOCOL_VERSION - 1)
    feed(link, older)
    detail = check_nack(only(port.take(), "NACK"), 102, wire.HEARTBEAT, wire.NACK_VERSION)
    contains(detail, "update the host", "older host")
    silent = host_frame(
        wire.HEARTBEAT, 103, ZERO_COUNTERS, flags=0, version=wire.PROTOCOL_VERSION + 1
    )
    feed(link, silent)
    eq(port.take(), [], "no reply without an ACK request")
    eq(link.version_errors, 3, "version_errors")


# --- the host's timing, and streams while the host is away ---------------------------------


def _timing(seq, heartbeat_ms, missed):
    return host_frame(wire.LINK_TIMING, seq, (heartbeat_ms, missed))


def scenario_link_timing_is_followed_both_ways():
    # The host's period and patience replace the board's own: its HEARTBEAT comes at the
    # host's period and the host is dropped after the host's number of silent periods.
    link, port, clock = make_link()
    handshake(link, port, 100)
    feed(link, _timing(101, 250, 3))
    check_reply(only(port.take(), "ACK"), wire.ACK, 101, wire.LINK_TIMING)
    eq((link.heartbeat_ms, link.missed_heartbeats), (250, 3), "heartbeat_ms, missed")
    eq(link.host_timeout_ms, 250 * 3 + 125, "host_timeout_ms")
    for _ in range(3):  # 750 ms of silence: within 3 periods plus half a period
        clock.advance_ms(250)
        link.tick()
    ok(link.host_up, "up after 3 silent periods of 250 ms")
    clock.advance_ms(250)
    link.tick()
    ok(not link.host_up, "down after 4 silent periods of 250 ms (1 s, not the default 4.5 s)")


def scenario_link_timing_the_board_cannot_follow_is_refused():
    link, port, _ = make_link()
    handshake(link, port, 100)
    for seq, values, part in (
        (101, (wire.HEARTBEAT_MIN_MS - 1, 4), "heartbeat_ms=99, this board follows 100..5000"),
        (102, (wire.HEARTBEAT_MAX_MS + 1, 4), "heartbeat_ms=5001"),
        (103, (1000, wire.MISSED_MIN - 1), "missed_heartbeats=1, this board follows 2..20"),
        (104, (1000, wire.MISSED_MAX + 1), "missed_heartbeats=21"),
    ):
        feed(link, _timing(seq, values[0], values[1]))
        detail = check_nack(only(port.take(), "NACK"), seq, wire.LINK_TIMING, wire.NACK_REFUSED)
        contains(detail, part, "refusal names the value and the range")
    eq((link.heartbeat_ms, link.missed_heartbeats), (HEARTBEAT_MS, MISSED), "unchanged")


def scenario_streams_pause_while_the_host_is_away():
    # Before the handshake and after the host's heartbeats stop, only HEARTBEAT (and the boot
    # HELLO) go out; streams and events are held back, counted, and use no sequence number.
    link, port, clock = make_link()
    payload = bytearray(16)
    eq(link.send(wire.PROBE, payload, 9), -1, "send before the handshake")
    eq(link.send(wire.TOUCH_HEALTH, payload, 8), -1, "event before the handshake")
    link.tick()
    eq([f.name for f in port.take()], ["HEARTBEAT"], "only the HEARTBEAT went out")
    eq(link.tx_paused, 2, "tx_paused")
    handshake(link, port, 100)
    eq(link.send(wire.PROBE, payload, 9), 1, "send once the host is up (HEARTBEAT was seq 0)")
    eq([f.name for f in port.take()], ["PROBE"], "the stream flows")
    for _ in range(MISSED + 1):
        clock.advance_ms(HEARTBEAT_MS)
        link.tick()
    ok(not link.host_up, "host gone")
    port.take()
    eq(link.send(wire.PROBE, payload, 9), -1, "send after the host went away")
    eq(port.take(), [], "nothing written")
    eq(link.tx_paused, 3, "tx_paused")


def scenario_on_up_callbacks_run_after_each_handshake():
    link, port, clock = make_link()
    calls = []

    def announce():
        calls.append(link.host_up)
        link.send(wire.TOUCH_HEALTH, bytearray(9), 9)

    link.on_up(announce)
    link.log(wire.LOG_WARNING, "touch", "held back")
    feed(link, host_hello(100))
    eq(calls, [True], "called once, with the host up")
    names = [f.name for f in port.take()]
    eq(names, ["ACK", "LOG", "TOUCH_HEALTH"], "ACK, then the backlog, then the callbacks")
    for _ in range(MISSED + 1):
        clock.advance_ms(HEARTBEAT_MS)
        link.tick()
    feed(link, host_hello(200))
    eq(calls, [True, True], "called again after the next handshake")


# --- periodic work ---------------------------------------------------------------------------


def scenario_host_timeout_after_missed_heartbeats():
    link, port, clock = make_link()
    handshake(link, port, 100)
    seq = 101
    for _ in range(3):  # the host heartbeats: the link stays up
        clock.advance_ms(HEARTBEAT_MS)
        feed(link, _host_heartbeat(seq))
        seq += 1
        link.tick()
        ok(link.host_up, "up while the host heartbeats")
    # The host falls silent. The limit is MISSED periods plus half a period of grace, so a
    # heartbeat that is merely late does not drop the link.
    for period in range(1, MISSED + 1):
        clock.advance_ms(HEARTBEAT_MS)
        link.tick()
        ok(link.host_up, f"still up {period} silent period(s) later")
    clock.advance_ms(HEARTBEAT_MS)
    link.tick()
    ok(not link.host_up, f"down after {MISSED + 1} silent periods")
    eq([f.name for f in port.take()], ["HEARTBEAT"] * (3 + MISSED + 1), "one HEARTBEAT per tick")
    feed(link, host_frame(wire.PROBE_START, seq, (1, 1, 9)))
    check_nack(only(port.take(), "NACK"), seq, wire.PROBE_START, wire.NACK_NOT_READY)


def scenario_heartbeat_reports_counters():
    link, port, clock = make_link()
    handshake(link, port, 100)
    feed(link, corrupt(_host_heartbeat(101)))  # lost to corruption: a gap
    feed(link, host_frame(0x3F, 102, flags=0, payload=b""))
    feed(link, _host_heartbeat(105))  # 103 and 104 lost: two more
    feed(link, b"\x00\x05\x01\x00")  # malformed COBS
    clock.advance_ms(1500)
    link.tick()
    hb = only(port.take(), "HEARTBEAT")
    eq(hb.type, wire.HEARTBEAT, "type")
    eq(hb.flags, 0, "flags")
    eq(
        hb.values,
        (1500, 3, 1, 1, 3, 1, 0),
        "uptime_ms rx_frames crc_errors framing_errors gaps unknown_types tx_dropped",
    )


def scenario_uptime_survives_ticks_wrap():
    clock = FakeClock((1 << 30) - 400)
    port = FakePort()
    link = Link(port, clock, IDENTITY, HEARTBEAT_MS, MISSED)
    clock.advance_ms(1000)  # ticks_ms wraps past 2**30 here
    ok(clock.ticks_ms() < 1000, "the fake clock wrapped")
    link.tick()
    clock.advance_ms(1000)
    link.tick()
    eq(link.uptime_ms, 2000, "uptime across the wrap")
    eq([f.values[0] for f in port.take()], [1000, 2000], "uptime_ms in HEARTBEATs")


def scenario_short_writes_count_as_dropped():
    link, port, _ = make_link(accept=3)
    handshake(link, port)  # its ACK is a short write too
    before = (link.tx_frames, link.tx_dropped)
    link.send_fields(wire.LOG, wire.LOG_INFO, "t", "x")
    link.send_fields(wire.LOG, wire.LOG_INFO, "t", "y")
    eq((link.tx_frames - before[0], link.tx_dropped - before[1]), (2, 2), "tx_frames, tx_dropped")


def scenario_send_numbers_frames():
    link, port, _ = make_link()
    handshake(link, port)
    payload = bytearray(32)
    payload[0] = 7
    seqs = [link.send(wire.PROBE, payload, 9) for _ in range(3)]
    eq(seqs, [0, 1, 2], "seqs returned by send")
    frames = port.take()
    eq([f.seq for f in frames], [0, 1, 2], "seqs on the wire")
    eq(frames[0].payload, bytes(payload[:9]), "payload[0:n] only")
    link.seq = 0xFFFF
    eq((link.send(wire.PROBE, payload, 9), link.seq), (0xFFFF, 0), "seq wraps to 0")


if __name__ == "__main__":
    run_all(globals())
