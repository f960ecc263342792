"""A running simulation's control socket, from the client's side: where it is, what it
accepts, and ControlClient / request() to ask it. The benchmarks and `vitrine sim`'s
sub-commands import this alone; the simulation that answers is vitrine.sim.manager.

One JSON request per line, each answered with one JSON line ({"ok": true, ...} or
{"ok": false, "error": "..."}); a connection may carry many (docs/simulator.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

from vitrine.sim.errors import SimError

CONTROL_SOCKET = "control.sock"  # in the state folder
OPS = ("status", "fault", "fingers", "visitor", "world", "phones")
# A board's faults, and the presence board's parts': its sensors' I2C bus held low (and freed),
# its PIR's output stuck high (and working again).
FAULTS = (
    "unplug",
    "replug",
    "reboot",
    "garbage",
    "stall",
    "bus-low",
    "bus-ok",
    "pir-stuck",
    "pir-ok",
)
MAX_GARBAGE_BYTES = 100_000_000  # the most random bytes one `garbage` fault sends
MAX_FINGERS = 20
FINGER_DIAMETER_MM = (1.0, 60.0)
DEFAULT_FINGER_DIAMETER_MM = 9.0


def default_state_dir() -> Path:
    """$VITRINE_SIM_DIR, else $XDG_RUNTIME_DIR/vitrine-sim, else /tmp/vitrine-sim-UID."""
    if "VITRINE_SIM_DIR" in os.environ:
        return Path(os.environ["VITRINE_SIM_DIR"])
    if "XDG_RUNTIME_DIR" in os.environ:
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "vitrine-sim"
    return Path(f"/tmp/vitrine-sim-{os.getuid()}")


def own_state_dir(path: Path) -> Path:
    """The state folder, made for this user alone (0700) when missing; refused when it is
    someone else's, a link, or others may write into it: under /tmp another user could have
    made it first and would then read and replace what the simulation keeps there (its
    control socket, the demo's catalogue and events)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise SimError(f"state folder {path} is not a folder of its own (a link?): remove it")
    if info.st_uid != os.getuid():
        raise SimError(
            f"state folder {path} belongs to user id {info.st_uid}, not to you ({os.getuid()}): "
            "another user may have made it; remove it, or choose another with --state-dir"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SimError(
            f"state folder {path} may be written by others (mode {stat.S_IMODE(info.st_mode):o}): "
            f"chmod 700 {path}, or choose another with --state-dir"
        )
    return path


def control_path(state_dir: Path) -> Path:
    """The control socket of the simulation whose state folder is state_dir."""
    return state_dir / CONTROL_SOCKET


class ControlClient:
    """A connection to a running simulation's control socket, for one request or many."""

    def __init__(
        self, state_dir: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.state_dir = state_dir
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, state_dir: Path, timeout: float = 5.0) -> ControlClient:
        """Connect; raises SimError when no simulation runs there."""
        control = control_path(state_dir)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(str(control))
        except (OSError, TimeoutError) as err:
            raise SimError(
                f"no simulation running in {state_dir} ({err.__class__.__name__}); "
                "start one with: vitrine sim"
            ) from err
        return cls(state_dir, reader, writer)

    async def ask(self, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """One request and its reply; raises SimError when it failed or nobody answered."""
        try:
            self._writer.write(json.dumps(payload).encode() + b"\n")
            await self._writer.drain()
            async with asyncio.timeout(timeout):
                line = await self._reader.readline()
        except (OSError, TimeoutError) as err:
            raise SimError(
                f"the simulation in {self.state_dir} stopped answering ({err.__class__.__name__})"
            ) from err
        try:
            reply = json.loads(line)
        except ValueError as err:
            raise SimError(f"the simulation in {self.state_dir} hung up without answering") from err
        if not reply.get("ok"):
            raise SimError(reply.get("error", "request failed"))
        return reply

    def close(self) -> None:
        self._writer.close()


async def request(state_dir: Path, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Send one control request to a running simulation; raises SimError when none runs."""
    client = await ControlClient.open(state_dir, timeout)
    try:
        return await client.ask(payload, timeout)
    finally:
        client.close()
