"""Every metric over a small day whose numbers can be worked out by hand, from the raw
observations and again from the roll-ups (the two must agree)."""

from __future__ import annotations

import pytest

from vitrine.analytics import rollup, store
from vitrine.analytics.imports import import_sales
from vitrine.analytics.metrics import report
from vitrine.analytics.observation import make
from vitrine.analytics.sqldb import SqliteDb
from vitrine.database import write_transaction

T = 1_773_486_000.0 // 3600 * 3600  # an hour's start
A, B, C = "a" * 32, "b" * 32, "c" * 32
RULES = rollup.Rules(visit_gap_s=30, bounce_s=10, zone_min_s=5, assisted_window_h=2)


def _day(mirror: str = "mirror-1") -> list:
    o = []

    def add(kind, at, /, **data):
        o.append(make(kind, T + at, "store-1", mirror, **data))

    for i in range(10):  # 10 passers-by, 4 of them step in
        add("passer_by", i * 60, source="presence")
    for i in range(4):
        add("entry", i * 60 + 5, source="presence", how="zone")
    # looks: 3 tracks look >= 1 s (one of them twice), one only 0.5 s
    for track, seconds in ((1, 2.0), (2, 1.0), (3, 4.0), (3, 1.5), (4, 0.5)):
        add("look", 100 + track, source="camera", track=track, seconds=seconds)
    # visits: 40 s; 5 s (a bounce); 2 presences 10 s apart (< gap): one visit of 70 s
    for start, end in ((1000, 1040), (1200, 1205), (1400, 1430), (1440, 1470)):
        add("presence", start, present=True, source="presence")
        add("presence", end, present=False, source="presence")
    # zones: 60 s and 3 s in front (the second is no zone visit), 20 s at the glass
    add("zone_leave", 1100, zone="in_front", source="presence", dwell_s=60.0)
    add("zone_leave", 1110, zone="in_front", source="presence", dwell_s=3.0)
    add("zone_leave", 1120, zone="at_glass", source="presence", dwell_s=20.0)
    # sessions: A engaged (shown SH-101, bought), B engaged (asked for TR-401), C no touch
    add("session_start", 1000, session=A, phase="approached")
    add("interaction", 1001, session=A, kind="tap", screen="home")
    add("content_view", 1002, session=A, screen="product", sku="SH-101")
    add("session_start", 1400, session=B, phase="engaged")
    add("interaction", 1401, session=B, kind="navigate", screen="product")
    add(
        "request",
        1402,
        session=B,
        request="1" * 32,
        kind="size",
        status="created",
        sku="TR-401",
        variant="TR-401-NAVY-M",
    )
    add(
        "request",
        1462,
        session=B,
        request="1" * 32,
        kind="size",
        status="fulfilled",
        sku="TR-401",
        variant="TR-401-NAVY-M",
        fulfil_s=60.0,
    )
    add("session_start", 1200, session=C, phase="approached")
    # ratings: csat 5 nps 10, csat 3 nps 5, csat 4 without nps
    add("rating", 1050, session=A, csat=5, nps=10)
    add("rating", 1480, session=B, csat=3, nps=5)
    add("rating", 1250, session=C, csat=4)
    # experiment: A grid converts, B carousel does not
    add("exposure", 1002, session=A, experiment="layout", variant="grid")
    add("outcome", 1003, session=A, experiment="layout", variant="grid", outcome="request")
    add("exposure", 1402, session=B, experiment="layout", variant="carousel")
    add("member", 1001, session=A, member="M-1")
    add("member", 1401, session=B, member="M-1")  # the same member again: a repeat
    add("error", 1500, source="lights", code="lighting_failed")
    return o


@pytest.fixture
def db(tmp_path):
    conn = store.open_store(tmp_path / "analytics.db")
    with write_transaction(conn):
        store.insert(conn, _day())
    sales = tmp_path / "pos.csv"
    sales.write_text(
        "store,transaction,time,amount,items\n"
        f"store-1,T1,{T + 2000},59.90,SH-101-WHIT-M\n"  # within 2 h of A's product view
        f"store-1,T2,{T + 2100},10,SOCKS-1*3\n"
    )
    import_sales(conn, sales, RULES.assisted_window_h)
    yield SqliteDb(conn)
    conn.close()


EXPECTED = {
    "passers_by": 10,
    "visitors": 4,
    "shopfront_conversion": 0.4,
    "attention_rate": 0.3,  # tracks 1, 2, 3 of 10 passers-by
    "sessions": 3,
    "engagement_rate": 0.5,  # A and B of 4 visitors
    "visits": 3,
    "bounce_rate": 1 / 3,
    "mean_visit_s": (40 + 5 + 70) / 3,
    "transactions": 2,
    "sales_amount": 69.9,
    "sales_conversion": 0.5,
    "assisted_sessions": 1,
    "mirror_assisted_conversion": 1 / 3,
    "requests": 1,
    "fulfilled": 1,
    "mean_fulfil_s": 60.0,
    "ratings": 3,
    "csat": 200 / 3,
    "mean_csat": 4.0,
    "nps": 0.0,  # one promoter, one detractor, of two answers
    "members": 1,
    "repeat_customers": 1,
    "errors": 1,
}


