"""The virtual board's cable: a pseudo-terminal behind a stable path, unplugged and replugged."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tty
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from vitrine.sim import cable as cable_module
from vitrine.sim.cable import PtyCable

from ..recorder import Recorder


@pytest.fixture
async def cable(tmp_path: Path) -> AsyncIterator[PtyCable]:
    c = PtyCable(tmp_path / "touch")
    yield c
    c.close()


@contextlib.contextmanager
def host_port(path: Path) -> Iterator[int]:
    """Open the stable path as the host does: read/write, not our controlling tty, raw."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        tty.setraw(fd)
        yield fd
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


async def read_exactly(fd: int, n: int, timeout: float = 2.0) -> bytes:
    out = bytearray()
    async with asyncio.timeout(timeout):
        while len(out) < n:
            try:
                out += os.read(fd, n - len(out))
            except BlockingIOError:
                await asyncio.sleep(0.002)
    return bytes(out)


async def nothing_to_read(fd: int) -> bool:
    await asyncio.sleep(0.05)
    try:
        return os.read(fd, 100) == b""
    except BlockingIOError:
        return True


async def test_plug_makes_the_stable_path_point_at_a_tty(cable: PtyCable) -> None:
    assert not cable.plugged
    assert not cable.link_path.exists()
    cable.plug()
    assert cable.plugged
    assert cable.link_path.is_symlink()
    assert cable.tty_path is not None
    assert os.readlink(cable.link_path) == cable.tty_path
    fd = os.open(cable.link_path, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
    finally:
        os.close(fd)


async def test_board_output_reaches_the_host(cable: PtyCable) -> None:
    cable.plug()
    with host_port(cable.link_path) as fd:
        frame = b"\x00" + bytes(range(1, 256)) + b"\n\r\x03\x04\x00"  # no line discipline
        cable.to_host(frame)
        assert await read_exactly(fd, len(frame)) == frame
        assert cable.to_host_bytes == len(frame)
        assert cable.dropped_bytes == 0


async def test_host_output_reaches_the_board(cable: PtyCable) -> None:
    received = Recorder()
    cable.on_host_data = received.data_received
    cable.plug()
    with host_port(cable.link_path) as fd:
        sent = b"\x00\x03hello\r\n\x00"
        os.write(fd, sent)
        assert await received.wait_for(len(sent)) == sent
        assert cable.from_host_bytes == len(sent)
        assert await nothing_to_read(fd)  # raw: nothing echoed back


async def test_unplug_removes_the_path_and_fails_the_open_port(cable: PtyCable) -> None:
    cable.plug()
    with host_port(cable.link_path) as fd:
        cable.unplug()
        assert not cable.plugged
        assert cable.tty_path is None
        assert not cable.link_path.exists()
        assert not cable.link_path.is_symlink()
        try:
            data = os.read(fd, 10)
        except OSError as err:
            assert err.errno == errno.EIO
        else:
            assert data == b""


async def test_to_host_while_unplugged_is_dropped_and_counted(cable: PtyCable) -> None:
    cable.to_host(b"12345")
    assert cable.dropped_bytes == 5
    cable.plug()
    cable.unplug()
    cable.to_host(b"678")
    assert cable.dropped_bytes == 8
    assert cable.to_host_bytes == 0


async def test_replug_gives_a_working_tty_behind_the_same_path(cable: PtyCable) -> None:
    received = Recorder()
    cable.on_host_data = received.data_received
    cable.plug()
    with host_port(cable.link_path) as fd:
        cable.to_host(b"one")
        assert await read_exactly(fd, 3) == b"one"
    cable.unplug()
    cable.plug()
    assert cable.link_path.is_symlink()
    assert os.readlink(cable.link_path) == cable.tty_path
    with host_port(cable.link_path) as fd:
        cable.to_host(b"two")
        assert await read_exactly(fd, 3) == b"two"
        os.write(fd, b"back")
        assert await received.wait_for(4) == b"back"
    assert cable.to_host_bytes == 6


async def test_plug_twice_and_unplug_twice_are_refused(cable: PtyCable) -> None:
    with pytest.raises(RuntimeError, match="not plugged in"):
        cable.unplug()
    cable.plug()
    with pytest.raises(RuntimeError, match="already plugged in"):
        cable.plug()
    assert cable.plugged
    cable.unplug()
    with pytest.raises(RuntimeError, match="not plugged in"):
        cable.unplug()


async def test_plug_replaces_a_stale_path(cable: PtyCable) -> None:
    cable.link_path.symlink_to("/dev/null")  # left behind by a simulation that was killed
    cable.plug()
    assert os.readlink(cable.link_path) == cable.tty_path


async def test_close_unplugs_and_is_idempotent(cable: PtyCable) -> None:
    cable.plug()
    cable.close()
    assert not cable.plugged
    assert not cable.link_path.exists()
    cable.close()


async def test_output_larger_than_the_pty_buffer_arrives_in_order(cable: PtyCable) -> None:
    cable.plug()
    data = bytes(i % 251 + 1 for i in range(200_000))  # far more than a pty holds
    with host_port(cable.link_path) as fd:
        cable.to_host(data[:150_000])
        cable.to_host(data[150_000:])
        assert await read_exactly(fd, len(data), timeout=5) == data
    assert cable.to_host_bytes == len(data)
    assert cable.dropped_bytes == 0


async def test_a_host_that_does_not_read_loses_output_beyond_the_queue(
    cable: PtyCable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cable_module, "MAX_QUEUE", 64 * 1024)
    cable.plug()
    with host_port(cable.link_path) as fd:
        accepted = bytearray()
        chunk = 0
        while cable.dropped_bytes == 0:  # fill the pty, then the queue, until output is lost
            chunk += 1
            assert chunk < 1000, "the cable never dropped anything"
            data = bytes([chunk % 255 + 1]) * 16384
            cable.to_host(data)
            if cable.dropped_bytes == 0:
                accepted += data
        assert cable.dropped_bytes == 16384  # a chunk that does not fit is dropped whole
        got = await read_exactly(fd, len(accepted), timeout=5)
        assert got == accepted  # everything queued arrives, in order
        assert await nothing_to_read(fd)
        cable.to_host(b"again")  # room again once the host has read
        assert await read_exactly(fd, 5) == b"again"
    assert cable.to_host_bytes == len(accepted) + 5
