"""The status page (/status) in Chromium, over the real daemon and virtual boards for every role:
what a technician reads there must be true now. A problem a board has recovered from is shown
as past, with its time, not as its state; a watchdog reset is an error with its time; a reset
button's reboot is counted; a board whose firmware lacks a subsystem its role needs says so,
with what to do. Screenshots of each state land in test-artifacts/screens/status-*.png."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LANDSCAPE, PAGE_TIMEOUT_MS
from tests.hil.conftest import Rig, make_rig

pytestmark = pytest.mark.hil

CLOCK = r"\d\d:\d\d:\d\d"  # a time of day as the page writes it


class DaemonThread:
    """The daemon and a simulation of every board (tests.hil.conftest.make_rig) on an event
    loop of their own, in a thread, while the test drives Chromium from this one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loop = asyncio.new_event_loop()
        self.rig: Rig | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="daemon", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the daemon and its boards did not come up within 60 s")
        if self._error is not None:
            raise RuntimeError(f"the daemon failed to start: {self._error!r}")

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    @property
    def url(self) -> str:
        assert self.rig is not None
        return f"http://127.0.0.1:{self.rig.daemon.http_port}"

    def call(self, fn: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 30) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(fn(), self.loop)
        return future.result(timeout)

    def fault(self, role: str, kind: str) -> None:
        rig = self.rig
        assert rig is not None
        self.call(lambda: rig.fault(role, kind))

    def board(self, name: str, check: Callable[[dict[str, Any]], bool], timeout: float = 20):
        rig = self.rig
        assert rig is not None
        return self.call(lambda: rig.wait_board(name, check, timeout), timeout + 5)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as err:
            self._error = err
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with make_rig(self.folder) as rig:
            for role in rig.sim.boards:
                await rig.wait_board(role, lambda b: b["state"] == "up")
            self.rig = rig
            self._ready.set()
            await self._stop.wait()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonThread]:
    server = DaemonThread(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def row(page: Any, board: str) -> Any:
    return page.locator(f'tr[data-board="{board}"]')


def wait_text(locator: Any, pattern: str, timeout_s: float = 20) -> str:
    """The locator's text once it matches pattern (the page refreshes every second)."""
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never showed; last: {text!r}")


def test_the_status_page_tells_now_from_the_past(
    browser: Any, daemon: DaemonThread, screenshots: Any
) -> None:
    context = browser.new_context(viewport=LANDSCAPE)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(daemon.url + "/status")
        wait_text(row(page, "touch"), r"\bup\b")

        # Every board runs what its role needs (the presence board its proximity subsystem,
        # the beacon board its BLE one): once each is up, none has a warning (the doctor says
        # the same).
        for board in ("presence", "beacon", "lights"):
            wait_text(row(page, board), r"\bup\b")
        assert row(page, "presence").locator(".warn").count() == 0
        assert row(page, "beacon").locator(".warn").count() == 0
        assert row(page, "touch").locator(".warn").count() == 0
        assert row(page, "lights").locator(".warn").count() == 0

        # Unplugged: the problem is the board's state now, in red, with its time.
        daemon.fault("touch", "unplug")
        now = row(page, "touch").locator(".err.now")
        wait_text(now, rf"not present \(unplugged, or a wrong path\) at {CLOCK} \(\d+ s ago\)")
        assert row(page, "touch").locator(".state").inner_text() != "up"
        screenshots.save(page, "status-unplugged")

        # Back up: the same problem is past, with its time, not red, not the state.
        daemon.fault("touch", "replug")
        daemon.board("touch", lambda b: b["state"] == "up")
        past = row(page, "touch").locator(".past")
        text = wait_text(past, rf"^earlier, at {CLOCK} \(\d+ s ago\): port .*: not present")
        assert row(page, "touch").locator(".err").count() == 0
        assert "not present" in text
        screenshots.save(page, "status-recovered")

        # The reset button on a board on native USB: it drops off the bus while it resets,
        # and still counts as a reboot, with its time; the button is no error.
        daemon.fault("touch", "reboot")
        daemon.board("touch", lambda b: b["counters"]["reboots"] == 1 and b["state"] == "up")
        wait_text(row(page, "touch").locator(".counters"), r"reboots 1")
        reset = row(page, "touch").locator(".reset")
        wait_text(reset, rf"^reset {CLOCK} \(\d+ s ago\): power_on$")
        assert row(page, "touch").locator(".err").count() == 0

        # The lights board's firmware hangs; its watchdog resets it: an error, with its time,
        # though the board is up again.
        daemon.fault("lights", "stall")
        daemon.board("lights", lambda b: b["counters"]["reboots"] == 1 and b["state"] == "up")
        watchdog = row(page, "lights").locator(".err.reset-error")
        text = wait_text(watchdog, rf"^reset {CLOCK} \(\d+ s ago\) by wdt: the watchdog")
        assert "a task stopped reporting, or the loop hung" in text
        assert row(page, "lights").locator(".state").inner_text() == "up"
        assert row(page, "lights").locator(".past").count() == 0  # said once, as the reset
        wait_text(row(page, "lights").locator(".reset"), rf"^reset {CLOCK} \(\d+ s ago\): wdt$")
        screenshots.save(page, "status-watchdog-reset")
    finally:
        context.close()
    assert errors == []
