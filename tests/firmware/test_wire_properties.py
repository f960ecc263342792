"""Property tests of the wire framing on CPython: round trips, garbage, and recovery.

Three decoders are held to the same properties: Decoder (the boards' byte-wise path),
FrameReader with its own COBS/CRC, and FrameReader with the compiled cobs package and zlib
(the host's path). Chunk boundaries are random, so frames split anywhere must still decode.
"""

import struct
import zlib

import cobs.cobs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitrine_fw import wire

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

payloads = st.one_of(
    st.binary(max_size=wire.MAX_PAYLOAD),
    # long runs without a zero byte, so full 0xFF COBS blocks come up often
    st.binary(min_size=240, max_size=wire.MAX_PAYLOAD).map(lambda b: b.replace(b"\0", b"\x01")),
)
frame_args = st.tuples(
    st.integers(0, 0xFF),  # type
    st.integers(0, 0xFFFF),  # seq
    st.integers(0, 3),  # flags (both defined bits)
    payloads,
)
chunk_sizes = st.lists(st.integers(1, 300), min_size=1, max_size=20)


def reference_frame(typ, seq, flags, payload, version=wire.PROTOCOL_VERSION):
    """The frame built without wire.py: struct, zlib.crc32 and the cobs package."""
    raw = struct.pack("<BBHB", version, flags, seq, typ) + payload
    raw += struct.pack("<I", zlib.crc32(raw))
    return b"\x00" + cobs.cobs.encode(raw) + b"\x00"


