"""The fleet, on real servers: mirrors publish their outbox to a real Mosquitto, collectors
write into a real PostgreSQL (or SQLite); the broker is cut mid-stream and brought back, and
every observation is there exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from vitrine.analytics.collector import Collector
from vitrine.analytics.config import FleetConfig
from vitrine.analytics.fleetdb import FleetDb
from vitrine.analytics.observation import make
from vitrine.analytics.outbox import Publisher
from vitrine.analytics.writer import ObservationWriter
from vitrine.bench.servers import Mosquitto, Postgres, ServerMissing

_names = itertools.count()
AT = time.time() - 3 * 86400  # three days ago: the rows fall in several day partitions


@pytest.fixture(scope="module")
def broker():
    try:
        m = Mosquitto()
    except ServerMissing as err:
        pytest.skip(str(err))
    with m:
        yield m


@pytest.fixture(scope="module")
def postgres():
    try:
        p = Postgres()
    except ServerMissing as err:
        pytest.skip(str(err))
    with p:
        yield p


@contextlib.contextmanager
def collecting(
    url: str,
    db_url: str,
    n: int = 1,
    *,
    shared: bool = False,
    name: str = "",
    fleet: FleetConfig | None = None,
):
    """n collectors in threads, sharing one subscription when shared (else n must be 1).
    Each has a client id of its own (name, or a new one): the broker keeps a collector's
    session while it is away, and with it what arrives for it."""
    stop = threading.Event()
    group = name or f"test-collector-{next(_names)}"
    collectors = [
        Collector(
            url,
            FleetDb.open(db_url),
            group=group if shared else None,
            client_id=f"{group}-{i}",
            fleet=fleet,
        )
        for i in range(n)
    ]
    threads = [threading.Thread(target=c.run, args=(stop.is_set,)) for c in collectors]
    for t in threads:
        t.start()
    try:
        yield collectors
    finally:
        stop.set()
        for t in threads:
            t.join(20)
        for c in collectors:
            c.db.close()


def _mirror(tmp_path: Path, name: str) -> ObservationWriter:
    w = ObservationWriter(tmp_path / f"{name}.db", "store-1", name, outbox=True)
    w.start()
    return w


async def _publish_until(pub: Publisher, done, timeout: float = 60.0) -> None:
    task = asyncio.create_task(pub.run())
    try:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, pub.status()
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _wait(cond, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, cond.__code__.co_consts
        time.sleep(0.1)


def test_a_broker_outage_mid_stream_loses_nothing_and_duplicates_nothing(
    tmp_path, broker, postgres
):
    db = FleetDb.open(postgres.url)
    db.db.execute("TRUNCATE observation")
    writer = _mirror(tmp_path, "mirror-1")
    pub = Publisher(tmp_path / "mirror-1.db", FleetConfig(broker=broker.url), "store-1", "mirror-1")
    total = 0

    async def scenario():
        nonlocal total
        task = asyncio.create_task(pub.run())
        try:
            for second in range(8):
                for i in range(500):
                    writer.observe("passer_by", AT + second * 3600 * 7 + i * 0.01, source="camera")
                    total += 1
                if second == 2:
                    broker.stop()  # cut mid-stream: the mirror keeps recording
                if second == 5:
                    broker.start()
                await asyncio.sleep(0.5)
            deadline = time.monotonic() + 60
            while db.count() < total:
                assert time.monotonic() < deadline, (db.count(), total, pub.status())
                await asyncio.sleep(0.2)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    with collecting(broker.url, postgres.url):
        asyncio.run(scenario())
    writer.close()
    ids = db.ids()
    assert len(ids) == total == len(set(ids)) == 4000
    days = db.db.rows("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'observation'::regclass")
    assert days[0][0] >= 2  # one partition per day
    db.close()


def test_shared_subscription_and_redelivery_store_each_observation_once(tmp_path, broker, postgres):
    db = FleetDb.open(postgres.url)
    db.db.execute("TRUNCATE observation")
    writers = [_mirror(tmp_path, f"mirror-{i}") for i in range(3)]
    for w in writers:
        for i in range(400):
            w.observe("passer_by", AT + i, source="camera")
        w.flush()

    async def publish_all():
        pubs = [
            Publisher(
                tmp_path / f"mirror-{i}.db",
                FleetConfig(broker=broker.url),
                "store-1",
                f"mirror-{i}",
            )
            for i in range(3)
        ]
        await asyncio.gather(*(_publish_until(p, lambda p=p: p.published >= 400) for p in pubs))

    with collecting(broker.url, postgres.url, n=2, shared=True) as collectors:
        asyncio.run(publish_all())
        _wait(lambda: db.count() >= 1200)
        # the same again (as when a PUBACK is lost on the way back): nothing new
        conn = sqlite3.connect(tmp_path / "mirror-0.db")
        conn.execute("INSERT INTO outbox SELECT id FROM observation")
        conn.commit()
        conn.close()
        pub = Publisher(
            tmp_path / "mirror-0.db", FleetConfig(broker=broker.url), "store-1", "mirror-0"
        )
        asyncio.run(_publish_until(pub, lambda: pub.published >= 400))
        _wait(lambda: sum(c.stats.duplicates for c in collectors) >= 400)
    for w in writers:
        w.close()
    assert db.count() == 1200
    assert all(c.stats.messages for c in collectors)  # both took a share
    db.close()


def test_an_id_again_with_other_content_is_kept_out_and_counted_on_sqlite(tmp_path, broker):
    url = str(tmp_path / "fleet.db")
    first = make("passer_by", AT, "store-1", "mirror-9", source="camera")
    forged = type(first)(
        first.id, first.kind, first.at, first.store, first.mirror, {"source": "presence"}
    )
    from paho.mqtt import publish

    with collecting(broker.url, url) as (collector,):
        _wait(lambda: collector.stats.connected)
        for obs in (first, forged):
            publish.single(
                "vitrine/store-1/mirror-9/observations",
                obs.line(),
                qos=1,
                hostname="127.0.0.1",
                port=broker.port,
            )
        publish.single(
            "vitrine/store-1/mirror-8/observations",
            first.line(),
            qos=1,
            hostname="127.0.0.1",
            port=broker.port,
        )
        _wait(lambda: collector.stats.conflicts + collector.stats.refused >= 2)
    db = FleetDb.open(url)
    assert db.count() == 1
    assert db.db.rows("SELECT data FROM observation")[0][0] == '{"source":"camera"}'
    db.close()


def test_vitrine_collect_stores_rolls_up_serves_the_dashboard_and_stops_on_sigterm(
    tmp_path, broker, postgres
):
    import datetime as dt
    import http.cookiejar
    import json
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from paho.mqtt import publish

    from vitrine.bench.servers import free_port

    db = FleetDb.open(postgres.url)
    db.db.execute("TRUNCATE observation")
    db.db.execute("TRUNCATE rollup")
    hour = (AT // 3600) * 3600
    lines = [
        make("passer_by", hour + i, "store-2", "mirror-1", source="camera").line()
        for i in range(50)
    ]
    port = free_port()
    command = [sys.executable, "-m", "vitrine", "collect", "--broker", broker.url]
    proc = subprocess.Popen(
        [
            *command,
            "--db",
            postgres.url,
            "--id",
            f"cli-{next(_names)}",
            "--roll-s",
            "0.5",
            "--http",
            f"127.0.0.1:{port}",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "VITRINE_MANAGER_PIN": "13572468"},
    )
    said: list[str] = []
    reading = threading.Thread(target=lambda: said.extend(proc.stdout), daemon=True)
    reading.start()
    try:
        _wait(lambda: any("subscribed to" in line for line in said))  # its log says so
        publish.single(
            "vitrine/store-2/mirror-1/observations",
            "\n".join(lines),
            qos=1,
            hostname="127.0.0.1",
            port=broker.port,
        )
        _wait(lambda: db.count() >= 50)
        rolled = (
            "SELECT value FROM rollup WHERE grain = 'hour' AND fact = 'passers_by' "
            "AND start = %(h)s"
        )
        _wait(lambda: db.db.conn.execute(rolled, {"h": hour}).fetchall() != [])
        assert db.db.conn.execute(rolled, {"h": hour}).fetchall() == [(50.0,)]
        # the dashboard, over PostgreSQL
        day = dt.datetime.fromtimestamp(hour, dt.UTC).date().isoformat()
        base = f"http://127.0.0.1:{port}"
        web = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.ProxyHandler({}),
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            web.open(f"{base}/manager/api/metrics")
        assert refused.value.code == 401
        login = urllib.request.Request(
            f"{base}/manager/login",
            data=json.dumps({"pin": "13572468"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert web.open(login).status == 204
        with web.open(f"{base}/manager/api/metrics?from={day}&to={day}&grain=hour") as answer:
            data = json.load(answer)
        assert data["report"]["passers_by"] == 50
        assert [b["passers_by"] for b in data["trend"]] == [50]
        assert list(data["mirrors"]) == ["store-2/mirror-1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        reading.join(10)
    out = "".join(said)
    assert proc.returncode == 0, out
    assert "50 observations stored, 0 duplicates, 0 conflicts, 0 refused" in out
    db.close()


def test_vitrine_collect_names_a_bad_broker_url(capsys):
    from vitrine.cli import main

    assert main(["collect", "--broker", "http://x", "--db", "fleet.db"]) != 0
    err = capsys.readouterr().err
    assert "'http://x' is not a broker URL" in err


def test_what_arrives_while_the_collector_and_the_broker_are_down_is_collected_after(
    tmp_path, broker
):
    """The collector's plain subscription lives in its persistent session, which the broker
    keeps across its own restart: a message published after the restart, before the
    collector is back, waits for it."""
    from paho.mqtt import publish

    url = str(tmp_path / "fleet.db")
    name = f"away-{next(_names)}"
    lines = [make("passer_by", AT + i, "store-1", "mirror-7", source="camera") for i in range(3)]

    def send(obs) -> None:
        publish.single(
            "vitrine/store-1/mirror-7/observations",
            obs.line(),
            qos=1,
            hostname="127.0.0.1",
            port=broker.port,
        )

    with collecting(broker.url, url, name=name) as (collector,):
        _wait(lambda: collector.stats.connected)
        send(lines[0])
        _wait(lambda: collector.stats.new >= 1)
    broker.stop()
    broker.start()
    send(lines[1])  # the collector is not back yet
    with collecting(broker.url, url, name=name) as (collector,):
        _wait(lambda: collector.stats.new >= 1)
        send(lines[2])
        _wait(lambda: collector.stats.new >= 2)
    db = FleetDb.open(url)
    assert sorted(db.ids()) == sorted(o.id for o in lines)
    db.close()


def test_tls_and_credentials_let_in_only_who_they_name(tmp_path):
    try:
        broker = Mosquitto({"mirror-1": "mirror-secret-1", "collector": "collector-2"}, tls=True)
    except ServerMissing as err:
        pytest.skip(str(err))
    url = str(tmp_path / "fleet.db")
    ca = str(broker.ca_file)
    with broker:
        writers = {m: _mirror(tmp_path, m) for m in ("mirror-1", "mirror-2", "mirror-3")}
        for w in writers.values():
            for i in range(20):
                w.observe("passer_by", AT + i, source="camera")
            w.flush()

        def publisher(mirror: str, password: str, ca_file: str) -> Publisher:
            fleet = FleetConfig(
                broker=broker.url, username="mirror-1", password=password, ca_file=ca_file
            )
            return Publisher(tmp_path / f"{mirror}.db", fleet, "store-1", mirror)

        good = publisher("mirror-1", "mirror-secret-1", ca)
        wrong = publisher("mirror-2", "not-the-password", ca)
        untrusting = publisher("mirror-3", "mirror-secret-1", "")  # the system's CAs

        async def run_all() -> None:
            tasks = [asyncio.create_task(p.run()) for p in (good, wrong, untrusting)]
            deadline = time.monotonic() + 30
            while good.published < 20 or not (wrong.last_error and untrusting.last_error):
                assert time.monotonic() < deadline, (good.status(), wrong.status())
                await asyncio.sleep(0.1)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        collector_fleet = FleetConfig(
            broker=broker.url, username="collector", password="collector-2", ca_file=ca
        )
        with collecting(broker.url, url, fleet=collector_fleet) as (collector,):
            asyncio.run(run_all())
            _wait(lambda: collector.stats.new >= 20)
        for w in writers.values():
            w.close()
    assert wrong.published == untrusting.published == 0
    assert "authori" in wrong.last_error.lower(), wrong.last_error
    assert "certificate" in untrusting.last_error.lower(), untrusting.last_error
    db = FleetDb.open(url)
    assert db.count() == 20
    db.close()
    for mirror in ("mirror-2", "mirror-3"):  # what could not go waits in the outbox
        conn = sqlite3.connect(tmp_path / f"{mirror}.db")
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 20
        conn.close()