def _check(out):
    for key, value in EXPECTED.items():
        assert out[key] == pytest.approx(value), key
    assert out["dwell_by_zone"] == {
        "at_glass": {"visits": 1, "dwell_s": 20.0, "mean_dwell_s": 20.0},
        "in_front": {"visits": 1, "dwell_s": 60.0, "mean_dwell_s": 60.0},
    }
    layout = out["experiments"]["layout"]
    assert layout["control"] == "grid"
    assert [(v["name"], v["exposed"], v["converted"]) for v in layout["variants"]] == [
        ("grid", 1, 1),
        ("carousel", 1, 0),
    ]


def test_every_metric_from_the_raw_observations(db):
    _check(report(db, T, T + 3 * 3600, RULES, controls={"layout": "grid"}))


def test_the_roll_ups_give_the_same_metrics_and_late_data_is_rolled_again(db):
    assert rollup.roll(db, T + 10 * 3600, RULES) > 0
    assert db.rows("SELECT COUNT(*) FROM rollup_dirty")[0][0] == 0
    _check(report(db, T, T + 3 * 3600, RULES, controls={"layout": "grid"}))
    # one more passer-by, late: the hour is worked out again, the report sees it at once
    with write_transaction(db.conn):
        store.insert(db.conn, [make("passer_by", T + 30, "store-1", "mirror-1", source="x")])
    assert report(db, T, T + 3 * 3600, RULES)["passers_by"] == 11
    rollup.roll(db, T + 10 * 3600, RULES)
    assert report(db, T, T + 3 * 3600, RULES)["passers_by"] == 11


def test_scope_by_mirror_and_empty_periods_say_no_data(db):
    out = report(db, T, T + 3600, RULES, mirror="mirror-2")
    assert out["passers_by"] == 0
    assert out["shopfront_conversion"] is None
    assert out["attention_rate"] is None


def test_trends_by_hour_day_and_week_from_the_roll_ups(db):
    from vitrine.analytics.metrics import trend, week_start

    rollup.roll(db, T + 10 * 3600, RULES)
    hours = trend(db, T - 86400, T + 86400, "hour")
    assert [h["start"] for h in hours if h["passers_by"]] == [T]
    (first,) = [h for h in hours if h["start"] == T]
    assert first["passers_by"] == 10
    assert first["transactions"] == 2  # the store's sales (mirror '') are in its hour
    (day,) = trend(db, T - 86400, T + 86400, "day")
    assert day["passers_by"] == 10
    assert day["start"] == rollup.day_start(T, None)
    (week,) = trend(db, T - 7 * 86400, T + 7 * 86400, "week")
    assert week["start"] == week_start(T) <= T < week_start(T) + 7 * 86400
    assert week["passers_by"] == 10
    assert trend(db, T, T + 3600, "hour", mirror="mirror-2")[0]["passers_by"] == 0
    with pytest.raises(ValueError, match="grain = 'month': allowed: hour, day, week"):
        trend(db, T, T + 1, "month")


def test_an_observation_landing_while_its_hour_is_rolled_up_is_not_lost(db, monkeypatch):
    """Another writer marks the hour again between the roll-up's read of its facts and its
    clearing of the mark: the hour stays to be rolled again, and reports see the newcomer."""
    real = rollup.facts_of
    late = make("passer_by", T + 40, "store-1", "mirror-1", source="x")

    def racing(db_, store_, mirror, lo, hi, rules):
        facts = real(db_, store_, mirror, lo, hi, rules)
        if store_ == "store-1" and mirror == "mirror-1" and lo == T:
            with write_transaction(db.conn):  # the writer's commit lands now
                store.insert(db.conn, [late])
        return facts

    monkeypatch.setattr(rollup, "facts_of", racing)
    rollup.roll(db, T + 10 * 3600, RULES)
    monkeypatch.setattr(rollup, "facts_of", real)
    assert report(db, T, T + 3 * 3600, RULES)["passers_by"] == 11
    rollup.roll(db, T + 10 * 3600, RULES)
    assert report(db, T, T + 3 * 3600, RULES)["passers_by"] == 11


def test_the_printed_report_shows_rates_and_csat_as_percentages(db):
    from vitrine.cli.analytics import format_report

    text = format_report(report(db, T, T + 3 * 3600, RULES), None)
    lines = {line[:30].strip(): line[30:].strip() for line in text.splitlines()[1:]}
    assert lines["Shopfront conversion"] == "40.0%"
    assert lines["CSAT (4-5 of 5)"] == "66.7%"  # csat is a percentage already
    assert lines["NPS"] == "+0"


def test_a_product_only_asked_for_and_then_bought_is_an_assisted_sale(tmp_path):
    # Session B never showed TR-401 on a product screen; its shopper asked for another size
    # of it, and bought it an hour later: "shown or requested" (PRODUCT.md) counts it.
    conn = store.open_store(tmp_path / "analytics.db")
    with write_transaction(conn):
        store.insert(conn, _day())
    sales = tmp_path / "pos.csv"
    sales.write_text(
        f"store,transaction,time,amount,items\nstore-1,T9,{T + 1402 + 3600},89.00,TR-401-NAVY-M\n"
    )
    import_sales(conn, sales, RULES.assisted_window_h)
    out = report(SqliteDb(conn), T, T + 3 * 3600, RULES)
    conn.close()
    assert out["assisted_sessions"] == 1  # B (A's sale is not in this file)
    assert out["mirror_assisted_conversion"] == pytest.approx(1 / 3)
