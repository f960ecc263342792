"""The daemon with vision: a missing camera or model is a clear status in /api/status, retried,
while the rest of the mirror keeps working; a camera that works sends its events on the bus from the
worker process (its people reach the Presence device's zones through the bus); a consenting member's
Enrolled makes their sealed template; "forget me" removes it; a worker that dies is started
again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest

from tests.host.vision.conftest import needs_images, needs_models
from vitrine.config import parse_config
from vitrine.daemon import Daemon
from vitrine.devices.presence import Presence, Zone
from vitrine.engine.events import Enrolled
from vitrine.tasks import stop_task
from vitrine.vision.events import MemberEnrolled
from vitrine.vision.templates import TemplateStore


def _daemon(tmp_path: Path, vision: str) -> Daemon:
    """A daemon over tmp_path with no boards and these [vision] keys, not started yet (a test
    may subscribe to its bus first)."""
    return Daemon(
        parse_config(
            "[http]\nport = 0\n[boards]\ndiscover_usb = false\n"
            f"[data]\ndir = {json.dumps(str(tmp_path / 'data'))}\n[vision]\nenabled = true\n"
            f"{vision}"
        )
    )


@contextlib.asynccontextmanager
async def _running(daemon: Daemon) -> AsyncIterator[Daemon]:
    """The daemon running, once it is ready, until the block ends."""
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(30):
            await daemon.ready.wait()
        yield daemon
    finally:
        await stop_task(task)


async def _status_until(daemon: Daemon, state: str, timeout: float = 60.0) -> dict:
    url = f"http://127.0.0.1:{daemon.http_port}/api/status"
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            status = (await client.get(url)).json()
            if status["vision"]["state"] == state:
                return status
            await asyncio.sleep(0.2)
    raise AssertionError(f"vision never reached {state}: {status['vision']}")


@needs_models  # the worker loads its models before it opens the camera
async def test_a_missing_camera_is_a_status_and_is_retried(tmp_path: Path) -> None:
    async with _running(_daemon(tmp_path, 'source = "/dev/video77"\nretry_s = 0.5\n')) as daemon:
        status = await _status_until(daemon, "no_camera")
        assert "/dev/video77" in status["vision"]["detail"]
        assert "no such device" in status["vision"]["detail"]
        assert status["vision"]["enabled"] is True
        assert status["loop"]["samples"] > 0  # the rest of the daemon runs


async def test_missing_models_are_a_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITRINE_SHARED_DIR", str(tmp_path / "nothing"))
    async with _running(_daemon(tmp_path, 'source = "synthetic"\nretry_s = 0.5\n')) as daemon:
        status = await _status_until(daemon, "no_models")
        assert "vitrine models install" in status["vision"]["detail"]


@needs_models
@needs_images
async def test_events_come_from_the_worker_and_forget_removes_the_template(tmp_path: Path) -> None:
    daemon = _daemon(tmp_path, 'source = "synthetic:stays:2"\nrecognition = true\n')
    sub = daemon.bus.subscribe(Presence, Zone)
    try:
        async with _running(daemon):
            # no presence board here: the camera's people alone make the zones
            zone = await sub.next(Zone, timeout=60, where=lambda e: e.source == "camera")
            assert zone.zone != "none"
            seen = await sub.next(Presence, timeout=60)
            assert seen.present is True and seen.zone in ("in_front", "at_glass")
            assert daemon.presence.snapshot()["camera"]["state"] == "reporting"
            status = (await _status_until(daemon, "running"))["vision"]
            assert status["fps"] > 0 and "faces" in status["stages_ms"]
            store = TemplateStore.open(tmp_path / "data")
            store.put("M-7", np.ones(256, np.float32) / 16, time.time())
            store.close()
            daemon.store.enrol_member("M-7", "2026-11", time.time())
            daemon.store.forget_member("M-7")
            store = TemplateStore.open(tmp_path / "data")
            assert store.members() == []
            store.close()
    finally:
        sub.close()


@needs_models
@needs_images
async def test_a_consenting_members_face_is_enrolled_from_the_bus(tmp_path: Path) -> None:
    # the engine publishes Enrolled once the shopper accepted the consent and gave their id;
    # the worker makes the template from the engaged face and the daemon finds it sealed
    daemon = _daemon(tmp_path, 'source = "synthetic:stays:1"\nrecognition = true\n')
    sub = daemon.bus.subscribe(MemberEnrolled)
    try:
        async with _running(daemon):
            await _status_until(daemon, "running")
            daemon.bus.publish(Enrolled(loyalty_id="M-9"))
            done = await sub.next(MemberEnrolled, timeout=90, where=lambda e: e.member == "M-9")
            assert done.ok, done.reason
            await asyncio.sleep(0.5)  # the worker seals it just before sending the event
            store = TemplateStore.open(tmp_path / "data")
            try:
                assert store.members() == ["M-9"]
                template = store.load()["M-9"]  # the averaged, L2-normalised embedding
                assert template.shape == (256,)
                assert float(np.linalg.norm(template)) == pytest.approx(1.0, abs=1e-3)
            finally:
                store.close()
    finally:
        sub.close()


@needs_models  # the worker reaches no_camera only once its models are loaded
async def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    async with _running(_daemon(tmp_path, 'source = "/dev/video77"\nretry_s = 0.5\n')) as daemon:
        await _status_until(daemon, "no_camera")
        first = daemon.vision._process
        first.kill()  # the worker process this test's daemon started
        for _ in range(600):  # up to 60 s for the service to notice and start another
            if daemon.vision._process is not first and daemon.vision.state["state"] == "no_camera":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no new worker: {daemon.vision.status()}")
        status = await _status_until(daemon, "no_camera")
        assert status["vision"]["restarts"] == 1
        assert daemon.vision._process.is_alive()
        assert status["loop"]["samples"] > 0
