"""`vitrine sim`: virtual boards behind pseudo-terminals, faults against them, and fingers on
a virtual touch board's glass."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vitrine.errors import VitrineError
from vitrine.sim.control import (
    DEFAULT_FINGER_DIAMETER_MM,
    FAULTS,
    ControlClient,
    default_state_dir,
    request,
)
from vitrine.sim.errors import SimError

if TYPE_CHECKING:
    from vitrine.sim.scenario import Scenario
    from vitrine.sim.virtual_board import BoardOptions

PLAY_RATE_HZ = 250  # how often `sim play` sends the fingers, while they move
PLAY_SPEEDS = (0.01, 100.0)  # what `sim play --speed` allows: scenario time per real time


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
    sim.add_argument(
        "--ble",
        action="append",
        default=[],
        metavar="ROLE",
        help="ROLE's link is Bluetooth LE on the virtual air (ble://ADDRESS), not its pty; the "
        'daemon reaches it with [link] ble_hci = "unix:STATE/ble/host.hci"',
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
    finger = actions.add_parser(
        "finger",
        help="put fingers on a running virtual touch board's glass, or lift them",
        description="Put fingers down at the points given (they replace the fingers on the "
        "glass, and stay there until the next call, across resets), or lift them all with --up. "
        "Millimetres from the top-left corner of the active area, x to the right, y down.",
    )
    finger.add_argument(
        "points", nargs="*", type=float, metavar="X_MM Y_MM", help="one pair per finger"
    )
    finger.add_argument("--up", action="store_true", help="lift every finger")
    finger.add_argument(
        "--role", dest="finger_role", default="touch", metavar="ROLE", help="default: touch"
    )
    finger.add_argument(
        "--diameter",
        type=float,
        default=DEFAULT_FINGER_DIAMETER_MM,
        metavar="MM",
        help=f"finger diameter (default: {DEFAULT_FINGER_DIAMETER_MM:g})",
    )
    finger.add_argument("--state-dir", type=Path, dest="fault_state_dir", metavar="DIR")
    finger.set_defaults(handler=cmd_finger)
    play = actions.add_parser(
        "play",
        help="play a touch scenario's fingers on a running virtual touch board",
        description="Move fingers over the glass as the scenario's paths say, in real time "
        "(or faster or slower with --speed), then lift them. The board keeps its own frame and "
        "noise; only the fingers come from the scenario.",
    )
    play.add_argument("scenario", type=Path, metavar="SCENARIO.json")
    play.add_argument(
        "--role", dest="finger_role", default="touch", metavar="ROLE", help="default: touch"
    )
    play.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="scenario time per real time (default: 1.0)",
    )
    play.add_argument("--state-dir", type=Path, dest="fault_state_dir", metavar="DIR")
    play.set_defaults(handler=cmd_play)
    visitor = actions.add_parser(
        "visitor",
        help="a virtual visitor walks up to the mirror, or away (needs a presence board)",
        description="Move a person in the simulation's world of people: approach walks them "
        "from 2.4 m away, off to the side, to stand in front of the mirror; leave walks them "
        "away. The virtual presence board's time-of-flight sensors and PIR see them, and the "
        "daemon learns of them from the board, as in a shop.",
    )
    visitor.add_argument("action", choices=["approach", "leave"])
    visitor.add_argument(
        "--distance",
        type=float,
        metavar="MM",
        help="where they stop, from the glass (approach only; default 700, allowed 200..3000)",
    )
    visitor.add_argument("--state-dir", type=Path, dest="fault_state_dir", metavar="DIR")
    visitor.set_defaults(handler=cmd_visitor)
    replay = actions.add_parser(
        "touch",
        help="replay a touch scenario through the firmware's touch algorithm",
        description="Run the scenario scan by scan through the firmware's own scan, detect "
        "and track code against the glass model (no board process, no link; deterministic for "
        "a scenario and its seed) and print what the board would report. Format: "
        "docs/touch-scenarios.md.",
    )
    replay.add_argument("--scenario", type=Path, required=True, metavar="FILE")
    replay.add_argument(
        "--json", action="store_true", help='one JSON line per scan: {"t_ms", "touches"}'
    )
    replay.add_argument(
        "--capture",
        type=Path,
        metavar="OUT",
        help="also write the scans' raw readings to OUT as a capture (docs/touch.md), the "
        "baseline's first: `vitrine touch replay OUT` gives the same contacts",
    )
    replay.set_defaults(handler=cmd_touch)
    repl = actions.add_parser(
        "repl-board",
        help="run a virtual MicroPython board (raw REPL, filesystem) for mpremote",
        description="Run real MicroPython (the WebAssembly build, under Node.js) behind a "
        "pseudo-terminal that speaks the REPL like a board's USB serial port, so mpremote can "
        "copy files to it and run code on it, and `vitrine flash` can flash it: after a reset "
        "it boots the flashed firmware, which answers HELLO. Prints the port, runs until Ctrl-C. "
        "See docs/simulator.md.",
    )
    repl.add_argument("--fs-size", type=int, metavar="BYTES", help="filesystem size (2 MiB)")
    repl.add_argument(
        "--state", type=Path, metavar="FILE", help="keep the board's files in FILE (JSON)"
    )
    repl.add_argument(
        "--baud",
        type=int,
        metavar="N",
        help="pace the host's bytes at a serial line's rate (default: as fast as the pty)",
    )
    repl.set_defaults(handler=cmd_repl_board)


def _state_dir(args: argparse.Namespace) -> Path:
    return getattr(args, "fault_state_dir", None) or args.state_dir or default_state_dir()


def _pose_options(specs: list[str], ble: list[str] | None = None) -> dict[str, BoardOptions]:
    from vitrine.sim.virtual_board import BoardOptions

    options: dict[str, BoardOptions] = {}
    for spec in specs:
        match = re.fullmatch(r"(\w+)=(\d+):(0x[0-9a-fA-F]+|\d+)", spec)
        if not match:
            raise VitrineError(f"--pose-schema {spec!r}: expected ROLE=REV:HASH, e.g. touch=0:0x1")
        options[match[1]] = BoardOptions(pose_schema=f"{match[2]}:{match[3]}")
    for role in ble or []:
        options.setdefault(role, BoardOptions()).ble = True
    return options


def cmd_sim(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.sim.manager import Simulation

    async def main() -> None:
        sim = Simulation(
            roles=args.role,
            state_dir=_state_dir(args),
            seed=args.seed,
            options=_pose_options(args.pose_schema, args.ble),
        )
        await sim.start()
        try:
            print(f"virtual boards (firmware build {sim.build}):", flush=True)
            for role, board in sim.boards.items():
                if board.ble_address:
                    print(f"  {role:<9} {board.url} (Bluetooth LE)", flush=True)
                else:
                    print(f"  {role:<9} {board.path} -> {board.cable.tty_path}", flush=True)
            if sim.air is not None:
                print(f"BLE adapter for the daemon: unix:{sim.host_hci}", flush=True)
            print(f"control: {sim.control_path}  (Ctrl-C stops)", flush=True)
            await asyncio.Event().wait()
        finally:
            await sim.stop()

    return run_async(main)


def _request(args: argparse.Namespace, payload: dict) -> dict:
    return asyncio.run(request(_state_dir(args), payload))


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


def cmd_finger(args: argparse.Namespace) -> int:
    points = args.points
    if args.up:
        if points:
            raise VitrineError("sim finger: --up lifts every finger; give no points with it")
    elif not points:
        raise VitrineError("sim finger: give X_MM Y_MM for each finger, or --up to lift them")
    elif len(points) % 2:
        raise VitrineError(
            f"sim finger: {len(points)} number{'' if len(points) == 1 else 's'} given; "
            "each finger needs two, X_MM Y_MM"
        )
    fingers = [
        {"x_mm": x, "y_mm": y, "diameter_mm": args.diameter}
        for x, y in zip(points[::2], points[1::2], strict=True)
    ]
    reply = _request(args, {"op": "fingers", "role": args.finger_role, "fingers": fingers})
    if args.up:
        print(f"{args.finger_role}: every finger lifted")
    else:
        where = ", ".join(f"({f['x_mm']:g}, {f['y_mm']:g})" for f in fingers)
        print(f"{args.finger_role}: {reply['done']}: {where}")
    return 0


def cmd_visitor(args: argparse.Namespace) -> int:
    present = args.action == "approach"
    if args.distance is not None and not present:
        raise VitrineError("sim visitor: --distance goes with approach")
    reply = _request(args, {"op": "visitor", "present": present, "distance_mm": args.distance})
    print(reply["done"])
    return 0


def cmd_repl_board(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.sim.repl_board import serve

    if args.fs_size is not None and args.fs_size <= 0:
        raise VitrineError(f"sim repl-board: --fs-size {args.fs_size}: give a positive size")
    if args.baud is not None and args.baud <= 0:
        raise VitrineError(f"sim repl-board: --baud {args.baud}: give a positive rate")
    return run_async(lambda: serve(args.fs_size, args.state, args.baud))


def cmd_touch(args: argparse.Namespace) -> int:
    import json

    from vitrine.capture.format import header_line, scan_line
    from vitrine.sim.scenario import load_scenario
    from vitrine.sim.touch import ScanReadings, replay
    from vitrine_fw.touch.geometry import Geometry

    scenario = load_scenario(args.scenario)
    out = None
    capture = None
    if args.capture is not None:
        try:
            out = args.capture.open("w", encoding="utf-8")
        except OSError as err:
            raise VitrineError(f"sim touch: --capture {args.capture}: {err.strerror}") from err
        frame = scenario.frame
        out.write(header_line(frame, frame["timing"]["adc_bits"]) + "\n")
        g = Geometry(frame)

        def capture(scan: ScanReadings) -> None:
            assert out is not None
            out.write(scan_line(g, scan.t0_us, scan.rows) + "\n")

    try:
        for scan in replay(scenario, capture=capture):
            line = scan.json()
            if args.json:
                print(json.dumps(line, separators=(",", ":")))
            else:
                touches = "  ".join(
                    f"#{t['id']} ({t['x_mm']:.2f}, {t['y_mm']:.2f})"
                    + (" palm" if t["kind"] == "palm" else "")
                    for t in line["touches"]
                )
                print(f"{line['t_ms']:9.1f} ms  {touches or '-'}")
    finally:
        if out is not None:
            out.close()
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.sim.scenario import load_scenario

    lo, hi = PLAY_SPEEDS
    if not lo <= args.speed <= hi:
        raise VitrineError(f"sim play: --speed {args.speed:g}: allowed {lo:g}..{hi:g}")
    scenario = load_scenario(args.scenario)
    role = args.finger_role

    return run_async(lambda: _play(scenario, args.scenario, role, args.speed, _state_dir(args)))


def _say(text: str) -> None:
    print(f"play: {text}", file=sys.stderr, flush=True)


def _check_fits(scenario: Scenario, board: dict[str, Any], role: str, source: Path) -> None:
    """Refuse a scenario whose fingers leave the board's glass; note what is not played."""
    from vitrine.sim.glass import Conditions

    width, height = board["frame_mm"]
    frame = scenario.frame
    if (frame["width_mm"], frame["height_mm"]) != (width, height):
        _say(
            f"note: the scenario's frame is {frame['width_mm']:g} x {frame['height_mm']:g} mm, "
            f"{role}'s is {width:g} x {height:g} mm; positions are played as they are"
        )
    for f in scenario.fingers:
        for t, x, y in f.path:
            if not (0 <= x <= width and 0 <= y <= height):
                raise SimError(
                    f"{source}: finger {f.id} is at ({x:g}, {y:g}) mm at {t:g} ms, outside "
                    f"{role}'s {width:g} x {height:g} mm glass"
                )
    if scenario.noise != Conditions():
        _say(
            "note: the scenario's noise is not played; the board's glass keeps the noise it "
            "started with"
        )


