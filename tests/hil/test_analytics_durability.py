"""The durability promise of analytics (docs/metrics.md), against the real daemon: a page
drives screen after screen through the player's socket, each change seen on the page before
the next is asked for; the daemon is killed with SIGKILL mid-stream. Every screen the page
saw more than 250 ms before the kill is in analytics.db as a content_view observation; after
a clean stop (SIGTERM) every one is."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets

from vitrine.bench.daemon import free_port

pytestmark = pytest.mark.hil

LOSS_S = 0.25  # the promise: at most the last 250 ms lost
SCREENS = ("home", "help", "lighting", "browse")
PACE_S = 0.04  # between navigations: the player takes 50 messages a second at most


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "vitrine.toml"
    path.write_text(
        f'[http]\nport = {port}\n[boards]\ndiscover_usb = false\n[data]\ndir = "{tmp_path}"\n'
    )
    return path


async def _drive(port: int, seconds: float) -> list[float]:
    """Navigate screen after screen for `seconds`; the wall time each change was seen."""
    seen: list[float] = []
    url = f"ws://127.0.0.1:{port}/player/ws"
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            screen = SCREENS[i % len(SCREENS)]
            i += 1
            await ws.send(json.dumps({"type": "navigate", "screen": screen}))
            await asyncio.sleep(PACE_S)
            while True:
                async with asyncio.timeout(5):
                    message = json.loads(await ws.recv())
                if message.get("type") == "error":
                    raise AssertionError(message)
                if message.get("type") == "state" and message["screen"]["name"] == screen:
                    seen.append(time.time())
                    break
    return seen


def _start(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "vitrine", "run", "--config", str(_config(tmp_path, port))],
        stderr=(tmp_path / "daemon.log").open("w"),
    )
    deadline = time.monotonic() + 30
    while "ready:" not in (tmp_path / "daemon.log").read_text():
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return daemon, port


def _stored_views(tmp_path: Path) -> int:
    conn = sqlite3.connect(tmp_path / "analytics.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute(
            "SELECT COUNT(*) FROM observation WHERE kind = 'content_view'"
        ).fetchone()[0]
    finally:
        conn.close()


def test_sigkill_mid_stream_loses_at_most_the_last_250_ms(tmp_path: Path) -> None:
    daemon, port = _start(tmp_path)
    seen: list[float] = []
    killed = 0.0

    async def run() -> None:
        nonlocal killed
        url = f"ws://127.0.0.1:{port}/player/ws"
        async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as ws:
            await ws.send(json.dumps({"type": "hello"}))
            start = time.monotonic()
            i = 0
            try:
                while True:
                    if not killed and time.monotonic() - start > 3.0:
                        daemon.send_signal(signal.SIGKILL)
                        killed = time.time()
                    screen = SCREENS[i % len(SCREENS)]
                    i += 1
                    await ws.send(json.dumps({"type": "navigate", "screen": screen}))
                    await asyncio.sleep(PACE_S)
                    while True:
                        async with asyncio.timeout(5):
                            message = json.loads(await ws.recv())
                        if message.get("type") == "state" and message["screen"]["name"] == screen:
                            seen.append(time.time())
                            break
            except (websockets.ConnectionClosed, OSError, TimeoutError):
                return

    try:
        asyncio.run(run())
    finally:
        daemon.kill()
        daemon.wait(10)
    assert killed and len(seen) > 20, (killed, len(seen))
    before = sum(1 for t in seen if t < killed - LOSS_S)
    stored = _stored_views(tmp_path)
    assert before <= stored <= len(seen), (before, stored, len(seen))


def test_a_clean_stop_loses_nothing(tmp_path: Path) -> None:
    daemon, port = _start(tmp_path)
    try:
        seen = asyncio.run(_drive(port, 2.0))
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    assert len(seen) > 10
    assert _stored_views(tmp_path) == len(seen)
