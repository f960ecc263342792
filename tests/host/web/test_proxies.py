"""Behind a reverse proxy: the daemon (real uvicorn) knows a client by the address a trusted
proxy forwards, for the screen's this-machine-only rule and the associate PIN lockout; a
forwarded address from anyone else is ignored."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx2
import pytest
import websockets

from vitrine.config import BoardsConfig, Config, HttpConfig
from vitrine.daemon import Daemon
from vitrine.engine.config import AssociateConfig
from vitrine.tasks import stop_task

PIN = "2468"
PHONE = "192.168.1.23"  # a device on the store's network, seen through the proxy


@contextlib.asynccontextmanager
async def daemon(trusted: list[str]) -> AsyncIterator[int]:
    d = Daemon(
        Config(
            http=HttpConfig(port=0, trusted_proxies=trusted),
            boards=BoardsConfig(discover_usb=False),
            associate=AssociateConfig(pin=PIN),
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


async def test_a_client_through_the_proxy_on_the_mirror_is_not_the_mirror() -> None:
    async with daemon(["127.0.0.1", "::1"]) as port:
        assert await player_state(port, None) == "state"  # the kiosk itself
        refused = await player_state(port, PHONE)
        assert refused in ("refused 403", "closed 4403"), refused


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored() -> None:
    async with daemon([]) as port:
        # nobody is trusted: the header is only a claim, and the peer is this machine
        assert await player_state(port, PHONE) == "state"


async def login(http: httpx2.AsyncClient, pin: str, forwarded_for: str) -> int:
    response = await http.post(
        "/associate/login", json={"pin": pin}, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


@pytest.mark.parametrize("trusted", [True, False])
async def test_the_pin_lockout_counts_per_client_behind_a_trusted_proxy(trusted: bool) -> None:
    async with (
        daemon(["127.0.0.1"] if trusted else []) as port,
        httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http,
    ):
        for _ in range(4):
            assert await login(http, "0000", PHONE) == 401
        assert await login(http, "0000", PHONE) == 429  # the fifth: locked out for a minute
        assert await login(http, PIN, PHONE) == 429  # even with the right PIN
        # another associate's phone through the same proxy: locked out only when the
        # proxy's word is not taken (then every client is the proxy)
        assert await login(http, PIN, "192.168.1.40") == (204 if trusted else 429)
