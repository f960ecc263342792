"""`vitrine beacon decode HEX`: what a BLE advertisement is, field by field, for a technician
holding a sniffer capture (vitrine.devices.beacons.explain)."""

from __future__ import annotations

import argparse
import json
import re

from vitrine.errors import VitrineError
from vitrine_fw.beacon import adverts as fw

_SEPARATORS = re.compile(r"[\s:,-]|0x", re.IGNORECASE)


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("beacon", help="BLE advertisements: decode a capture")
    actions = cmd.add_subparsers(dest="beacon_command", required=True, metavar="ACTION")
    decode = actions.add_parser(
        "decode",
        help="an advertisement's data (hex, as a sniffer shows it) explained field by field",
    )
    decode.add_argument(
        "hex",
        nargs="+",
        help="the advertising data in hex; spaces, colons and 0x prefixes are ignored",
    )
    decode.add_argument(
        "--company",
        type=_company,
        default=fw.TEST_COMPANY,
        help="the loyalty app's company id (default 0xFFFF, as [beacons] company_id)",
    )
    decode.add_argument("--json", action="store_true", help="print one JSON object")
    decode.set_defaults(handler=cmd_decode)


def _company(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        value = -1
    if not 0 <= value <= 0xFFFF:  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"{text!r}: allowed a company id 0..0xFFFF")
    return value


def parse_hex(words: list[str]) -> bytes:
    """The bytes of hex text; raises VitrineError naming what is not hex."""
    text = _SEPARATORS.sub("", "".join(words))
    if not text:
        raise VitrineError("no bytes given: pass the advertising data in hex")
    try:
        return bytes.fromhex(text)
    except ValueError:
        bad = next((c for c in text if c not in "0123456789abcdefABCDEF"), None)
        if bad is not None:
            raise VitrineError(f"{bad!r} is not a hex digit (allowed: 0-9, a-f)") from None
        raise VitrineError(f"{len(text)} hex digits: an odd number, bytes take two") from None


def cmd_decode(args: argparse.Namespace) -> int:
    from vitrine.devices.beacons.explain import explain, frame_json

    data = parse_hex(args.hex)
    advert, fields = explain(data, args.company)
    if args.json:
        print(
            json.dumps(
                {
                    "bytes": len(data),
                    "frames": [frame_json(f) for f in advert.frames],
                    "fields": [f.to_json() for f in fields],
                    "problems": advert.problems,
                }
            )
        )
        return 1 if advert.problems else 0
    kinds = ", ".join(type(f).__name__ for f in advert.frames) or "no frame this project reads"
    print(f"{len(data)} bytes, {len(advert.structures)} AD structures: {kinds}")
    for f in fields:
        raw = f.raw.hex(" ") if len(f.raw) <= 6 else f"{f.raw[:4].hex(' ')} .. ({len(f.raw)} bytes)"  # noqa: PLR2004
        print(f"  {f.offset:>3}  {raw:<26}  {f.name}" + (f": {f.meaning}" if f.meaning else ""))
    for problem in advert.problems:
        print(f"problem: {problem}")
    return 1 if advert.problems else 0
