"""auth.db's writes never hold the event loop: while another connection holds the file's
write lock, a sign-in waits for it on the sign-in's own thread, and the loop goes on serving."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import httpx2 as httpx

from tests.host.associate.rig import PIN, Rig

HELD_S = 1.0  # how long another connection holds auth.db's write lock


async def test_a_sign_in_waits_for_a_locked_auth_db_off_the_event_loop(rig: Rig) -> None:
    holder = sqlite3.connect(rig.folder / "auth.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # a backup, or a technician's sqlite3 shell
    release = threading.Timer(HELD_S, lambda: holder.execute("ROLLBACK"))
    ticked = [time.monotonic()]  # when the loop last ran the ticker
    gaps: list[float] = []

    async def ticks() -> None:
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - ticked[-1])
            ticked.append(now)

    transport = httpx.ASGITransport(app=rig.app)
    origin = "http://mirror.local"
    async with httpx.AsyncClient(transport=transport, base_url=origin) as client:
        ticker = asyncio.create_task(ticks())
        release.start()
        started = ticked[0] = time.monotonic()
        try:
            answer = await client.post(
                "/associate/login", json={"pin": PIN}, headers={"Origin": origin}
            )
        finally:
            ticker.cancel()
            release.join()
            holder.close()
    waited = time.monotonic() - started
    gaps.append(started + waited - ticked[-1])  # since the ticker last ran

    assert answer.status_code == 204, answer.text  # signed in once the lock was let go
    assert waited >= HELD_S * 0.9  # it did wait for the lock ...
    assert max(gaps) < 0.25, f"the event loop stood still for {max(gaps):.2f} s"  # ... not the loop
    assert rig.auth_store.session_count() == 1
