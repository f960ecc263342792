"""What the daemon tells systemd: READY once ready, STATUS changes, WATCHDOG only while
healthy, STOPPING when it stops; against a real notification socket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time

import pytest

from vitrine.service.lifecycle import first_stopped, status_line, tell_service_manager

from .conftest import Listener


async def receive(listener: Listener, timeout: float = 2.0) -> dict[str, str]:
    return await asyncio.to_thread(listener.receive, timeout)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_ready_then_status_changes_then_stopping(path_listener: Listener) -> None:
    ready = asyncio.Event()
    status = ["0/2 boards up (touch connecting, lights connecting)"]
    environ = {"NOTIFY_SOCKET": path_listener.address}
    task = asyncio.create_task(
        tell_service_manager(ready, lambda: status[0], environ=environ, status_every_s=0.01)
    )
    await asyncio.sleep(0.1)
    assert path_listener.pending() == []  # nothing before the daemon is ready

    ready.set()
    assert await receive(path_listener) == {"READY": "1", "STATUS": status[0]}
    status[0] = "2/2 boards up"
    assert await receive(path_listener) == {"STATUS": "2/2 boards up"}
    await asyncio.sleep(0.1)
    assert path_listener.pending() == []  # an unchanged status is not sent again

    await stop(task)
    assert await receive(path_listener) == {"STOPPING": "1", "STATUS": "stopping"}


async def test_watchdog_pings_every_half_period_and_stop_while_a_problem_lasts(
    path_listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    ready = asyncio.Event()
    ready.set()
    problem: list[str | None] = [None]
    environ = {"NOTIFY_SOCKET": path_listener.address, "WATCHDOG_USEC": "200000"}  # ping 0.1 s
    task = asyncio.create_task(
        tell_service_manager(ready, lambda: "up", lambda: problem[0], environ=environ)
    )
    assert (await receive(path_listener))["READY"] == "1"
    stamps = []
    for _ in range(4):
        assert await receive(path_listener) == {"WATCHDOG": "1"}
        stamps.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(0.07 < gap < 0.2 for gap in gaps), gaps

    problem[0] = "task touch ended: RuntimeError('boom')"
    with caplog.at_level(logging.ERROR, "vitrine.service"):
        await asyncio.sleep(0.35)
        path_listener.pending()  # at most the ping already under way
        await asyncio.sleep(0.35)
    assert path_listener.pending() == []
    assert caplog.text.count("task touch ended: RuntimeError('boom'): no more watchdog") == 1

    problem[0] = None
    assert await receive(path_listener) == {"WATCHDOG": "1"}
    await stop(task)


async def test_a_blocked_event_loop_sends_no_pings(path_listener: Listener) -> None:
    ready = asyncio.Event()
    ready.set()
    environ = {"NOTIFY_SOCKET": path_listener.address, "WATCHDOG_USEC": "100000"}
    task = asyncio.create_task(tell_service_manager(ready, lambda: "up", environ=environ))
    await receive(path_listener)  # READY
    await receive(path_listener)  # the first ping
    path_listener.pending()
    time.sleep(0.5)  # noqa: ASYNC251 - the loop is stuck: systemd must hear nothing meanwhile
    assert path_listener.pending() == []
    await stop(task)


async def test_without_systemd_it_returns_at_once() -> None:
    ready = asyncio.Event()
    async with asyncio.timeout(1):
        await tell_service_manager(ready, lambda: "", environ={})


async def test_first_stopped_names_the_task_and_its_error() -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    async def fails() -> None:
        raise RuntimeError("boom")

    alive = asyncio.create_task(forever(), name="boards")
    await asyncio.sleep(0)
    assert first_stopped([alive]) is None
    broken = asyncio.create_task(fails(), name="touch")
    await asyncio.sleep(0)
    assert first_stopped([alive, broken]) == "task touch ended: RuntimeError('boom')"
    await stop(alive)
    assert first_stopped([alive]) == "task boards ended"


def test_status_line_names_the_boards_not_up() -> None:
    boards = [
        {"name": "lights", "state": "up"},
        {"name": "touch", "state": "refused"},
        {"name": "presence", "state": "up"},
    ]
    assert status_line(boards, "http://127.0.0.1:8080/") == (
        "2/3 boards up (touch refused); http://127.0.0.1:8080/"
    )
    assert status_line([], "http://x/") == "0/0 boards up; http://x/"
