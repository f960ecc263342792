"""The vision worker: a process of its own (so inference never holds the daemon's event loop
nor its interpreter lock, and runs at a lower CPU priority than the touch path) that reads the
camera, always takes the newest frame and drops stale ones, runs the pipeline and sends its
events to the daemon over a pipe. Only events and figures cross the pipe: never a frame, a
crop or an embedding.

Messages to the daemon: ("events", [event, ...]), ("status", {...}) when the state changes
and every STATS_S with the per-stage timings. From the daemon: ("enrol", member),
("forget", member), ("stop",).

A missing camera or model is a status ("no_camera", "no_models") and is tried again every
retry_s; the daemon and the mirror go on without vision meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

STATS_S = 1.0
NICE = 10  # below the daemon: touch and the web come first when the CPU is short
WINDOW = 300  # frames the timing percentiles cover


class Newest:
    """A one-frame mailbox filled by a reader thread: the consumer always gets the newest
    frame; one it did not take before the next arrived is dropped and counted."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.frame: tuple[Any, float] | None = None
        self.dropped = 0
        self.read = 0
        self.error: Exception | None = None
        self.ended = False
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                item = self.source.read()
            except Exception as err:  # the source's own error, reported by the worker
                with self._cond:
                    self.error = err
                    self._cond.notify_all()
                return
            with self._cond:
                if item is None:
                    self.ended = True
                    self._cond.notify_all()
                    return
                if self.frame is not None:
                    self.dropped += 1
                self.frame = item
                self.read += 1
                self._cond.notify_all()

    def take(self, timeout: float) -> tuple[Any, float] | None:
        with self._cond:
            if self.frame is None and not self.ended and self.error is None:
                self._cond.wait(timeout)
            item, self.frame = self.frame, None
            return item

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2.0)
        self.source.close()


class Timings:
    """Per-stage times of the last WINDOW frames: p50 and p99 in ms."""

    def __init__(self) -> None:
        self.stages: dict[str, deque[float]] = {}

    def add(self, stages: dict[str, float]) -> None:
        for name, ms in stages.items():
            self.stages.setdefault(name, deque(maxlen=WINDOW)).append(ms)

    def snapshot(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, values in self.stages.items():
            ordered = sorted(values)
            out[name] = {
                "p50": round(ordered[len(ordered) // 2], 2),
                "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
            }
        return out


def worker_main(conn: Any, config: dict[str, Any], data_dir: str | None) -> None:
    """The worker process's body (multiprocessing target)."""
    with contextlib.suppress(OSError):
        os.nice(NICE)
    import cv2

    from vitrine.vision.config import VisionConfig

    cv2.setNumThreads(1)
    Worker(conn, VisionConfig(**config), Path(data_dir) if data_dir else None).run()


class Worker:
    def __init__(self, conn: Any, config: Any, data_dir: Path | None) -> None:
        self.conn = conn
        self.config = config
        self.data_dir = data_dir
        self.stopping = False
        self.state: dict[str, Any] = {"state": "starting", "detail": ""}
        self.pipeline: Any = None
        self.templates: Any = None
        self.pending: list[tuple[str, str]] = []

    def send_status(self, state: str, detail: str = "", **extra: Any) -> None:
        self.state = {"state": state, "detail": detail, **extra}
        self.conn.send(("status", self.state))

    def commands(self) -> None:
        while self.conn.poll():
            message = self.conn.recv()
            if message[0] == "stop":
                self.stopping = True
            elif message[0] in ("enrol", "forget"):
                self.pending.append(message)
        for kind, member in self.pending:
            if self.pipeline is None:
                continue
            if kind == "enrol":
                self.pipeline.enrolling = member
            else:
                self.pipeline.forget(member)
        if self.pipeline is not None:
            self.pending.clear()

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            if self.conn.poll(min(0.2, max(0.0, deadline - time.monotonic()))):
                self.commands()

    def run(self) -> None:
        from vitrine.vision.models import ModelError
        from vitrine.vision.pipeline import CounterPipeline, Models, Pipeline
        from vitrine.vision.sources import SourceError, open_source

        cfg = self.config
        size = (cfg.width_px, cfg.height_px)
        while not self.stopping:
            try:
                models = Models.load(cfg)
            except ModelError as err:
                self.send_status("no_models", str(err))
                self.wait(cfg.retry_s)
                continue
            try:
                main = Newest(open_source(cfg.source, size))
                second = open_source(cfg.counter_source, size) if cfg.counter_source else None
                counter = Newest(second) if second is not None else None
            except SourceError as err:
                self.send_status("no_camera", str(err))
                self.wait(cfg.retry_s)
                continue
            self.pipeline = Pipeline(models, cfg, self._load_templates())
            counting = None
            if counter is not None and models.people is not None:
                counting = CounterPipeline(models.people, cfg.counter_line)
            try:
                self._loop(main, counter, counting)
            except SourceError as err:
                self.send_status("no_camera", str(err))
                self.wait(cfg.retry_s)
            finally:
                main.close()
                if counter is not None:
                    counter.close()
        self.conn.send(("status", {"state": "stopped", "detail": ""}))

    def _load_templates(self) -> dict[str, Any]:
        if not self.config.recognition or self.data_dir is None:
            return {}
        from vitrine.vision.templates import TemplateStore

        if self.templates is None:
            self.templates = TemplateStore.open(self.data_dir)
        cutoff = time.time() - self.config.template_retention_days * 86400
        self.templates.prune(cutoff)
        return self.templates.load()

    def _loop(self, main: Newest, counter: Newest | None, counting: Any) -> None:
        from vitrine.vision.events import MemberEnrolled
        from vitrine.vision.sources import SourceError

        timings, counter_timings = Timings(), Timings()
        frames = 0
        started = time.monotonic()
        last_stats = 0.0
        self.send_status("running", main.source.name)
        while not self.stopping:
            self.commands()
            item = main.take(timeout=0.5)
            if main.error is not None:
                raise SourceError(f"camera source {main.source.name}: {main.error}")
            if item is None:
                if main.ended:
                    self.send_status("ended", f"{main.source.name}: the stream ended")
                    self.wait(self.config.retry_s)
                    return
                continue
            frame, t_s = item
            result = self.pipeline.process(frame, t_s)
            del frame, item
            frames += 1
            timings.add(result.stages_ms)
            events = result.events
            for e in events:
                if isinstance(e, MemberEnrolled) and e.ok and self.templates is not None:
                    template = self.pipeline.enrolled.pop(e.member)
                    self.templates.put(e.member, template, time.time())
            if counter is not None and counting is not None:
                extra = counter.take(timeout=0.0)
                if extra is not None:
                    counted = counting.process(extra[0], extra[1])
                    counter_timings.add(counted.stages_ms)
                    events = events + counted.events
            if events:
                self.conn.send(("events", events))
            now = time.monotonic()
            if now - last_stats >= STATS_S:
                last_stats = now
                self.send_status(
                    "running",
                    main.source.name,
                    frames=frames,
                    fps=round(frames / max(1e-6, now - started), 1),
                    dropped=main.dropped,
                    stages_ms=timings.snapshot(),
                    counter=None
                    if counter is None
                    else {"dropped": counter.dropped, "stages_ms": counter_timings.snapshot()},
                )
