"""Every `wire-example` in docs/protocol.md decodes to what the page says, and encodes back to
the same bytes; the page's table text and schema hash are the module's, and so are the schema
revision and hash in §7's handshake examples and refusal message (a change to the table fails
here with the examples as they now are, to paste into the page)."""

from __future__ import annotations

import json
import re
import zlib

import cobs.cobs
import pytest

from vitrine.link import messages as m
from vitrine.link.board import compatibility_problem
from vitrine.link.jsonframes import frame_to_json, json_to_frame
from vitrine.paths import PROJECT_ROOT
from vitrine_fw import wire
from vitrine_fw.link import Link
from vitrine_fw.seam import BaseClock

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


# --- §7: the handshake's examples are what the code sends with this table -----------------------


class _Port:
    """A board link's port that keeps every frame written."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, buf: bytearray, n: int) -> int:
        self.frames.append(bytes(buf[:n]))
        return n


class _Clock(BaseClock):
    def ticks_ms(self) -> int:
        return 0

    def ticks_diff(self, a: int, b: int) -> int:
        return a - b


_BOARD = {
    "role": "touch",
    "fw_version": "0.1.0",
    "build_hash": "dbaf59d2ee50",
    "uid": "7cdfa1e3b2c4",
    "reset_cause": wire.RESET_WDT,
    "capabilities": wire.CAP_LINK | wire.CAP_PROBE,
}
_OLD_REV, _OLD_HASH = 0, 0x1234ABCD  # the board on an older table in the examples


def _board(schema_rev: int = wire.SCHEMA_REV, schema_hash: int = wire.SCHEMA_HASH) -> Link:
    link = Link(_Port(), _Clock(), dict(_BOARD))
    link.schema_rev = schema_rev  # as the simulator poses as an older firmware
    link.schema_hash = schema_hash
    return link


def _host_hello_values() -> tuple[object, ...]:
    return (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "mirror-01", 0, 0)


def _answer(link: Link, frame: bytes) -> bytes:
    link.receive(frame, len(frame))
    return link.port.frames[-1]


def _handshake_examples() -> dict[str, bytes]:
    """§7's frames as the firmware's link and the host's HELLO make them with this table."""
    boot = _board()
    boot.send_hello()
    host = wire.encode_message(wire.HELLO, 0, _host_hello_values(), wire.FLAG_ACK_REQ)
    return {
        "the board's boot HELLO": boot.port.frames[-1],
        "the host's HELLO command": host,
        "the board's ACK": _answer(_board(), host),
        "the NACK of a board on an older table": _answer(_board(_OLD_REV, _OLD_HASH), host),
    }


def _example_block(data: bytes) -> str:
    obj = frame_to_json(*wire.FrameReader().feed(data)[0])
    decoded = {key: obj[key] for key in ("seq", "flags", "type", "fields")}
    return f"```wire-example\nbytes: {data.hex(' ')}\ndecoded: {json.dumps(decoded)}\n```"


def test_the_handshake_examples_are_what_the_code_sends_with_this_table() -> None:
    stale = [
        f"{what}, now:\n{_example_block(data)}"
        for what, data in _handshake_examples().items()
        if f"bytes: {data.hex(' ')}\n" not in DOC
    ]
    assert not stale, (
        f"§7's examples are not what the code sends with schema rev {wire.SCHEMA_REV} "
        f"(0x{wire.SCHEMA_HASH:08x}):\n\n" + "\n\n".join(stale)
    )


def test_the_refusal_message_is_the_hosts() -> None:
    found = re.search(r"with a message such as:\n\n((?:    .*\n)+)", DOC)
    assert found, "§7 has no refusal message"
    shown = " ".join(line.strip() for line in found.group(1).splitlines())
    older = m.Hello(
        board="touch",
        seq=0,
        rx_ns=0,
        schema_rev=_OLD_REV,
        schema_hash=_OLD_HASH,
        role="touch",
        fw_version="0.0.9",
        build_hash="",
        uid="",
        reset_cause=0,
        capabilities=0,
    )
    assert shown == compatibility_problem(older)


# --- §4: the rule that tells a retransmission from a gap -----------------------------------------

_DUPLICATE_RULE = "`(seq - expected) mod 65536 >= 32768`"


@pytest.mark.parametrize("ahead", [0, 1, 2, 32766, 32767, 32768, 32769, 65534, 65535])
@pytest.mark.parametrize("expected", [101, 0, 40000])
def test_the_duplicate_rule_is_the_links(expected: int, ahead: int) -> None:
    assert _DUPLICATE_RULE in DOC, "§4 does not state the rule as the links apply it"
    seq = (expected + ahead) & 0xFFFF
    link = _board()
    for frame in (
        wire.encode_message(wire.HELLO, (expected - 1) & 0xFFFF, _host_hello_values()),
        wire.encode_message(wire.HEARTBEAT, seq, (0,) * 7),
    ):
        link.receive(frame, len(frame))
    duplicate = (seq - expected) % 65536 >= 32768
    assert (link.duplicates, link.gaps) == ((1, 0) if duplicate else (0, ahead))
