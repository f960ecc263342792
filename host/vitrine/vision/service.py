"""The daemon's side of vision: starts the worker process (vitrine.vision.worker), publishes
its events on the bus as they arrive (read by the event loop only when the pipe has data, so
nothing waits on the worker), keeps its status for /api/status, starts it again when it dies,
and passes on enrolments and "forget me".

The camera's Presence events join the presence fusion as source "camera" (the Presence
device's zones take a source's present/absent and distance; see docs/vision.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from pathlib import Path
from typing import Any

from vitrine.bus import EventBus
from vitrine.engine.events import Enrolled
from vitrine.tasks import stop_task
from vitrine.vision.config import VisionConfig

log = logging.getLogger("vitrine.vision")


class VisionService:
    def __init__(self, bus: EventBus, config: VisionConfig, data_dir: Path | None = None) -> None:
        self.bus = bus
        self.config = config
        self.data_dir = data_dir
        self.state: dict[str, Any] = {"state": "off" if not config.enabled else "starting"}
        self.restarts = 0
        self.events = 0
        self._conn: Any = None
        self._process: Any = None

    def status(self) -> dict[str, Any]:
        """For /api/status: enabled, the source, the worker's state (running, no_camera,
        no_models, ended, stopped, off) with what it says, and its figures."""
        return {
            "enabled": self.config.enabled,
            "source": self.config.source if self.config.enabled else None,
            **self.state,
            "restarts": self.restarts,
            "events": self.events,
        }

    async def run(self) -> None:
        """Run the worker until cancelled; start it again retry_s after it dies."""
        if not self.config.enabled:
            await asyncio.Event().wait()
        sub = self.bus.subscribe(Enrolled)
        loop = asyncio.get_running_loop()
        try:
            while True:
                died = loop.create_future()
                self._start(loop, died)
                enrolments = asyncio.create_task(self._enrolments(sub))
                try:
                    code = await died
                finally:
                    await stop_task(enrolments)
                self.state = {"state": "restarting", "detail": f"the worker exited ({code})"}
                log.warning("vision: the worker exited (%s); starting it again", code)
                self.restarts += 1
                await asyncio.sleep(self.config.retry_s)
        finally:
            sub.close()
            await self._stop(loop)

    def _start(self, loop: asyncio.AbstractEventLoop, died: asyncio.Future[Any]) -> None:
        from vitrine.vision.worker import worker_main

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=worker_main,
            args=(theirs, self.config.model_dump(), str(self.data_dir) if self.data_dir else None),
            name="vitrine-vision",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._conn, self._process = ours, process

        def readable() -> None:
            try:
                while ours.poll():
                    self._on_message(ours.recv())
            except (EOFError, OSError):
                loop.remove_reader(ours.fileno())
                if not died.done():
                    process.join(timeout=1.0)
                    died.set_result(process.exitcode)

        loop.add_reader(ours.fileno(), readable)

    def _on_message(self, message: tuple[str, Any]) -> None:
        kind, body = message
        if kind == "events":
            for event in body:
                self.bus.publish(event)
            self.events += len(body)
        elif kind == "status":
            if body.get("state") != self.state.get("state"):
                log.info("vision: %s %s", body.get("state"), body.get("detail", ""))
            self.state = body

    async def _enrolments(self, sub: Any) -> None:
        while True:
            event = await sub.get()
            if self.config.recognition:
                self.send(("enrol", event.loyalty_id))

    def send(self, message: tuple[str, ...]) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(message)

    def forget(self, member: str) -> None:
        """ "Forget me": the member's template goes from templates.db and from the worker."""
        if self.data_dir is not None and (self.data_dir / "templates.db").exists():
            from vitrine.vision.templates import TemplateStore

            store = TemplateStore.open(self.data_dir)
            try:
                store.forget(member)
            finally:
                store.close()
        self.send(("forget", member))

    async def _stop(self, loop: asyncio.AbstractEventLoop) -> None:
        process, conn = self._process, self._conn
        if process is None:
            return
        self.send(("stop",))
        with contextlib.suppress(Exception):
            loop.remove_reader(conn.fileno())
        await asyncio.to_thread(process.join, 3.0)
        if process.is_alive():
            process.terminate()
            await asyncio.to_thread(process.join, 2.0)
        conn.close()
        self._process = self._conn = None
