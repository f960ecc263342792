"""The player's actions: every valid form parses to its model; anything else is a
bad_message naming the field and what is allowed."""

from __future__ import annotations

import json

import pytest

from vitrine.engine.actions import (
    ACTION_TYPES,
    CancelRequest,
    Consent,
    End,
    Enrol,
    Forget,
    Interaction,
    Light,
    Navigate,
    Rate,
    Request,
    Wishlist,
    parse_action,
)
from vitrine.engine.errors import ActionError

RID = "0123456789abcdef0123456789abcdef"

VALID = [
    ({"type": "navigate", "screen": "home"}, Navigate),
    ({"type": "navigate", "screen": "browse", "category": "knitwear"}, Navigate),
    ({"type": "navigate", "screen": "product", "sku": "SH-101"}, Navigate),
    ({"type": "navigate", "screen": "look", "sku": "SH-101", "category": "shirts"}, Navigate),
    ({"type": "interaction", "kind": "scroll", "screen": "browse"}, Interaction),
    ({"type": "interaction", "kind": "tap", "screen": "attract"}, Interaction),
    ({"type": "request", "kind": "size", "variant": "SH-101-WHITE-M"}, Request),
    ({"type": "request", "kind": "colour", "variant": "SH-101-NAVY-M"}, Request),
    ({"type": "request", "kind": "help"}, Request),
    ({"type": "request", "kind": "help", "variant": "SH-101-NAVY-M"}, Request),
    ({"type": "cancel_request", "id": RID}, CancelRequest),
    ({"type": "light", "scene": "evening"}, Light),
    ({"type": "consent", "accept": True}, Consent),
    ({"type": "consent", "accept": False}, Consent),
    ({"type": "enrol", "loyalty_id": "M-1234"}, Enrol),
    ({"type": "wishlist", "sku": "SH-101", "add": True}, Wishlist),
    ({"type": "forget"}, Forget),
    ({"type": "rate", "csat": 5}, Rate),
    ({"type": "rate", "csat": 1, "nps": 0}, Rate),
    ({"type": "rate", "csat": 3, "nps": 10}, Rate),
    ({"type": "end"}, End),
]


@pytest.mark.parametrize(("data", "model"), VALID, ids=[json.dumps(d) for d, _ in VALID])
def test_valid_actions_parse(data: dict, model: type) -> None:
    action = parse_action(data)
    assert isinstance(action, model)
    assert action.model_dump(exclude_none=True) == data


def test_every_action_type_is_covered() -> None:
    assert {d["type"] for d, _ in VALID} == set(ACTION_TYPES)


BAD = [
    ([1, 2], None, "JSON object"),
    ({}, "type", "unknown action"),
    ({"type": "dance"}, "type", "allowed: navigate"),
    ({"type": ["navigate"]}, "type", "unknown action"),
    ({"type": "navigate"}, "screen", "required"),
    ({"type": "navigate", "screen": "attract"}, "screen", "'home'"),
    ({"type": "navigate", "screen": "product"}, "sku", "sku is required"),
    ({"type": "navigate", "screen": "look"}, "sku", "sku is required"),
    ({"type": "navigate", "screen": "browse", "category": "Knit Wear"}, "category", "pattern"),
    ({"type": "navigate", "screen": "browse", "category": "k" * 41}, "category", "pattern"),
    ({"type": "navigate", "screen": "product", "sku": "x" * 65}, "sku", "pattern"),
    ({"type": "navigate", "screen": "home", "colour": "red"}, "colour", "unknown field"),
    ({"type": "interaction", "kind": "wave", "screen": "home"}, "kind", "'tap'"),
    ({"type": "interaction", "kind": "tap", "screen": "nowhere"}, "screen", "'attract'"),
    ({"type": "interaction", "kind": "tap", "screen": "home", "x": 10}, "x", "unknown field"),
    ({"type": "request", "kind": "size"}, "variant", "variant is required"),
    ({"type": "request", "kind": "colour"}, "variant", "variant is required"),
    ({"type": "request", "kind": "price", "variant": "A"}, "kind", "'size'"),
    ({"type": "request", "kind": "size", "variant": "bad sku!"}, "variant", "pattern"),
    ({"type": "cancel_request", "id": "r1"}, "id", "pattern"),
    ({"type": "cancel_request"}, "id", "required"),
    ({"type": "light", "scene": ""}, "scene", "at least 1"),
    ({"type": "light", "scene": "s" * 33}, "scene", "at most 32"),
    ({"type": "consent", "accept": "yes"}, "accept", "boolean"),
    ({"type": "consent", "accept": 1}, "accept", "boolean"),
    ({"type": "enrol", "loyalty_id": "abc"}, "loyalty_id", "pattern"),
    ({"type": "enrol", "loyalty_id": "a" * 33}, "loyalty_id", "pattern"),
    ({"type": "enrol", "loyalty_id": "M_1234"}, "loyalty_id", "pattern"),
    ({"type": "wishlist", "sku": "SH-101"}, "add", "required"),
    ({"type": "forget", "loyalty_id": "M-1234"}, "loyalty_id", "unknown field"),
    ({"type": "rate"}, "csat", "required"),
    ({"type": "rate", "csat": 0}, "csat", "greater than or equal to 1"),
    ({"type": "rate", "csat": 6}, "csat", "less than or equal to 5"),
    ({"type": "rate", "csat": "5"}, "csat", "integer"),
    ({"type": "rate", "csat": 4.0}, "csat", "integer"),
    ({"type": "rate", "csat": True}, "csat", "integer"),
    ({"type": "rate", "csat": 4, "nps": 11}, "nps", "less than or equal to 10"),
    ({"type": "rate", "csat": 4, "nps": -1}, "nps", "greater than or equal to 0"),
    ({"type": "end", "now": True}, "now", "unknown field"),
]


@pytest.mark.parametrize(("data", "field", "words"), BAD, ids=[json.dumps(d) for d, _, _ in BAD])
def test_bad_actions_are_bad_messages_naming_the_field(data, field, words) -> None:
    with pytest.raises(ActionError) as caught:
        parse_action(data)
    err = caught.value
    assert err.code == "bad_message"
    assert err.field == field
    assert words in err.message


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ActionError) as caught:
        parse_action({"type": "light", "scene": "x" * 5000})
    assert len(caught.value.message) < 200


def test_error_as_the_player_receives_it() -> None:
    err = ActionError("not_found", "no product 'X'", "sku")
    assert err.to_json() == {
        "type": "error",
        "code": "not_found",
        "error": "no product 'X'",
        "field": "sku",
    }
    assert ActionError("conflict", "already").to_json() == {
        "type": "error",
        "code": "conflict",
        "error": "already",
    }
    assert str(err) == "no product 'X'"


def test_only_the_four_error_codes_exist() -> None:
    with pytest.raises(ValueError, match="bad_message, not_found, not_allowed, conflict"):
        ActionError("oops", "message")  # type: ignore[arg-type]


def test_actions_are_immutable() -> None:
    action = parse_action({"type": "rate", "csat": 4})
    with pytest.raises(ValueError):
        action.csat = 5  # type: ignore[misc]
