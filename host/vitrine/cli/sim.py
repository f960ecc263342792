"""`vitrine sim`: virtual boards behind pseudo-terminals, and faults against them."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path

from vitrine.errors import VitrineError
from vitrine.sim.manager import FAULTS, BoardOptions, SimError, Simulation, default_state_dir


def register(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(
        "sim",
        help="run virtual boards (the real firmware) behind pseudo-terminals",
        description="Without a sub-command: run virtual boards until Ctrl-C, printing their "
        "port paths. With one: act on a running simulation.",
    )
    sim.add_argument("--state-dir", type=Path, help=f"default: {default_state_dir()}")
    sim.add_argument("--role", action="append", help="board role (repeatable; default: all)")
    sim.add_argument("--seed", type=int, default=1, help="seed for uids and garbage bytes")
    sim.add_argument(
        "--pose-schema",
        action="append",
        default=[],
        metavar="ROLE=REV:HASH",
        help="make ROLE's firmware pose as built from another message table",
    )
    sim.set_defaults(handler=cmd_sim)
    actions = sim.add_subparsers(dest="sim_command", metavar="ACTION")
    fault = actions.add_parser("fault", help="inject a fault into a running virtual board")
    fault.add_argument("role")
    fault.add_argument("fault", choices=FAULTS)
    fault.add_argument("count", nargs="?", type=int, help="bytes, for garbage")
    fault.add_argument("--state-dir", type=Path, dest="fault_state_dir")
    fault.set_defaults(handler=cmd_fault)
    status = actions.add_parser("status", help="show the running simulation's boards")
    status.add_argument("--state-dir", type=Path, dest="fault_state_dir")
    status.set_defaults(handler=cmd_status)


def _state_dir(args: argparse.Namespace) -> Path:
    return getattr(args, "fault_state_dir", None) or args.state_dir or default_state_dir()


def _pose_options(specs: list[str]) -> dict[str, BoardOptions]:
    options = {}
    for spec in specs:
        match = re.fullmatch(r"(\w+)=(\d+):(0x[0-9a-fA-F]+|\d+)", spec)
        if not match:
            raise VitrineError(f"--pose-schema {spec!r}: expected ROLE=REV:HASH, e.g. touch=0:0x1")
        options[match[1]] = BoardOptions(pose_schema=f"{match[2]}:{match[3]}")
    return options


def cmd_sim(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async

    async def main() -> None:
        sim = Simulation(
            roles=args.role,
            state_dir=_state_dir(args),
            seed=args.seed,
            options=_pose_options(args.pose_schema),
        )
        try:
            await sim.start()
        except SimError as err:
            raise VitrineError(str(err)) from err
        try:
            print(f"virtual boards (firmware build {sim.build}):", flush=True)
            for role, board in sim.boards.items():
                print(f"  {role:<9} {board.path} -> {board.cable.tty_path}", flush=True)
            print(f"control: {sim.control_path}  (Ctrl-C stops)", flush=True)
            await asyncio.Event().wait()
        finally:
            await sim.stop()

    return run_async(main)


def _request(args: argparse.Namespace, payload: dict) -> dict:
    from vitrine.sim.manager import request

    try:
        return asyncio.run(request(_state_dir(args), payload))
    except SimError as err:
        raise VitrineError(str(err)) from err


def cmd_fault(args: argparse.Namespace) -> int:
    if args.fault == "garbage" and args.count is None:
        raise VitrineError("garbage needs a byte count: vitrine sim fault ROLE garbage N")
    reply = _request(
        args, {"op": "fault", "role": args.role, "fault": args.fault, "arg": args.count}
    )
    print(f"{args.role}: {reply['done']}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    reply = _request(args, {"op": "status"})
    print(json.dumps(reply["boards"], indent=2))
    return 0
