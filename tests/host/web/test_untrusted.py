"""decode_json(): every way a client's JSON can be undecodable is a ValueError."""

from __future__ import annotations

import pytest

from vitrine.web.untrusted import decode_json


def test_json_decodes():
    assert decode_json('{"type": "ping", "n": [1, 2]}') == {"type": "ping", "n": [1, 2]}
    assert decode_json(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    "data",
    [
        "",
        "{",
        "not json",
        b"\xff\xfe",
        "[" * 100_000 + "]" * 100_000,  # json.loads raises RecursionError for this
        '{"a": ' * 5_000 + "1" + "}" * 5_000,
    ],
    ids=["empty", "truncated", "text", "bad-utf8", "deep-list", "deep-object"],
)
def test_anything_undecodable_is_a_value_error(data):
    with pytest.raises(ValueError):
        decode_json(data)
