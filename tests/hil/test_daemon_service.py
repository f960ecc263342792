"""The daemon as a systemd service, with virtual boards: READY/STATUS/STOPPING on a real
notification socket, a pinned board missing at start (retried until it comes), journal log
lines when stderr is the journal."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vitrine.bench.daemon import free_port, write_config
from vitrine.config import BoardsConfig, Config, HttpConfig
from vitrine.daemon import Daemon
from vitrine.sim.manager import Simulation

from .conftest import make_rig

pytestmark = pytest.mark.hil


class Notifications:
    """systemd's end of NOTIFY_SOCKET: a thread reads every datagram as it comes, as the
    service manager does; tests look at them in order."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.seen: list[dict[str, str]] = []
        self._read = 0  # notifications before this index have been looked at
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.seen.append(dict(line.split("=", 1) for line in data.decode().split("\n")))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)

    async def wait_for(self, key: str, value: str | None = None, timeout: float = 10) -> dict:
        """The next notification setting key (to value), skipping those before it."""
        deadline = time.monotonic() + timeout
        while True:
            while self._read < len(self.seen):
                fields = self.seen[self._read]
                self._read += 1
                if key in fields and (value is None or fields[key] == value):
                    return fields
            if time.monotonic() > deadline:
                raise AssertionError(f"no {key}={value} notification; seen: {self.seen}")
            await asyncio.sleep(0.02)


@pytest.fixture
def notifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[Notifications]:
    with (
        tempfile.TemporaryDirectory(prefix="vitrine-notify-") as folder,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        path = str(Path(folder) / "notify")
        sock.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        monkeypatch.setenv("WATCHDOG_USEC", "400000")
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        listener = Notifications(sock)
        try:
            yield listener
        finally:
            listener.close()


async def test_ready_status_as_boards_come_and_go_then_stopping(
    tmp_path: Path, notifications: Notifications
) -> None:
    async with make_rig(tmp_path, roles=["touch", "lights"]) as rig:
        url = f"http://127.0.0.1:{rig.daemon.http_port}/"
        ready = await notifications.wait_for("READY", "1")
        assert ready["STATUS"].endswith(f"; {url}")
        if ready["STATUS"] != f"2/2 boards up; {url}":  # both may be up by READY already
            await notifications.wait_for("STATUS", f"2/2 boards up; {url}")
        await notifications.wait_for("WATCHDOG", "1")

        await rig.fault("touch", "unplug")
        lost = await notifications.wait_for("STATUS", timeout=15)
        assert re.fullmatch(
            rf"1/2 boards up \(touch (down|connecting)\); {re.escape(url)}", lost["STATUS"]
        )
        await rig.fault("touch", "replug")
        await notifications.wait_for("STATUS", f"2/2 boards up; {url}", timeout=15)
    stopping = await notifications.wait_for("STOPPING", "1")
    assert stopping["STATUS"] == "stopping"


async def test_a_board_missing_at_start_does_not_hold_the_daemon_back(
    tmp_path: Path, notifications: Notifications
) -> None:
    sim = Simulation(roles=["touch", "lights"], state_dir=tmp_path / "sim")
    await sim.start()
    await sim.handle({"op": "fault", "role": "touch", "fault": "unplug"})  # before the daemon
    daemon = Daemon(
        Config(http=HttpConfig(port=0), boards=BoardsConfig(discover_usb=False, ports=sim.ports()))
    )
    task = asyncio.create_task(daemon.run())

    async def board(name: str, check, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = {b["name"]: b for b in daemon.status()["boards"]}[name]
            if check(found):
                return found
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.05)

    try:
        await notifications.wait_for("READY", "1")
        await board("lights", lambda b: b["state"] == "up")
        missing = await board("touch", lambda b: "not present" in (b["last_error"] or ""))
        assert missing["state"] != "up"
        await asyncio.sleep(1.5)  # several reconnect attempts, each finding nothing
        assert (await board("lights", lambda b: True))["state"] == "up"
        assert not task.done()

        await sim.handle({"op": "fault", "role": "touch", "fault": "replug"})
        await board("touch", lambda b: b["state"] == "up", timeout=15)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sim.stop()


def test_vitrine_run_under_systemd_logs_journal_lines(tmp_path: Path) -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "vitrine", "sim", "--role", "lights", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None
        for line in sim.stdout:
            if line.startswith("control:"):
                break
        port = free_port()
        config = write_config(tmp_path / "vitrine.toml", {"lights": str(tmp_path / "lights")}, port)
        err_path = tmp_path / "journal"
        with err_path.open("w") as err:
            st = os.fstat(err.fileno())
            daemon = subprocess.Popen(
                [sys.executable, "-m", "vitrine", "run", "--config", str(config)],
                stderr=err,
                env={**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"},
            )
        try:
            deadline = time.monotonic() + 20
            while "lights: up on" not in err_path.read_text():
                assert time.monotonic() < deadline, err_path.read_text()
                assert daemon.poll() is None, err_path.read_text()
                time.sleep(0.05)
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(15) == 0
        lines = err_path.read_text().splitlines()
        assert f"<6>vitrine.daemon: ready: http://127.0.0.1:{port}/" in lines
        assert any(line.startswith("<6>vitrine.link: lights: up on ") for line in lines)
        assert all(re.match(r"<[0-7]>[\w.]+: ", line) for line in lines), lines
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(10)
