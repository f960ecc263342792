"""The daemon's console socket (vitrine.console.proxy) and `vitrine console` on it
(vitrine.console.remote), against the real firmware in this process: a link the "daemon" runs,
the socket in a folder of the test's own. Who may use it, what it relays, what it refuses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from vitrine.bus import EventBus
from vitrine.capture.format import load_capture
from vitrine.console import relay
from vitrine.console.errors import ConsoleRefused, ConsoleUnavailable, NotHeld
from vitrine.console.proxy import ConsoleProxy, ProxyError, allowed_peer
from vitrine.console.record import record_capture
from vitrine.console.remote import RemoteConsole, might_be_there, through_daemon
from vitrine.console.session import Waits
from vitrine.link import messages as m
from vitrine.link.board import LinkSettings
from vitrine.link.boards import BoardPorts, Boards
from vitrine.tasks import stop_task
from vitrine_fw import wire
from vitrine_fw.touch.scan import START_SCANS

from .conftest import BoardFactory

QUICK = LinkSettings(hello_interval_s=0.05, handshake_patience_s=0.5)


async def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def daemon(url: str, socket_path: Path) -> AsyncIterator[ConsoleProxy]:
    """The daemon's parts that matter here: its links (one, to url) and its console socket."""
    bus = EventBus()
    boards = Boards(bus, QUICK, BoardPorts(extra=[url]))
    proxy = ConsoleProxy(boards, bus, socket_path)
    tasks = [asyncio.create_task(boards.run()), asyncio.create_task(proxy.run())]
    try:
        await wait_for(lambda: bool(boards.links) and all(lk.is_up for lk in boards.links.values()))
        await wait_for(lambda: os.path.exists(socket_path))
        yield proxy
    finally:
        for task in tasks:
            await stop_task(task)


@pytest.fixture
def socket_path(tmp_path: Path) -> Path:
    return tmp_path / "run" / "console.sock"


# --- who may use it ---------------------------------------------------------------------------


def person(name: str, gid: int) -> SimpleNamespace:
    return SimpleNamespace(pw_name=name, pw_gid=gid)


USERS = {1001: person("tech", 1001), 1002: person("guest", 1002), 1003: person("svc", 900)}
GROUPS = {900: SimpleNamespace(gr_mem=["tech"])}  # the daemon's group lists tech


@pytest.mark.parametrize(
    ("uid", "allowed"),
    [
        (0, True),  # root
        (900, True),  # the daemon's own user
        (1001, True),  # a member of the daemon's group
        (1003, True),  # a user whose primary group is the daemon's
        (1002, False),  # anyone else
        (4242, False),  # no such user
    ],
)
def test_only_root_the_daemons_user_and_its_group_may_use_the_console(
    uid: int, allowed: bool
) -> None:
    def user_of(n: int) -> SimpleNamespace:
        return USERS[n]

    def group_of(n: int) -> SimpleNamespace:
        return GROUPS[n]

    assert allowed_peer(uid, 900, 900, user_of, group_of) is allowed


