"""Hostile clients against the real daemon (uvicorn on a free port, real sockets): pages of
other origins on the sockets, a sign-out and a daemon restart, a header sent a byte at a time,
connections held open to fill the server, a 10 MB message and a flood on /ws. What uvicorn
does (timeouts, limits, frame sizes) shows only here, not through the in-process test client
of test_hostile_input.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
import websockets

from vitrine.config import BoardsConfig, Config, DataConfig, HttpConfig
from vitrine.daemon import Daemon
from vitrine.engine.config import AssociateConfig
from vitrine.tasks import stop_task
from vitrine.web.app import RATE_PER_S

PIN = "246810"
COOKIE = "vitrine_associate"
REQUEST_TIMEOUT_S = 2.0  # [http] request_timeout_s here (10 by default), to keep tests short


@contextlib.asynccontextmanager
async def daemon(data: Path, **http: object) -> AsyncIterator[Daemon]:
    """The daemon on a free port over the data folder `data`, with these [http] keys."""
    d = Daemon(
        Config(
            http=HttpConfig(port=0, request_timeout_s=REQUEST_TIMEOUT_S, **http),  # type: ignore[arg-type]
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


async def socket_answer(url: str, origin: str | None, send: dict | None = None) -> str:
    """The first message's type on a socket, or how it was refused."""
    try:
        async with websockets.connect(url, origin=origin) as ws:  # type: ignore[arg-type]
            if send is not None:
                await ws.send(json.dumps(send))
            async with asyncio.timeout(5):
                return json.loads(await ws.recv())["type"]
    except websockets.InvalidStatus as err:
        return f"refused {err.response.status_code}"
    except websockets.ConnectionClosed as err:
        return f"closed {err.rcvd.code if err.rcvd else None}"


# --- item 2: pages of other origins --------------------------------------------------------


async def test_a_page_of_another_origin_cannot_open_the_players_socket(tmp_path: Path) -> None:
    """A page from http://localhost:8099 opened /player/ws and created a help request; a
    client with Origin: http://evil.example read the session. The kiosk's own origin (what
    the kiosk unit opens, http://127.0.0.1:PORT) still gets in, and so does a program (no
    Origin)."""
    async with daemon(tmp_path) as d:
        url = f"ws://127.0.0.1:{d.http_port}/player/ws"
        for origin in (
            "http://evil.example",
            "http://localhost:8099",
            f"http://localhost:{d.http_port}",  # another name of the mirror: not configured
            f"https://127.0.0.1:{d.http_port}",
            "null",
        ):
            assert await socket_answer(url, origin, {"type": "hello"}) == "refused 403", origin
        assert await socket_answer(url, base(d), {"type": "hello"}) == "state"
        assert await socket_answer(url, None, {"type": "hello"}) == "state"
        assert await d.engine.requests() == []


async def test_another_name_of_the_mirror_is_allowed_once_configured(tmp_path: Path) -> None:
    async with daemon(tmp_path, origins=["http://localhost:8080"]) as d:
        url = f"ws://127.0.0.1:{d.http_port}/player/ws"
        assert await socket_answer(url, "http://localhost:8080", {"type": "hello"}) == "state"
        assert await socket_answer(url, "http://localhost:8099", None) == "refused 403"


async def test_a_page_of_another_origin_cannot_open_the_event_socket(tmp_path: Path) -> None:
    """On /ws a calibration message with attacker text blacked out the player."""
    async with daemon(tmp_path) as d:
        url = f"ws://127.0.0.1:{d.http_port}/ws"
        assert await socket_answer(url, "http://evil.example") == "refused 403"
        target = {"type": "calibration", "step": 1, "of": 4, "x": 1, "y": 1, "text": "pwned"}
        # a program on the mirror, but not the calibration tool: refused, nothing drawn
        answer = await socket_answer(url, None, target)
        assert answer == "error"


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


# --- item 6: limits on the HTTP side ---------------------------------------------------------


async def open_raw(d: Daemon) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", d.http_port)


async def closed_after(reader: asyncio.StreamReader, limit_s: float) -> float | None:
    """Seconds until the server closed the connection (None: still open after limit_s)."""
    start = time.monotonic()
    try:
        async with asyncio.timeout(limit_s):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return None
    return time.monotonic() - start


async def test_a_half_sent_header_is_closed_within_the_request_timeout(tmp_path: Path) -> None:
    """A half-sent header was still open after 30 s."""
    async with daemon(tmp_path) as d:
        reader, writer = await open_raw(d)
        writer.write(b"GET /api/status HTTP/1.1\r\nHost: mirror\r\nX-Slow: ")
        await writer.drain()
        took = await closed_after(reader, REQUEST_TIMEOUT_S + 3)
        assert took is not None and took <= REQUEST_TIMEOUT_S + 1, took
        writer.close()


async def test_a_header_sent_a_byte_at_a_time_is_closed_too(tmp_path: Path) -> None:
    """Every byte in time, the whole too late: the deadline is for the whole request."""
    async with daemon(tmp_path) as d:
        reader, writer = await open_raw(d)
        writer.write(b"GET /api/status HTTP/1.1\r\nHost: mirror\r\nX-Pad: ")
        start = time.monotonic()
        with contextlib.suppress(ConnectionError):
            while not reader.at_eof() and time.monotonic() - start < REQUEST_TIMEOUT_S + 3:
                writer.write(b"a")
                await writer.drain()
                await asyncio.sleep(0.2)
        assert reader.at_eof()
        assert time.monotonic() - start <= REQUEST_TIMEOUT_S + 1
        writer.close()


