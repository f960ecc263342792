"""Every `wire-example` in docs/protocol.md decodes to what the page says, and encodes back to
the same bytes; the page's table text and schema hash are the module's."""

from __future__ import annotations

import json
import re
import zlib

import cobs.cobs
import pytest

from vitrine.link.jsonframes import frame_to_json, json_to_frame
from vitrine.paths import PROJECT_ROOT
from vitrine_fw import wire

DOC = (PROJECT_ROOT / "docs" / "protocol.md").read_text()
EXAMPLES = re.findall(r"```wire-example\nbytes: ([0-9a-f ]+)\ndecoded: (\{.*\})\n```", DOC)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 8
    assert DOC.count("```wire-example") == len(EXAMPLES)  # none malformed, none skipped


@pytest.mark.parametrize(("hex_bytes", "decoded"), EXAMPLES)
def test_example_decodes_as_documented_and_encodes_back(hex_bytes: str, decoded: str) -> None:
    data = bytes.fromhex(hex_bytes)
    expected = json.loads(decoded)
    reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
    frames = reader.feed(data)
    assert len(frames) == 1
    assert reader.crc_errors == reader.framing_errors == 0
    got = frame_to_json(*frames[0])
    assert {key: got[key] for key in expected} == expected
    assert json_to_frame(expected, 0) == data


def test_the_page_states_the_current_table_and_hash() -> None:
    assert f"schema hash\n**0x{wire.SCHEMA_HASH:08x}**" in DOC
    assert f"(`SCHEMA_REV`): **{wire.SCHEMA_REV}**" in DOC
    assert wire.schema_text() in re.sub(r"\n    ", "\n", DOC)
    for typ, name, kind, fields in wire.TABLE:
        assert f"| 0x{typ:02X} | {name} | {kind} |" in DOC
        assert f"`{fields}`" in DOC
