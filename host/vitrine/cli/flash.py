"""`vitrine flash`: deploy the firmware to one board or to every attached board."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from vitrine.flash.fileset import BoardFile, FlashError
from vitrine.flash.flash import FlashOptions, FlashPlan, FlashResult, Reporter, flash_board


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flash",
        help="deploy the firmware to MicroPython boards (with mpremote)",
        description="Deploy a role's firmware: compile with mpy-cross, copy what differs, "
        "verify every file by SHA-256 on the board, reset it and wait for its HELLO.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--port", help="the board's serial port (or a virtual board's pty)")
    which.add_argument(
        "--all", action="store_true", help="every attached board with a known USB VID/PID"
    )
    p.add_argument("--role", help="the board's role (with --port)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="PORT=ROLE",
        help="with --all: the role of a port (repeatable; asked for otherwise)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    p.add_argument(
        "--source", action="store_true", help="copy .py sources instead of compiled .mpy files"
    )
    p.add_argument(
        "--hello-timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds to wait for the board's HELLO after its reset (default 15)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.set_defaults(handler=cmd_flash)


class BarReporter(Reporter):
    """Two progress bars per board: the whole flash and the file being written."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.boards: dict[str, TaskID] = {}
        self.files: dict[str, TaskID] = {}
        self.base: dict[str, int] = {}

    def step(self, port: str, text: str) -> None:
        if port in self.files:
            self.progress.update(self.files[port], description=f"  {text}")
        else:
            self.progress.console.print(f"{port}: {text}")

    def board(self, port: str, role: str, plan: FlashPlan) -> None:
        total = max(1, plan.bytes_to_write)
        self.boards[port] = self.progress.add_task(f"{role} on {port}", total=total)
        self.files[port] = self.progress.add_task("  comparing", total=1, completed=1)
        self.progress.console.print(
            f"{port}: {role}: {len(plan.write)} files to write ({plan.bytes_to_write} bytes), "
            f"{len(plan.unchanged)} unchanged, {len(plan.remove)} to remove"
        )

    def file(self, port: str, f: BoardFile) -> None:
        task = self.files[port]
        self.progress.reset(task, total=max(1, len(f.data)), description=f"  {f.path}")
        self.base[port] = int(self.progress.tasks[self.boards[port]].completed)

    def advance(self, port: str, done: int) -> None:
        self.progress.update(self.boards[port], completed=done)
        start = self.base.get(port, 0)
        self.progress.update(self.files[port], completed=done - start)


def _roles_for(ports: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Ask for the role of each port the mapping does not name."""
    from vitrine.flash.discover import ask_role

    roles = {}
    for port in ports:
        roles[port] = mapping.get(port) or ask_role(port)
    return roles


def _targets(args: argparse.Namespace) -> dict[str, str]:
    mapping = {}
    for item in args.map:
        port, sep, role = item.partition("=")
        if not sep or not port or not role:
            raise FlashError(f"--map {item!r}: expected PORT=ROLE, e.g. /dev/ttyACM0=touch")
        mapping[port] = role
    if args.port:
        if args.map:
            raise FlashError("--map goes with --all; with --port, give --role")
        if not args.role:
            raise FlashError("--port needs --role (one of the files in hardware/boards/)")
        return {args.port: args.role}
    if args.role:
        raise FlashError("--role goes with --port; with --all, give --map PORT=ROLE")
    from vitrine.hardware import load_boards, usb_ids
    from vitrine.link.boards import usb_ports

    ports = usb_ports(usb_ids(load_boards()))
    ports += [p for p in mapping if p not in ports]
    if not ports:
        raise FlashError(
            "no MicroPython boards attached (none with a USB VID/PID from hardware/boards/): "
            "plug them in, or name ports with --map PORT=ROLE"
        )
    return _roles_for(ports, mapping)


def cmd_flash(args: argparse.Namespace) -> int:
    targets = _targets(args)
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
    )
    results: dict[str, FlashResult] = {}
    errors: dict[str, str] = {}
    options = FlashOptions(
        compiled=not args.source, dry_run=args.dry_run, hello_timeout_s=args.hello_timeout
    )
    with Progress(*columns, console=console, transient=False) as progress:
        reporter = BarReporter(progress)

        def one(port: str) -> None:
            try:
                results[port] = flash_board(port, targets[port], options, reporter=reporter)
            except FlashError as err:
                errors[port] = str(err)

        with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
            list(pool.map(one, targets))
    for port, result in results.items():
        if result.dry_run:
            console.print(
                f"{port}: dry run: would write {', '.join(result.written) or 'nothing'}"
                + (f"; remove {', '.join(result.removed)}" if result.removed else "")
            )
        else:
            console.print(
                f"{port}: {result.role} flashed: {len(result.written)} files written "
                f"({result.bytes_written} bytes), {len(result.unchanged)} unchanged, "
                f"{len(result.removed)} removed in {result.copy_s:.1f} s; HELLO with build "
                f"{result.build_hash} after {result.boot_s:.1f} s"
            )
    for error in errors.values():
        console.print(f"vitrine flash: {error}", style="red", markup=False, highlight=False)
    if args.json:
        out = {"boards": [r.as_dict() for r in results.values()], "errors": errors}
        json.dump(out, sys.stdout, indent=2)
        print()
    return 1 if errors else 0
