# Allocation checks under real MicroPython: the hot paths run with micropython.heap_lock(),
# where any heap allocation raises MemoryError. MicroPython only (CPython has no heap lock).
#
# Rules that keep the harness honest (see FACTS.md): the locked region is one call inside
# measure(); every name it stores to exists beforehand; the heap is always unlocked in
# `finally`; outcomes are reported as data. Each target is warmed up once unlocked and its
# results are checked afterwards, so "allocates nothing" never hides "did nothing".
#
# Prints one RESULT line: {"checks": {name: null | error}, "controls": {name: null | error},
# "values": {...}}. A check passes with null; a control (code that must allocate) passes with
# an error, which proves the harness would catch an allocation.

import binascii
import json
import struct

from fw_scenario import RESULT_MARK, FakeClock, measure

from vitrine_fw import seam, wire
from vitrine_fw.link import Link
from vitrine_fw.probe import Probe


def frame(typ, seq, payload, flags=0):
    return wire.encode_frame(typ, seq, flags, payload)


# --- targets (four positional arguments each, so the locked call is a plain call) ----------


def feed_all(dec, data, n, counts):
    # counts: [good frames, corrupt frames] (list items hold small ints: no allocation)
    i = 0
    while i < n:
        i = dec.feed(data, i, n)
        r = dec.result
        if r == wire.FRAME:
            counts[0] += 1
        elif r < 0:
            counts[1] += 1


def feed_bytewise(dec, data, n, counts):
    i = 0
    while i < n:
        dec.feed(data, i, i + 1)
        i += 1
        r = dec.result
        if r == wire.FRAME:
            counts[0] += 1
        elif r < 0:
            counts[1] += 1


def encode_into(out, payload, n, sizes):
    sizes[0] = wire.encode_frame_into(out, wire.PROBE, 0xBEEF, wire.FLAG_ACK_REQ, payload, n)


def crc_round(buf, n, flags, _):
    wire.crc_write(buf, 0, n)
    flags[0] = wire.crc_check(buf, 0, n)
    buf[0] ^= 1
    flags[1] = wire.crc_check(buf, 0, n)
    buf[0] ^= 1


def link_send(link, payload, n, _):
    link.send(wire.PROBE, payload, n)


def probe_send(probe, link, _c, _d):
    link.send(wire.PROBE, probe.payload, probe.fill())
    probe.index += 1


def link_receive(link, data, n, _):
    link.receive(data, n)


# --- controls: code that must allocate ------------------------------------------------------


def slice_memoryview(mv, _b, _c, _d):
    mv[1:3]


def new_bytes(_a, _b, _c, _d):
    bytes(4)


def big_crc(data, out, _c, _d):
    # binascii.crc32 returns values >= 2**30 as heap-allocated long ints on MicroPython: the
    # reason wire.py computes its CRC in 16-bit halves on the allocation-free paths.
    out[0] = binascii.crc32(data)


class CountingPort(seam.BasePort):
    """A port whose write() keeps only a byte count (a small int): nothing new is stored."""

    def __init__(self):
        self.bytes = 0
        self.writes = 0

    def write(self, buf, n):
        self.bytes += n
        self.writes += 1
        return n


IDENTITY = {
    "role": "touch",
    "fw_version": "0.1.0",
    "build_hash": "test",
    "uid": "00",
    "reset_cause": 0,
    "capabilities": 1,
}


