"""Hypothesis strategies for wire messages, shared by the host tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from vitrine_fw import wire

# Field ranges restated from docs/protocol.md §6, independently of wire.py's own table.
INT_RANGES = {
    "B": (0, 0xFF),
    "H": (0, 0xFFFF),
    "I": (0, 0xFFFFFFFF),
    "b": (-0x80, 0x7F),
    "h": (-0x8000, 0x7FFF),
    "i": (-0x80000000, 0x7FFFFFFF),
}


def field_value(code: str) -> st.SearchStrategy[Any]:
    """Values a field of this code can carry (floats: those a float32 holds exactly)."""
    if code in INT_RANGES:
        return st.integers(*INT_RANGES[code])
    if code == "f":
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if code == "s":
        return st.text(max_size=10)
    return st.binary(max_size=40)


# Byte fields with a structure of their own (protocol.md §8, §11, §14): whole records only.
_RECORDS = {
    (wire.TOUCH_REPORT, "contacts"): wire.CONTACT_SIZE,
    (wire.TOUCH_HEALTH, "failed_beams"): 2,
    (wire.TOUCH_RAW, "rows"): wire.RAW_ROW,
    (wire.LIGHT_STATE, "shown"): wire.LIGHT_SHOWN_SIZE,
    (wire.BEACON_SIGHTINGS, "sightings"): wire.SIGHTING_SIZE,
}


def _value(typ: int, name: str, code: str) -> st.SearchStrategy[Any]:
    size = _RECORDS.get((typ, name))
    if size is None:
        return field_value(code)
    return st.integers(0, 200 // size).flatmap(
        lambda n: st.binary(min_size=n * size, max_size=n * size)
    )


@st.composite
def table_messages(draw: st.DrawFn) -> tuple[int, tuple[Any, ...]]:
    """A message type from the table and field values for it."""
    typ = draw(st.sampled_from([t for t, *_ in wire.TABLE]))
    return typ, tuple(draw(_value(typ, name, code)) for name, code in wire.message_fields(typ))
