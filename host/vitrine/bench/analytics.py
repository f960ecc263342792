"""`vitrine bench analytics`: the analytics' numbers of issue 17, each with its conditions.

- ingest: observations made, checked and committed by the mirror's writer (its thread, its
  batches, synchronous=FULL) from one producing thread, per second, start to last commit.
- year: one busy mirror's year (10 million observations by default, opening hours 10-20 UTC,
  every kind of the funnel) stored and rolled up, then each of the dashboard's queries
  (the report of a day, a week, a month and the year, the trends by hour over a week, by
  day and by week over the year) timed, the slowest of three runs each.
- fleet: 1,000 simulated mirrors, each its own analytics.db with an outbox and the mirror's
  own publisher, publishing through a real Mosquitto on loopback to `vitrine collect`
  processes writing into a real PostgreSQL; the rate the collectors store at while the
  mirrors' backlog lasts, then a broker outage mid-stream (the mirrors go on recording), the
  broker back, and every observation counted in PostgreSQL: each present exactly once.
- day: a simulated store day with its ground truth (vitrine.sim.storeday) through the
  presence board's firmware and fusion, a model of the camera's events, the engine's records
  and a point-of-sale import, into the recorder, the writer, the roll-ups and the report:
  every funnel metric beside its truth, each within 5% (vitrine.bench.storeday).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.analytics import store
from vitrine.analytics.config import FleetConfig
from vitrine.analytics.metrics import report, trend
from vitrine.analytics.observation import Observation, make
from vitrine.analytics.rollup import Rules, roll
from vitrine.analytics.sqldb import SqliteDb
from vitrine.analytics.writer import ObservationWriter
from vitrine.bench.targets import judged
from vitrine.database import write_transaction

TARGETS = {
    "ingest_per_s": (">=", 20_000),
    "year_observations": (">=", 10_000_000),
    "dashboard_query_max_ms": ("<=", 300),
    "fleet_mirrors": (">=", 1000),
    "fleet_per_s": (">=", 10_000),
    "fleet_outage_s": (">=", 60),
    "fleet_exactly_once": ("==", True),
    "day_within_5pct": ("==", True),
}
DAY_S = 86400.0
OPEN_H = (10, 20)  # the store's opening hours, UTC
YEAR_START = 1_735_689_600.0  # 2025-01-01 00:00 UTC
STORE = "store-1"
YEAR_BATCH = 50_000  # observations per transaction while the year is stored
MIRROR = "mirror-1"

Progress = Callable[[str], None]


# -- a busy mirror's people -------------------------------------------------------------------


def person(t: float, n: int, rng: random.Random, mirror: str = MIRROR) -> list[Observation]:
    """One passer-by's observations from time t: every one passes; some step in, look,
    start a session, touch, see products, ask, rate, see an experiment."""
    out: list[Observation] = []

    def add(kind: str, dt_s: float, /, **data: Any) -> None:
        out.append(make(kind, t + dt_s, STORE, mirror, **data))

    add("passer_by", 0.0, source="presence")
    add("zone_enter", 0.0, zone="passing", source="presence")
    add("zone_leave", 4.0, zone="passing", source="presence", dwell_s=4.0)
    if rng.random() < 0.4:  # noqa: PLR2004 - the share who step in
        stay = rng.uniform(5, 120)
        add("entry", 4.0, source="presence", how="zone")
        add("presence", 4.0, present=True, source="presence")
        add("zone_enter", 4.0, zone="in_front", source="presence")
        add("look", 6.0, source="camera", track=n, seconds=rng.uniform(0.5, 6))
        if rng.random() < 0.6:  # noqa: PLR2004 - the share who start a session
            session = f"{n:032x}"
            add("session_start", 5.0, session=session, phase="approached")
            for i in range(3):
                add("interaction", 6.0 + i, session=session, kind="tap", screen="browse")
            for i in range(2):
                add("content_view", 7.0 + i, session=session, screen="product", sku=f"SH-{i}")
            if rng.random() < 0.5:  # noqa: PLR2004
                add("exposure", 6.0, session=session, experiment="layout", variant="grid")
            if rng.random() < 0.2:  # noqa: PLR2004
                add("rating", stay, session=session, csat=rng.randint(1, 5), nps=rng.randint(0, 10))
            add("session_end", 4.0 + stay, session=session, reason="left", duration_s=stay - 1)
        add("zone_leave", 4.0 + stay, zone="in_front", source="presence", dwell_s=stay)
        add("presence", 4.0 + stay, present=False, source="presence")
    return out


def people(count: int, start: float, days: int, seed: int = 17, mirror: str = MIRROR):
    """Batches of `count` observations in all (fewer only if the days cannot hold them),
    spread over the opening hours of `days` days from `start`."""
    rng = random.Random(seed)
    per_person = 7.0  # a little under the shares' mean, so the days hold `count`
    hours = days * (OPEN_H[1] - OPEN_H[0])
    per_hour = max(1, math.ceil(count / per_person / hours))
    made, n = 0, 0
    for day in range(days):
        for hour in range(*OPEN_H):
            base = start + day * DAY_S + hour * 3600
            batch: list[Observation] = []
            for k in range(per_hour):
                n += 1
                batch += person(base + k * 3000 / per_hour, n, rng, mirror)
            batch = batch[: count - made]
            made += len(batch)
            yield batch
            if made >= count:
                return


# -- the parts ---------------------------------------------------------------------------------


def bench_ingest(folder: Path, count: int, progress: Progress) -> dict[str, Any]:
    progress(f"ingest: {count} observations through the writer")
    batches = list(people(count, YEAR_START, 365))
    kinds = [(o.kind, o.at, dict(o.data)) for b in batches for o in b][:count]
    writer = ObservationWriter(folder / "ingest.db", STORE, MIRROR)
    writer.start()
    began = time.perf_counter()
    for kind, at, data in kinds:
        writer.observe(kind, at, **data)
    flushed = writer.flush(120)
    took = time.perf_counter() - began
    written = writer.status()["written"]
    writer.close()
    return {
        "ingest_per_s": round(len(kinds) / took) if flushed and written == len(kinds) else 0,
        "ingest": {"observations": len(kinds), "seconds": round(took, 2), "written": written},
    }


def bench_year(folder: Path, count: int, progress: Progress) -> dict[str, Any]:
    path = folder / "year.db"
    conn = store.open_store(path)
    began = time.perf_counter()
    stored = 0
    pending: list[Observation] = []
    for batch in people(count, YEAR_START, 365):
        pending += batch
        if len(pending) >= YEAR_BATCH:
            with write_transaction(conn):
                stored += store.insert(conn, pending).new
            pending = []
            if stored % 1_000_000 < YEAR_BATCH:
                progress(f"year: {stored} observations stored")
    if pending:
        with write_transaction(conn):
            stored += store.insert(conn, pending).new
    load_s = time.perf_counter() - began
    progress(f"year: {stored} stored in {load_s:.0f} s; rolling up")
    began = time.perf_counter()
    db = SqliteDb(conn)
    end = YEAR_START + 365 * DAY_S
    rules = Rules()
    rolled = 0
    while True:
        done = roll(db, end + DAY_S, rules, limit=1000)
        rolled += done
        if not done:
            break
        progress(f"year: {rolled} hours rolled up")
    roll_s = time.perf_counter() - began
    conn.close()
    reader = SqliteDb(store.open_store_reader(path))
    mid = YEAR_START + 180 * DAY_S
    queries: dict[str, Callable[[], Any]] = {
        "report_day": lambda: report(reader, mid, mid + DAY_S, rules),
        "report_week": lambda: report(reader, mid, mid + 7 * DAY_S, rules),
        "report_month": lambda: report(reader, mid, mid + 30 * DAY_S, rules),
        "report_year": lambda: report(reader, YEAR_START, end, rules),
        "trend_week_by_hour": lambda: trend(reader, mid, mid + 7 * DAY_S, "hour"),
        "trend_year_by_day": lambda: trend(reader, YEAR_START, end, "day"),
        "trend_year_by_week": lambda: trend(reader, YEAR_START, end, "week"),
    }
    times: dict[str, float] = {}
    for name, query in queries.items():
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            query()
            runs.append((time.perf_counter() - t0) * 1000)
        times[name] = round(max(runs), 1)
    year = report(reader, YEAR_START, end, rules)
    reader.close()
    return {
        "year_observations": stored,
        "dashboard_query_max_ms": max(times.values()),
        "year": {
            "load_s": round(load_s, 1),
            "load_per_s": round(stored / load_s),
            "hours_rolled": rolled,
            "rollup_s": round(roll_s, 1),
            "db_mb": round(path.stat().st_size / 1e6),
            "query_ms": times,
            "passers_by": year["passers_by"],
            "sessions": year["sessions"],
        },
    }


def _fill(folder: Path, mirrors: int, each: int, offset: int, seed: int) -> int:
    """Record `each` more observations at every mirror (their outboxes fill)."""
    total = 0
    for m in range(mirrors):
        name = f"mirror-{m}"
        conn = store.open_store(folder / f"{name}.db")
        batch: list[Observation] = []
        for b in people(each, YEAR_START + offset * DAY_S + m, 1, seed + m, name):
            batch += b
        with write_transaction(conn):
            total += store.insert(conn, batch, outbox=True).new
        conn.close()
    return total


def _pg_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0])


class _Mirrors:
    """The fleet's mirrors: each one's own publisher (vitrine.analytics.outbox) on its own
    analytics.db, all in one event loop on a thread of their own."""

    def __init__(self, folder: Path, mirrors: int, broker: str) -> None:
        from vitrine.analytics.outbox import Publisher

        fleet = FleetConfig(broker=broker)
        self.pubs = [
            Publisher(folder / f"mirror-{m}.db", fleet, STORE, f"mirror-{m}")
            for m in range(mirrors)
        ]
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        tasks = [asyncio.create_task(p.run()) for p in self.pubs]
        await self._stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


def _rate_until(
    url: str, total: int, since: float, base: int, timeout_s: float = 600.0
) -> tuple[float, int]:
    """Watch the fleet's database until it holds `total` observations; the rate it grew at
    from `base` rows at `since` (a monotonic time), and what it holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        now, held = time.monotonic(), _pg_count(url)
        if held >= total or now > deadline:
            return (held - base) / max(1e-6, now - since), held
        time.sleep(0.2)


