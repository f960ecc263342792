"""Typed views of the wire messages: one class per table entry, kept in step with the table."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.host.strategies import table_messages
from vitrine.link import messages as m
from vitrine_fw import wire

ORIGIN = ("board", "seq", "rx_ns")


def table_fields(typ: int) -> tuple[str, ...]:
    return tuple(name for name, _ in wire.message_fields(typ))


def test_every_table_entry_has_a_typed_class() -> None:
    assert set(m.MESSAGE_CLASSES) == {typ for typ, *_ in wire.TABLE}


@pytest.mark.parametrize(("typ", "name"), [(typ, name) for typ, name, _, _ in wire.TABLE])
def test_class_fields_are_the_table_fields_in_order(typ: int, name: str) -> None:
    cls = m.MESSAGE_CLASSES[typ]
    assert typ == cls.TYPE
    assert issubclass(cls, m.BoardMessage)
    names = tuple(f.name for f in dataclasses.fields(cls))
    assert names[:3] == ORIGIN
    assert names[3:] == table_fields(typ), name


def test_class_names_follow_the_table_names() -> None:
    for typ, name, _, _ in wire.TABLE:
        cls = m.MESSAGE_CLASSES[typ]
        assert cls.__name__.upper() == name.replace("_", "")


@settings(max_examples=200, deadline=None)
@given(message=table_messages(), seq=st.integers(0, 0xFFFF), rx_ns=st.integers(0, 2**63))
def test_from_payload_round_trips(
    message: tuple[int, tuple[object, ...]], seq: int, rx_ns: int
) -> None:
    typ, values = message
    msg = m.from_payload("touch", seq, typ, wire.encode_payload(typ, values), rx_ns)
    assert type(msg) is m.MESSAGE_CLASSES[typ]
    assert (msg.board, msg.seq, msg.rx_ns) == ("touch", seq, rx_ns)
    got = m.wire_values(msg)
    assert got == values
    assert wire.encode_payload(typ, got) == wire.encode_payload(typ, values)


def test_from_payload_of_a_bad_payload_raises_wire_error() -> None:
    with pytest.raises(wire.WireError, match="REBOOT"):
        m.from_payload("lights", 0, wire.REBOOT, b"\x01", 0)


def test_from_payload_of_an_unknown_type_raises_key_error() -> None:
    with pytest.raises(KeyError):
        m.from_payload("lights", 0, 0x50, b"", 0)


def test_messages_are_frozen() -> None:
    msg = m.Reboot(board="lights", seq=1, rx_ns=2, delay_ms=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.delay_ms = 4  # type: ignore[misc]


def hello(reset_cause: int = wire.RESET_POWER_ON, capabilities: int = 0) -> m.Hello:
    return m.Hello(
        board="touch",
        seq=0,
        rx_ns=0,
        schema_rev=wire.SCHEMA_REV,
        schema_hash=wire.SCHEMA_HASH,
        role="touch",
        fw_version="1.0",
        build_hash="abc",
        uid="00",
        reset_cause=reset_cause,
        capabilities=capabilities,
    )


@pytest.mark.parametrize(("code", "name"), sorted(wire.RESET_CAUSES.items()))
def test_reset_cause_name(code: int, name: str) -> None:
    assert hello(reset_cause=code).reset_cause_name == name


def test_unknown_reset_cause_shows_the_code() -> None:
    assert hello(reset_cause=99).reset_cause_name == "code 99"


def test_capability_names_in_bit_order() -> None:
    caps = wire.CAP_PROBE | wire.CAP_LINK | wire.CAP_TOUCH
    assert hello(capabilities=caps).capability_names == ["link", "touch", "probe"]
    assert hello(capabilities=0).capability_names == []
    everything = hello(capabilities=0xFFFFFFFF).capability_names
    assert everything == [name for _, name in sorted(wire.CAPABILITIES.items())]
    assert hello(capabilities=0x80).capability_names == []  # an undefined bit is not named


@pytest.mark.parametrize(("code", "name"), sorted(wire.NACK_REASONS.items()))
def test_nack_reason_name(code: int, name: str) -> None:
    nack = m.Nack(board="b", seq=0, rx_ns=0, acked_type=wire.REBOOT, reason=code, detail="")
    assert nack.reason_name == name


def test_unknown_nack_reason_shows_the_code() -> None:
    nack = m.Nack(board="b", seq=0, rx_ns=0, acked_type=wire.REBOOT, reason=200, detail="")
    assert nack.reason_name == "code 200"


def test_link_events_carry_board_and_port() -> None:
    lost = m.BoardLost(board="touch", port="/dev/ttyACM0", reason="unplugged")
    assert isinstance(lost, m.LinkEvent)
    assert not isinstance(lost, m.BoardMessage)
    connected = m.BoardConnected(board="touch", port="loop://", hello=hello())
    assert connected.hello.role == "touch"
