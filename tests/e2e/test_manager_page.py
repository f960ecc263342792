"""The manager's dashboard in Chromium: a store's week on two mirrors (the benchmark's
simulated people, point-of-sale records and an A/B test), rolled up, served by uvicorn with
the manager's router; the page signs in with the manager's PIN and shows each view, drawn
with Chart.js from the build's node_modules. Screenshots of each view land in
test-artifacts/screens/manager-*.png."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.e2e.conftest import free_port
from vitrine.analytics import rollup, store
from vitrine.analytics.config import ManagerConfig
from vitrine.analytics.imports import import_sales
from vitrine.analytics.observation import make
from vitrine.analytics.sqldb import SqliteDb
from vitrine.associate.auth import AssociateAuth
from vitrine.associate.store import MEMORY, AuthStore
from vitrine.bench.analytics import people
from vitrine.database import write_transaction
from vitrine.manager import manager_router
from vitrine.manager.app import CHART_JS

PIN = "13572468"
DAYS = 7
START = dt.datetime(2026, 3, 9, tzinfo=dt.UTC).timestamp()  # a Monday
WAIT_MS = 15_000
VIEWS = ("funnel", "trends", "zones", "mirrors", "experiments")


def _week(path: Path) -> None:
    conn = store.open_store(path)
    rng = random.Random(5)
    with write_transaction(conn):
        for m, count in (("mirror-1", 6000), ("mirror-2", 3500)):
            for batch in people(count, START, DAYS, seed=len(m) + count, mirror=m):
                store.insert(conn, batch)
        ab = []
        for i in range(400):
            session = f"{i + 10**6:032x}"
            variant = "grid" if i % 2 else "carousel"
            at = START + (i % DAYS) * 86400 + 12 * 3600 + i
            ab.append(
                make(
                    "exposure",
                    at,
                    "store-1",
                    "mirror-1",
                    session=session,
                    experiment="layout",
                    variant=variant,
                )
            )
            if rng.random() < (0.3 if variant == "grid" else 0.18):
                ab.append(
                    make(
                        "outcome",
                        at + 5,
                        "store-1",
                        "mirror-1",
                        session=session,
                        experiment="layout",
                        variant=variant,
                        outcome="request",
                    )
                )
        store.insert(conn, ab)
    sales = path.parent / "pos.csv"
    rows = ["store,transaction,time,amount,items"]
    for i in range(300):
        at = dt.datetime.fromtimestamp(START + (i % DAYS) * 86400 + 11 * 3600 + i * 60, dt.UTC)
        rows.append(f"store-1,T{i},{at.isoformat()},{20 + i % 50}.00,SH-{i % 2}-M")
    sales.write_text("\n".join(rows) + "\n")
    import_sales(conn, sales)
    rollup.roll(SqliteDb(conn), START + (DAYS + 1) * 86400, rollup.Rules(), limit=10_000)
    conn.close()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHART_JS.exists():
        pytest.skip(f"{CHART_JS} is missing: run make setup (npm ci)")
    path = tmp_path_factory.mktemp("manager") / "analytics.db"
    _week(path)

    @contextlib.contextmanager
    def reader() -> Iterator[SqliteDb]:
        db = SqliteDb(store.open_store_reader(path))
        try:
            yield db
        finally:
            db.close()

    auth = AssociateAuth(ManagerConfig(pin=PIN), bytes(32), AuthStore.open(MEMORY), role="manager")
    app = FastAPI()
    app.include_router(manager_router(auth, reader, rollup.Rules(), tz=dt.UTC))
    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard's server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


def _chart_drawn(page: Any, canvas: str) -> bool:
    # a chart drew something: its canvas has pixels that are not transparent
    return page.evaluate(
        """(id) => {
            const c = document.getElementById(id);
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
            return false;
        }""",
        canvas,
    )


def test_sign_in_and_every_view(browser: Any, site: str, screenshots: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{site}/manager/")
    assert page.locator("body").get_attribute("data-state") == "login"
    screenshots.save(page, "manager-login")
    page.fill("#pin", "11112222")
    page.click("#login-form button")
    page.wait_for_selector("#login-error:not(:empty)", timeout=WAIT_MS)
    assert "Wrong PIN" in page.text_content("#login-error")
    page.fill("#pin", PIN)
    page.click("#login-form button")
    page.wait_for_selector('body[data-state="app"]', timeout=WAIT_MS)
    last = dt.date.fromtimestamp(START + (DAYS - 1) * 86400)
    page.goto(f"{site}/manager/?from=2026-03-09&to={last.isoformat()}#funnel")
    page.wait_for_selector('body[data-loaded="yes"]', timeout=WAIT_MS)
    for view in VIEWS:
        page.goto(f"{site}/manager/?from=2026-03-09&to={last.isoformat()}#{view}")
        page.wait_for_selector('body[data-loaded="yes"]', timeout=WAIT_MS)
        canvas = "trend-chart" if view == "trends" else f"{view}-chart"
        assert page.is_visible(f"#{canvas}")
        assert _chart_drawn(page, canvas), view
        screenshots.save(page, f"manager-{view}")
    funnel = page.locator("#funnel-table").inner_text()
    assert "Passers-by" in funnel
    trend_rows = page.locator("#trend-table tbody tr").count()
    assert trend_rows == DAYS
    assert page.locator("#mirrors-table tbody tr").count() == 2
    experiments = page.locator("#experiments-table").inner_text()
    assert "carousel" in experiments and "grid" in experiments
    page.select_option("#grain", "week")
    page.click("#period button")
    from playwright.sync_api import expect

    expect(page.locator("#trend-table tbody tr")).to_have_count(1, timeout=WAIT_MS)
    href = page.get_attribute('a.csv[data-table="funnel"]', "href")
    answer = page.request.get(f"{site}{href}")
    assert answer.status == 200
    assert answer.text().startswith("metric,value")
    assert errors == []
    page.close()
