"""Another process holds events.db's write lock (a backup, an export, `sqlite3` in a shell)
while a shopper touches the glass: the engine waits for the database on its own thread, and
the daemon's event loop keeps carrying touch to the pages and heartbeats to the boards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import websockets

from .conftest import make_rig

pytestmark = pytest.mark.hil

LOCK_S = 3.0
LATENCY_MS = 10.0  # from the report's decoding to the page: the loop is never held up

# Takes the write lock, says so, keeps it LOCK_S, then lets go without writing anything.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
print("released", flush=True)
"""


async def pointer_events(ws: Any, until: float) -> list[tuple[dict[str, Any], float]]:
    """The pointer events the socket delivers before `until` (monotonic seconds), each with
    its latency in ms: when it arrived less when the daemon decoded its report."""
    got = []
    while (left := until - time.monotonic()) > 0:
        try:
            async with asyncio.timeout(left):
                raw = await ws.recv()
        except TimeoutError:
            break
        arrived_ms = time.monotonic() * 1000
        event = json.loads(raw)
        if event.get("type") == "pointer":
            got.append((event, arrived_ms - event["t_ms"]))
    return got


async def stored_phases(path: Path, timeout: float = 5.0) -> list[str]:
    """The phases of the sessions in events.db, once there is one (read by another connection,
    as any reader would)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            phases = [row[0] for row in conn.execute("SELECT phase FROM session")]
        if phases or time.monotonic() > deadline:
            return phases
        await asyncio.sleep(0.05)


async def test_touch_and_links_are_not_held_up_by_a_locked_events_db(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["touch", "lights"]) as rig:
        for role in ("touch", "lights"):
            await rig.wait_board(role, lambda b: b["state"] == "up")
        events_db = rig.daemon.data_dir / "events.db"
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, str(events_db), str(LOCK_S), stdout=subprocess.PIPE
        )
        try:
            assert holder.stdout is not None
            assert await holder.stdout.readline() == b"locked\n"
            locked_until = time.monotonic() + LOCK_S
            url = f"ws://127.0.0.1:{rig.daemon.http_port}/ws"
            async with websockets.connect(url) as ws:
                reader = asyncio.create_task(pointer_events(ws, locked_until - 0.2))
                # A finger lands: the engine starts a session and must write it, and waits for
                # the lock. The finger moves on while it waits.
                for x_mm in range(200, 400, 10):
                    finger = {"x_mm": x_mm, "y_mm": 200}
                    await rig.sim.handle({"op": "fingers", "role": "touch", "fingers": [finger]})
                    await asyncio.sleep(0.05)
                while_locked = await reader
                await rig.sim.handle({"op": "fingers", "role": "touch", "fingers": []})
            assert await holder.stdout.readline() == b"released\n"
        finally:
            if holder.returncode is None:
                holder.kill()
            await holder.wait()
        kinds = [e["kind"] for e, _ in while_locked]
        assert kinds[0] == "down" and kinds.count("move") >= 10, kinds
        worst = max(latency for _, latency in while_locked)
        print(
            f"\n{len(while_locked)} pointer events while events.db was locked: worst {worst:.1f} ms"
        )
        assert worst <= LATENCY_MS, (
            f"a pointer event took {worst:.1f} ms while events.db was locked"
        )
        # The engine caught up once the lock went: the session the finger started is stored.
        assert await stored_phases(events_db) == ["engaged"]
        for role in ("touch", "lights"):
            counters = (await rig.board(role))["counters"]
            assert (counters["link_losses"], counters["heartbeat_timeouts"]) == (0, 0), role