async def test_a_body_that_never_finishes_is_closed_and_a_good_request_is_answered(
    tmp_path: Path,
) -> None:
    async with daemon(tmp_path) as d:
        reader, writer = await open_raw(d)
        writer.write(
            b"POST /associate/login HTTP/1.1\r\nHost: mirror\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"pin": '
        )
        await writer.drain()
        took = await closed_after(reader, REQUEST_TIMEOUT_S + 3)
        assert took is not None and took <= REQUEST_TIMEOUT_S + 1, took
        writer.close()
        async with httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
            assert (await http.get("/api/status")).status_code == 200


async def test_an_idle_kept_alive_connection_is_closed_after_keep_alive_s(tmp_path: Path) -> None:
    async with daemon(tmp_path, keep_alive_s=1.0) as d:
        reader, writer = await open_raw(d)
        writer.write(b"GET /api/status HTTP/1.1\r\nHost: mirror\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        took = await closed_after(reader, 4)
        assert took is not None and took <= 2.0, took
        writer.close()


async def test_connections_held_open_fill_the_server_only_until_they_time_out(
    tmp_path: Path,
) -> None:
    """max_connections half-sent requests: the next request is answered 503 (and a socket
    too), not queued forever; once the request timeout closes them, service is back."""
    limit = 8
    async with daemon(tmp_path, max_connections=limit) as d:
        held = []
        for _ in range(limit):
            reader, writer = await open_raw(d)
            writer.write(b"GET / HTTP/1.1\r\nHost: mirror\r\n")
            await writer.drain()
            held.append((reader, writer))
        await asyncio.sleep(0.2)
        async with httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
            assert (await http.get("/api/status")).status_code == 503
            url = f"ws://127.0.0.1:{d.http_port}/player/ws"
            assert await socket_answer(url, None) == "refused 503"
            await asyncio.sleep(REQUEST_TIMEOUT_S + 0.5)
            for reader, _ in held:
                assert reader.at_eof() or await closed_after(reader, 1.0) is not None
            assert (await http.get("/api/status")).status_code == 200
        for _, writer in held:
            writer.close()


async def hold(d: Daemon, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """`count` connections, each with a request head half sent (a place held under the
    limits until the request timeout)."""
    held = []
    for _ in range(count):
        reader, writer = await open_raw(d)
        writer.write(b"GET / HTTP/1.1\r\nHost: mirror\r\n")
        await writer.drain()
        held.append((reader, writer))
    await asyncio.sleep(0.2)
    return held


async def test_one_address_cannot_take_every_connection(tmp_path: Path) -> None:
    """A client held max_connections open and locked everyone else out; now it gets
    max_connections_per_client, and its requests and sockets beyond them are answered 503
    (the server's other places stay free), until it lets some go."""
    async with daemon(tmp_path, max_connections=16, max_connections_per_client=4) as d:
        held = await hold(d, 4)
        async with httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
            answer = await http.get("/api/status")
            assert answer.status_code == 503, answer.text
            url = f"ws://127.0.0.1:{d.http_port}/player/ws"
            assert await socket_answer(url, None) == "refused 503"
        for _, writer in held[:2]:
            writer.close()
        await asyncio.sleep(0.2)
        async with httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
            assert (await http.get("/api/status")).status_code == 200
        for _, writer in held[2:]:
            writer.close()


async def test_a_trusted_proxys_connections_are_not_limited_per_address(tmp_path: Path) -> None:
    """A reverse proxy on the mirror speaks for many clients: its connections count only
    towards max_connections."""
    async with daemon(
        tmp_path, max_connections=16, max_connections_per_client=4, trusted_proxies=["127.0.0.1"]
    ) as d:
        held = await hold(d, 6)
        async with httpx2.AsyncClient(base_url=base(d), timeout=5) as http:
            assert (await http.get("/api/status")).status_code == 200
        for _, writer in held:
            writer.close()


async def test_a_10_mb_message_on_the_event_socket_closes_it(tmp_path: Path) -> None:
    """/ws accepted a 10 MB message."""
    async with daemon(tmp_path) as d:
        url = f"ws://127.0.0.1:{d.http_port}/ws"
        async with websockets.connect(url, max_size=None) as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send("x" * (10 * 1024 * 1024))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_flood_on_the_event_socket_is_answered_at_its_rate(tmp_path: Path) -> None:
    """/ws answered 41,000 messages in 5 s."""
    async with daemon(tmp_path) as d:
        url = f"ws://127.0.0.1:{d.http_port}/ws"
        async with websockets.connect(url) as ws:
            for _ in range(5000):
                await ws.send("ping")
            answers = []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    while True:
                        answers.append(json.loads(await ws.recv()))
        errors = [a for a in answers if a.get("code") != "rate_limited"]
        told = [a for a in answers if a.get("code") == "rate_limited"]
        assert len(errors) <= 4 * RATE_PER_S, len(errors)
        assert 1 <= len(told) <= 4, len(told)
