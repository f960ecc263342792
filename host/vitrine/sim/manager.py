"""The simulation: virtual boards, each the real firmware in its own process behind a
pseudo-terminal, with faults injected on request.

Each board process is started by `vitrine.sim.boot` and talks through a socket pair to this
process, which owns the pty (the "cable"). A reset — soft, watchdog, or the reset button —
ends the board process; the simulation starts it again with the right reset cause, as a
board's boot ROM would. A board on native USB (`link.kind = "usb-cdc"`) also drops off the
bus while it resets, so its pty goes away and comes back, as /dev/ttyACM0 does.

Faults (`vitrine sim fault ROLE ...`): unplug, replug, reboot (reset button), garbage N
(N random bytes toward the host, between frames), stall (the firmware hangs; the watchdog
resets the board).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import random
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitrine.firmware import build_hash
from vitrine.hardware import BoardDescription, board_config, load_boards
from vitrine.sim.board import EXIT_SOFT_RESET, EXIT_WDT
from vitrine.sim.cable import PtyCable

log = logging.getLogger("vitrine.sim")

FAULTS = ("unplug", "replug", "reboot", "garbage", "stall")
_USB_REENUMERATE_S = 0.2  # how long a native-USB board is off the bus while it resets


class SimError(Exception):
    """A simulation request that cannot be carried out (the message says why)."""


@dataclass
class BoardOptions:
    """Per-board simulation options."""

    pose_schema: str | None = None  # "REV:HASH": pose as firmware from another message table


@dataclass
class BoardStats:
    boots: int = 0
    resets: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)


class VirtualBoard:
    """One virtual board: its process, its cable, its faults."""

    def __init__(
        self,
        description: BoardDescription,
        state_dir: Path,
        build: str,
        seed: int,
        options: BoardOptions | None = None,
    ) -> None:
        self.description = description
        self.role = description.role
        self.config = board_config(description, build)
        self.uid = hashlib.sha256(f"vitrine-sim-{self.role}-{seed}".encode()).hexdigest()[:16]
        self.options = options or BoardOptions()
        self.cable = PtyCable(state_dir / self.role)
        self.cable.on_host_data = self._from_host
        self.stats = BoardStats()
        self._rng = random.Random(seed)
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._next_cause = "power_on"
        self._stopping = False
        self._watch: asyncio.Task[None] | None = None
        self.stderr_tail: list[str] = []

    @property
    def usb(self) -> bool:
        return self.description.link.kind == "usb-cdc"

    @property
    def path(self) -> Path:
        return self.cable.link_path

    async def start(self) -> None:
        self.cable.plug()
        await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        await self._kill()
        if self._watch:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        self.cable.close()

    # --- process lifecycle -----------------------------------------------------------------

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        args = [
            sys.executable,
            "-m",
            "vitrine.sim.boot",
            "--config",
            json.dumps(self.config),
            "--uid",
            self.uid,
            "--reset-cause",
            self._next_cause,
            "--link-fd",
            str(theirs.fileno()),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.options.pose_schema:
            args += ["--pose-schema", self.options.pose_schema]
        self._proc = await asyncio.create_subprocess_exec(
            *args,
            pass_fds=[theirs.fileno()],
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # the terminal's and the group's signals are not for boards
        )
        theirs.close()
        ours.setblocking(False)
        self._sock = ours
        asyncio.get_running_loop().add_reader(ours, self._from_board)
        self.stats.boots += 1
        self.stats.resets[self._next_cause] = self.stats.resets.get(self._next_cause, 0) + 1
        self._next_cause = "soft"
        self._watch = asyncio.create_task(self._watch_process(self._proc))

    async def _watch_process(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            text = line.decode(errors="replace").rstrip()
            self.stderr_tail = [*self.stderr_tail[-40:], text]
            log.debug("%s: %s", self.role, text)
        code = await proc.wait()
        self._close_socket()
        if self._stopping or proc is not self._proc:
            return
        if code == EXIT_WDT:
            cause = "wdt"
        elif code == EXIT_SOFT_RESET:
            cause = "soft"
        elif code == -signal.SIGKILL and self._next_cause == "hard":
            cause = "hard"
        elif code < 0:
            # Killed by a signal this simulation did not send: the machine is shutting down
            # (or someone pulled the plug by hand). A board without power stays off.
            log.warning("%s: switched off from outside (signal %d)", self.role, -code)
            return
        else:  # a crash: main.py's last-resort handler resets the board
            cause = "soft"
            log.error("%s: firmware exited with %s", self.role, code)
        self._next_cause = cause
        log.info("%s: reset (%s)", self.role, cause)
        if self.usb and self.cable.plugged:
            self.cable.unplug()
            await self._spawn()
            await asyncio.sleep(_USB_REENUMERATE_S)
            if not self.cable.plugged and not self._stopping:
                self.cable.plug()
        else:
            await self._spawn()

    async def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        self._close_socket()

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock)
            self._sock.close()
            self._sock = None

    # --- data between the board process and the cable ---------------------------------------

    def _from_board(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close_socket()
            return
        self.cable.to_host(data)

    def _from_host(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            return  # the board is resetting: bytes on the line are lost
        with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
            sock.send(data)

    # --- faults ------------------------------------------------------------------------------

    async def fault(self, kind: str, arg: int | None = None) -> dict[str, Any]:
        """Inject a fault; returns a description of what was done."""
        if kind not in FAULTS:
            raise SimError(f"unknown fault {kind!r}; allowed: {', '.join(FAULTS)}")
        done = await self._inject(kind, arg)
        self.stats.faults[kind] = self.stats.faults.get(kind, 0) + 1  # only faults carried out
        return done

    async def _inject(self, kind: str, arg: int | None) -> dict[str, Any]:
        if kind == "unplug":
            if not self.cable.plugged:
                raise SimError(f"{self.role} is already unplugged")
            self.cable.unplug()
            return {"done": "unplugged"}
        if kind == "replug":
            if self.cable.plugged:
                raise SimError(f"{self.role} is already plugged in")
            self.cable.plug()
            return {"done": "plugged", "tty": self.cable.tty_path}
        if kind == "reboot":
            self._next_cause = "hard"
            proc = self._proc
            if proc is not None and proc.returncode is None:
                proc.kill()
            return {"done": "reset button pressed"}
        if kind == "garbage":
            if arg is None or not 1 <= arg <= 100_000_000:
                raise SimError("garbage needs a byte count N, 1..100000000")
            if not self.cable.plugged:
                raise SimError(f"{self.role} is unplugged")
            self.cable.to_host(self._rng.randbytes(arg))
            return {"done": f"{arg} random bytes sent toward the host"}
        # stall
        proc = self._proc
        if proc is None or proc.returncode is not None:
            raise SimError(f"{self.role} is not running")
        proc.send_signal(signal.SIGUSR1)
        watchdog_s = self.description.watchdog_ms / 1000
        return {"done": f"firmware hung; the watchdog resets it within {watchdog_s:.1f} s"}

    def status(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": str(self.path),
            "tty": self.cable.tty_path,
            "plugged": self.cable.plugged,
            "pid": self._proc.pid if self._proc and self._proc.returncode is None else None,
            "link": self.description.link.kind,
            "boots": self.stats.boots,
            "resets": self.stats.resets,
            "faults": self.stats.faults,
            "bytes_to_host": self.cable.to_host_bytes,
            "bytes_from_host": self.cable.from_host_bytes,
            "bytes_dropped": self.cable.dropped_bytes,
            "stderr_tail": self.stderr_tail[-5:],  # the firmware's last words, after a crash
        }


def default_state_dir() -> Path:
    """$VITRINE_SIM_DIR, else $XDG_RUNTIME_DIR/vitrine-sim, else /tmp/vitrine-sim-UID."""
    if "VITRINE_SIM_DIR" in os.environ:
        return Path(os.environ["VITRINE_SIM_DIR"])
    if "XDG_RUNTIME_DIR" in os.environ:
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "vitrine-sim"
    return Path(f"/tmp/vitrine-sim-{os.getuid()}")


class Simulation:
    """A set of virtual boards plus the control socket that faults arrive on."""

    def __init__(
        self,
        roles: list[str] | None = None,
        state_dir: Path | None = None,
        seed: int = 1,
        options: dict[str, BoardOptions] | None = None,
    ) -> None:
        descriptions = load_boards()
        roles = roles or sorted(descriptions)
        unknown = [r for r in roles if r not in descriptions]
        if unknown:
            raise SimError(
                f"no board description for role {', '.join(unknown)}; "
                f"known: {', '.join(sorted(descriptions))}"
            )
        self.state_dir = state_dir or default_state_dir()
        self.build = build_hash()
        options = options or {}
        self.boards = {
            role: VirtualBoard(
                descriptions[role], self.state_dir, self.build, seed, options.get(role)
            )
            for role in roles
        }
        self._server: asyncio.AbstractServer | None = None
        self.started_at = time.time()

    @property
    def control_path(self) -> Path:
        return self.state_dir / "control.sock"

    async def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if await _is_running(self.control_path):
            raise SimError(
                f"a simulation is already running in {self.state_dir}; "
                "stop it or choose another --state-dir"
            )
        with contextlib.suppress(FileNotFoundError):
            self.control_path.unlink()
        for board in self.boards.values():
            await board.start()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.control_path))
        (self.state_dir / "boards.json").write_text(json.dumps(self.ports(), indent=2) + "\n")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for board in self.boards.values():
            await board.stop()
        for path in (self.control_path, self.state_dir / "boards.json"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def ports(self) -> dict[str, str]:
        """Role -> stable port path."""
        return {role: str(board.path) for role, board in self.boards.items()}

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Carry out one control request: {"op": "status"} or
        {"op": "fault", "role": ROLE, "fault": KIND, "arg": N}."""
        op = request.get("op")
        if op == "status":
            return {"ok": True, "boards": [b.status() for b in self.boards.values()]}
        if op == "fault":
            role = request.get("role")
            board = self.boards.get(role)  # type: ignore[arg-type]
            if board is None:
                raise SimError(f"no virtual board {role!r}; running: {', '.join(self.boards)}")
            arg = request.get("arg")
            if arg is not None and not isinstance(arg, int):
                raise SimError(f"fault argument {arg!r} must be an integer")
            return {"ok": True, "role": role, **await board.fault(str(request.get("fault")), arg)}
        raise SimError(f"unknown op {op!r}; allowed: status, fault")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise SimError("a request is a JSON object")
                reply = await self.handle(request)
            except (ValueError, SimError) as err:
                reply = {"ok": False, "error": str(err)}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()


async def _is_running(control: Path) -> bool:
    if not control.exists():  # noqa: ASYNC240 - one stat of a local socket path
        return False
    try:
        _, writer = await asyncio.open_unix_connection(str(control))
    except OSError:
        return False
    writer.close()
    return True


async def request(state_dir: Path, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Send one control request to a running simulation; raises SimError when none runs."""
    control = state_dir / "control.sock"
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(control)), timeout)
    except (OSError, TimeoutError) as err:
        raise SimError(
            f"no simulation running in {state_dir} ({err.__class__.__name__}); "
            "start one with: vitrine sim"
        ) from err
    writer.write(json.dumps(payload).encode() + b"\n")
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), timeout)
    writer.close()
    try:
        reply = json.loads(line)
    except ValueError as err:
        raise SimError(f"the simulation in {state_dir} hung up without answering") from err
    if not reply.get("ok"):
        raise SimError(reply.get("error", "request failed"))
    return reply
