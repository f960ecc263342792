"""Golden wire vectors (tests/vectors/wire.json) against wire.py, on CPython and MicroPython.

The vectors' wire bytes were built without wire.py's framing code (tools/gen_wire_vectors.py),
so equality here checks the framing, the CRC and COBS, not just self-consistency.
"""

import importlib.util
import itertools
import json
import zlib
from pathlib import Path

import cobs.cobs
import pytest

from vitrine_fw import wire

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "tests" / "vectors" / "wire.json").read_text(encoding="utf-8"))
VECTORS = DOC["vectors"]
CASES = DOC["decode_cases"]


def _ids(items):
    return [item["name"] for item in items]


def field_values(vector):
    """The vector's fields as the tuple encode_payload takes ("y" fields are hex in JSON)."""
    return tuple(
        bytes.fromhex(vector["fields"][name]) if code == "y" else vector["fields"][name]
        for name, code in wire.message_fields(vector["type"])
    )


def chunks(data, step):
    if step == 0:
        return [data]
    return [data[i : i + step] for i in range(0, len(data), step)]


def decode_with_decoder(data, step):
    dec = wire.Decoder()
    frames = []
    for chunk in chunks(data, step):
        i = 0
        while i < len(chunk):
            i = dec.feed(chunk, i, len(chunk))
            if dec.result == wire.FRAME:
                frames.append((dec.version, dec.flags, dec.seq, dec.type, dec.payload()))
    return frames, (dec.crc_errors, dec.framing_errors, dec.bytes_skipped)


def reader_default():
    return wire.FrameReader()


def reader_compiled():
    return wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)


def decode_with_reader(make_reader, data, step):
    reader = make_reader()
    frames = []
    for chunk in chunks(data, step):
        frames.extend(f[:5] for f in reader.feed(chunk))
    return frames, (reader.crc_errors, reader.framing_errors, reader.bytes_skipped)


DECODERS = {
    "Decoder": decode_with_decoder,
    "FrameReader": lambda data, step: decode_with_reader(reader_default, data, step),
    "FrameReader+cobs+zlib": lambda data, step: decode_with_reader(reader_compiled, data, step),
}


# --- the file itself ------------------------------------------------------------------------


def test_vectors_file_is_current():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools" / "gen_wire_vectors.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.build() == DOC, "tests/vectors/wire.json is stale: run tools/gen_wire_vectors.py"


def test_vectors_cover_the_table_and_the_edges():
    with_fields = {v["type"] for v in VECTORS if v["fields"] is not None}
    assert {typ for typ, *_ in wire.TABLE} <= with_fields
    by_name = {v["name"]: v for v in VECTORS}
    assert by_name["empty_payload_unknown_type"]["payload_hex"] == ""
    assert len(bytes.fromhex(by_name["nonzero_run_256"]["wire_hex"])) == wire.MAX_WIRE
    assert {v["seq"] for v in VECTORS} >= {0, 0xFFFF}
    assert {v["flags"] for v in VECTORS} == {0, 1, 2, 3}
    assert sum(v["payload_source"] == "struct" for v in VECTORS) >= 2
    assert {c["name"] for c in CASES} >= {
        "corrupt_crc",
        "malformed_cobs",
        "runt_frame",
        "over_long_then_valid",
        "over_long_at_the_end",
        "decoded_over_max_frame",
        "reserved_flag_bits",
        "garbage_then_valid",
        "idle_fill",
    }


# --- CPython --------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_encode(vector):
    typ, seq, flags = vector["type"], vector["seq"], vector["flags"]
    payload = bytes.fromhex(vector["payload_hex"])
    expected = bytes.fromhex(vector["wire_hex"])
    if vector["fields"] is not None:
        values = field_values(vector)
        assert wire.encode_payload(typ, values) == payload
        assert wire.decode_payload(typ, payload) == values
        assert wire.encode_message(typ, seq, values, flags) == expected
    assert wire.encode_frame(typ, seq, flags, payload) == expected
    out = bytearray(wire.MAX_WIRE + wire.MAX_FRAME)
    n = wire.encode_frame_into(out, typ, seq, flags, payload, len(payload))
    assert bytes(out[:n]) == expected


@pytest.mark.parametrize("decoder", list(DECODERS))
@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_decode(vector, decoder):
    data = bytes.fromhex(vector["wire_hex"])
    payload = bytes.fromhex(vector["payload_hex"])
    expected = [(wire.PROTOCOL_VERSION, vector["flags"], vector["seq"], vector["type"], payload)]
    for step in (0, 1, 13):
        assert DECODERS[decoder](data, step) == (expected, (0, 0, 0)), f"step {step}"
    if vector["fields"] is not None:
        assert wire.decode_payload(vector["type"], payload) == field_values(vector)


@pytest.mark.parametrize("decoder", list(DECODERS))
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_decode_case(case, decoder):
    data = bytes.fromhex(case["wire_hex"])
    expected = [
        (f["version"], f["flags"], f["seq"], f["type"], bytes.fromhex(f["payload_hex"]))
        for f in case["frames"]
    ]
    counters = (case["crc_errors"], case["framing_errors"], case["bytes_skipped"])
    for step in (0, 1, 5):
        assert DECODERS[decoder](data, step) == (expected, counters), f"step {step}"


def test_all_vectors_back_to_back_in_one_stream():
    stream = b"".join(bytes.fromhex(v["wire_hex"]) for v in VECTORS)
    for name, decode in DECODERS.items():
        frames, counters = decode(stream, 61)
        assert [f[2:4] for f in frames] == [(v["seq"], v["type"]) for v in VECTORS], name
        assert counters == (0, 0, 0), name


# --- MicroPython ----------------------------------------------------------------------------


@pytest.mark.micropython
def test_vectors_under_micropython(micropython):
    summary = micropython.result("check_vectors.py")
    assert summary["failures"] == {}, "failed under MicroPython: " + ", ".join(
        f"{name} ({err})" for name, err in summary["failures"].items()
    )
    assert summary["vectors"] == len(VECTORS)
    assert summary["vectors_checked"] == len(VECTORS)
    assert summary["cases"] == len(CASES)
    assert summary["cases_checked"] == len(CASES)


def test_every_message_type_sits_in_a_subsystem_range():
    named = {name for name, _, _ in wire.RANGES}
    assert named == {
        "link",
        "touch",
        "proximity",
        "beacon",
        "lighting",
        "console",
        "diagnostics",
        "reserved",
    }
    spans = sorted((lo, hi) for _, lo, hi in wire.RANGES)
    assert spans[0][0] == 0 and spans[-1][1] == 0xFF
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans))  # no gaps
    for typ, name, _, _ in wire.TABLE:
        subsystem = wire.subsystem_of(typ)
        assert subsystem != "reserved", name
        if name.startswith(("PROBE", "REBOOT")):
            expected = "diagnostics"
        elif name.startswith("TOUCH_"):
            expected = "touch"
        elif name.startswith("CONSOLE_"):
            expected = "console"
        elif name.startswith("LIGHT_"):
            expected = "lighting"
        elif name in ("DISTANCE", "PRESENCE", "MOTION", "PROX_HEALTH"):
            expected = "proximity"
        elif name.startswith("BEACON_"):
            expected = "beacon"
        else:
            expected = "link"
        assert subsystem == expected, name
