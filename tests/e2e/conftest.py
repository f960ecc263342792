"""Fixtures for the end-to-end tests of the player page: Debian's Chromium driven by
Playwright, a folder for screenshots, and the player served by uvicorn over a real engine,
the sample catalogue and a real events store."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from vitrine import __version__
from vitrine.associate import AssociateAuth, AuthStore, associate_router
from vitrine.bench.daemon import free_port
from vitrine.bus import EventBus
from vitrine.catalog import Catalog, import_files
from vitrine.catalog.routes import catalog_router
from vitrine.catalog.sample import write_sample
from vitrine.config import HttpConfig
from vitrine.daemon import TOUCH_TYPES
from vitrine.engine import Engine, EngineConfig, EventStore
from vitrine.player import player_router
from vitrine.player.chromium import CHROMIUM, HEADLESS_ARGS
from vitrine.player.reports import PlayerReports
from vitrine.web.access import ScreenAccess
from vitrine.web.app import create_app
from vitrine.web.origins import Origins
from vitrine.web.server import server_config

ROOT = Path(__file__).resolve().parents[2]
SCREENS_DIR = ROOT / "test-artifacts" / "screens"
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (skipped where either is missing).
    One per test module: Playwright's synchronous API keeps an event loop running in this
    thread while it is open, and the asyncio tests of the other folders need the thread
    free of it."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package 'chromium'; tools/setup-system.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(HEADLESS_ARGS))
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Saves PNGs of a page under test-artifacts/screens/ (kept after the run, to look at)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, page: Any, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        return path


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    return Screenshots(SCREENS_DIR)


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalogue's CSV files and pictures, written once per run."""
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=1)
    return folder


class _Uvicorn(uvicorn.Server):
    # The test process owns signal handling.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


ASSOCIATE_SECRET = bytes(range(7, 39))  # signs the associate app's session cookies


class PlayerServer:
    """The daemon's web app without boards (player, associate app, catalogue, the pages'
    shared files, the status API) over a real Engine (running on the bus), a real Catalog and
    a real EventStore in `folder`, served by uvicorn on 127.0.0.1:port in a thread of its own.
    stop() and start() again serve a new engine over the same files (a restarted daemon).
    `touch_types`: the bus events sent to the player's pages."""

    def __init__(
        self,
        folder: Path,
        port: int,
        config: EngineConfig | None = None,
        touch_types: tuple[type, ...] = TOUCH_TYPES,
    ) -> None:
        self.folder = folder
        self.port = port
        self.config = config or EngineConfig()
        self.touch_types = touch_types
        self.reports = PlayerReports()
        self.url = f"http://127.0.0.1:{port}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.engine: Engine | None = None
        self.bus: EventBus | None = None
        self._server: _Uvicorn | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        self._ready.clear()
        self._error = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="player-server", daemon=True)
        self.thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the player server did not start within 15 s")
        if self._error is not None:
            raise RuntimeError(f"the player server failed to start: {self._error!r}")

    def stop(self) -> None:
        if self.thread is None or self.loop is None:
            return
        server = self._server
        if server is not None:
            self.loop.call_soon_threadsafe(setattr, server, "should_exit", True)
        self.thread.join(15)
        self.thread = None

    def _main(self) -> None:
        assert self.loop is not None
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as err:  # reported to start(); the thread ends here
            self._error = err
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        bus = EventBus()
        catalog = Catalog.open(self.folder / "catalog.db", self.folder / "media")
        store = EventStore.open(self.folder / "events.db")
        engine = Engine(bus, catalog, store, self.config)
        store_config = self.config.store
        auth_store = AuthStore.open(self.folder / "auth.db")
        auth = AssociateAuth(self.config.associate, ASSOCIATE_SECRET, auth_store)
        http = HttpConfig(port=self.port)  # the daemon's limits, and the kiosk's origin
        access = ScreenAccess(origins=Origins.for_daemon(http, self.port))
        routers = [
            player_router(engine, bus, self.touch_types, reports=self.reports, access=access),
            associate_router(engine, bus, auth),
            catalog_router(lambda: catalog, store_config.id, store_config.fitting_room),
        ]
        app = create_app(self.status, bus, TOUCH_TYPES, routers, access=access)
        sock = socket.create_server(("127.0.0.1", self.port))
        server = _Uvicorn(
            server_config(
                app,
                http,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=1,
            )
        )
        self._server, self.engine, self.bus = server, engine, bus
        engine_task = asyncio.create_task(engine.run(), name="engine")
        web = asyncio.create_task(server.serve(sockets=[sock]), name="http")
        try:
            while not server.started:
                if web.done():
                    await web
                await asyncio.sleep(0.01)
            self._ready.set()
            await web
        finally:
            engine_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await engine_task
            sock.close()
            store.close()
            catalog.close()
            auth_store.close()

    def status(self) -> dict[str, Any]:
        """GET /api/status: no boards, and what the player pages reported."""
        return {
            "version": __version__,
            "uptime_s": 1.0,
            "host_build": "e2e",
            "boards": [],
            "player": self.reports.status(),
        }

    def call(self, fn: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 10) -> Any:
        """Runs a coroutine on the server's loop and returns its result."""
        assert self.loop is not None
        future: Future[Any] = asyncio.run_coroutine_threadsafe(fn(), self.loop)
        return future.result(timeout)

    def act(self, **action: Any) -> dict[str, Any]:
        """An action, as the page would send it, carried out by the engine."""
        assert self.engine is not None
        engine = self.engine
        return self.call(lambda: engine.act(action))

    def publish(self, *events: Any) -> None:
        """Events onto the server's bus (from its own loop)."""
        assert self.loop is not None and self.bus is not None
        bus = self.bus
        for event in events:
            self.loop.call_soon_threadsafe(bus.publish, event)

    def view(self) -> dict[str, Any]:
        assert self.engine is not None
        engine = self.engine
        return self.call(lambda: _now(engine.view))


async def _now(fn: Callable[[], Any]) -> Any:
    return fn()


@pytest.fixture
def player_folder(tmp_path: Path, sample_files: Path) -> Path:
    """A data folder with the sample catalogue imported (catalog.db, media/)."""
    folder = tmp_path / "data"
    catalog = Catalog.open(folder / "catalog.db", folder / "media")
    try:
        import_files(catalog, [sample_files])
    finally:
        catalog.close()
    return folder


@pytest.fixture
def player_server(player_folder: Path) -> Iterator[PlayerServer]:
    """The player over a real engine, catalogue and events store, on a free port."""
    server = PlayerServer(player_folder, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


PAGE_TIMEOUT_MS = 10_000


@pytest.fixture
def open_page(browser: Any, player_server: PlayerServer) -> Iterator[Callable[..., Any]]:
    """Opens the player in a new touch-capable browser context of the given viewport."""
    contexts: list[Any] = []

    def open_(viewport: dict[str, int] = PORTRAIT, server: PlayerServer = player_server) -> Any:
        context = browser.new_context(viewport=viewport, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.errors = errors  # type: ignore[attr-defined]
        page.goto(server.url + "/")
        page.wait_for_function("window.vitrine && window.vitrine.connected && window.vitrine.state")
        return page

    yield open_
    for context in contexts:
        context.close()
