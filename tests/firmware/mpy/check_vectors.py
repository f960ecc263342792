# The golden wire vectors (/vectors/wire.json) under MicroPython: encode every vector, decode
# its wire bytes with Decoder (whole and byte by byte) and FrameReader (whole and byte by
# byte), and run the decode cases. Prints one RESULT line:
# {"vectors": N, "vectors_checked": N, "cases": M, "cases_checked": M,
#  "failures": {name: error}}. tests/firmware/test_wire_vectors.py asserts on it.

import json

from fw_scenario import RESULT_MARK, eq

from vitrine_fw import wire


def field_values(vector):
    fields = vector["fields"]
    out = []
    for name, code in wire.message_fields(vector["type"]):
        value = fields[name]
        out.append(bytes.fromhex(value) if code == "y" else value)
    return tuple(out)


def decoder_frames(data, step):
    """Frames (version, flags, seq, type, payload) and counters from a Decoder fed step bytes
    at a time (step 0: everything in one call)."""
    dec = wire.Decoder()
    frames = []
    n = len(data)
    i = 0
    while i < n:
        end = n if step == 0 else min(n, i + step)
        while i < end:
            i = dec.feed(data, i, end)
            if dec.result == wire.FRAME:
                frames.append((dec.version, dec.flags, dec.seq, dec.type, dec.payload()))
    return frames, (dec.crc_errors, dec.framing_errors, dec.bytes_skipped)


def reader_frames(data, step):
    reader = wire.FrameReader()
    frames = []
    chunks = [data] if step == 0 else [data[i : i + step] for i in range(0, len(data), step)]
    for chunk in chunks:
        for f in reader.feed(chunk):
            frames.append(tuple(f[:5]))
    return frames, (reader.crc_errors, reader.framing_errors, reader.bytes_skipped)


def check_vector(v):
    typ, seq, flags = v["type"], v["seq"], v["flags"]
    payload = bytes.fromhex(v["payload_hex"])
    data = bytes.fromhex(v["wire_hex"])
    if v["fields"] is not None:
        values = field_values(v)
        eq(wire.encode_payload(typ, values), payload, "encode_payload")
        eq(wire.decode_payload(typ, payload), values, "decode_payload")
        eq(wire.encode_message(typ, seq, values, flags), data, "encode_message")
    eq(wire.encode_frame(typ, seq, flags, payload), data, "encode_frame")
    out = bytearray(wire.MAX_WIRE + wire.MAX_FRAME)
    n = wire.encode_frame_into(out, typ, seq, flags, payload, len(payload))
    eq(bytes(out[:n]), data, "encode_frame_into")
    expect = [(wire.PROTOCOL_VERSION, flags, seq, typ, payload)]
    for step in (0, 1, 7):
        eq(decoder_frames(data, step), (expect, (0, 0, 0)), f"Decoder, step {step}")
        eq(reader_frames(data, step), (expect, (0, 0, 0)), f"FrameReader, step {step}")


def check_case(case):
    data = bytes.fromhex(case["wire_hex"])
    expect = [
        (f["version"], f["flags"], f["seq"], f["type"], bytes.fromhex(f["payload_hex"]))
        for f in case["frames"]
    ]
    counters = (case["crc_errors"], case["framing_errors"], case["bytes_skipped"])
    for step in (0, 1, 5):
        eq(decoder_frames(data, step), (expect, counters), f"Decoder, step {step}")
        eq(reader_frames(data, step), (expect, counters), f"FrameReader, step {step}")


def short(err):
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= 300 else text[:300] + "..."


def main():
    with open("/vectors/wire.json") as f:
        doc = json.load(f)
    failures = {}
    vectors_checked = 0
    for v in doc["vectors"]:
        try:
            check_vector(v)
            vectors_checked += 1
        except Exception as err:
            failures[v["name"]] = short(err)
    cases_checked = 0
    for case in doc["decode_cases"]:
        try:
            check_case(case)
            cases_checked += 1
        except Exception as err:
            failures["case " + case["name"]] = short(err)
    summary = {
        "vectors": len(doc["vectors"]),
        "vectors_checked": vectors_checked,
        "cases": len(doc["decode_cases"]),
        "cases_checked": cases_checked,
        "failures": failures,
    }
    print(RESULT_MARK + json.dumps(summary))


main()