def split(data, sizes):
    """data cut into consecutive chunks whose lengths cycle through sizes."""
    out = []
    i = 0
    k = 0
    while i < len(data):
        out.append(data[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    return out


def run_decoder(pieces):
    dec = wire.Decoder()
    frames = []
    for chunk in pieces:
        i = 0
        while i < len(chunk):
            i = dec.feed(chunk, i, len(chunk))
            if dec.result == wire.FRAME:
                frames.append((dec.version, dec.flags, dec.seq, dec.type, dec.payload()))
    return frames, dec


def run_reader(pieces, compiled):
    if compiled:
        reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
    else:
        reader = wire.FrameReader()
    frames = []
    for chunk in pieces:
        frames.extend(f[:5] for f in reader.feed(chunk))
    return frames, reader


def run_all(data, sizes):
    """(frames, counters) from each of the three decoders fed data in the same chunks."""
    pieces = split(data, sizes)
    out = {}
    for name, (frames, d) in (
        ("Decoder", run_decoder(pieces)),
        ("FrameReader", run_reader(pieces, False)),
        ("FrameReader+cobs", run_reader(pieces, True)),
    ):
        out[name] = (frames, (d.frames, d.crc_errors, d.framing_errors, d.bytes_skipped))
    return out


@FAST
@given(frame_args)
def test_encode_frame_matches_reference(args):
    typ, seq, flags, payload = args
    assert wire.encode_frame(typ, seq, flags, payload) == reference_frame(*args)


@FAST
@given(frame_args, st.integers(0, 0xFF))
def test_encode_frame_of_any_protocol_version_matches_reference(args, version):
    typ, seq, flags, payload = args
    data = wire.encode_frame(typ, seq, flags, payload, version)
    assert data == reference_frame(*args, version=version)
    # The decoders deliver it as it is: the version is the link's to judge (protocol.md §2).
    for name, (frames, counters) in run_all(data, [len(data)]).items():
        assert frames == [(version, flags, seq, typ, payload)], name
        assert counters == (1, 0, 0, 0), name


def test_encode_frame_refuses_a_version_out_of_a_byte():
    for version in (-1, 256):
        with pytest.raises(
            wire.WireError, match=rf"protocol version {version} out of range 0\.\.255"
        ):
            wire.encode_frame(wire.REBOOT, 0, 0, b"\x00\x00", version)


@FAST
@given(frame_args, chunk_sizes)
def test_round_trip(args, sizes):
    typ, seq, flags, payload = args
    data = wire.encode_frame(typ, seq, flags, payload)
    assert len(data) <= wire.MAX_WIRE
    expected = [(wire.PROTOCOL_VERSION, flags, seq, typ, payload)]
    for name, (frames, counters) in run_all(data, sizes).items():
        assert frames == expected, name
        assert counters == (1, 0, 0, 0), name


@pytest.mark.timeout(60)
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096), chunk_sizes)
def test_random_bytes_never_raise_and_counters_hold(data, sizes):
    results = run_all(data, sizes)
    *terminated, tail = data.split(b"\x00")  # segments that a delimiter closed, and the rest
    segments = sum(1 for s in terminated if s)
    for name, (frames, (n_frames, crc, framing, skipped)) in results.items():
        assert n_frames == len(frames), name
        # Every closed, non-empty segment is either delivered or counted as exactly one error,
        # and so is an unclosed one that is already too long.
        assert n_frames + crc + framing == segments + (len(tail) > wire.MAX_ENCODED), name
        assert 0 <= skipped <= len(data) - data.count(0), name
    # The three decoders agree on everything.
    assert results["Decoder"] == results["FrameReader"] == results["FrameReader+cobs"]


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.integers(0, 3 * wire.MAX_ENCODED), chunk_sizes)
def test_long_runs_without_delimiter_are_bounded(data, extra, sizes):
    # A stream that never sends a delimiter must not grow any buffer past MAX_ENCODED; once it
    # is past that, every byte of it is skipped and it is one framing error, however it was
    # cut into chunks and wherever it stops.
    body = (data.replace(b"\x00", b"\x01") * (wire.MAX_ENCODED + extra))[: wire.MAX_ENCODED + extra]
    dec = wire.Decoder()
    dec.feed(body, 0, len(body))
    assert dec.n <= wire.MAX_ENCODED
    assert len(dec.buf) == wire.MAX_ENCODED
    for compiled in (False, True):
        _, reader = run_reader(split(body, sizes), compiled)
        assert reader.pending <= wire.MAX_ENCODED
        if extra:
            assert reader.pending == 0
            assert (reader.framing_errors, reader.bytes_skipped) == (1, len(body))
        else:
            assert (reader.pending, reader.framing_errors, reader.bytes_skipped) == (
                len(body),
                0,
                0,
            )
    if extra:
        assert (dec.framing_errors, dec.bytes_skipped) == (1, len(body))
    else:
        assert (dec.n, dec.framing_errors, dec.bytes_skipped) == (len(body), 0, 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(frame_args, min_size=1, max_size=6),
    st.lists(st.binary(max_size=400), min_size=7, max_size=7),
    chunk_sizes,
)
def test_frames_between_noise_are_all_recovered_in_order(frames, noise, sizes):
    # Noise may hold 0x00 and may be longer than MAX_ENCODED; each frame's leading delimiter
    # ends whatever the noise left open, so every frame must come through, in order.
    stream = bytearray(noise[0])
    for i, (typ, seq, flags, payload) in enumerate(frames):
        stream += wire.encode_frame(typ, seq, flags, payload)
        stream += noise[i + 1]
    expected = [(wire.PROTOCOL_VERSION, fl, sq, ty, pl) for ty, sq, fl, pl in frames]
    for name, (got, counters) in run_all(bytes(stream), sizes).items():
        assert got == expected, name
        assert counters[0] == len(frames), name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(frame_args, min_size=2, max_size=5),
    st.integers(min_value=0),
    st.integers(1, 255),
    chunk_sizes,
)
def test_one_corrupt_byte_loses_only_its_own_frame(frames, where, xor, sizes):
    # Every frame has its own two delimiters, so damage to any one byte (a delimiter
    # included) costs at most the frame that byte belongs to; the CRC keeps the damaged frame
    # from being delivered as something else.
    wires = [wire.encode_frame(ty, sq, fl, pl) for ty, sq, fl, pl in frames]
    stream = bytearray(b"".join(wires))
    where %= len(stream)
    stream[where] ^= xor
    owner = 0
    start = 0
    while where >= start + len(wires[owner]):
        start += len(wires[owner])
        owner += 1
    expected = [
        (wire.PROTOCOL_VERSION, fl, sq, ty, pl)
        for i, (ty, sq, fl, pl) in enumerate(frames)
        if i != owner
    ]
    results = run_all(bytes(stream), sizes)
    for name, (got, _) in results.items():
        assert got == expected, name
    assert results["Decoder"] == results["FrameReader"] == results["FrameReader+cobs"]
