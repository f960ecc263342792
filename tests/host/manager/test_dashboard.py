"""The manager's dashboard over HTTP: its own PIN and role (an associate's session does not
open it), the period's metrics as the report has them, every table as CSV, and hostile
query strings refused naming the parameter, with nothing stored changed."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.host.analytics.test_metrics import RULES, T, _day
from vitrine.analytics import rollup, store
from vitrine.analytics.config import ManagerConfig
from vitrine.analytics.sqldb import SqliteDb
from vitrine.associate.auth import AssociateAuth
from vitrine.associate.store import MEMORY, AuthStore
from vitrine.database import write_transaction
from vitrine.engine.config import AssociateConfig
from vitrine.manager import manager_router

PIN = "13572468"
SECRET = bytes(range(32))
DAY = dt.datetime.fromtimestamp(T, dt.UTC).date().isoformat()


@pytest.fixture
def rig(tmp_path):
    path = tmp_path / "analytics.db"
    conn = store.open_store(path)
    with write_transaction(conn):
        store.insert(conn, _day())
    rollup.roll(SqliteDb(conn), T + 10 * 3600, RULES)
    conn.close()

    @contextlib.contextmanager
    def reader():
        db = SqliteDb(store.open_store_reader(path))
        try:
            yield db
        finally:
            db.close()

    auth = AssociateAuth(ManagerConfig(pin=PIN), SECRET, AuthStore.open(MEMORY), role="manager")
    app = FastAPI()
    app.include_router(manager_router(auth, reader, RULES, tz=dt.UTC))
    client = TestClient(app, base_url="http://mirror.test")
    client.path = path
    return client


def _sign_in(client: TestClient) -> None:
    answer = client.post("/manager/login", json={"pin": PIN})
    assert answer.status_code == 204, answer.text


def _count(path) -> int:
    conn = store.open_store_reader(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0]
    finally:
        conn.close()


def test_only_the_managers_pin_opens_it(rig):
    assert rig.get("/manager/api/metrics").status_code == 401
    assert 'data-state="login"' in rig.get("/manager/").text
    # an associate's session, from the same secret, is not a manager's
    associate = AssociateAuth(AssociateConfig(pin="246810"), SECRET, AuthStore.open(MEMORY))
    token = associate.check_pin("246810", "test")
    rig.cookies.set("vitrine_manager", token)
    assert rig.get("/manager/api/metrics").status_code == 401
    rig.cookies.clear()
    assert (
        rig.get("/manager/api/metrics", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    wrong = rig.post("/manager/login", json={"pin": "24681012"})
    assert wrong.status_code == 401
    assert "Wrong PIN" in wrong.json()["error"]
    _sign_in(rig)
    assert 'data-state="app"' in rig.get("/manager/").text
    assert rig.get(f"/manager/api/metrics?from={DAY}&to={DAY}").status_code == 200


def test_a_locked_dashboard_says_how_to_set_its_pin(tmp_path):
    auth = AssociateAuth(ManagerConfig(), SECRET, AuthStore.open(MEMORY), role="manager")
    app = FastAPI()
    app.include_router(manager_router(auth, contextlib.nullcontext, RULES))
    client = TestClient(app)
    page = client.get("/manager/").text
    assert 'data-state="locked"' in page
    assert "[manager] pin" in page
    assert client.get("/manager/api/metrics").json()["code"] == "locked"


def test_the_metrics_are_the_reports_and_every_table_exports(rig):
    _sign_in(rig)
    data = rig.get(f"/manager/api/metrics?from={DAY}&to={DAY}&grain=hour").json()
    r = data["report"]
    assert (r["passers_by"], r["visitors"], r["sessions"], r["visits"]) == (10, 4, 3, 3)
    assert r["engagement_rate"] == pytest.approx(0.5)
    assert [b["passers_by"] for b in data["trend"] if b["passers_by"]] == [10]
    assert list(data["mirrors"]) == ["store-1/mirror-1"]
    assert data["stores"] == ["store-1"]
    tables = {}
    for table in ("funnel", "trend", "zones", "mirrors", "experiments"):
        answer = rig.get(f"/manager/api/export.csv?from={DAY}&to={DAY}&table={table}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert f"vitrine-{table}-{DAY}-{DAY}.csv" in answer.headers["content-disposition"]
        tables[table] = list(csv.reader(io.StringIO(answer.text)))
    assert ["passers_by", "10.0"] in tables["funnel"]
    assert tables["zones"][0] == ["zone", "visits", "dwell_s", "mean_dwell_s"]
    assert [row[0] for row in tables["zones"][1:]] == ["at_glass", "in_front"]
    assert tables["mirrors"][1][:2] == ["store-1/mirror-1", "10.0"]
    layout = [row for row in tables["experiments"] if row[0] == "layout"]
    assert [row[1] for row in layout] == ["carousel", "grid"]


@pytest.mark.parametrize(
    ("query", "param", "words"),
    [
        ("from=2026-13-01", "from", "'2026-13-01' is not a day: use YYYY-MM-DD"),
        ("mirror=%27%20OR%201%3D1%20--", "mirror", "allowed: 1-40 of letters"),
        ("store=x;DROP%20TABLE%20observation", "store", "allowed: 1-40 of letters"),
        ("grain=month", "grain", "'month': allowed: hour, day, week"),
        ("table=sqlite_master", "table", "allowed: funnel, trend"),
        ("evil=1", "evil", "unknown parameter; allowed: from, to"),
        ("from=2026-01-01&from=2026-01-02", "from", "given more than once"),
        ("from=2026-03-02&to=2026-03-01", "to", "is before from"),
        ("from=2020-01-01&to=2026-01-01", "to", "a period is at most 400"),
        ("from=" + "9" * 5000, "from", "is not a day"),
    ],
)
def test_hostile_query_strings_are_refused_naming_the_parameter(rig, query, param, words):
    _sign_in(rig)
    before = _count(rig.path)
    for path in ("/manager/api/metrics", "/manager/api/export.csv"):
        answer = rig.get(f"{path}?{query}")
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["code"] == "bad_query"
        assert body["field"] == param
        assert body["error"].startswith(f"{param}: ")
        assert words in body["error"]
    assert _count(rig.path) == before


def test_a_fleets_stores_may_name_their_mirrors_alike(rig):
    from vitrine.analytics.observation import make

    conn = store.open_store(rig.path)
    with write_transaction(conn):
        store.insert(
            conn, [make("passer_by", T + i, "store-2", "mirror-1", source="x") for i in range(3)]
        )
    conn.close()
    _sign_in(rig)
    data = rig.get(f"/manager/api/metrics?from={DAY}&to={DAY}").json()
    assert data["stores"] == ["store-1", "store-2"]
    assert {k: v["passers_by"] for k, v in data["mirrors"].items()} == {
        "store-1/mirror-1": 10,
        "store-2/mirror-1": 3,
    }
    assert data["report"]["passers_by"] == 13
    only = rig.get(f"/manager/api/metrics?from={DAY}&to={DAY}&store=store-2").json()
    assert only["report"]["passers_by"] == 3
    assert list(only["mirrors"]) == ["store-2/mirror-1"]
