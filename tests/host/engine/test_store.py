"""events.db: the schema, each table's writes and reads, once-only exposures, outcomes and
ratings, the experiment counts, forgetting a member and the live-session snapshot."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vitrine.engine.store import SCHEMA_VERSION, TABLES, EventStore, StoreError


@pytest.fixture
def store(tmp_path: Path):
    with EventStore.open(tmp_path / "events.db") as s:
        yield s


def session(store: EventStore, sid: str = "s1", phase: str = "engaged", at: float = 100.0) -> str:
    store.session_started(sid, "mirror-1", phase, at)
    return sid


def test_open_creates_the_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "events.db"
    with EventStore.open(path) as s:
        assert s.path == path
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) <= tables
    conn.close()
    EventStore.open(path).close()  # opening again keeps everything


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        EventStore.open(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="events"):
        EventStore.open(path)


def test_session_lifecycle(store: EventStore) -> None:
    session(store, "s1", "approached", 100.0)
    store.session_phase("s1", "engaged", 105.0)
    store.session_phase("s1", "engaged", 106.0)  # the first time is kept
    store.session_member("s1", "M-1234")
    store.session_ended("s1", "timeout", 150.0)
    store.session_ended("s1", "left", 160.0)  # the first end is kept
    assert store.session("s1") == {
        "id": "s1",
        "mirror": "mirror-1",
        "started_at": 100.0,
        "approached_at": 100.0,
        "engaged_at": 105.0,
        "ended_at": 150.0,
        "end_reason": "timeout",
        "member": "M-1234",
        "phase": "ended",
        "interactions_dropped": 0,
    }
    assert store.session("nope") is None


def test_an_unknown_end_reason_is_refused(store: EventStore) -> None:
    session(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.session_ended("s1", "bored", 1.0)
    assert store.session("s1")["ended_at"] is None


def test_interactions_keep_kind_screen_and_detail_only(store: EventStore) -> None:
    session(store)
    store.add_interaction("s1", "tap", "home", 101.0)
    store.add_interaction("s1", "navigate", "product", 102.0, '{"sku": "SH-101"}')
    rows = store.interactions("s1")
    assert [(r["kind"], r["screen"], r["detail"]) for r in rows] == [
        ("tap", "home", None),
        ("navigate", "product", '{"sku": "SH-101"}'),
    ]
    assert set(rows[0]) == {"session", "at", "kind", "screen", "detail", "count", "last_at"}


def test_an_interaction_needs_its_session(store: EventStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.add_interaction("ghost", "tap", "home", 1.0)


def request(store: EventStore, rid: str, sid: str = "s1", at: float = 100.0) -> None:
    store.add_request(
        {
            "id": rid,
            "session": sid,
            "kind": "size",
            "sku": "SH-101",
            "variant": "SH-101-WHITE-M",
            "label": "Linen Shirt — M, White",
            "fitting_room": "1",
            "created_at": at,
        }
    )


def test_request_transitions_only_from_the_right_status(store: EventStore) -> None:
    session(store)
    request(store, "r1")
    assert store.request("r1")["status"] == "pending"
    assert store.escalate_request("r1", 200.0)
    assert not store.escalate_request("r1", 210.0)  # once
    assert store.acknowledge_request("r1", "Ana", 220.0)
    assert not store.acknowledge_request("r1", "Ben", 230.0)
    assert not store.escalate_request("r1", 240.0)
    assert store.fulfil_request("r1", "Ana", 400.0)
    assert not store.fulfil_request("r1", "Ana", 410.0)
    assert not store.cancel_request("r1", 420.0)
    row = store.request("r1")
    assert row["status"] == "fulfilled"
    assert (row["acknowledged_by"], row["acknowledged_at"]) == ("Ana", 220.0)
    assert (row["fulfilled_by"], row["fulfilled_at"]) == ("Ana", 400.0)
    assert row["escalated_at"] == 200.0
    assert row["fulfil_s"] == 300.0  # time to fulfil, from creation


def test_a_pending_request_can_be_fulfilled_or_cancelled(store: EventStore) -> None:
    session(store)
    request(store, "r1")
    request(store, "r2", at=101.0)
    assert store.fulfil_request("r1", "Ana", 150.0)
    assert store.cancel_request("r2", 151.0)
    assert store.request("r2")["cancelled_at"] == 151.0
    assert store.requests() == []
    assert [r["id"] for r in store.requests(open_only=False)] == ["r1", "r2"]


def test_requests_by_session_oldest_first(store: EventStore) -> None:
    session(store, "s1")
    session(store, "s2")
    request(store, "b", "s1", at=105.0)
    request(store, "a", "s2", at=101.0)
    request(store, "c", "s1", at=103.0)
    assert [r["id"] for r in store.requests()] == ["a", "c", "b"]
    assert [r["id"] for r in store.requests(session_id="s1")] == ["c", "b"]


def test_exposure_and_outcome_count_once_per_session(store: EventStore) -> None:
    session(store)
    assert store.add_exposure("s1", "layout", "grid", 1.0)
    assert not store.add_exposure("s1", "layout", "carousel", 2.0)
    assert store.add_outcome("s1", "layout", "grid", "request", 3.0)
    assert not store.add_outcome("s1", "layout", "grid", "request", 4.0)
    assert store.add_exposure("s1", "greeting", "warm", 1.0)  # another experiment


def test_experiment_counts_in_the_order_asked(store: EventStore) -> None:
    for sid, variant, converted in [
        ("a", "grid", True),
        ("b", "grid", False),
        ("c", "carousel", True),
        ("d", "carousel", True),
        ("e", "carousel", False),
    ]:
        session(store, sid)
        store.add_exposure(sid, "layout", variant, 1.0)
        if converted:
            store.add_outcome(sid, "layout", variant, "request", 2.0)
    session(store, "f")  # an outcome without exposure does not count
    store.add_outcome("f", "layout", "grid", "request", 2.0)
    store.add_exposure("a", "other", "x", 1.0)
    assert store.experiment_counts("layout", ["grid", "carousel", "list"]) == [
        ("grid", 2, 1),
        ("carousel", 3, 2),
        ("list", 0, 0),
    ]


def test_a_session_is_rated_once_within_range(store: EventStore) -> None:
    session(store)
    assert store.add_rating("s1", 5, 9, 10.0)
    assert not store.add_rating("s1", 1, None, 11.0)
    assert store.rating("s1") == {"session": "s1", "csat": 5, "nps": 9, "at": 10.0}
    session(store, "s2")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_rating("s2", 6, None, 1.0)
    with pytest.raises(sqlite3.IntegrityError):
        store.add_rating("s2", 3, 11, 1.0)
    assert store.rating("s2") is None


def test_members_wishlists_and_purchases(store: EventStore) -> None:
    store.enrol_member("M-1", "2026-11", 10.0)
    store.enrol_member("M-1", "2026-12", 20.0)  # consent given again
    assert store.member("M-1") == {
        "loyalty_id": "M-1",
        "consent_at": 20.0,
        "consent_version": "2026-12",
    }
    assert store.wishlist_add("M-1", "SH-101", 1.0)
    assert store.wishlist_add("M-1", "KN-201", 2.0)
    assert not store.wishlist_add("M-1", "SH-101", 3.0)
    assert store.wishlist("M-1") == ["SH-101", "KN-201"]
    assert store.wishlist_remove("M-1", "SH-101")
    assert not store.wishlist_remove("M-1", "SH-101")
    assert store.wishlist("M-1") == ["KN-201"]
    store.add_purchase("M-1", "TR-401", 5.0, "store-1")
    store.add_purchase("M-1", "OW-501", 6.0, "store-1")
    assert store.purchases("M-1") == [{"sku": "OW-501", "at": 6.0}, {"sku": "TR-401", "at": 5.0}]


def test_a_wishlist_needs_a_member(store: EventStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.wishlist_add("nobody", "SH-101", 1.0)


def all_rows_naming(store: EventStore, value: str) -> list[tuple[str, dict]]:
    found = []
    for table in TABLES:
        for row in store._conn.execute(f"SELECT * FROM {table}"):
            if any(value in str(v) for v in tuple(row)):
                found.append((table, dict(row)))
    return found


def test_forgetting_a_member_leaves_no_row_naming_them(store: EventStore) -> None:
    store.enrol_member("M-777", "2026-11", 1.0)
    store.enrol_member("M-888", "2026-11", 1.0)
    store.wishlist_add("M-777", "SH-101", 2.0)
    store.wishlist_add("M-888", "SH-101", 2.0)
    store.add_purchase("M-777", "TR-401", 3.0, "store-1")
    session(store, "s1")
    store.session_member("s1", "M-777")
    session(store, "s2")
    store.session_member("s2", "M-888")
    store.save_snapshot("live", {"member": "M-777"}, 4.0)
    assert all_rows_naming(store, "M-777")

    store.forget_member("M-777")
    assert all_rows_naming(store, "M-777") == []
    assert store.session("s1")["member"] is None  # the visit stays, anonymous
    assert store.member("M-888") is not None  # others are untouched
    assert store.wishlist("M-888") == ["SH-101"]
    assert store.session("s2")["member"] == "M-888"


def test_snapshot_save_load_clear(store: EventStore) -> None:
    assert store.load_snapshot("live") is None
    store.save_snapshot("live", {"a": 1}, 10.0)
    store.save_snapshot("live", {"a": 2, "b": [1, 2]}, 11.0)
    assert store.load_snapshot("live") == ({"a": 2, "b": [1, 2]}, 11.0)
    store.clear_snapshot("live")
    assert store.load_snapshot("live") is None


def test_an_unreadable_snapshot_is_ignored(store: EventStore) -> None:
    store._conn.execute("INSERT INTO snapshot (key, json, at) VALUES ('live', '{oops', 1.0)")
    assert store.load_snapshot("live") is None
    store._conn.execute("UPDATE snapshot SET json = '[1, 2]' WHERE key = 'live'")
    assert store.load_snapshot("live") is None


def test_writes_are_visible_to_another_connection_at_once(store: EventStore) -> None:
    session(store)
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT id FROM session").fetchall() == [("s1",)]
    other.close()
