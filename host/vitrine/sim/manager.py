"""The simulation: a set of virtual boards (vitrine.sim.virtual_board), the world of people in
front of the mirror that their sensors watch (vitrine.sim.people), and the control socket that
requests arrive on: status, faults, fingers on a touch board's glass, a visitor walking up to
the mirror or away, a whole world of people. Its clients use vitrine.sim.control.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from pathlib import Path
from typing import Any

from vitrine.firmware import build_hash
from vitrine.hardware import load_boards
from vitrine.sim.control import OPS, control_path, default_state_dir, own_state_dir
from vitrine.sim.errors import SimError
from vitrine.sim.people import Person, World
from vitrine.sim.virtual_board import BoardOptions, VirtualBoard, check_number
from vitrine.sim.world import check_keys

VISITOR = "visitor"  # the person `vitrine sim visitor` moves
VISITOR_FROM = (-2.4, 2.4)  # where the visitor comes from (m, the mirror's frame)
VISITOR_TO = (2.6, 2.6)  # ... and where they go
VISITOR_STOP_M = 0.7  # how far from the glass they stop, unless told
VISITOR_M_S = 1.2  # their walking speed


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
        strangers = sorted(set(options) - set(roles))
        if strangers:
            raise SimError(
                f"options for role {', '.join(strangers)}, which this simulation does not run; "
                f"running: {', '.join(roles)}"
            )
        for role, option in options.items():
            if option.ble and "beacon" in descriptions[role].subsystems:
                raise SimError(
                    f"{role}: its radio is the beacon's (advertising and scanning); a BLE link "
                    "is for a board without a cable, such as lights"
                )
        self.boards = {
            role: VirtualBoard(
                descriptions[role], self.state_dir, self.build, seed, options.get(role)
            )
            for role in roles
        }
        self._server: asyncio.AbstractServer | None = None
        self.started_at = time.time()
        # The people in front of the mirror: the world's t = 0 is the simulation's start on
        # the monotonic clock, which the board processes share.
        self.epoch = time.monotonic()
        self.world = World(duration_s=0.0)  # open-ended
        self.phone_keys: dict[str, bytes] = {}  # loyalty id -> key, on the members' phones
        self.air: Any = None  # the virtual BLE air (vitrine.sim.ble_air), when a board needs it

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
        if any(b.ble_address for b in self.boards.values()):
            await self._start_air()
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
        if self.air is not None:
            await self.air.close()
            self.air = None
        for path in (self.control_path, self.state_dir / "boards.json"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def ports(self) -> dict[str, str]:
        """Role -> stable port path, or ble:// URL for a board on the virtual BLE air."""
        return {role: board.url for role, board in self.boards.items()}

    @property
    def host_hci(self) -> Path:
        """The host's virtual BLE adapter (`[link] ble_hci = "unix:PATH"` for the daemon)."""
        return self.state_dir / "ble" / "host.hci"

    async def _start_air(self) -> None:
        """The virtual BLE air (vitrine.sim.ble_air): an adapter for the host, one per BLE
        board; imported only when a board needs it (Bumble is a large import)."""
        from vitrine.sim.ble_air import BleAir

        self.air = BleAir()
        self.host_hci.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            await self.air.serve("host", self.host_hci)
            for board in self.boards.values():
                if board.ble_address:
                    await self.air.serve(board.role, board.ble_hci)
        except ValueError as err:
            await self.air.close()
            self.air = None
            raise SimError(str(err)) from err

    def now(self) -> float:
        """The world's time now."""
        return time.monotonic() - self.epoch

    def set_world(self, world: World) -> None:
        """Put this world of people in front of every board whose sensors watch people, and
        around every board whose radio hears their phones."""
        self.world = world
        for board in self.boards.values():
            if board.watches_people or board.hears_phones:
                board.set_world(world, self.epoch, self.phone_keys)

    def set_phone_keys(self, keys: dict[str, bytes]) -> None:
        """What the store's app holds on each member's phone: their key (made at enrolment,
        docs/beacons.md); the world's consenting members' phones advertise tokens made with
        it, those without one tokens under a key no mirror has."""
        self.phone_keys = dict(keys)
        self.set_world(self.world)

    def board(self, role: Any) -> VirtualBoard:
        """The board of that role; raises SimError naming the running ones."""
        board = self.boards.get(role) if isinstance(role, str) else None
        if board is None:
            raise SimError(f"no virtual board {role!r}; running: {', '.join(self.boards)}")
        return board

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Carry out one control request: {"op": "status"},
        {"op": "fault", "role": ROLE, "fault": KIND, "arg": N} or
        {"op": "fingers", "role": ROLE, "fingers": [{"x_mm", "y_mm", "diameter_mm"}, ...]},
        {"op": "visitor", "present": BOOL, "distance_mm": MM or null} or
        {"op": "phones", "keys": {LOYALTY_ID: 32 hex digits}} (the members' phones' keys) or
        {"op": "world", "world": {...}, "at": S or null} (vitrine.sim.people's JSON, its t = 0
        at the world time `at`, now when null; the reply's monotonic_at is that moment on the
        machine's monotonic clock, which the simulation and its clients share)."""
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
        if op == "world":
            return self._world(request)
        if op == "phones":
            return self._phones(request)
        raise SimError(f"unknown op {op!r}; allowed: {', '.join(OPS)}")

    def _watchers(self) -> list[VirtualBoard]:
        boards = [b for b in self.boards.values() if b.watches_people or b.hears_phones]
        if not boards:
            raise SimError(
                "no board in this simulation watches people or hears their phones: run one "
                "with --role presence or --role beacon"
            )
        return boards

    def _visit(self, request: dict[str, Any]) -> dict[str, Any]:
        present = request.get("present")
        if not isinstance(present, bool):
            raise SimError(f"visitor: present must be true or false, not {present!r}")
        distance = request.get("distance_mm")
        if distance is not None:
            distance = check_number("visitor: distance_mm", distance, 200.0, 3000.0)
        self._watchers()
        now = self.now()
        there = next((p for p in self.world.people if p.id == VISITOR and p.here(now)), None)
        if present:
            if there is not None and there.stays:
                raise SimError("visitor: already in front of the mirror (leave first)")
            stop = (0.0, (distance or VISITOR_STOP_M * 1000) / 1000)
            start = there.at(now) if there is not None else VISITOR_FROM
            assert start is not None
            arrive = now + math.dist(start, stop) / VISITOR_M_S
            person = Person(
                id=VISITOR,
                kind="adult",
                path=((now, *start), (arrive, *stop)),
                height_m=1.72,
                radius_m=0.22,
                depth_m=0.13,  # an adult's (vitrine.sim.people.BODIES)
                nir_reflectance=0.5,
                stays=True,
                sway_m=0.03,
                looks=((arrive - 1.0, arrive + 86400.0),),
            )
            done = f"a visitor walks up to the mirror and stops {stop[1]:.2f} m from it"
        else:
            if there is None or not there.stays:
                raise SimError("visitor: nobody is in front of the mirror (approach first)")
            here = there.at(now)
            assert here is not None
            gone = now + math.dist(here, VISITOR_TO) / VISITOR_M_S
            person = Person(
                id=VISITOR,
                kind="adult",
                path=((now, *here), (gone, *VISITOR_TO)),
                height_m=there.height_m,
                radius_m=there.radius_m,
                nir_reflectance=there.nir_reflectance,
            )
            done = "the visitor walks away"
        self.set_world(self.world.with_person(person))
        return {"ok": True, "present": present, "done": done}

    def _world(self, request: dict[str, Any]) -> dict[str, Any]:
        self._watchers()
        at = request.get("at")
        if at is not None:
            at = check_number("world: at", at, -1e9, 1e9)
        try:
            world = World.from_json(request.get("world"))
        except ValueError as err:
            raise SimError(f"world: {err}") from err
        start = self.now() if at is None else at
        self.set_world(world.shifted(start))
        return {
            "ok": True,
            "people": len(world.people),
            "at": start,
            "monotonic_at": self.epoch + start,  # the machine's monotonic clock at its t = 0
            "done": "world set",
        }

    def _phones(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            checked = check_keys(request.get("keys"))
        except ValueError as err:
            raise SimError(f"phones: {err}") from err
        self.set_phone_keys(checked)
        return {"ok": True, "phones": len(checked), "done": f"{len(checked)} member key(s) set"}

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