async def test_the_socket_is_for_the_daemons_user_and_group_only(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        assert stat.S_IMODE(os.stat(socket_path).st_mode) == 0o660
        assert stat.S_IMODE(os.stat(socket_path.parent).st_mode) & 0o007 == 0
    assert not await asyncio.to_thread(socket_path.exists)  # removed when the daemon stops


async def test_a_user_who_may_not_is_refused_and_counted(
    board_factory: BoardFactory, socket_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vitrine.console.proxy.allowed_peer", lambda uid: False)
    async with board_factory("touch") as board, daemon(board.url, socket_path) as proxy:
        with pytest.raises(ConsoleUnavailable, match=r"this user \(uid \d+\) may not use"):
            await RemoteConsole(socket_path, board.url).connect(2)
        assert proxy.refused_peers == 1


# --- what it relays -----------------------------------------------------------------------------


async def test_a_console_through_the_daemon_answers_as_on_the_port(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path) as proxy:
        remote = RemoteConsole(socket_path, board.url)
        hello = await remote.connect(2)
        try:
            with remote.bus.subscribe(m.Heartbeat) as beats:
                answer = await remote.run("beams x+0")  # an answer in many parts
                expected = board.sup.console.answer.decode()
                heartbeat = await beats.next(m.Heartbeat, 3)  # relayed as the board sent it
            confirm = await remote.run("calibrate")
            with pytest.raises(ConsoleRefused) as refused:
                await remote.run("prox")
            link = proxy.find(board.url)
            assert link is not None
            assert remote.link.snapshot()["state"] == "up"
        finally:
            await remote.close()
    assert (hello.role, remote.role, remote.url) == ("touch", "touch", board.url)
    assert hello.capabilities & wire.CAP_CONSOLE
    assert answer.text == expected
    assert len(expected.encode()) > 10 * wire.CONSOLE_PART
    assert heartbeat.board == "touch" and heartbeat.uptime_ms > 0
    assert confirm.status == wire.CONSOLE_CONFIRM  # confirmations are the board's, as ever
    assert refused.value.detail == "no proximity sensor on this board (role touch)"
    assert link.counters.link_losses == 0


async def test_a_capture_records_through_the_daemon(
    board_factory: BoardFactory, socket_path: Path, tmp_path: Path
) -> None:
    # `beams --record` needs the board's TOUCH_RAW frames, which the daemon relays
    path = tmp_path / "c.jsonl"
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        remote = RemoteConsole(socket_path, board.url)
        await remote.connect(2)
        try:
            written = await record_capture(remote, path, 3)
        finally:
            await remote.close()
    assert written == START_SCANS + 3
    assert len(load_capture(path).scans) == START_SCANS + 3


async def test_repl_is_refused_through_the_daemon(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        remote = RemoteConsole(socket_path, board.url)
        await remote.connect(2)
        try:
            for line in ("repl", "repl --yes", "--yes repl"):
                with pytest.raises(ConsoleRefused, match="not through the daemon"):
                    await remote.run(line)
        finally:
            await remote.close()
        assert board.exits == []  # the board never left its firmware


async def test_a_board_the_daemon_does_not_have_is_not_held(
    board_factory: BoardFactory, socket_path: Path, tmp_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        with pytest.raises(NotHeld, match=r"the daemon has no board on /dev/ttyACM9; its boards: "):
            await RemoteConsole(socket_path, "/dev/ttyACM9").connect(2)
        # through_daemon goes on to the next socket, and says why each could not serve it
        remote, problems = await through_daemon(
            "/dev/ttyACM9", [tmp_path / "none.sock", socket_path], Waits(), 2
        )
        assert remote is None
        assert len(problems) == 1 and "no board on /dev/ttyACM9" in problems[0]
        remote, _ = await through_daemon("touch", [socket_path], Waits(), 2)  # by its name
        assert remote is not None
        assert remote.url == board.url
        await remote.close()


async def test_bad_requests_are_answered_and_the_session_ends(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path) as proxy:
        for request, problem in (
            (b"not json\n", "bad request"),
            (relay.encode({"op": "run", "line": "status"}), "the first request must open"),
            (relay.encode({"op": "open", "board": board.url, "connect_s": 99}), "connect_s=99"),
        ):
            reader, writer = await asyncio.open_unix_connection(str(socket_path))
            writer.write(request)
            reply = relay.decode(await reader.readline())
            assert problem in reply["error"]["message"], reply
            assert await reader.readline() == b""  # and it closed the session
            writer.close()
        # Once open, a request with a wait out of range is answered, and the session goes on.
        reader, writer = await asyncio.open_unix_connection(str(socket_path))
        writer.write(relay.encode({"op": "open", "board": board.url}))
        assert "opened" in relay.decode(await reader.readline())
        writer.write(relay.encode({"op": "run", "id": 7, "line": "version", "busy_wait_s": 1e9}))
        writer.write(relay.encode({"op": "run", "id": 8, "line": "version"}))
        replies = {}
        while len(replies) < 2:
            reply = relay.decode(await reader.readline())
            if "id" in reply:
                replies[reply["id"]] = reply
        assert "busy_wait_s=1000000000.0: allowed 0..60 seconds" in replies[7]["error"]["message"]
        assert replies[8]["answer"]["status"] == wire.CONSOLE_OK
        writer.close()
        await asyncio.sleep(0.1)
        assert proxy.sessions == 0


async def test_a_console_that_goes_away_mid_command_leaves_the_daemon_serving(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path) as proxy:
        remote = RemoteConsole(socket_path, board.url)
        await remote.connect(2)
        pending = asyncio.create_task(remote.run("beams"))
        await asyncio.sleep(0)
        await remote.close()
        with pytest.raises(ConsoleUnavailable):
            await pending
        again = RemoteConsole(socket_path, board.url)
        await again.connect(2)
        assert (await again.run("version")).succeeded
        await again.close()
        await asyncio.sleep(0.1)
        assert proxy.sessions == 0


# --- where it is served -----------------------------------------------------------------------


async def test_a_second_daemon_does_not_take_the_socket_of_a_first(
    board_factory: BoardFactory, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        second = ConsoleProxy(Boards(EventBus(), QUICK), EventBus(), socket_path)
        with pytest.raises(ProxyError, match=f"another daemon serves its console at {socket_path}"):
            await second._listen()
        remote = RemoteConsole(socket_path, board.url)
        await remote.connect(2)  # the first one still serves it
        await remote.close()


async def test_a_socket_left_by_a_daemon_that_died_is_replaced(
    board_factory: BoardFactory, socket_path: Path
) -> None:
    os.mkdir(socket_path.parent, 0o700)
    os.close(os.open(socket_path, os.O_CREAT | os.O_WRONLY))  # a killed daemon's: nobody listens
    async with board_factory("touch") as board, daemon(board.url, socket_path):
        remote = RemoteConsole(socket_path, board.url)
        await remote.connect(2)
        await remote.close()


async def test_a_folder_anyone_may_write_in_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    proxy = ConsoleProxy(Boards(EventBus(), QUICK), EventBus(), folder / "console.sock")
    with pytest.raises(ProxyError, match="anyone may write in it"):
        await proxy._listen()


def test_a_socket_in_a_folder_closed_to_this_user_is_still_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A technician outside the daemon's group cannot even stat /run/vitrine/console.sock; the
    # console must try it all the same, so that connecting says who may use it.
    closed = tmp_path / "closed" / "console.sock"

    def denied(self: Path, **kwargs: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", str(self))

    assert not might_be_there(closed)  # nothing there
    monkeypatch.setattr(Path, "stat", denied)
    assert might_be_there(closed)
