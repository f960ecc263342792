"""Serial ports opened by URL: loop://, device paths (pseudo-terminals), socket://."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import socket
import tty
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.host.recorder import Recorder
from vitrine.link.errors import LinkError, PortError
from vitrine.link.ports import _reason, open_port


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """(master fd, slave path) of a raw pseudo-terminal; the slave side is the 'port'."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    os.close(slave)  # the port opens it by path, as a daemon opens /dev/ttyACM0
    yield master, path
    os.close(master)


async def read_master(master: int, n: int, timeout: float = 2.0) -> bytes:
    out = b""
    async with asyncio.timeout(timeout):
        while len(out) < n:
            try:
                out += os.read(master, n - len(out))
            except BlockingIOError:
                await asyncio.sleep(0.005)
    return out


async def test_loop_url_echoes_through_the_protocol() -> None:
    proto = Recorder()
    transport = await open_port("loop://", lambda: proto)
    try:
        async with asyncio.timeout(1):
            await proto.made.wait()
        transport.write(b"\x00hello\x00")
        transport.write(bytes(range(1, 256)))
        got = await proto.wait_for(7 + 255)
        assert got == b"\x00hello\x00" + bytes(range(1, 256))
        assert not transport.is_closing()
    finally:
        transport.close()
    assert transport.is_closing()
    async with asyncio.timeout(1):
        await proto.lost.wait()
    assert proto.lost_with is None
    transport.write(b"after close")  # ignored, no error
    await asyncio.sleep(0.1)
    assert bytes(proto.data).endswith(bytes(range(1, 256)))


async def test_missing_device_path_is_not_present(tmp_path) -> None:
    url = str(tmp_path / "ttyACM9")
    with pytest.raises(PortError) as info:
        await open_port(url, Recorder)
    err = info.value
    assert isinstance(err, LinkError)
    assert err.url == url
    assert err.reason.startswith("not present")
    assert str(err) == f"port {url}: {err.reason}"


async def test_pty_path_exchanges_bytes(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    os.set_blocking(master, False)
    proto = Recorder()
    transport = await open_port(path, lambda: proto)
    try:
        os.write(master, b"\x00from board\x00")
        assert await proto.wait_for(12) == b"\x00from board\x00"
        transport.write(b"\x00from host\x00")
        assert await read_master(master, 11) == b"\x00from host\x00"
    finally:
        transport.close()


async def test_pty_opened_twice_is_busy(pty_pair: tuple[int, str]) -> None:
    _, path = pty_pair
    proto = Recorder()
    first = await open_port(path, lambda: proto)
    try:
        with pytest.raises(PortError) as info:
            await open_port(path, Recorder)
        assert info.value.reason.startswith("busy")
        assert path in str(info.value)
    finally:
        first.close()
    async with asyncio.timeout(1):
        await proto.lost.wait()
    second = await open_port(path, Recorder)  # free again once the first has closed
    second.close()


@pytest.fixture
async def echo_server() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A TCP peer that records what arrives and answers each chunk with b'<' + chunk."""
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x00hi from board\x00")
        while data := await reader.read(4096):
            received.append(data)
            writer.write(b"<" + data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"socket://127.0.0.1:{port}", received


async def test_socket_url_exchanges_bytes(echo_server: tuple[str, list[bytes]]) -> None:
    url, received = echo_server
    proto = Recorder()
    transport = await open_port(url, lambda: proto)
    try:
        greeting = b"\x00hi from board\x00"
        assert await proto.wait_for(len(greeting)) == greeting
        transport.write(b"ping")
        assert await proto.wait_for(len(greeting) + 5) == greeting + b"<ping"
        assert b"".join(received) == b"ping"
    finally:
        transport.close()
    async with asyncio.timeout(1):
        await proto.lost.wait()


async def test_socket_url_with_nobody_listening_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"socket://127.0.0.1:{port}"
    with pytest.raises(PortError) as info:
        await open_port(url, Recorder)
    assert info.value.reason == "connection refused"


async def test_unknown_url_scheme_is_a_port_error() -> None:
    with pytest.raises(PortError) as info:
        await open_port("bogus://x", Recorder)
    assert "bogus" in info.value.reason


@pytest.mark.parametrize(
    ("err", "start"),
    [
        (OSError(13, "Permission denied: '/dev/ttyACM0'"), "permission denied"),
        (ConnectionRefusedError(111, "Connect call failed"), "connection refused"),
        (OSError("[Errno 111] Connection refused"), "connection refused"),
        (OSError("Could not exclusively lock port /dev/ttyACM0"), "busy"),
        (OSError("No such file or directory"), "not present"),
        (ValueError(), "ValueError"),
        (OSError("something odd"), "something odd"),
    ],
)
def test_reasons_say_what_to_do(err: BaseException, start: str) -> None:
    assert _reason(err).startswith(start)


async def test_thread_transport_reports_a_failing_port() -> None:
    proto = Recorder()
    transport = await open_port("loop://", lambda: proto)
    async with asyncio.timeout(1):
        await proto.made.wait()
    port = transport.serial  # type: ignore[attr-defined]

    def broken(*args: object) -> bytes:
        raise OSError("device reports readiness to read but returned no data")

    port.read = broken
    async with asyncio.timeout(2):
        await proto.lost.wait()
    assert isinstance(proto.lost_with, OSError)
    assert transport.is_closing()
    with contextlib.suppress(Exception):
        transport.close()