def main():
    checks = {}
    controls = {}
    values = {}

    # (a) Decoder.feed over good frames and every kind of bad one.
    stream = bytearray()
    good = [
        frame(wire.HEARTBEAT, 1, bytes(28)),
        frame(0x20, 2, bytes(range(1, 200))),
        frame(wire.PROBE, 3, bytes([0x5A]) * wire.MAX_PAYLOAD),
        frame(wire.LOG, 4, wire.encode_payload(wire.LOG, (20, "t", "x"))),
    ]
    bad_crc = bytearray(frame(wire.HEARTBEAT, 5, bytes(28)))
    bad_crc[4] ^= 0x01
    stream.extend(good[0])
    stream.extend(bad_crc)
    stream.extend(good[1])
    stream.extend(b"\x00\x05\x01\x00")  # malformed COBS
    stream.extend(bytes([0x11]) * (wire.MAX_ENCODED + 10))  # over-long, then a delimiter
    stream.extend(good[2])
    stream.extend(b"\x00\x00\x00")  # idle fill
    stream.extend(good[3])
    data = bytes(stream)
    n = len(data)
    dec = wire.Decoder()
    counts = [0, 0]
    feed_all(dec, data, n, counts)  # warm-up
    values["decoder_warmup"] = [counts[0], counts[1]]
    counts[0] = 0
    counts[1] = 0
    checks["decoder_feed"] = measure(feed_all, dec, data, n, counts)
    values["decoder_feed"] = [counts[0], counts[1]]
    counts[0] = 0
    counts[1] = 0
    checks["decoder_feed_bytewise"] = measure(feed_bytewise, dec, data, n, counts)
    values["decoder_feed_bytewise"] = [counts[0], counts[1]]
    values["decoder_counters"] = [dec.frames, dec.crc_errors, dec.framing_errors]

    # (b) encode_frame_into, for an empty payload and a full one with a 0xFF COBS block.
    out = bytearray(wire.MAX_WIRE + wire.MAX_FRAME)
    sizes = [0]
    full = bytes(range(1, wire.MAX_PAYLOAD + 1))
    encode_into(out, full, len(full), sizes)  # warm-up
    encoded = []
    for name, payload in (("encode_frame_into_empty", b""), ("encode_frame_into_full", full)):
        sizes[0] = 0
        checks[name] = measure(encode_into, out, payload, len(payload), sizes)
        expect = wire.encode_frame(wire.PROBE, 0xBEEF, wire.FLAG_ACK_REQ, payload)
        encoded.append(bytes(out[: sizes[0]]) == expect)
    values["encode_frame_into_matches"] = encoded

    # (c) crc_write / crc_check on a buffer whose CRC is >= 2**30 (a long int if boxed).
    buf = bytearray(b"vitrine wire crc 0123456789" + bytes(4))
    n_crc = len(buf) - 4
    flags = [None, None]
    crc_round(buf, n_crc, flags, None)  # warm-up
    flags[0] = flags[1] = None
    checks["crc_write_check"] = measure(crc_round, buf, n_crc, flags)
    crc = struct.unpack_from("<I", buf, n_crc)[0]
    values["crc"] = [
        crc == binascii.crc32(bytes(buf[:n_crc])) & 0xFFFFFFFF,
        crc >= 1 << 30,
        flags[0],
        flags[1],
    ]

    # (d) Link.send with a port that stores nothing new; also the probe stream's send. First
    # while the host is away (the frame is held back and counted), then with the host up.
    clock = FakeClock(5000)
    port = CountingPort()
    link = Link(port, clock, IDENTITY)
    payload = bytearray(range(1, 65))
    link_send(link, payload, len(payload), None)  # warm-up
    checks["link_send_paused"] = measure(link_send, link, payload, len(payload))
    values["link_send_paused"] = [port.writes, link.seq, link.tx_paused]
    link.host_up = True  # as after a handshake (section (e) shakes hands for real)
    link_send(link, payload, len(payload), None)  # warm-up
    before = port.bytes
    checks["link_send"] = measure(link_send, link, payload, len(payload))
    values["link_send"] = [port.writes, port.bytes - before, link.seq, link.tx_frames]
    probe = Probe(link, clock)
    probe.size = 64
    probe_send(probe, link, None, None)  # warm-up
    checks["probe_fill_send"] = measure(probe_send, probe, link)
    values["probe_index"] = probe.index

    # (e) Link.receive of host stream frames once the host is up (no handler registered).
    hello = wire.encode_message(
        wire.HELLO,
        1,
        (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "dev", "", 0, 0),
        wire.FLAG_ACK_REQ,
    )
    link.receive(hello, len(hello))
    values["host_up"] = link.host_up
    zeros = (0, 0, 0, 0, 0, 0, 0)
    beats = b"".join(
        wire.encode_message(wire.HEARTBEAT, seq, zeros) for seq in (2, 3, 5)
    )  # seq 4 lost: one gap
    link.receive(beats, len(beats))  # warm-up
    beats2 = b"".join(wire.encode_message(wire.HEARTBEAT, seq, zeros) for seq in (6, 7, 9))
    checks["link_receive_stream"] = measure(link_receive, link, beats2, len(beats2))
    values["link_receive"] = [link.gaps, link.dec.frames]

    # Controls: the harness must see these allocate.
    mv = memoryview(bytearray(8))
    controls["memoryview_slice"] = measure(slice_memoryview, mv)
    controls["new_bytes"] = measure(new_bytes)
    crc_out = [0]
    controls["binascii_crc32_big"] = measure(big_crc, b"vitrine wire crc 0123456789", crc_out)
    values["big_crc_value"] = binascii.crc32(b"vitrine wire crc 0123456789")

    print(RESULT_MARK + json.dumps({"checks": checks, "controls": controls, "values": values}))


main()