def _exactly_once(folder: Path, mirrors: int, url: str) -> dict[str, Any]:
    import psycopg

    expected: set[str] = set()
    for m in range(mirrors):
        conn = sqlite3.connect(folder / f"mirror-{m}.db")
        expected.update(r[0] for r in conn.execute("SELECT id FROM observation"))
        conn.close()
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM observation")]
    stored = set(ids)
    return {
        "recorded": len(expected),
        "stored_rows": len(ids),
        "distinct_ids": len(stored),
        "missing": len(expected - stored),
        "unknown": len(stored - expected),
        "ok": len(ids) == len(stored) == len(expected) and stored == expected,
    }


def bench_fleet(
    folder: Path, mirrors: int, each: int, outage_s: float, progress: Progress
) -> dict[str, Any]:
    from vitrine.analytics.fleetdb import FleetDb
    from vitrine.bench.servers import Mosquitto, Postgres

    progress(f"fleet: {mirrors} mirrors record {each} observations each")
    # a thousand mirrors' reconnection warnings are not the figures
    logging.getLogger("vitrine.analytics").setLevel(logging.ERROR)
    before = _fill(folder, mirrors, each, 0, 1000)
    with Mosquitto() as broker, Postgres() as pg:
        FleetDb.open(pg.url).close()  # the schema, before the collector's first write
        command = [sys.executable, "-m", "vitrine", "collect", "--broker", broker.url]
        collector = subprocess.Popen(
            [*command, "--db", pg.url, "--id", "bench-collector"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        said: list[str] = []
        threading.Thread(target=lambda: said.extend(collector.stdout), daemon=True).start()
        deadline = time.monotonic() + 60
        while not any("subscribed to" in line for line in said):  # its log says so
            if time.monotonic() > deadline or collector.poll() is not None:
                raise RuntimeError(f"vitrine collect did not subscribe: {''.join(said)}")
            time.sleep(0.1)
        began = time.monotonic()
        fleet = _Mirrors(folder, mirrors, broker.url)
        rate, stored = _rate_until(pg.url, before // 2, began, 0)
        progress(f"fleet: {stored} stored at {rate:.0f}/s; the broker is cut for {outage_s:g} s")
        broker.stop()
        cut = time.monotonic()
        during = _fill(folder, mirrors, max(1, each // 4), 1, 5000)  # the mirrors go on
        time.sleep(max(0.0, outage_s - (time.monotonic() - cut)))
        outage = time.monotonic() - cut
        broker.start()
        back = time.monotonic()
        progress(f"fleet: the broker is back after {outage:.0f} s; waiting for the rest")
        after_rate, _ = _rate_until(pg.url, before + during, back, _pg_count(pg.url))
        drained = time.monotonic() - back
        time.sleep(2.0)  # a late duplicate would land now
        check = _exactly_once(folder, mirrors, pg.url)
        fleet.close()
        collector.send_signal(signal.SIGTERM)
        collector.wait(60)
        time.sleep(0.5)  # its last lines read
    return {
        "fleet_mirrors": mirrors,
        "fleet_per_s": round(rate),
        "fleet_outage_s": round(outage, 1),
        "fleet_exactly_once": check.pop("ok") and check["recorded"] == before + during,
        "fleet": {
            **check,
            "recorded_during_outage": during,
            "after_outage_per_s": round(after_rate),
            "after_outage_s": round(drained, 1),
            "collector": next(
                (line.strip() for line in reversed(said) if "observations stored" in line), ""
            ),
        },
    }


def run_analytics_bench(  # noqa: PLR0913 - one keyword per figure's condition
    *,
    progress: Progress,
    ingest: int = 200_000,
    year: int = 10_000_000,
    mirrors: int = 1000,
    per_mirror: int = 600,
    outage_s: float = 60.0,
    parts: tuple[str, ...] = ("ingest", "year", "fleet", "day"),
    day_seed: int = 17,
    day_visitors: int = 44,
    day_passers: int = 320,
    day_hours: float = 10.0,
) -> dict[str, Any]:
    """The figures of each part asked for, judged against the targets of the parts run."""
    result: dict[str, Any] = {"bench": "analytics"}
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-analytics-") as tmp:
        folder = Path(tmp)
        if "ingest" in parts:
            result.update(bench_ingest(folder, ingest, progress))
        if "year" in parts:
            result.update(bench_year(folder, year, progress))
        if "fleet" in parts:
            result.update(bench_fleet(folder, mirrors, per_mirror, outage_s, progress))
        if "day" in parts:
            from vitrine.bench.storeday import bench_day

            result.update(
                bench_day(
                    folder,
                    progress,
                    seed=day_seed,
                    passers=day_passers,
                    visitors=day_visitors,
                    hours=day_hours,
                )
            )
    targets = {k: v for k, v in TARGETS.items() if k in result}
    result.update(judged(result, targets))
    return result
