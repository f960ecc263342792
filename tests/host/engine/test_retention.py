"""events.db never grows without bound: a run of the same interaction is one counted row, a
session's interactions are written within a budget, [retention] prunes what is old, and the
space goes back to the file system. Also: a version-1 file is brought up to date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vitrine.engine.config import RetentionConfig
from vitrine.engine.engine import (
    INTERACTION_ROWS_BURST,
    INTERACTION_ROWS_PER_S,
    INTERACTION_RUN_S,
)
from vitrine.engine.store import DAY_S, INCREMENTAL, SCHEMA_VERSION, EventStore

from .harness import Rig

NOW = 1_800_000_000.0  # the wall clock of the pruning tests


# -- interactions: runs and the budget -------------------------------------------------------


async def test_a_run_of_the_same_interaction_is_one_counted_row(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    for _ in range(30):
        await rig.act(type="interaction", kind="scroll", screen="home")
        rig.clock.advance(INTERACTION_RUN_S / 2)
    rig.clock.advance(INTERACTION_RUN_S + 0.1)  # the run is over: the next is a new row
    await rig.act(type="interaction", kind="scroll", screen="home")
    rows = rig.store.interactions(rig.engine.view()["session"]["id"])
    assert [(r["kind"], r["count"]) for r in rows] == [
        ("navigate", 1),
        ("scroll", 30),
        ("scroll", 1),
    ]
    assert rows[1]["last_at"] - rows[1]["at"] == pytest.approx(29 * INTERACTION_RUN_S / 2)


async def test_a_flood_of_interactions_adds_counts_not_rows(rig: Rig) -> None:
    # 5,000 distinct interactions in 10 s (a broken page, or a hostile client on the socket):
    # the session's rows stop at its budget and the rest are counted on the session.
    await rig.act(type="navigate", screen="home")
    for n in range(5000):
        category = ("shirts", "knitwear")[n % 2]  # never twice in a row: not a run
        await rig.act(type="navigate", screen="browse", category=category)
        rig.clock.advance(0.002)
    sid = rig.engine.view()["session"]["id"]
    rows = rig.store.interactions(sid)
    budget = INTERACTION_ROWS_BURST + 10 * INTERACTION_ROWS_PER_S
    assert len(rows) <= budget + 1  # + the first navigation
    dropped = rig.store.session(sid)["interactions_dropped"]
    assert len(rows) - 1 + dropped == 5000
    # the budget refills with time: a shopper who comes back later is written again
    rig.clock.advance(1.0)
    await rig.act(type="navigate", screen="help")
    assert rig.store.interactions(sid)[-1]["screen"] == "help"


# -- retention -------------------------------------------------------------------------------


def _old_session(store: EventStore, sid: str, days_ago: float, member: str | None = None) -> None:
    at = NOW - days_ago * DAY_S
    store.session_started(sid, "mirror-1", "engaged", at)
    store.session_member(sid, member)
    store.add_interaction(sid, "tap", "home", at)
    store.add_request(
        {
            "id": f"r-{sid}",
            "session": sid,
            "kind": "help",
            "sku": None,
            "variant": None,
            "label": "Help",
            "fitting_room": "1",
            "created_at": at,
        }
    )
    store.add_exposure(sid, "layout", "grid", at)
    store.add_outcome(sid, "layout", "grid", "request", at)
    store.add_rating(sid, 5, 9, at)


def _count(store: EventStore, table: str) -> int:
    return store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _prune_all(store: EventStore, rules: RetentionConfig, keep: str | None = None) -> list:
    results = [store.prune(rules, NOW, keep=keep)]
    while results[-1].more:
        results.append(store.prune(rules, NOW, keep=keep))
    return results


def test_old_sessions_go_with_everything_that_hangs_on_them(tmp_path: Path) -> None:
    rules = RetentionConfig(sessions_days=30, interactions_days=3000)
    with EventStore.open(tmp_path / "events.db") as store:
        _old_session(store, "old", 31)
        _old_session(store, "new", 29)
        _old_session(store, "live", 400)  # the session on the glass now is never removed
        (result,) = _prune_all(store, rules, keep="live")
        assert (result.sessions, result.more) == (1, False)
        assert store.session("old") is None and store.session("new") is not None
        assert store.session("live") is not None
        for table in ("interaction", "request", "exposure", "outcome", "rating"):
            sessions = {r[0] for r in store._conn.execute(f"SELECT session FROM {table}")}
            assert sessions == {"new", "live"}, table


def test_interactions_go_by_age_and_beyond_their_row_limit(tmp_path: Path) -> None:
    rules = RetentionConfig(interactions_days=7, interactions_max_rows=1000)
    with EventStore.open(tmp_path / "events.db") as store:
        store.session_started("s", "mirror-1", "engaged", NOW)
        with store._conn:
            store._conn.executemany(
                "INSERT INTO interaction (session, at, kind, screen) "
                "VALUES ('s', ?, 'tap', 'home')",
                [(NOW - (8 if n < 500 else 1) * DAY_S + n,) for n in range(4000)],
            )
        results = _prune_all(store, rules)
        assert sum(r.interactions for r in results) == 3000
        assert len(results) > 1  # a batch at a time
        assert _count(store, "interaction") == 1000
        (oldest,) = store._conn.execute("SELECT MIN(at) FROM interaction").fetchone()
        assert oldest == NOW - DAY_S + 3000  # the newest thousand are kept


def test_a_member_inactive_for_long_is_forgotten(tmp_path: Path) -> None:
    rules = RetentionConfig(members_inactive_days=365)
    with EventStore.open(tmp_path / "events.db") as store:
        store.enrol_member("GONE", "2026-11", NOW - 400 * DAY_S)
        store.enrol_member("BACK", "2026-11", NOW - 400 * DAY_S)
        store.enrol_member("NEW", "2026-11", NOW - 10 * DAY_S)
        store.wishlist_add("GONE", "SH-101", NOW - 400 * DAY_S)
        _old_session(store, "visit", 20, member="BACK")  # came back 20 days ago
        (result,) = _prune_all(store, rules)
        assert result.members == 1
        assert store.member("GONE") is None and store.wishlist("GONE") == []
        assert store.member("BACK") is not None and store.member("NEW") is not None


def test_pruned_space_goes_back_to_the_file_system(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    rules = RetentionConfig(interactions_days=1)
    with EventStore.open(path) as store:
        assert store._conn.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL
        store.session_started("s", "mirror-1", "engaged", NOW)
        with store._conn:
            store._conn.executemany(
                "INSERT INTO interaction (session, at, kind, screen, detail) "
                "VALUES ('s', ?, 'navigate', 'browse', ?)",
                [(NOW - 2 * DAY_S, "x" * 200) for _ in range(20000)],
            )
        big = store.size_bytes()
        _prune_all(store, rules)
        freed = store.reclaim()
        assert freed > 0
        assert store._conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert store.size_bytes() < big / 4


async def test_the_engine_prunes_by_its_retention_config(tmp_path: Path, catalog) -> None:
    from vitrine.engine.config import EngineConfig

    rig = Rig(tmp_path, catalog, EngineConfig(retention=RetentionConfig(sessions_days=1)))
    try:
        rig.store.session_started("ancient", "mirror-1", "engaged", rig.clock.wall_now - 3 * DAY_S)
        await rig.act(type="navigate", screen="home")
        live = rig.engine.view()["session"]["id"]
        total = await rig.engine.prune()
        assert total.sessions == 1
        assert rig.store.session("ancient") is None and rig.store.session(live) is not None
    finally:
        rig.store.close()


# -- a file from version 1 -------------------------------------------------------------------

# events.db as version 1 made it, frozen here (the store itself only knows the newest), so
# that the upgrade is tested on a real version-1 file.
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS session (
    id TEXT PRIMARY KEY,
    mirror TEXT NOT NULL,
    started_at REAL NOT NULL,
    approached_at REAL,
    engaged_at REAL,
    ended_at REAL,
    end_reason TEXT CHECK (end_reason IN ('timeout', 'left', 'ended_by_shopper')),
    member TEXT,
    phase TEXT NOT NULL CHECK (phase IN ('approached', 'engaged', 'ended'))
);
CREATE INDEX IF NOT EXISTS session_started ON session(started_at);
CREATE TABLE IF NOT EXISTS interaction (
    session TEXT NOT NULL REFERENCES session(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    screen TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS interaction_session ON interaction(session);
CREATE TABLE IF NOT EXISTS request (
    id TEXT PRIMARY KEY,
    session TEXT NOT NULL REFERENCES session(id),
    kind TEXT NOT NULL CHECK (kind IN ('size', 'colour', 'help')),
    sku TEXT,
    variant TEXT,
    label TEXT NOT NULL,
    fitting_room TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'acknowledged', 'fulfilled', 'cancelled')),
    created_at REAL NOT NULL,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    fulfilled_at REAL,
    fulfilled_by TEXT,
    escalated_at REAL,
    cancelled_at REAL,
    fulfil_s REAL
);
CREATE INDEX IF NOT EXISTS request_status ON request(status);
CREATE INDEX IF NOT EXISTS request_session ON request(session);
CREATE TABLE IF NOT EXISTS exposure (
    session TEXT NOT NULL REFERENCES session(id),
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (session, experiment)
);
CREATE TABLE IF NOT EXISTS outcome (
    session TEXT NOT NULL REFERENCES session(id),
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    outcome TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (session, experiment)
);
CREATE TABLE IF NOT EXISTS rating (
    session TEXT PRIMARY KEY REFERENCES session(id),
    csat INTEGER NOT NULL CHECK (csat BETWEEN 1 AND 5),
    nps INTEGER CHECK (nps IS NULL OR nps BETWEEN 0 AND 10),
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS member (
    loyalty_id TEXT PRIMARY KEY,
    consent_at REAL NOT NULL,
    consent_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wishlist (
    loyalty_id TEXT NOT NULL REFERENCES member(loyalty_id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (loyalty_id, sku)
);
CREATE TABLE IF NOT EXISTS purchase (
    loyalty_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    at REAL NOT NULL,
    store TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS purchase_member ON purchase(loyalty_id);
CREATE TABLE IF NOT EXISTS snapshot (
    key TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    at REAL NOT NULL
);
"""


def test_a_version_1_file_is_brought_up_to_date_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO session (id, mirror, started_at, phase) VALUES ('s', 'm', 1.0, 'engaged')"
    )
    conn.execute(
        "INSERT INTO interaction (session, at, kind, screen) VALUES ('s', 2.0, 'tap', 'home')"
    )
    conn.commit()
    conn.close()
    with EventStore.open(path) as store:
        (row,) = store.interactions("s")
        assert (row["kind"], row["count"], row["last_at"]) == ("tap", 1, None)
        assert store.session("s")["interactions_dropped"] == 0
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store._conn.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL
