"""Hostile clients against the real daemon (uvicorn on a free port, real sockets): a sign-out
and a daemon restart over the same files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
import websockets

from vitrine.config import BoardsConfig, Config, DataConfig, HttpConfig
from vitrine.daemon import Daemon
from vitrine.engine.config import AssociateConfig
from vitrine.tasks import stop_task

PIN = "246810"
COOKIE = "vitrine_associate"


@contextlib.asynccontextmanager
async def daemon(data: Path) -> AsyncIterator[Daemon]:
    """The daemon on a free port over the data folder `data`."""
    d = Daemon(
        Config(
            http=HttpConfig(port=0),
            boards=BoardsConfig(discover_usb=False),
            associate=AssociateConfig(pin=PIN),
            data=DataConfig(dir=str(data)),
        )
    )
    task = asyncio.create_task(d.run())
    try:
        async with asyncio.timeout(15):
            await d.ready.wait()
        yield d
    finally:
        await stop_task(task)


def base(d: Daemon) -> str:
    return f"http://127.0.0.1:{d.http_port}"


# --- item 3: sign-out and a restart ----------------------------------------------------------


async def test_a_sign_out_holds_across_a_restart_of_the_daemon(tmp_path: Path) -> None:
    """Revoked sessions lived in memory only: after a sign-out and a restart the same cookie
    read the queue again."""
    cookies = {}
    async with daemon(tmp_path) as d, httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
        for name in ("out", "kept"):
            login = await http.post("/associate/login", json={"pin": PIN})
            assert login.status_code == 204
            cookies[name] = login.cookies[COOKIE]
            http.cookies.clear()
        signed_out = {"Cookie": f"{COOKIE}={cookies['out']}"}
        assert (await http.post("/associate/logout", headers=signed_out)).status_code == 204
        assert (await http.get("/associate/api/requests", headers=signed_out)).status_code == 401
    # the same files, a new process's worth of state
    async with daemon(tmp_path) as d, httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
        for name, status in (("out", 401), ("kept", 200)):
            headers = {"Cookie": f"{COOKIE}={cookies[name]}"}
            answer = await http.get("/associate/api/requests", headers=headers)
            assert answer.status_code == status, name
        async with websockets.connect(
            f"ws://127.0.0.1:{d.http_port}/associate/ws",
            additional_headers={"Cookie": f"{COOKIE}={cookies['out']}"},
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
