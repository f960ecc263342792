"""The observation format: ids, kinds, fields, and errors that name the field."""

from __future__ import annotations

import json

import pytest

from vitrine.analytics.observation import (
    KINDS,
    ObservationError,
    make,
    new_id,
    parse,
)

AT = 1_773_486_000.125


def test_a_made_observation_round_trips_through_its_line():
    obs = make("look", AT, "store-1", "mirror-1", source="camera", track=17, seconds=2.4)
    back = parse(obs.line())
    assert back == obs
    assert obs.columns() == (None, "camera:17", None, 2.4)


def test_ids_are_uuidv7_carrying_the_time_and_sort_by_it():
    ids = [new_id(AT + i * 0.01) for i in range(50)]
    assert ids == sorted(ids)
    assert all(i[14] == "7" for i in ids)
    assert int(ids[0][:8] + ids[0][9:13], 16) == int(AT * 1000)


def test_an_id_whose_time_is_not_the_observations_is_refused():
    obs = make("presence", AT, "s", "m", present=True, source="presence").to_json()
    obs["at"] = AT + 5
    with pytest.raises(ObservationError, match="its time") as err:
        parse(json.dumps(obs), "day.jsonl:4")
    assert err.value.field == "id"
    assert str(err.value).startswith("day.jsonl:4: ")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "teleport"}, "kind", "unknown kind; allowed: presence"),
        ({"store": "a b"}, "store", "letters, digits"),
        ({"at": "yesterday"}, "at", "seconds since the epoch"),
        ({"at": True}, "at", "seconds since the epoch"),
        ({"data": [["present", True]]}, "data", "must be an object"),
        ({"data": {"present": "yes", "source": "presence"}}, "data.present", "true or false"),
        ({"data": {"source": "presence"}}, "data.present", "required for presence, missing"),
        ({"data": {"present": True, "source": "presence", "x": 1}}, "data.x", "not a field"),
        ({"extra": 1}, "extra", "unknown field"),
    ],
)
def test_bad_observations_name_the_field(change, field, words):
    obj = make("presence", AT, "s", "m", present=True, source="presence").to_json()
    obj.update(change)
    with pytest.raises(ObservationError) as err:
        parse(json.dumps(obj), "in.jsonl:2")
    assert err.value.field == field
    assert words in str(err.value)


def test_ranges_and_choices_are_checked():
    with pytest.raises(ObservationError, match=r"data.csat = 6: must be at most 5"):
        make("rating", AT, "s", "m", session="a" * 32, csat=6)
    with pytest.raises(ObservationError, match="allowed: timeout, left, ended_by_shopper"):
        make("session_end", AT, "s", "m", session="a" * 32, reason="bored", duration_s=3.0)


def test_not_json_and_too_long_lines_are_refused():
    with pytest.raises(ObservationError, match="not JSON"):
        parse("{nope", "x:1")
    with pytest.raises(ObservationError, match="at most 4096"):
        parse("{" + " " * 5000 + "}", "x:1")


def test_every_kind_names_real_fields_for_its_columns():
    for name, kind in KINDS.items():
        for column in (kind.session, kind.subject, kind.label, kind.value):
            assert column is None or column in kind.fields, name
