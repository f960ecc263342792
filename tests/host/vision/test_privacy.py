"""Privacy, tested: the vision worker runs on the synthetic scene (people walking up, looking,
waving, leaving; recognition on, with one enrolled member who is not in the scene, so every
face is embedded and compared) while every file opened for writing, every file operation and
every socket send of the process is watched. It finds none: what leaves the worker is its
messages to the daemon, and those hold only events and figures, never a frame, a crop or an
embedding (no array, no bytes)."""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from tests.host.vision.conftest import needs_images, needs_models
from vitrine.devices.presence import CameraPeople
from vitrine.vision import events as ev
from vitrine.vision.config import VisionConfig
from vitrine.vision.templates import TemplateStore
from vitrine.vision.worker import Worker

WATCHED = {
    "os.rename",
    "os.remove",
    "os.mkdir",
    "os.truncate",
    "shutil.copyfile",
    "socket.connect",
    "socket.sendto",
    "socket.sendmsg",
    "socket.bind",
    "sqlite3.connect",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class _Watch:
    """A process-wide audit hook (hooks cannot be removed: this one records only while
    armed) plus the socket methods that raise no audit event, patched by the test."""

    armed = False
    seen: ClassVar[list[tuple[str, tuple[Any, ...]]]] = []

    @classmethod
    def hook(cls, name: str, args: tuple[Any, ...]) -> None:
        if not cls.armed:
            return
        if name == "open":
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            ):
                cls.seen.append((name, args))
        elif name in WATCHED:
            cls.seen.append((name, args))


sys.addaudithook(_Watch.hook)


class _Conn:
    """The worker's pipe to the daemon, recorded; stops the worker after enough frames."""

    def __init__(self, worker_frames: int) -> None:
        self.sent: list[Any] = []
        self.frames = worker_frames
        self.worker: Worker | None = None

    def poll(self, timeout: float = 0.0) -> bool:
        if timeout:
            time.sleep(timeout)
        return False

    def send(self, message: Any) -> None:
        self.sent.append(message)
        if message[0] == "status" and message[1].get("frames", 0) >= self.frames:
            assert self.worker is not None
            self.worker.stopping = True


def _leaks(value: Any, where: str = "message") -> list[str]:
    """Arrays or bytes anywhere inside a message."""
    if isinstance(value, np.ndarray | bytes | bytearray | memoryview):
        return [f"{where}: {type(value).__name__}"]
    if dataclasses.is_dataclass(value):
        return [
            leak
            for f in dataclasses.fields(value)
            for leak in _leaks(getattr(value, f.name), f"{where}.{f.name}")
        ]
    if isinstance(value, dict):
        return [leak for k, v in value.items() for leak in _leaks(v, f"{where}[{k!r}]")]
    if isinstance(value, list | tuple):
        return [leak for i, v in enumerate(value) for leak in _leaks(v, f"{where}[{i}]")]
    return []


@needs_models
@needs_images
def test_the_worker_writes_and_sends_nothing_but_its_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = TemplateStore.open(data)  # one member, enrolled before; not in the scene
    member = np.random.default_rng(1).normal(size=256).astype(np.float32)
    store.put("M-0001", member / np.linalg.norm(member), time.time())
    store.close()

    sends: list[str] = []
    for name in ("send", "sendall", "sendto", "sendmsg", "sendfile"):
        original = getattr(socket.socket, name)

        def recording(self: Any, *a: Any, _n: str = name, _o: Any = original, **k: Any) -> Any:
            if _Watch.armed:
                sends.append(_n)
            return _o(self, *a, **k)

        monkeypatch.setattr(socket.socket, name, recording)
    import cv2

    monkeypatch.setattr(cv2, "imwrite", lambda *a, **k: sends.append("cv2.imwrite"))
    monkeypatch.setattr(np, "save", lambda *a, **k: sends.append("numpy.save"))

    config = VisionConfig(enabled=True, source="synthetic:stays:4", recognition=True, retry_s=0.5)
    conn = _Conn(worker_frames=240)
    worker = Worker(conn, config, data)
    conn.worker = worker
    worker._load_templates()  # opening the store before watching: its own file, read
    _Watch.seen = []
    _Watch.armed = True
    try:
        thread = threading.Thread(target=worker.run)
        thread.start()
        thread.join(timeout=90)
    finally:
        _Watch.armed = False
    assert not thread.is_alive()
    assert _Watch.seen == [] and sends == []

    kinds = {m[0] for m in conn.sent}
    assert kinds <= {"events", "status"}
    events = [e for m in conn.sent if m[0] == "events" for e in m[1]]
    allowed = (
        ev.Expression,
        ev.HandGesture,
        ev.Attention,
        ev.Visitor,
        ev.PeopleCounted,
        ev.MemberRecognised,
        CameraPeople,
    )
    assert events and all(isinstance(e, allowed) for e in events)
    assert not any(isinstance(e, ev.MemberRecognised) for e in events)  # nobody here enrolled
    assert all(e.member is None for e in events if isinstance(e, ev.Visitor))
    assert _leaks(conn.sent) == []
    running = [m[1] for m in conn.sent if m[0] == "status" and "stages_ms" in m[1]]
    assert running[-1]["stages_ms"]["recognition"]["p99"] > 0  # faces were embedded, compared
