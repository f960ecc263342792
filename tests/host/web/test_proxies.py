"""Behind a reverse proxy: the daemon (real uvicorn) knows a client by the address a proxy the
operator listed forwards, for the screen's this-machine-only rule; a forwarded address from
anyone else is ignored, and no proxy is believed by default, not even one on the mirror. The
associate PIN's budget is the mirror's, whatever address a client claims."""

from __future__ import annotations

import asyncio
import contextlib
import json
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
PHONE = "192.168.1.23"  # a device on the store's network, seen through the proxy


@contextlib.asynccontextmanager
async def daemon(data: Path, trusted: list[str] | None = None) -> AsyncIterator[int]:
    """The daemon on a free port over the data folder `data`; trusted: [http]
    trusted_proxies (None: the default)."""
    http = HttpConfig(port=0) if trusted is None else HttpConfig(port=0, trusted_proxies=trusted)
    d = Daemon(
        Config(
            http=http,
            boards=BoardsConfig(discover_usb=False),
            associate=AssociateConfig(pin=PIN),
            data=DataConfig(dir=str(data)),
        )
    )
    task = asyncio.create_task(d.run())
    try:
        async with asyncio.timeout(15):
            await d.ready.wait()
        assert d.http_port is not None
        yield d.http_port
    finally:
        await stop_task(task)


async def player_state(port: int, forwarded_for: str | None) -> str:
    """ "state" when the player's socket answers, else how it refused."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    try:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/player/ws", additional_headers=headers
        ) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            async with asyncio.timeout(5):
                return json.loads(await ws.recv())["type"]
    except websockets.InvalidStatus as err:
        return f"refused {err.response.status_code}"
    except websockets.ConnectionClosed as err:
        return f"closed {err.rcvd.code if err.rcvd else None}"


async def test_a_client_through_a_listed_proxy_on_the_mirror_is_not_the_mirror(
    tmp_path: Path,
) -> None:
    async with daemon(tmp_path, ["127.0.0.1", "::1"]) as port:
        assert await player_state(port, None) == "state"  # the kiosk itself
        refused = await player_state(port, PHONE)
        assert refused in ("refused 403", "closed 4403"), refused


@pytest.mark.parametrize("trusted", [None, []], ids=["default", "none"])
async def test_a_forwarded_address_is_ignored_unless_its_proxy_is_listed(
    tmp_path: Path, trusted: list[str] | None
) -> None:
    """By default no proxy is listed: a local program's X-Forwarded-For is only a claim."""
    assert HttpConfig().trusted_proxies == []
    async with daemon(tmp_path, trusted) as port:
        assert await player_state(port, PHONE) == "state"


async def login(http: httpx2.AsyncClient, pin: str, forwarded_for: str) -> int:
    response = await http.post(
        "/associate/login", json={"pin": pin}, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


@pytest.mark.parametrize("trusted", [True, False])
async def test_rotating_the_forwarded_address_does_not_escape_the_pin_budget(
    tmp_path: Path, trusted: bool
) -> None:
    """Loopback was a trusted proxy by default, and the lockout was per address: a new
    X-Forwarded-For at every try found a 4-digit PIN in 2,469 tries. Now five wrong PINs
    pause PIN sign-in for every device, whoever a proxy says they are."""
    async with (
        daemon(tmp_path, ["127.0.0.1"] if trusted else None) as port,
        httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http,
    ):
        for n in range(4):
            assert await login(http, f"{n:06d}", f"192.168.1.{n + 1}") == 401
        assert await login(http, "000009", "192.168.1.9") == 429  # the fifth: a pause
        assert await login(http, PIN, "192.168.1.40") == 429  # another phone, right PIN
        status = (await http.get("/api/status")).json()["associate"]
        assert status["pin_sign_in"] == "paused"
        assert 25 <= status["paused_for_s"] <= 30
        assert status["wrong_pins"] == 5
