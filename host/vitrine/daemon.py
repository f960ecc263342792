"""The daemon: the event bus, the board links, the devices, the experience engine, the HTTP
server (player, associate app, catalogue, status) and the console socket (a technician's
`vitrine console` to a board whose port the daemon holds) in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter

from vitrine import __version__
from vitrine.analytics.service import Analytics
from vitrine.analytics.store import FILE_NAME as ANALYTICS_FILE
from vitrine.associate.app import associate_router
from vitrine.associate.auth import AssociateAuth
from vitrine.associate.store import FILE_NAME as AUTH_FILE
from vitrine.associate.store import AuthStore
from vitrine.board_fit import board_fit
from vitrine.bus import EventBus
from vitrine.catalog import Catalog
from vitrine.catalog.routes import catalog_router
from vitrine.config import Config
from vitrine.console.proxy import ConsoleProxy
from vitrine.devices.beacons.backends import BleakBackend
from vitrine.devices.beacons.device import Backend, Beacons
from vitrine.devices.beacons.keys import MemberKeys
from vitrine.devices.beacons.loyalty import Keyring, Resolver
from vitrine.devices.lights import Lights, LightShown
from vitrine.devices.presence.device import PresenceDevice
from vitrine.devices.touch.events import CalibrationTarget, Gesture, PointerEvent
from vitrine.devices.touch.frame import TouchFrame
from vitrine.engine.engine import Engine
from vitrine.engine.records import RecordingStore
from vitrine.errors import VitrineError
from vitrine.firmware import build_hash
from vitrine.hardware import load_boards
from vitrine.link.boards import Boards
from vitrine.looplag import LoopLag
from vitrine.manager import manager_router
from vitrine.player.app import player_router
from vitrine.player.reports import PlayerReports
from vitrine.secret_key import FILE_NAME as SECRET_FILE
from vitrine.secret_key import load_or_create_secret
from vitrine.service.lifecycle import first_stopped, status_line, tell_service_manager
from vitrine.tasks import stop_task
from vitrine.vision.service import VisionService
from vitrine.web.access import ScreenAccess
from vitrine.web.app import create_app
from vitrine.web.calibration_token import calibration_key
from vitrine.web.origins import Origins
from vitrine.web.server import server_config

log = logging.getLogger("vitrine.daemon")
MANAGER_AUTH_FILE = "manager-auth.db"  # the dashboard's sessions and wrong PINs, apart

# What the touch frame sends the pages (and /ws), with the calibration's targets to draw.
TOUCH_TYPES = (PointerEvent, Gesture, CalibrationTarget)
# What the player page is sent besides its state: the touch events and the light shown.
PLAYER_EVENTS = (*TOUCH_TYPES, LightShown)


def _data_dir(config: Config) -> Path:
    path = config.data.path()
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "media").mkdir(exist_ok=True)
    except OSError as err:
        raise VitrineError(
            f"cannot use the data folder {path}: {err.strerror} "
            "(set [data] dir, or run as the service user: vitrine install-service)"
        ) from err
    return path


def listen(host: str, port: int) -> socket.socket:
    """The HTTP server's listening socket; raises VitrineError naming the address."""
    try:
        sock = socket.create_server((host, port))
    except OSError as err:
        raise VitrineError(
            f"cannot serve HTTP on {host}:{port}: {err.strerror} "
            "(another vitrine running? choose another port: [http] port, or --port)"
        ) from err
    # Every answer goes out at once. asyncio sets TCP_NODELAY only on sockets whose proto is
    # IPPROTO_TCP, and create_server's is 0 (so are the connections it accepts, which inherit
    # the option from it): without it, a response's second write waited for the client's
    # delayed ACK, 40 ms on Linux, on every request of a kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _freeze_start_up() -> None:
    # What start-up made (modules, the app, config, caches) lives as long as the daemon: out of
    # the cyclic collector's sight, a full collection walks only what the running daemon made.
    # A full collection over all of it holds the GIL, so every thread, the event loop among
    # them, for 25-60 ms (measured with vitrine bench catalog), longer than a touch frame.
    gc.collect()
    gc.freeze()


