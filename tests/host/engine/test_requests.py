"""Associate requests over a real events store and the sample catalogue: labels, the limits
a session is held to, acknowledging, fulfilling and cancelling, service levels and the
one-time escalation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from vitrine.engine.config import AssociateConfig
from vitrine.engine.errors import ActionError
from vitrine.engine.requests import (
    MAX_OPEN_PER_SESSION,
    RequestDesk,
    check_name,
    queue_item,
    sla_state,
    view_item,
)
from vitrine.engine.store import EventStore

CFG = AssociateConfig()  # ack 60 s, fulfil 300 s, escalate after 120 s
T0 = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path):
    with EventStore.open(tmp_path / "events.db") as s:
        s.session_started("s1", "mirror-1", "engaged", T0)
        s.session_started("s2", "mirror-1", "engaged", T0)
        yield s


@pytest.fixture
def desk(store, catalog) -> RequestDesk:
    return RequestDesk(store, catalog, CFG, "3")


def codes(call) -> tuple[str, str | None]:
    with pytest.raises(ActionError) as caught:
        call()
    return caught.value.code, caught.value.field


def test_a_size_request_names_the_item_and_the_fitting_room(desk: RequestDesk) -> None:
    row = desk.create("s1", "size", "SH-101-WHIT-M", T0)
    assert row["label"] == "Linen Shirt — M, White"
    assert (row["kind"], row["sku"], row["variant"]) == ("size", "SH-101", "SH-101-WHIT-M")
    assert (row["fitting_room"], row["status"], row["created_at"]) == ("3", "pending", T0)
    assert len(row["id"]) == 32


def test_help_needs_no_variant_but_may_name_one(desk: RequestDesk) -> None:
    assert desk.create("s1", "help", None, T0)["label"] == "Help"
    row = desk.create("s1", "help", "KN-201-NAVY-M", T0)
    assert row["label"] == "Help: Merino Crew Jumper — M, Navy"
    assert row["sku"] == "KN-201"


def test_an_unknown_variant_is_not_found_and_nothing_is_stored(desk, store) -> None:
    assert codes(lambda: desk.create("s1", "size", "SH-999-X", T0)) == ("not_found", "variant")
    assert store.requests(open_only=False) == []


def test_size_and_colour_need_a_variant(desk: RequestDesk) -> None:
    assert codes(lambda: desk.create("s1", "size", None, T0)) == ("bad_message", "variant")


def test_one_open_request_per_kind_and_variant(desk: RequestDesk) -> None:
    first = desk.create("s1", "size", "SH-101-WHIT-M", T0)
    assert codes(lambda: desk.create("s1", "size", "SH-101-WHIT-M", T0)) == ("conflict", "variant")
    desk.create("s1", "colour", "SH-101-WHIT-M", T0)  # another kind is fine
    desk.create("s2", "size", "SH-101-WHIT-M", T0)  # and so is another session
    desk.create("s1", "help", None, T0)
    assert codes(lambda: desk.create("s1", "help", None, T0))[0] == "conflict"
    desk.fulfil(first["id"], "Ana", T0 + 10)
    desk.create("s1", "size", "SH-101-WHIT-M", T0 + 20)  # open again once it closed


def test_at_most_five_open_requests_per_session(desk: RequestDesk, store) -> None:
    variants = ["SH-101-WHIT-XS", "SH-101-WHIT-S", "SH-101-WHIT-M", "SH-101-WHIT-L"]
    for v in variants:
        desk.create("s1", "size", v, T0)
    desk.create("s1", "help", None, T0)
    assert MAX_OPEN_PER_SESSION == 5
    assert codes(lambda: desk.create("s1", "size", "SH-101-WHIT-XL", T0)) == ("not_allowed", None)
    assert len(store.requests(session_id="s1")) == 5
    desk.cancel(store.requests(session_id="s1")[0]["id"], "s1", T0 + 1)
    desk.create("s1", "size", "SH-101-WHIT-XL", T0 + 2)


def test_acknowledge_then_fulfil(desk: RequestDesk) -> None:
    rid = desk.create("s1", "size", "SH-101-WHIT-M", T0)["id"]
    row = desk.acknowledge(rid, "  Ana  ", T0 + 30)
    assert (row["status"], row["acknowledged_by"], row["acknowledged_at"]) == (
        "acknowledged",
        "Ana",
        T0 + 30,
    )
    assert view_item(row)["associate"] == "Ana"
    assert codes(lambda: desk.acknowledge(rid, "Ben", T0 + 31)) == ("conflict", None)
    row = desk.fulfil(rid, "Ben", T0 + 90)
    assert (row["status"], row["fulfilled_by"], row["fulfil_s"]) == ("fulfilled", "Ben", 90.0)
    assert view_item(row)["associate"] == "Ben"
    assert codes(lambda: desk.fulfil(rid, "Ben", T0 + 91)) == ("conflict", None)
    assert codes(lambda: desk.cancel(rid, "s1", T0 + 92)) == ("conflict", None)


def test_a_pending_request_can_be_fulfilled_directly(desk: RequestDesk) -> None:
    rid = desk.create("s1", "help", None, T0)["id"]
    row = desk.fulfil(rid, "Ana", T0 + 40)
    assert (row["status"], row["acknowledged_by"], row["fulfil_s"]) == ("fulfilled", None, 40.0)


def test_unknown_requests_are_not_found(desk: RequestDesk) -> None:
    assert codes(lambda: desk.acknowledge("f" * 32, "Ana", T0)) == ("not_found", "id")
    assert codes(lambda: desk.fulfil("f" * 32, "Ana", T0)) == ("not_found", "id")
    assert codes(lambda: desk.cancel("f" * 32, "s1", T0)) == ("not_found", "id")


def test_a_shopper_cancels_only_their_own_requests(desk: RequestDesk) -> None:
    rid = desk.create("s1", "size", "SH-101-WHIT-M", T0)["id"]
    assert codes(lambda: desk.cancel(rid, "s2", T0 + 1)) == ("not_found", "id")
    assert codes(lambda: desk.cancel(rid, None, T0 + 1)) == ("not_found", "id")
    assert desk.cancel(rid, "s1", T0 + 2)["status"] == "cancelled"


@pytest.mark.parametrize("name", ["", "   ", "x" * 41, "Ana\nBen", None, 7])
def test_an_associate_name_is_1_to_40_printable_characters(desk, name) -> None:
    rid = desk.create("s1", "help", None, T0)["id"]
    assert codes(lambda: desk.acknowledge(rid, name, T0)) == ("bad_message", "name")
    assert codes(lambda: desk.fulfil(rid, name, T0)) == ("bad_message", "name")
    assert desk.store.request(rid)["status"] == "pending"


def test_name_check_keeps_a_40_character_name() -> None:
    assert check_name("Åsa " + "x" * 36) == "Åsa " + "x" * 36


def row(status="pending", created=T0, escalated=None, fulfil_s=None) -> dict:
    return {
        "status": status,
        "created_at": created,
        "escalated_at": escalated,
        "fulfil_s": fulfil_s,
        "fulfilled_at": None,
        "cancelled_at": None,
    }


@pytest.mark.parametrize(
    ("request_row", "age", "state"),
    [
        (row(), 0, "ok"),
        (row(), 60, "ok"),
        (row(), 60.1, "late"),
        (row(), 120, "late"),
        (row(), 120.1, "escalated"),
        (row(escalated=T0 + 121), 121, "escalated"),
        (row("acknowledged"), 200, "ok"),
        (row("acknowledged"), 300.1, "late"),
        (row("acknowledged", escalated=T0 + 121), 200, "ok"),
        (row("fulfilled", fulfil_s=100.0), 1000, "ok"),
        (row("fulfilled", fulfil_s=301.0), 1000, "late"),
        (row("cancelled"), 1000, "ok"),
    ],
)
def test_service_levels(request_row: dict, age: float, state: str) -> None:
    assert sla_state(request_row, T0 + age, CFG) == state


def test_service_levels_follow_the_config() -> None:
    strict = AssociateConfig(ack_sla_s=10, fulfil_sla_s=20, escalate_after_s=15)
    assert sla_state(row(), T0 + 11, strict) == "late"
    assert sla_state(row(), T0 + 16, strict) == "escalated"
    assert sla_state(row("acknowledged"), T0 + 21, strict) == "late"


def test_escalation_happens_once_and_is_logged_once(desk, caplog) -> None:
    rid = desk.create("s1", "size", "SH-101-WHIT-M", T0)["id"]
    other = desk.create("s1", "help", None, T0 + 100)["id"]
    caplog.set_level(logging.WARNING, logger="vitrine.engine")
    assert desk.escalate_due(T0 + 120) == []
    escalated = desk.escalate_due(T0 + 121)
    assert [r["id"] for r in escalated] == [rid]
    assert escalated[0]["escalated_at"] == T0 + 121
    assert desk.escalate_due(T0 + 130) == []
    warnings = [r for r in caplog.records if r.name == "vitrine.engine"]
    assert len(warnings) == 1
    assert "Linen Shirt — M, White" in warnings[0].getMessage()
    assert "fitting room 3" in warnings[0].getMessage()
    queue = {item["id"]: item for item in desk.queue(T0 + 130)}
    assert queue[rid]["sla"] == "escalated"
    assert queue[rid]["escalated_at"] == T0 + 121
    assert queue[other]["sla"] == "ok"
    # acknowledging it keeps the record of the escalation; no new escalation after that
    desk.acknowledge(rid, "Ana", T0 + 140)
    assert desk.store.request(rid)["escalated_at"] == T0 + 121
    assert desk.escalate_due(T0 + 1000) == [desk.store.request(other)]


def test_acknowledged_and_closed_requests_are_never_escalated(desk) -> None:
    a = desk.create("s1", "size", "SH-101-WHIT-M", T0)["id"]
    b = desk.create("s1", "help", None, T0)["id"]
    desk.acknowledge(a, "Ana", T0 + 5)
    desk.cancel(b, "s1", T0 + 6)
    assert desk.escalate_due(T0 + 500) == []


def test_queue_items_carry_room_label_age_and_sla(desk) -> None:
    rid = desk.create("s1", "size", "SH-101-WHIT-M", T0)["id"]
    desk.create("s2", "help", None, T0 + 10)
    queue = desk.queue(T0 + 70)
    assert queue[0]["id"] == rid
    item = queue[0]
    assert (item["fitting_room"], item["label"], item["age_s"], item["sla"]) == (
        "3",
        "Linen Shirt — M, White",
        70.0,
        "late",
    )
    desk.fulfil(rid, "Ana", T0 + 80)
    assert rid not in [i["id"] for i in desk.queue(T0 + 90)]
    closed = queue_item(desk.store.request(rid), T0 + 5000, CFG)
    assert closed["age_s"] == 80.0  # the age stops when it closes
    help_id = desk.queue(T0 + 90)[0]["id"]
    assert desk.sla_states(T0 + 69) == {help_id: "ok"}
    assert desk.sla_states(T0 + 90) == {help_id: "late"}