async def _play(scenario: Scenario, source: Path, role: str, speed: float, state_dir: Path) -> None:
    client = await ControlClient.open(state_dir)
    try:
        boards = {b["role"]: b for b in (await client.ask({"op": "status"}))["boards"]}
        if role not in boards:
            raise SimError(f"no virtual board {role!r}; running: {', '.join(boards)}")
        if "frame_mm" not in boards[role]:
            raise SimError(f"{role} has no touch frame; fingers go on the touch board")
        _check_fits(scenario, boards[role], role, source)
        await _play_fingers(client, scenario, role, speed, source)
    finally:
        client.close()


async def _play_fingers(
    client: ControlClient, scenario: Scenario, role: str, speed: float, source: Path
) -> None:
    loop = asyncio.get_running_loop()
    duration_s = scenario.duration_ms / 1000 / speed
    _say(
        f"{source.name} on {role}: {len(scenario.fingers)} finger path(s), "
        f"{scenario.duration_ms / 1000:g} s of scenario at speed {speed:g} ({duration_s:.1f} s)"
    )
    start = loop.time()
    last: list[dict[str, float]] | None = None
    updates = 0
    next_report = 1.0
    lifted = False
    try:
        while True:
            elapsed = loop.time() - start
            t_ms = min(elapsed * speed * 1000, scenario.duration_ms)
            fingers = [
                {
                    "x_mm": round(f.x_mm, 2),
                    "y_mm": round(f.y_mm, 2),
                    "diameter_mm": f.diameter_mm,
                }
                for _, f in scenario.fingers_at(t_ms)
            ]
            if fingers != last:
                await client.ask({"op": "fingers", "role": role, "fingers": fingers})
                last = fingers
                updates += 1
            if elapsed >= next_report:
                _say(f"{t_ms / 1000:.1f} / {scenario.duration_ms / 1000:g} s, {len(fingers)} down")
                next_report += 1.0
            if t_ms >= scenario.duration_ms:
                break
            await asyncio.sleep(1 / PLAY_RATE_HZ)
        await client.ask({"op": "fingers", "role": role, "fingers": []})
        lifted = True
        _say(f"done: {updates} finger update(s) in {loop.time() - start:.1f} s; fingers lifted")
    finally:
        if not lifted:  # stopped early (Ctrl-C, an error): do not leave fingers on the glass
            with contextlib.suppress(SimError):
                await client.ask({"op": "fingers", "role": role, "fingers": []}, timeout=1)
                _say("stopped; fingers lifted")
