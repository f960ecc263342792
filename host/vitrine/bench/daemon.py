"""`vitrine bench daemon`: how soon the daemon serves after it is started, as systemd
starts it.

Virtual boards for every role run in their own `vitrine sim` process (boards are separate
machines), and a config pins their ports. Each run spawns `vitrine run --config FILE` with
NOTIFY_SOCKET naming a datagram socket bound here and WATCHDOG_USEC set, as systemd does for
a Type=notify unit with WatchdogSec=, and measures from the spawn:

- ready_s: until READY=1 arrives (the daemon's HTTP API serves and its links are started);
- api_s: until GET /api/status first answers (polled every 10 ms);
- boards_up_s: until that status shows every board "up".

The daemon then runs for hold_s while its WATCHDOG=1 pings are counted, and is stopped with
SIGTERM as systemd stops it: STOPPING=1 and exit code 0 are expected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import serial

from vitrine.bench.targets import judged
from vitrine.tasks import stop_task

TARGETS = {
    "ready_max_s": ("<=", 3.0),
    "api_max_s": ("<=", 3.0),
    "boards_up_max_s": ("<=", 3.0),
    "watchdog_pings_min": (">=", 1),
    "unclean_stops": ("==", 0),
}
POLL_S = 0.01
START_TIMEOUT_S = 30.0
WATCHDOG_USEC = 1_000_000  # pings every 0.5 s
VITRINE = (sys.executable, "-m", "vitrine")


def free_port() -> int:
    """A loopback TCP port nobody listens on now (for a daemon's [http] port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> dict[str, Any] | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    try:
        with opener.open(url, timeout=1.0) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def _first_bytes(port: str) -> None:
    with serial.Serial(port, timeout=START_TIMEOUT_S) as line:
        if not line.read(1):
            raise RuntimeError(f"the virtual board on {port} sends nothing")


class _Boards:
    """A `vitrine sim` process with a virtual board for every role."""

    def __init__(self, folder: Path) -> None:
        self.state_dir = folder / "sim"
        self._log = folder / "sim.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, str] = {}

    async def __aenter__(self) -> _Boards:
        with self._log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
                [*VITRINE, "sim", "--state-dir", str(self.state_dir)],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        ports = self.state_dir / "boards.json"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ports.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"vitrine sim did not start: {self._log.read_text()[-2000:]}")
            await asyncio.sleep(0.05)
        self.ports = json.loads(ports.read_text())
        # At a mirror's boot the boards are already running: wait for each one's first
        # bytes (it sends HEARTBEATs with or without a host), so no run times their boot.
        await asyncio.gather(*(asyncio.to_thread(_first_bytes, p) for p in self.ports.values()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def write_config(path: Path, ports: dict[str, str], http_port: int) -> Path:
    """A daemon config pinning each role to its port, USB discovery off, its data in a
    folder beside the config."""
    pinned = ", ".join(f"{role} = {json.dumps(port)}" for role, port in sorted(ports.items()))
    data = json.dumps(str(path.parent / "data"))
    path.write_text(
        f"[http]\nport = {http_port}\n\n[boards]\ndiscover_usb = false\nports = {{ {pinned} }}\n"
        f"\n[data]\ndir = {data}\n"
    )
    return path


class _Notifications:
    """What a daemon tells systemd, received on a datagram socket of our own (its
    NOTIFY_SOCKET): each datagram's fields, with the time it came."""

    def __init__(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.received: list[tuple[float, dict[str, str]]] = []
        self._listener = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 4096)
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.received.append((time.monotonic(), fields))

    def first(self, key: str) -> tuple[float, dict[str, str]] | None:
        """The first notification with this field, and when it came."""
        return next(((t, f) for t, f in self.received if key in f), None)

    async def close(self) -> None:
        await stop_task(self._listener)
        self.sock.close()


async def _wait_up(
    proc: asyncio.subprocess.Process,
    notes: _Notifications,
    status_url: str,
    roles: int,
    deadline: float,
) -> tuple[float, float] | None:
    # When the API first answered and when all the boards were first up, once READY came
    # too; None when the daemon ended or the deadline passed first.
    api_at = boards_up_at = None
    while boards_up_at is None or notes.first("READY") is None:
        if proc.returncode is not None or time.monotonic() > deadline:
            return None
        status = await asyncio.to_thread(_status, status_url)
        now = time.monotonic()
        if status is not None:
            api_at = api_at if api_at is not None else now
            boards = status.get("boards", [])
            if len(boards) == roles and all(b["state"] == "up" for b in boards):
                boards_up_at = boards_up_at if boards_up_at is not None else now
        await asyncio.sleep(POLL_S)
    assert api_at is not None
    return api_at, boards_up_at


async def measure_start(
    config: Path, base_url: str, roles: int, folder: Path, hold_s: float
) -> dict[str, Any]:
    """One start of the daemon: the three times, watchdog pings, and how it stopped."""
    notes = _Notifications(folder / "notify")
    env = {**os.environ, "NOTIFY_SOCKET": str(notes.path), "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    env.pop("WATCHDOG_PID", None)
    log_path = folder / "daemon.log"
    with log_path.open("wb") as log:
        spawned = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *VITRINE, "run", "--config", str(config), env=env, stderr=log
        )
    try:
        up = await _wait_up(proc, notes, base_url + "api/status", roles, spawned + START_TIMEOUT_S)
        if up is None:
            raise RuntimeError(
                f"the daemon did not come up within {START_TIMEOUT_S:.0f} s: "
                f"{log_path.read_text()[-2000:]}"
            )
        held = time.monotonic()
        await asyncio.sleep(hold_s)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            code = await proc.wait()
        exit_s = time.monotonic() - stopped
        await asyncio.sleep(0.05)  # the last datagram, if it is still on its way
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await notes.close()
    ready_at, ready = notes.first("READY") or (0.0, {})
    received = notes.received
    return {
        "ready_s": round(ready_at - spawned, 3),
        "api_s": round(up[0] - spawned, 3),
        "boards_up_s": round(up[1] - spawned, 3),
        "ready_status": ready.get("STATUS", ""),
        "watchdog_pings": sum(1 for t, f in received if "WATCHDOG" in f and held <= t <= stopped),
        "watchdog_window_s": round(stopped - held, 3),
        "stopping_sent": any("STOPPING" in f for t, f in received if t >= stopped),
        "exit_code": code,
        "stop_s": round(exit_s, 3),
    }


async def measure_interpreter(repeats: int = 3) -> float:
    """Seconds to spawn `vitrine --version` and see it exit: the interpreter's and the
    command's own start-up, a floor under the figures above."""
    times = []
    for _ in range(repeats):
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *VITRINE, "--version", stdout=asyncio.subprocess.DEVNULL
        )
        await proc.wait()
        times.append(time.monotonic() - start)
    return round(statistics.median(times), 3)


async def _run_async(runs: int, hold_s: float, progress: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        folder = Path(tmp)
        progress("virtual boards for every role")
        async with _Boards(folder) as boards:
            port = free_port()
            config = write_config(folder / "vitrine.toml", boards.ports, port)
            base_url = f"http://127.0.0.1:{port}/"
            per_run = []
            for n in range(runs):
                progress(f"start {n + 1}/{runs}")
                per_run.append(
                    await measure_start(config, base_url, len(boards.ports), folder, hold_s)
                )
            progress("interpreter start-up, for reference")
            baseline = await measure_interpreter()
    result: dict[str, Any] = {"roles": sorted(boards.ports), "runs": runs, "per_run": per_run}
    for key in ("ready", "api", "boards_up"):
        values = [r[f"{key}_s"] for r in per_run]
        result[f"{key}_median_s"] = round(statistics.median(values), 3)
        result[f"{key}_max_s"] = max(values)
    result["watchdog_pings_min"] = min(r["watchdog_pings"] for r in per_run)
    result["unclean_stops"] = sum(
        1 for r in per_run if r["exit_code"] != 0 or not r["stopping_sent"]
    )
    result["version_command_s"] = baseline
    return result


def run_daemon_bench(
    runs: int = 5, hold_s: float = 1.0, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Start the daemon `runs` times; the result names each figure, its target, pass/fail."""
    if runs < 1:
        raise ValueError(f"runs={runs}: allowed 1 or more")
    result = asyncio.run(_run_async(runs, hold_s, progress))
    return {
        "bench": "daemon",
        "cpu_count": os.cpu_count(),
        **result,
        **judged(result, TARGETS),
    }
