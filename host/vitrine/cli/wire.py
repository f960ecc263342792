"""`vitrine wire decode|encode`: wire frames to JSON lines and back."""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path
from typing import BinaryIO

import cobs.cobs

from vitrine.errors import VitrineError
from vitrine.link.jsonframes import ERROR_NAMES, FrameJsonError, frame_to_json, json_to_frame
from vitrine_fw import wire

_CHUNK = 65536


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("wire", help="decode and encode wire-protocol bytes")
    actions = cmd.add_subparsers(dest="wire_command", required=True, metavar="ACTION")
    decode = actions.add_parser(
        "decode",
        help="raw bytes (a capture) to one JSON object per frame, then a summary line",
    )
    decode.add_argument("file", nargs="?", type=Path, help="input file (default: stdin)")
    decode.add_argument("--errors", action="store_true", help="also print a line per bad frame")
    decode.set_defaults(handler=cmd_decode)
    encode = actions.add_parser("encode", help="JSON lines (as decode prints) to framed bytes")
    encode.add_argument("file", nargs="?", type=Path, help="input file (default: stdin)")
    encode.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    encode.set_defaults(handler=cmd_encode)


def _open_in(path: Path | None) -> BinaryIO:
    if path is None:
        return sys.stdin.buffer
    try:
        return path.open("rb")
    except OSError as err:
        raise VitrineError(f"{path}: {err.strerror}") from err


def cmd_decode(args: argparse.Namespace) -> int:
    reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
    reader.track_errors = args.errors
    out = sys.stdout
    unknown = bad = versions = 0
    source = _open_in(args.file)
    with source:
        while chunk := source.read(_CHUNK):
            lines = []
            for frame in reader.feed(chunk):
                obj = frame_to_json(*frame)
                if obj["version"] != wire.PROTOCOL_VERSION:
                    versions += 1  # not read by this build's table: neither unknown nor bad
                else:
                    unknown += obj["type"] is None
                    bad += "error" in obj
                lines.append((obj["offset"], obj))
            lines += [
                (at, {"error": ERROR_NAMES[code], "offset": at}) for at, code in reader.errors
            ]
            reader.errors.clear()
            for _, obj in sorted(lines, key=lambda item: item[0]):
                out.write(json.dumps(obj) + "\n")
    summary = {
        "frames": reader.frames,
        "crc_errors": reader.crc_errors,
        "framing_errors": reader.framing_errors,
        "bytes_skipped": reader.bytes_skipped,
        "bytes": reader.offset,
        "version_errors": versions,
        "unknown_types": unknown,
        "bad_payloads": bad,
        "trailing_bytes": reader.pending,
    }
    out.write(json.dumps({"summary": summary}) + "\n")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    frames = []
    seq = 0
    source = _open_in(args.file)
    with source:
        for number, raw in enumerate(source, start=1):
            line = raw.strip()
            if not line:
                continue
            where = f"{args.file or 'stdin'}:{number}"
            try:
                obj = json.loads(line)
            except ValueError as err:
                raise VitrineError(f"{where}: not JSON ({err})") from err
            skip = isinstance(obj, dict) and (
                "summary" in obj or ("error" in obj and "type" not in obj)
            )
            if skip:  # decode's summary and error lines
                continue
            try:
                frames.append(json_to_frame(obj, seq))
            except FrameJsonError as err:
                raise VitrineError(f"{where}: {err}") from err
            seq = (obj.get("seq", seq) + 1) & 0xFFFF
    data = b"".join(frames)
    if args.output:
        try:
            args.output.write_bytes(data)
        except OSError as err:
            raise VitrineError(f"{args.output}: {err.strerror}") from err
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0
