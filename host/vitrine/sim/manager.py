"""The simulation: a set of virtual boards (vitrine.sim.virtual_board) and the control
socket that requests arrive on: status, faults, fingers on a touch board's glass, a visitor
for the daemon sharing the process. Its clients use vitrine.sim.control.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.firmware import build_hash
from vitrine.hardware import load_boards
from vitrine.sim.control import OPS, control_path, default_state_dir, own_state_dir
from vitrine.sim.errors import SimError
from vitrine.sim.virtual_board import BoardOptions, VirtualBoard, check_number


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
        # Where a virtual visitor's arrival and departure go: the daemon sharing this process
        # (the demo) sets it; until the presence board's firmware lands this stands in for it.
        self.visitor: Callable[[bool, float | None], None] | None = None

    @property
    def control_path(self) -> Path:
        return control_path(self.state_dir)

    async def start(self) -> None:
        own_state_dir(self.state_dir)
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

    def board(self, role: Any) -> VirtualBoard:
        """The board of that role; raises SimError naming the running ones."""
        board = self.boards.get(role) if isinstance(role, str) else None
        if board is None:
            raise SimError(f"no virtual board {role!r}; running: {', '.join(self.boards)}")
        return board

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Carry out one control request: {"op": "status"},
        {"op": "fault", "role": ROLE, "fault": KIND, "arg": N} or
        {"op": "fingers", "role": ROLE, "fingers": [{"x_mm", "y_mm", "diameter_mm"}, ...]} or
        {"op": "visitor", "present": BOOL, "distance_mm": MM or null}."""
        op = request.get("op")
        if op == "status":
            return {"ok": True, "boards": [b.status() for b in self.boards.values()]}
        if op == "fault":
            role = request.get("role")
            board = self.board(role)
            arg = request.get("arg")
            if arg is not None and not isinstance(arg, int):
                raise SimError(f"fault argument {arg!r} must be an integer")
            return {"ok": True, "role": role, **await board.fault(str(request.get("fault")), arg)}
        if op == "fingers":
            role = request.get("role")
            board = self.board(role)
            if "fingers" not in request:
                raise SimError("fingers: missing (a list; an empty one lifts every finger)")
            fingers = board.set_fingers(request["fingers"])
            done = f"{len(fingers)} finger{'' if len(fingers) == 1 else 's'} on the glass"
            return {"ok": True, "role": role, "fingers": len(fingers), "done": done}
        if op == "visitor":
            return self._visit(request)
        raise SimError(f"unknown op {op!r}; allowed: {', '.join(OPS)}")

    def _visit(self, request: dict[str, Any]) -> dict[str, Any]:
        present = request.get("present")
        if not isinstance(present, bool):
            raise SimError(f"visitor: present must be true or false, not {present!r}")
        distance = request.get("distance_mm")
        if distance is not None:
            distance = check_number("visitor: distance_mm", distance, 0.0, 10_000.0)
        if self.visitor is None:
            raise SimError(
                "visitor: no daemon shares this simulation (run `vitrine demo`, which has one)"
            )
        self.visitor(present, distance)
        done = "a visitor stands in front of the mirror" if present else "the visitor left"
        return {"ok": True, "present": present, "done": done}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # One request per line, each answered with one line, until the client hangs up (a
        # player of fingers keeps one connection open; `request` sends one and closes).
        try:
            while True:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than the stream's limit
                    writer.write(b'{"ok": false, "error": "request too long"}\n')
                    await writer.drain()
                    return
                if not line:
                    return
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise SimError("a request is a JSON object")
                    reply = await self.handle(request)
                except (ValueError, SimError) as err:
                    reply = {"ok": False, "error": str(err)}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass  # the client went away
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
