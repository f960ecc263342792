"""The daemon: the event bus, the board links, the devices, the experience engine and the HTTP
server (player, associate app, catalogue, status) in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter

from vitrine import __version__
from vitrine.associate.app import associate_router
from vitrine.associate.auth import AssociateAuth, load_or_create_secret
from vitrine.bus import EventBus
from vitrine.catalog import Catalog
from vitrine.catalog.routes import catalog_router
from vitrine.config import Config
from vitrine.devices.lights import Lights
from vitrine.devices.touch.events import CalibrationTarget, Gesture, PointerEvent
from vitrine.devices.touch.frame import TouchFrame
from vitrine.engine.engine import Engine
from vitrine.engine.store import EventStore
from vitrine.errors import VitrineError
from vitrine.firmware import build_hash
from vitrine.hardware import load_boards
from vitrine.link.boards import Boards
from vitrine.looplag import LoopLag
from vitrine.player.app import player_router
from vitrine.player.reports import PlayerReports
from vitrine.service.lifecycle import first_stopped, status_line, tell_service_manager
from vitrine.tasks import stop_task
from vitrine.vision.service import VisionService
from vitrine.web.app import create_app

log = logging.getLogger("vitrine.daemon")

# What the touch frame sends the pages (and /ws), with the calibration's targets to draw.
TOUCH_TYPES = (PointerEvent, Gesture, CalibrationTarget)


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
        self.boards = Boards(
            self.bus, config.link.settings(), config.boards.board_ports(load_boards())
        )
        self.touch = TouchFrame.from_config(self.bus, config.touch)
        self.lights = Lights(self.bus, self.boards, config.lighting)
        self.data_dir = _data_dir(config)
        self.catalog = Catalog.open(self.data_dir / "catalog.db", self.data_dir / "media")
        self.store = EventStore.open(self.data_dir / "events.db")
        self.engine = Engine(self.bus, self.catalog, self.store, config.engine())
        self.auth = AssociateAuth(
            config.associate, load_or_create_secret(self.data_dir / "secret.key")
        )
        self.vision = VisionService(self.bus, config.vision, self.data_dir)
        self.store.also_forget.append(self.vision.forget)
        self.looplag = LoopLag()
        self.player_reports = PlayerReports()
        self.ready = asyncio.Event()
        self.http_port: int | None = None

    def routers(self) -> list[APIRouter]:
        """The pages and APIs besides the status: player (at /), associate app, catalogue."""
        store = self.config.store
        return [
            player_router(
                self.engine,
                self.bus,
                TOUCH_TYPES,
                remote_control=self.config.http.remote_control,
                reports=self.player_reports,
            ),
            associate_router(self.engine, self.bus, self.auth),
            catalog_router(lambda: self.catalog, store.id, store.fitting_room),
        ]

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "uptime_s": round(time.monotonic() - self.started, 3),
            "host_build": self.host_build,
            "loop": self.looplag.snapshot(),
            "boards": self.boards.snapshot(),
            "player": self.player_reports.status(),
            "vision": self.vision.status(),
        }

    def status_line(self) -> str:
        """The one-line status systemd shows: boards up, the others' states, the URL."""
        http = self.config.http
        return status_line(self.boards.snapshot(), f"http://{http.host}:{self.http_port}/")

    async def run(self) -> None:
        http = self.config.http
        sock = listen(http.host, http.port)
        self.http_port = sock.getsockname()[1]
        server = _Server(
            uvicorn.Config(
                create_app(
                    self.status,
                    self.bus,
                    TOUCH_TYPES,
                    self.routers(),
                    remote_control=http.remote_control,
                ),
                log_level="warning",
                access_log=False,
                lifespan="off",
                proxy_headers=True,
                forwarded_allow_ips=list(http.trusted_proxies),
            )
        )
        boards = asyncio.create_task(self.boards.run(), name="boards")
        touch = asyncio.create_task(self.touch.run(), name="touch")
        lights = asyncio.create_task(self.lights.run(), name="lights")
        engine = asyncio.create_task(self.engine.run(), name="engine")
        web = asyncio.create_task(server.serve(sockets=[sock]), name="http")
        looplag = asyncio.create_task(self.looplag.run(), name="looplag")
        vision = asyncio.create_task(self.vision.run(), name="vision")
        tasks = (boards, touch, lights, engine, web, looplag, vision)
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
            self.ready.set()
            done, _ = await asyncio.wait(set(tasks), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            server.should_exit = True
            # systemd first (STOPPING=1: it shows "deactivating" while we stop), then the
            # engine (it saves the live session), the boards last. A task failing as it
            # stops is logged and does not stop the rest.
            for task in (systemd, looplag, vision, engine, lights, touch, boards):
                try:
                    await stop_task(task)
                except Exception:
                    if task not in done:
                        log.exception("%s failed while stopping", task.get_name())
            await asyncio.wait({web})
            sock.close()
            self.engine.close()
            self.store.close()
            self.catalog.close()
