"""`vitrine bench catalog`: the player's screens over a real range's catalogue, served by the
real daemon, and whether its event loop stayed free while it served them.

A catalogue of `products` products (100,000 by default) in CATEGORIES categories is written
into a fresh catalog.db, each product with its sizes (variants), every variant stocked on the
shop floor and in fitting room 1 (so `stock_rows` rows of stock, 1,000,000 by default), three
"goes with" relations and up to three tags, popularity drawn from a long-tailed distribution
(a few best sellers, many slow lines). The daemon (`vitrine run`, no boards) serves it; this
process plays the player page: the player socket for the engine's view and the catalogue API
for the rest, six requests at a time like a browser. Each screen is timed from the first
request until its data is all in hand:

- home: the view after "navigate home" (recommendations worked out afresh: the catalogue
  changed just before, as a stock feed changes it) and the categories with their tiles'
  cover cards (worked out afresh too);
- browse: the view after "navigate browse" and one page of 24 cards, at a random page of a
  random category;
- product: the view after "navigate product" (its "complete the look" worked out for that
  product), the product's detail, and the detail of each product recommended beside it.

The daemon measures its own loop's lag (vitrine.looplag): its histogram is read before and
after the screens, and any wake-up later than 20 ms in between fails the run. Its peak
memory (VmHWM) is read at the end. Everything runs on this machine: the figures include
HTTP and WebSocket on loopback, and the client competes with the daemon for the CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import websockets

from vitrine.bench.daemon import START_TIMEOUT_S, VITRINE, free_port
from vitrine.bench.targets import judged, percentile
from vitrine.catalog import Catalog
from vitrine.looplag import BUCKETS_MS, worst_bucket

TARGETS = {
    "home_p99_ms": ("<=", 50.0),
    "browse_p99_ms": ("<=", 50.0),
    "product_p99_ms": ("<=", 50.0),
    "loop_wakeups_over_20ms": ("==", 0),
}
CATEGORIES = 40
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
LOCATIONS = ("floor", "fitting-room-1")
TAGS = (
    "summer",
    "winter",
    "spring",
    "autumn",
    "rain",
    "sunny",
    "cold",
    "hot",
    "weekend",
    "evening",
    "linen",
    "wool",
    "sale",
)
PAGE = 24
PARALLEL = 6  # requests at a time, as a browser makes them to one host
STORE = "store-1"
SEED = 20261204


def build_catalogue(
    path: Path, products: int, stock_rows: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Write the synthetic catalogue at path; what was written (counts and seconds)."""
    rng = random.Random(SEED)
    sizes = max(1, min(len(SIZES), stock_rows // (products * len(LOCATIONS))))
    started = time.monotonic()
    catalog = Catalog.open(path, path.parent / "media")
    try:
        with catalog.transaction() as conn:
            conn.executemany(
                "INSERT INTO category (name, label, position) VALUES (?, ?, ?)",
                [(f"cat-{c:02d}", f"Category {c}", c) for c in range(CATEGORIES)],
            )
            rows = []
            for n in range(products):
                tags = ",".join(sorted(set(rng.sample(TAGS, rng.randint(0, 3)))))
                popularity = min(1_000_000, int(rng.paretovariate(1.2) * 10))
                rows.append(
                    (
                        f"P{n:06d}",
                        f"Product {n}",
                        f"cat-{rng.randrange(CATEGORIES):02d}",
                        2900 + rng.randrange(20000),
                        "EUR",
                        tags,
                        popularity,
                        json.dumps([f"p{n % 50}.svg"]),
                    )
                )
            conn.executemany(
                "INSERT INTO product (sku, name, category, price_cents, currency, tags, "
                "popularity, images) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            progress(f"{products} products")
            variants = [
                (f"P{n:06d}-{size}", f"P{n:06d}", size, "Navy", "#1f2a44")
                for n in range(products)
                for size in SIZES[:sizes]
            ]
            conn.executemany(
                "INSERT INTO variant (sku, product_sku, size, colour, colour_hex) "
                "VALUES (?, ?, ?, ?, ?)",
                variants,
            )
            progress(f"{len(variants)} variants")
            stock = (
                (sku, STORE, location, rng.choice((0, 0, 1, 2, 3, 5, 8)))
                for sku, *_ in variants
                for location in LOCATIONS
            )
            conn.executemany(
                "INSERT INTO stock (variant_sku, store, location, quantity) VALUES (?, ?, ?, ?)",
                stock,
            )
            stock_count = len(variants) * len(LOCATIONS)
            progress(f"{stock_count} stock rows")
            pairs = {
                (f"P{n:06d}", f"P{rng.randrange(products):06d}")
                for n in range(products)
                for _ in range(3)
            }
            conn.executemany(
                "INSERT INTO goes_with (sku, other_sku, weight, reason) VALUES (?, ?, ?, ?)",
                [
                    (a, b, round(rng.uniform(0.2, 1.0), 2), "same colours")
                    for a, b in pairs
                    if a != b
                ],
            )
            progress(f"{len(pairs)} goes-with pairs")
        counts = {c["name"]: c["count"] for c in catalog.categories()}
    finally:
        catalog.close()
    return {
        "products": products,
        "variants": len(variants),
        "stock_rows": stock_count,
        "categories": counts,
        "build_s": round(time.monotonic() - started, 3),
    }


def write_config(path: Path, data_dir: Path, http_port: int) -> Path:
    """A daemon with no boards, this data folder, sessions that outlast the run."""
    path.write_text(
        f"[http]\nport = {http_port}\n\n[boards]\ndiscover_usb = false\n\n"
        f"[data]\ndir = {json.dumps(str(data_dir))}\n\n"
        f'[store]\nid = "{STORE}"\nfitting_room = "1"\n\n'
        "[session]\nengaged_idle_s = 3600\nstall_s = 3600\n"
    )
    return path


class _Player:
    """What the player page does: its socket to the engine, its catalogue requests."""

    def __init__(self, base: str, ws: Any, http: httpx2.AsyncClient, data: Path) -> None:
        self.base = base
        self.ws = ws
        self.http = http
        self.data = data  # the daemon's data folder
        self.before: dict[str, Any] = {}  # the daemon's status before the measured screens
        self.slots = asyncio.Semaphore(PARALLEL)
        self.states: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.last: dict[str, Any] = {}

    async def pump(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message.get("type") == "state":
                self.last = message
                self.states.put_nowait(message)

    async def get(self, path: str) -> Any:
        async with self.slots:
            response = await self.http.get(path)
        response.raise_for_status()
        return response.json()

    async def navigate(self, **screen: Any) -> dict[str, Any]:
        """Ask for a screen; the view that shows it."""
        while not self.states.empty():
            self.states.get_nowait()
        await self.ws.send(json.dumps({"type": "navigate", **screen}))
        return await self.state_where(
            lambda s: (
                s["screen"]["name"] == screen["screen"]
                and s["screen"].get("sku") == screen.get("sku")
                and s["screen"].get("category") == screen.get("category")
            )
        )

    async def state_where(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                state = await self.states.get()
                if check(state):
                    return state


async def _timed(work: Any) -> float:
    start = time.perf_counter()
    await work
    return (time.perf_counter() - start) * 1000


async def _home(player: _Player, bump: Callable[[], None]) -> float:
    # The catalogue changes (as a stock feed changes it); once the engine has seen it, home.
    rev = player.last.get("catalog", {}).get("rev", 0)
    bump()
    await player.state_where(lambda s: s["catalog"]["rev"] > rev)

    return await _timed(
        asyncio.gather(player.navigate(screen="home"), player.get("/api/catalog/categories"))
    )


async def _browse(player: _Player, rng: random.Random, counts: dict[str, int]) -> float:
    category = rng.choice(sorted(counts))
    pages = max(1, -(-counts[category] // PAGE))
    offset = rng.randrange(pages) * PAGE
    return await _timed(
        asyncio.gather(
            player.navigate(screen="browse", category=category),
            player.get(f"/api/catalog/products?category={category}&offset={offset}&limit={PAGE}"),
        )
    )


async def _product(player: _Player, rng: random.Random, products: int) -> tuple[float, int]:
    sku = f"P{rng.randrange(products):06d}"
    shown: list[int] = []

    async def screen() -> None:
        state, _detail = await asyncio.gather(
            player.navigate(screen="product", sku=sku), player.get(f"/api/catalog/products/{sku}")
        )
        recs = [r["sku"] for r in state["recommendations"]]
        shown.append(len(recs))
        await asyncio.gather(*(player.get(f"/api/catalog/products/{r}") for r in recs))

    return await _timed(screen()), shown[0]


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@contextlib.asynccontextmanager
async def _daemon(folder: Path) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """`vitrine run` over folder/data, until it answers; its base URL and process; stopped
    with SIGTERM, as systemd stops it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(folder / "vitrine.toml", folder / "data", port)
    log_path = folder / "daemon.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *VITRINE, "run", "--config", str(config), stderr=log
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx2.AsyncClient(base_url=base, timeout=1) as http:
            while True:
                if proc.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the daemon did not start: {log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx2.HTTPError):
                    if (await http.get("/api/status")).is_success:
                        break
                await asyncio.sleep(0.05)
        yield base, proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _screens(
    player: _Player, info: dict[str, Any], screens: int, progress: Callable[[str], None]
) -> tuple[dict[str, list[float]], list[int]]:
    # The three screens in turn, `screens` times (after three unmeasured rounds): their times,
    # and how many products each product screen recommended.
    rng = random.Random(SEED + 1)
    with contextlib.closing(
        sqlite3.connect(player.data / "catalog.db", isolation_level=None)
    ) as db:

        def bump() -> None:
            db.execute(
                "UPDATE stock SET quantity = quantity + 1 WHERE rowid = ?",
                (rng.randrange(1, info["stock_rows"] + 1),),
            )

        counts = info["categories"]
        times: dict[str, list[float]] = {"home": [], "browse": [], "product": []}
        recommended = []
        for n in range(-3, screens):
            if n >= 0 and n % 10 == 0:
                progress(f"screens {n}/{screens} of each kind")
            home = await _home(player, bump)
            browse = await _browse(player, rng, counts)
            product, shown = await _product(player, rng, info["products"])
            if n == -1:
                player.before = await player.get("/api/status")
            if n >= 0:
                times["home"].append(home)
                times["browse"].append(browse)
                times["product"].append(product)
                recommended.append(shown)
    return times, recommended


async def _serve(
    folder: Path, info: dict[str, Any], screens: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    async with (
        _daemon(folder) as (base, proc),
        httpx2.AsyncClient(base_url=base, timeout=10) as http,
        websockets.connect(
            base.replace("http", "ws") + "/player/ws", additional_headers={"Origin": base}
        ) as ws,
    ):
        player = _Player(base, ws, http, folder / "data")
        pump = asyncio.create_task(player.pump())
        await player.state_where(lambda s: True)
        progress("warming up")
        times, recommended = await _screens(player, info, screens, progress)
        before = player.before["loop"]
        after = (await player.get("/api/status"))["loop"]
        pump.cancel()
        rss = _peak_rss_mb(proc.pid)
    window = {
        label: after["histogram_ms"][label] - before["histogram_ms"].get(label, 0)
        for label in after["histogram_ms"]
    }
    result: dict[str, Any] = {}
    for screen, values in times.items():
        result[f"{screen}_p50_ms"] = round(percentile(values, 0.5), 2)
        result[f"{screen}_p99_ms"] = round(percentile(values, 0.99), 2)
        result[f"{screen}_max_ms"] = round(max(values), 2)
    return {
        **result,
        "screens_each": screens,
        "recommended_beside_a_product_mean": round(statistics.mean(recommended), 2),
        "loop_wakeups": sum(window.values()),
        "loop_wakeups_over_20ms": sum(n for label, n in window.items() if _above(label, 20)),
        "loop_worst_bucket_ms": worst_bucket(before["histogram_ms"], after["histogram_ms"]),
        "loop_histogram_ms": window,
        "daemon_peak_rss_mb": rss,
    }


def _above(label: str, limit_ms: int) -> bool:
    # Whether a histogram bucket ("<=50", ">5000") lies wholly above limit_ms.
    if label.startswith(">"):
        return True
    return int(label[2:]) > limit_ms


def run_catalog_bench(
    products: int = 100_000,
    stock_rows: int = 1_000_000,
    screens: int = 100,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build the catalogue, serve it, time the screens; the result names each figure, its
    target, pass/fail."""
    if products < CATEGORIES:
        raise ValueError(f"products={products}: allowed {CATEGORIES} or more")
    if stock_rows < products * len(LOCATIONS):
        raise ValueError(
            f"stock_rows={stock_rows}: allowed {products * len(LOCATIONS)} or more "
            f"(each product's variants stocked in {len(LOCATIONS)} places)"
        )
    if screens < 1:
        raise ValueError(f"screens={screens}: allowed 1 or more")
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-catalog-") as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        progress(f"building a catalogue of {products} products")
        info = build_catalogue(folder / "data" / "catalog.db", products, stock_rows, progress)
        progress("serving it")
        served = asyncio.run(_serve(folder, info, screens, progress))
    result = {
        "products": info["products"],
        "variants": info["variants"],
        "stock_rows": info["stock_rows"],
        "categories": len(info["categories"]),
        "build_s": info["build_s"],
        **served,
    }
    return {
        "bench": "catalog",
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "assumptions": (
            "daemon and client on this machine over loopback; six requests at a time; home "
            "after a catalogue change (recommendations worked out afresh); browse at a random "
            "page of a random category; product at a random product with its recommendations' "
            "details"
        ),
        "buckets_ms": list(BUCKETS_MS),
        **result,
        **judged(result, TARGETS),
    }
