"""`vitrine wire decode|encode`: captures to JSON lines and back."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from vitrine.cli import main
from vitrine.cli.wire import _CHUNK
from vitrine_fw import wire

VITRINE = [sys.executable, "-m", "vitrine"]  # the `vitrine` command, in a child process


def raw_frame(
    typ: int, seq: int = 0, payload: bytes = b"", flags: int = 0, crc_xor: int = 0
) -> bytes:
    """A frame on the wire built by hand, so it can be wrong in chosen ways."""
    raw = struct.pack("<BBHB", wire.PROTOCOL_VERSION, flags, seq, typ) + payload
    raw += struct.pack("<I", zlib.crc32(raw) ^ crc_xor)
    return b"\x00" + wire.cobs_encode(raw) + b"\x00"


class Capture:
    """Wire bytes built piece by piece, remembering where each piece's frame starts."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.offsets: list[int] = []
        self.sizes: list[int] = []  # bytes of each piece between its delimiters

    def add(self, piece: bytes) -> int:
        lead = 1 if piece[:1] == b"\x00" else 0
        at = len(self.data) + lead
        self.data += piece
        self.offsets.append(at)
        self.sizes.append(len(piece) - lead - (1 if piece[-1:] == b"\x00" else 0))
        return at


def decode(
    capsys: pytest.CaptureFixture[str], path: Path, *flags: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    assert main(["wire", "decode", *flags, str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "summary" in lines[-1]
    assert all("summary" not in obj for obj in lines[:-1])
    return lines[:-1], lines[-1]["summary"]


def write(tmp_path: Path, data: bytes, name: str = "capture.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, Capture]:
    """Good frames, an unknown type, a bad payload, every kind of corrupt frame, a tail."""
    cap = Capture()
    cap.add(wire.encode_message(wire.PROBE_START, 0, (200, 0, 64), wire.FLAG_ACK_REQ))  # 0
    cap.add(raw_frame(wire.REBOOT, 1, b"\x01\x00", crc_xor=0x1))  # 1 crc
    cap.add(wire.encode_frame(0x50, 2, 0, b"\x01\x02"))  # 2 unknown type
    cap.add(b"\x05\x01\x02\x00")  # 3 malformed COBS (code 5 runs past the end)
    cap.add(wire.encode_frame(wire.REBOOT, 3, 0, b"\x01"))  # 4 known type, bad payload
    cap.add(b"\x00" + wire.cobs_encode(b"\x01\x02\x03") + b"\x00")  # 5 runt
    cap.add(raw_frame(wire.REBOOT, 4, b"\x01\x00", flags=0x80))  # 6 reserved flag
    cap.add(b"\x00" + b"\x07" * 300 + b"\x00")  # 7 too long
    cap.add(wire.encode_message(wire.LOG, 5, (wire.LOG_INFO, "touch", "ok")))  # 8
    cap.add(b"\x00\x00\x00")  # idle fill
    cap.data += b"\x03\x01\x02"  # an incomplete frame at the end
    return write(tmp_path, cap.data), cap


# --- decode ------------------------------------------------------------------------------------


def test_decode_prints_frames_then_a_summary(
    capsys: pytest.CaptureFixture[str], mixed: tuple[Path, Capture]
) -> None:
    path, cap = mixed
    frames, summary = decode(capsys, path)
    assert [f["type"] for f in frames] == ["PROBE_START", None, "REBOOT", "LOG"]
    assert [f["offset"] for f in frames] == [cap.offsets[i] for i in (0, 2, 4, 8)]
    assert [f["seq"] for f in frames] == [0, 2, 3, 5]
    assert frames[0]["flags"] == ["ack_req"]
    assert frames[0]["fields"] == {"rate_hz": 200, "count": 0, "size": 64}
    assert frames[3]["fields"] == {"level": 20, "subsystem": "touch", "text": "ok"}
    unknown = frames[1]
    assert unknown["type_id"] == 0x50
    assert unknown["fields"] is None
    assert unknown["payload_hex"] == "0102"
    assert "error" not in unknown
    bad = frames[2]
    assert bad["fields"] is None
    assert "delay_ms" in bad["error"]
    skipped = sum(cap.sizes[i] for i in (1, 3, 5, 6, 7))  # the corrupt frames, whole
    assert cap.sizes[3] == 3
    assert cap.sizes[7] == 300
    assert summary == {
        "frames": 4,  # the good ones, including the unknown type and the bad payload
        "crc_errors": 1,
        "framing_errors": 4,
        "bytes_skipped": skipped,
        "bytes": len(cap.data),
        "version_errors": 0,
        "unknown_types": 1,
        "bad_payloads": 1,
        "trailing_bytes": 3,
    }


def test_decode_errors_flag_adds_error_lines_in_stream_order(
    capsys: pytest.CaptureFixture[str], mixed: tuple[Path, Capture]
) -> None:
    path, cap = mixed
    lines, summary = decode(capsys, path, "--errors")
    offsets = [obj["offset"] for obj in lines]
    assert offsets == sorted(offsets)
    assert offsets == cap.offsets[:9]
    errors = [(obj["offset"], obj["error"]) for obj in lines if "type" not in obj]
    assert errors == [
        (cap.offsets[1], "crc"),
        (cap.offsets[3], "cobs"),
        (cap.offsets[5], "runt"),
        (cap.offsets[6], "reserved_flags"),
        (cap.offsets[7], "too_long"),
    ]
    assert summary["crc_errors"] + summary["framing_errors"] == len(errors)


def test_decode_without_errors_flag_prints_no_error_lines(
    capsys: pytest.CaptureFixture[str], mixed: tuple[Path, Capture]
) -> None:
    path, _ = mixed
    lines, _ = decode(capsys, path)
    assert all("type" in obj for obj in lines)


def test_a_frame_over_max_frame_once_decoded_is_too_long(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 258 COBS bytes (not too long on the wire) that decode to 257: a 248-byte payload.
    data = bytes.fromhex("00 02 01 01 01 02 e0" + " 01" * 247 + " 05 d6 ea 7e 3f 00")
    assert len(data) == wire.MAX_WIRE
    assert len(wire.cobs_decode_bytes(data[1:-1])) == wire.MAX_FRAME + 1
    after = wire.encode_message(wire.REBOOT, 1, (5,))
    lines, summary = decode(capsys, write(tmp_path, data + after), "--errors")
    assert lines[0] == {"error": "too_long", "offset": 1}
    assert [obj.get("type") for obj in lines[1:]] == ["REBOOT"]
    assert summary["frames"] == 1
    assert summary["framing_errors"] == 1
    assert summary["bytes_skipped"] == wire.MAX_ENCODED


@pytest.mark.parametrize("run", [wire.MAX_ENCODED + 1, 3 * _CHUNK + 5])
def test_an_over_long_frame_at_the_end_of_input_is_a_framing_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, run: int
) -> None:
    good = wire.encode_message(wire.REBOOT, 1, (5,))
    lines, summary = decode(capsys, write(tmp_path, good + b"\x01" * run), "--errors")
    assert lines[1:] == [{"error": "too_long", "offset": len(good)}]
    assert summary["framing_errors"] == 1
    assert summary["bytes_skipped"] == run
    assert summary["trailing_bytes"] == 0


def test_an_unfinished_frame_short_enough_to_be_one_is_trailing_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines, summary = decode(capsys, write(tmp_path, b"\x01" * wire.MAX_ENCODED), "--errors")
    assert lines == []
    assert summary["framing_errors"] == summary["bytes_skipped"] == 0
    assert summary["trailing_bytes"] == wire.MAX_ENCODED


def test_decode_of_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines, summary = decode(capsys, write(tmp_path, b""))
    assert lines == []
    assert set(summary.values()) == {0}
    assert list(summary) == [
        "frames", "crc_errors", "framing_errors", "bytes_skipped", "bytes",
        "version_errors", "unknown_types", "bad_payloads", "trailing_bytes",
    ]  # fmt: skip


def test_decode_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = wire.encode_message(wire.REBOOT, 7, (250,))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["wire", "decode"]) == 0
    first, last = capsys.readouterr().out.splitlines()
    assert json.loads(first)["fields"] == {"delay_ms": 250}
    assert json.loads(last)["summary"]["frames"] == 1


def test_decode_of_a_missing_file_is_a_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["wire", "decode", str(tmp_path / "absent.bin")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"vitrine: {tmp_path / 'absent.bin'}: No such file or directory\n"


def test_frames_across_the_read_chunk_boundary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cap = Capture()
    good = wire.encode_message(wire.PROBE, 1, (5, 6, bytes(range(1, 40))))
    cap.data += b"\x00" * (_CHUNK - len(good) // 2)  # idle fill up to just before the edge
    cap.add(good)  # straddles the first chunk boundary
    cap.data += b"\x00" * (2 * _CHUNK - len(cap.data) - 10)
    cap.add(raw_frame(wire.REBOOT, 2, b"\x01\x00", crc_xor=0xFF))  # straddles the second
    cap.data += b"\x00" * (3 * _CHUNK - len(cap.data) - 1)
    cap.add(wire.encode_message(wire.REBOOT, 3, (9,)))  # its first delimiter ends chunk 3
    cap.data += b"\x00" * (4 * _CHUNK - len(cap.data) - 300)
    cap.add(b"\x00" + b"\x01" * 400 + b"\x00")  # too long, seen as such only in chunk 5
    cap.add(wire.encode_message(wire.REBOOT, 4, (10,)))
    assert cap.offsets[0] < _CHUNK < cap.offsets[0] + len(good)
    lines, summary = decode(capsys, write(tmp_path, cap.data), "--errors")
    assert [(obj["offset"], obj.get("error", obj.get("seq"))) for obj in lines] == [
        (cap.offsets[0], 1),
        (cap.offsets[1], "crc"),
        (cap.offsets[2], 3),
        (cap.offsets[3], "too_long"),
        (cap.offsets[4], 4),
    ]
    assert lines[0]["fields"] == {"t_us": 5, "index": 6, "pad": bytes(range(1, 40)).hex()}
    assert summary["frames"] == 3
    assert summary["crc_errors"] == 1
    assert summary["framing_errors"] == 1
    assert summary["bytes"] == len(cap.data)
    assert summary["trailing_bytes"] == 0


def test_a_large_capture_decodes_and_round_trips(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    count = 50_000
    cap = Capture()
    for i in range(count):
        cap.add(wire.encode_message(wire.PROBE, i & 0xFFFF, (i * 7, i, bytes(i % 23))))
    assert len(cap.data) > 16 * _CHUNK
    path = write(tmp_path, cap.data)
    frames, summary = decode(capsys, path)
    assert len(frames) == count
    assert [f["fields"]["index"] for f in frames] == list(range(count))
    assert [f["offset"] for f in frames] == cap.offsets
    assert [f["seq"] for f in frames] == [i & 0xFFFF for i in range(count)]
    assert summary == {
        "frames": count,
        "crc_errors": 0,
        "framing_errors": 0,
        "bytes_skipped": 0,
        "bytes": len(cap.data),
        "version_errors": 0,
        "unknown_types": 0,
        "bad_payloads": 0,
        "trailing_bytes": 0,
    }
    jsonl = tmp_path / "capture.jsonl"
    jsonl.write_text("".join(json.dumps(f) + "\n" for f in frames))
    out = tmp_path / "again.bin"
    assert main(["wire", "encode", str(jsonl), "-o", str(out)]) == 0
    assert out.read_bytes() == bytes(cap.data)


# --- encode ------------------------------------------------------------------------------------


def valid_capture() -> bytes:
    """Every message type, an unknown type, a bad payload, acks, seq wrap: all valid framing."""
    parts = [
        wire.encode_message(
            wire.HELLO,
            0,
            (1, wire.SCHEMA_HASH, "touch", "1.0", "abc", "00c0ffee", 1, 0x41),
            wire.FLAG_IS_ACK,
        ),
        wire.encode_message(wire.ACK, 1, (wire.REBOOT, b"\x00\xff"), wire.FLAG_IS_ACK),
        wire.encode_message(wire.NACK, 2, (wire.PROBE, wire.NACK_BUSY, "later")),
        wire.encode_message(wire.HEARTBEAT, 3, (1000, 1, 2, 3, 4, 5, 6)),
        wire.encode_message(wire.LOG, 4, (wire.LOG_ERROR, "link", "ünïcode")),
        wire.encode_message(wire.PROBE_START, 5, (200, 10, 64), wire.FLAG_ACK_REQ),
        wire.encode_message(wire.PROBE, 0xFFFF, (2**32 - 1, 0, bytes(range(200)))),
        wire.encode_message(wire.REBOOT, 0, (0,), wire.FLAG_ACK_REQ | wire.FLAG_IS_ACK),
        wire.encode_frame(0xE5, 77, 0, b"\x00\x00\x01"),  # unknown type
        wire.encode_frame(wire.HEARTBEAT, 78, 0, b"\x01\x02"),  # bad payload
        wire.encode_frame(0x60, 79, 0, b""),  # unknown type, empty payload
        # Another protocol version: a HEARTBEAT's bytes, kept as they are.
        wire.encode_frame(wire.HEARTBEAT, 80, 0, bytes(range(1, 29)), version=2),
        wire.encode_frame(0x60, 81, wire.FLAG_ACK_REQ, b"\x00", version=0),
    ]
    return b"".join(parts)


def test_decode_then_encode_reproduces_the_capture(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = valid_capture()
    assert main(["wire", "decode", "--errors", str(write(tmp_path, data))]) == 0
    jsonl = tmp_path / "capture.jsonl"
    jsonl.write_text(capsys.readouterr().out)
    out = tmp_path / "again.bin"
    assert main(["wire", "encode", str(jsonl), "-o", str(out)]) == 0
    assert out.read_bytes() == data


def test_frames_of_another_protocol_version_are_counted_and_not_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    beat = wire.encode_payload(wire.HEARTBEAT, (1, 2, 3, 4, 5, 6, 7))
    data = (
        wire.encode_frame(wire.HEARTBEAT, 4, 0, beat, version=2)
        + wire.encode_message(wire.REBOOT, 5, (9,))
        + wire.encode_frame(0x50, 6, 0, b"", version=3)
    )
    frames, summary = decode(capsys, write(tmp_path, data))
    assert [(f["version"], f["type"], f["type_id"]) for f in frames] == [
        (2, None, wire.HEARTBEAT),
        (wire.PROTOCOL_VERSION, "REBOOT", wire.REBOOT),
        (3, None, 0x50),
    ]
    assert frames[0]["fields"] is None
    assert frames[0]["payload_hex"] == beat.hex()
    assert "error" not in frames[0]
    assert summary["frames"] == 3
    assert summary["version_errors"] == 2
    assert summary["unknown_types"] == summary["bad_payloads"] == 0


def test_decode_then_encode_through_pipes() -> None:
    data = valid_capture()
    decoded = subprocess.run(
        [*VITRINE, "wire", "decode"], input=data, capture_output=True, check=True, timeout=30
    )
    assert decoded.stderr == b""
    encoded = subprocess.run(
        [*VITRINE, "wire", "encode"],
        input=decoded.stdout,
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert encoded.stdout == data


def test_encode_skips_summary_and_error_lines_and_blank_lines(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        '{"error": "crc", "offset": 3}\n'
        "\n"
        '{"type": "REBOOT", "fields": {"delay_ms": 1}}\n'
        '{"summary": {"frames": 1}}\n'
    )
    assert main(["wire", "encode", str(jsonl)]) == 0
    assert capsysbinary.readouterr().out == wire.encode_message(wire.REBOOT, 0, (1,))


def test_encode_numbers_frames_without_a_seq(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [
        {"type": "REBOOT", "fields": {"delay_ms": 1}},
        {"type": "REBOOT", "fields": {"delay_ms": 2}},
        {"type": "REBOOT", "seq": 65535, "fields": {"delay_ms": 3}},
        {"type": "REBOOT", "fields": {"delay_ms": 4}},
    ]
    text = "".join(json.dumps(obj) + "\n" for obj in lines)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["wire", "encode"]) == 0
    seqs = [f[2] for f in wire.FrameReader().feed(capsysbinary.readouterr().out)]
    assert seqs == [0, 1, 65535, 0]


BAD_LINES = [
    ("{not json", "not JSON"),
    ('{"type": "NOPE", "fields": {}}', "type 'NOPE' unknown; known: HELLO"),
    ('{"type": "REBOOT", "seq": 65536, "fields": {"delay_ms": 1}}', "seq=65536"),
    ('{"type": "REBOOT", "flags": ["urgent"], "fields": {"delay_ms": 1}}', "flag 'urgent'"),
    ('{"type": "REBOOT", "flags": 1, "fields": {"delay_ms": 1}}', "flags=1"),
    ('{"type": "REBOOT", "fields": {}}', "REBOOT.fields has [], needs exactly ['delay_ms']"),
    (
        '{"type": "REBOOT", "fields": {"delay_ms": 1, "when": 2}}',
        "REBOOT.fields has ['delay_ms', 'when'], needs exactly ['delay_ms']",
    ),
    ('{"type": "PROBE", "fields": {"t_us": 1, "index": 1, "pad": "0g"}}', "PROBE.pad"),
    ('{"type": "REBOOT", "fields": {"delay_ms": 65536}}', "REBOOT.delay_ms=65536"),
    ('{"type_id": 80, "payload_hex": "q"}', "payload_hex"),
    (
        '{"type": "CONSOLE_CMD", "fields": {"line": "\\ud800"}}',
        "CONSOLE_CMD.line='\\ud800' is not valid Unicode text",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_encode_error_names_line_and_key_and_writes_nothing(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path, line: str, message: str
) -> None:
    jsonl = tmp_path / "in.jsonl"
    good = '{"type": "REBOOT", "fields": {"delay_ms": 1}}'
    jsonl.write_text(f"{good}\n\n{good}\n{line}\n{good}\n")
    out = tmp_path / "out.bin"
    assert main(["wire", "encode", str(jsonl), "-o", str(out)]) == 2
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    err = captured.err.decode()
    assert err.startswith(f"vitrine: {jsonl}:4: ")
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_encode_error_leaves_an_existing_output_untouched(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"type": "REBOOT", "fields": {"delay_ms": 1}}\n{"type": "NOPE"}\n')
    out = tmp_path / "out.bin"
    out.write_bytes(b"previous")
    assert main(["wire", "encode", str(jsonl), "-o", str(out)]) == 2
    assert out.read_bytes() == b"previous"
    assert b":2: type 'NOPE'" in capsysbinary.readouterr().err


def test_encode_error_on_stdin_names_stdin_and_writes_nothing(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = b'{"type": "REBOOT", "fields": {"delay_ms": 1}}\n{"type": "REBOOT", "seq": -1}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert main(["wire", "encode"]) == 2
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    assert captured.err.startswith(b"vitrine: stdin:2: seq=-1")


def test_encode_to_an_unwritable_path_is_a_clean_error(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"type": "REBOOT", "fields": {"delay_ms": 1}}\n')
    out = tmp_path / "no" / "such" / "dir.bin"
    assert main(["wire", "encode", str(jsonl), "-o", str(out)]) == 2
    assert capsysbinary.readouterr().err == f"vitrine: {out}: No such file or directory\n".encode()