class _Server(uvicorn.Server):
    # The daemon owns signal handling; uvicorn must not install its own.
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


class Daemon:
    """Runs until cancelled; `ready` is set once the HTTP API answers and links are started."""

    def __init__(self, config: Config, bus: EventBus | None = None) -> None:
        self.config = config
        self.bus = bus or EventBus()
        self.started = time.monotonic()
        self.host_build = build_hash()
        self.descriptions = load_boards()
        self.boards = Boards(
            self.bus, config.link.settings(), config.boards.board_ports(self.descriptions)
        )
        # `vitrine console` reaches the boards through the daemon, which holds their ports.
        self.console = ConsoleProxy(self.boards, self.bus)
        self.touch = TouchFrame.from_config(self.bus, config.touch)
        self.presence = PresenceDevice.from_descriptions(
            self.bus, config.presence, self.descriptions
        )
        self.lights = Lights(self.bus, self.boards, config.lighting)
        self.data_dir = _data_dir(config)
        self.catalog = Catalog.open(self.data_dir / "catalog.db", self.data_dir / "media")
        # the store tells the engine's records to the bus, where analytics takes them up
        self.store = RecordingStore.open(self.data_dir / "events.db")
        self.analytics = Analytics(
            self.data_dir / ANALYTICS_FILE,
            config.store.id,
            config.store.mirror,
            config.analytics,
            config.fleet,
        )
        self.secret = load_or_create_secret(self.data_dir / SECRET_FILE)
        # Members' BLE keys: made at enrolment, sealed in events.db under the secret key, open
        # only in this keyring, which the beacons' resolver reads (docs/beacons.md).
        self.keyring = Keyring()
        self.member_keys = MemberKeys(self.store, self.secret, self.keyring)
        self.engine = Engine(
            self.bus, self.catalog, self.store, config.engine(), member_keys=self.member_keys
        )
        beacons = config.beacons
        self.beacons = Beacons(
            Resolver(self.keyring),
            beacons.zone_settings(),
            publish=self.bus.publish,
            company_id=beacons.company_id,
        )
        # the host's own adapter, when [beacons] host_adapter names one (bleak; docs/beacons.md)
        self.beacon_backends: list[Backend] = []
        if beacons.host_adapter:
            adapter = None if beacons.host_adapter == "default" else beacons.host_adapter
            self.beacon_backends.append(BleakBackend("host", adapter))
        self.auth_store = AuthStore.open(self.data_dir / AUTH_FILE)
        self.auth = AssociateAuth(config.associate, self.secret, self.auth_store)
        # the manager's dashboard: a role of its own, its sessions and PIN budget apart
        self.manager_store = AuthStore.open(self.data_dir / MANAGER_AUTH_FILE)
        self.manager_auth = AssociateAuth(
            config.manager, self.secret, self.manager_store, role="manager"
        )
        if config.associate.short_pin:
            log.warning(
                "[associate] pin has %d digits, kept by allow_short_pin: it can be guessed in "
                "weeks despite the pauses after wrong PINs; set one of 6 to 12 digits",
                len(config.associate.pin),
            )
        self.vision = VisionService(self.bus, config.vision, self.data_dir)
        self.store.also_forget.append(self.vision.forget)
        self.looplag = LoopLag()
        self.player_reports = PlayerReports()
        self.ready = asyncio.Event()
        self.http_port: int | None = None

    def routers(self, access: ScreenAccess) -> list[APIRouter]:
        """The pages and APIs besides the status: player (at /), associate app, catalogue;
        `access` says who may drive the screen."""
        store = self.config.store
        return [
            player_router(
                self.engine,
                self.bus,
                PLAYER_EVENTS,
                reports=self.player_reports,
                access=access,
                greet=lambda: [self.lights.shown.to_json()] if self.lights.shown else [],
            ),
            associate_router(self.engine, self.bus, self.auth, Origins(self.config.http.origins)),
            catalog_router(lambda: self.catalog, store.id, store.fitting_room),
            manager_router(
                self.manager_auth,
                self.analytics.reader,
                self.analytics.rules,
                tz=self.config.analytics.zone(),
                origins=Origins(self.config.http.origins),
            ),
        ]

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "uptime_s": round(time.monotonic() - self.started, 3),
            "host_build": self.host_build,
            "loop": self.looplag.snapshot(),
            "boards": self.board_status(),
            "presence": self.presence.snapshot(),
            "lighting": self.lights.snapshot(),
            "player": self.player_reports.status(),
            "touch": self.touch.status(),
            "associate": self.auth.status().to_json(),
            "analytics": self.analytics.status(),
            "vision": self.vision.status(),
        }

    def board_status(self) -> list[dict[str, Any]]:
        """Each link's snapshot, with what its firmware lacks of what its role needs
        (vitrine.board_fit: the comparison `vitrine doctor` makes too)."""
        boards = self.boards.snapshot()
        for board in boards:
            lacks = board_fit(board, self.descriptions)
            board["missing_subsystems"] = lacks.to_json() if lacks else None
        return boards

    def status_line(self) -> str:
        """The one-line status systemd shows: boards up, the others' states, the URL."""
        http = self.config.http
        return status_line(self.boards.snapshot(), f"http://{http.host}:{self.http_port}/")

    async def run(self, *, freeze_start_up: bool = False) -> None:
        """Serve until cancelled. freeze_start_up: when the daemon is its process's only
        program (vitrine run and demo; not a test), what start-up made is frozen once ready."""
        http = self.config.http
        sock = listen(http.host, http.port)
        self.http_port = sock.getsockname()[1]
        access = ScreenAccess(
            origins=Origins.for_daemon(http, self.http_port),
            remote_control=http.remote_control,
            calibration_key=calibration_key(self.secret),
        )
        app = create_app(self.status, self.bus, TOUCH_TYPES, self.routers(access), access=access)
        server = _Server(
            server_config(app, http, log_level="warning", access_log=False, lifespan="off")
        )
        boards = asyncio.create_task(self.boards.run(), name="boards")
        touch = asyncio.create_task(self.touch.run(), name="touch")
        presence = asyncio.create_task(self.presence.run(), name="presence")
        lights = asyncio.create_task(self.lights.run(), name="lights")
        engine = asyncio.create_task(self.engine.run(), name="engine")
        web = asyncio.create_task(server.serve(sockets=[sock]), name="http")
        looplag = asyncio.create_task(self.looplag.run(), name="looplag")
        console = asyncio.create_task(self.console.run(), name="console")
        beacons = asyncio.create_task(
            self.beacons.serve(self.bus, self.beacon_backends), name="beacons"
        )
        analytics = asyncio.create_task(self.analytics.run(self.bus), name="analytics")
        vision = asyncio.create_task(self.vision.run(), name="vision")
        tasks = (
            boards,
            touch,
            presence,
            lights,
            engine,
            web,
            looplag,
            console,
            beacons,
            analytics,
            vision,
        )
        systemd = asyncio.create_task(
            tell_service_manager(self.ready, self.status_line, lambda: first_stopped(tasks)),
            name="systemd",
        )
        done: set[asyncio.Task[Any]] = set()  # what ended first; its error is raised here
        try:
            while not server.started:
                if web.done():
                    done = {web}
                    await web  # raises why the server could not start
                await asyncio.sleep(0.01)
            log.info("ready: http://%s:%d/", http.host, self.http_port)
            if freeze_start_up:
                _freeze_start_up()
            self.ready.set()
            done, _ = await asyncio.wait(set(tasks), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            server.should_exit = True
            # systemd first (STOPPING=1: it shows "deactivating" while we stop), then the
            # engine (it saves the live session), the boards last. A task failing as it
            # stops is logged and does not stop the rest.
            stopping = (systemd, console, looplag, vision, beacons, engine, analytics, lights)
            for task in (*stopping, presence, touch, boards):
                try:
                    await stop_task(task)
                except Exception:
                    if task not in done:
                        log.exception("%s failed while stopping", task.get_name())
            await asyncio.wait({web})
            sock.close()
            self.engine.close()
            self.analytics.close()  # after the engine: its last records are written too
            self.store.close()
            self.catalog.close()
            self.auth_store.close()
            self.manager_store.close()
