"""Retention per kind from [analytics]: raw observations older than their kind's days go
(hourly, by the daemon's analytics service); the roll-ups stay, so reports keep them."""

from __future__ import annotations

import time

from vitrine.analytics import store
from vitrine.analytics.config import AnalyticsConfig, FleetConfig
from vitrine.analytics.metrics import report
from vitrine.analytics.observation import make
from vitrine.analytics.rollup import Rules
from vitrine.analytics.service import Analytics
from vitrine.analytics.sqldb import SqliteDb
from vitrine.database import write_transaction

DAY_S = 86400.0
A = "a" * 32


def test_each_kind_is_kept_its_own_days_and_the_roll_ups_stay(tmp_path):
    now = time.time()
    config = AnalyticsConfig(retention_days=30, retention_kinds={"interaction": 7})
    path = tmp_path / "analytics.db"
    old_passer = make("passer_by", now - 40 * DAY_S, "s", "m", source="camera")
    kept_passer = make("passer_by", now - 10 * DAY_S, "s", "m", source="camera")
    old_touch = make(
        "interaction", now - 10 * DAY_S, "s", "m", session=A, kind="tap", screen="home"
    )
    kept_touch = make(
        "interaction", now - 3 * DAY_S, "s", "m", session=A, kind="tap", screen="home"
    )
    conn = store.open_store(path)
    with write_transaction(conn):
        store.insert(conn, [old_passer, kept_passer, old_touch, kept_touch], outbox=True)
    conn.close()
    analytics = Analytics(path, "s", "m", config, FleetConfig())
    assert analytics.maintain_once(prune=True) > 0  # rolled up, then pruned
    assert analytics.pruned == 2
    conn = store.open_store(path)
    try:
        ids = {r[0] for r in conn.execute("SELECT id FROM observation")}
        assert ids == {kept_passer.id, kept_touch.id}
        outbox = {r[0] for r in conn.execute("SELECT id FROM outbox")}
        assert outbox == {kept_passer.id, kept_touch.id}
        db = SqliteDb(conn)
        out = report(db, now - 41 * DAY_S, now, Rules())
        assert out["passers_by"] == 2  # the pruned one is still in its hour's roll-up
    finally:
        conn.close()
