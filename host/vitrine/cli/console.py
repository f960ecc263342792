"""`vitrine console PORT`: one board's diagnostic console, interactive or scripted."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vitrine.errors import VitrineError

if TYPE_CHECKING:
    from vitrine.console.session import Console, Waits

TIMEOUTS_S = (0.05, 60.0)  # what --timeout and --connect-timeout allow, in seconds


def register(sub: argparse._SubParsersAction) -> None:
    from vitrine.console.client import DEFAULT_DAEMON_URL

    console = sub.add_parser(
        "console",
        help="a board's diagnostic console (status, beams, selftest, log, reboot, repl ...)",
        description="Connect to one board's port and run its console commands: interactively "
        "(history, Tab completion, a live beam map and link counters), or with --exec for "
        "scripts. A port the running daemon holds is reached through the daemon (its console "
        "socket, for root, the daemon's user and its group). See docs/console.md.",
    )
    console.add_argument(
        "port",
        metavar="PORT",
        help="a device path, a pty, socket://HOST:PORT or rfc2217://...; or, through the "
        "running daemon, a board's name (touch, lights, ...)",
    )
    console.add_argument(
        "--exec",
        "-e",
        dest="execs",
        action="append",
        default=[],
        metavar="LINE",
        help="run this command line and exit (repeatable; ';' separates lines); "
        "exit status 1 when a line fails",
    )
    console.add_argument(
        "--yes", action="store_true", help="confirm state-changing commands (reboot, repl, ...)"
    )
    console.add_argument(
        "--keep-going", action="store_true", help="with --exec: run every line despite failures"
    )
    console.add_argument(
        "--timeout",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds to wait for each answer before retrying (default: 1)",
    )
    console.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for the board to answer the handshake (default: 5)",
    )
    console.add_argument(
        "--history", type=Path, metavar="FILE", help="command history (default: in the state dir)"
    )
    console.add_argument(
        "--no-live", action="store_true", help="interactive, without the live area"
    )
    console.add_argument(
        "--daemon-url",
        default=DEFAULT_DAEMON_URL,
        metavar="URL",
        help=f"a running daemon's API, asked when the port is busy (default: {DEFAULT_DAEMON_URL})",
    )
    console.add_argument(
        "--daemon-socket",
        type=Path,
        metavar="PATH",
        help="the running daemon's console socket (default: its runtime folder's console.sock, "
        "then /run/vitrine/console.sock)",
    )
    console.set_defaults(handler=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.console.client import Waits
    from vitrine.console.script import run_script, split_lines
    from vitrine.console.tui import ConsoleUI, history_file

    for name in ("timeout", "connect_timeout"):
        value = getattr(args, name)
        lo, hi = TIMEOUTS_S
        if not lo <= value <= hi:
            option = "--" + name.replace("_", "-")
            raise VitrineError(f"console: {option} {value:g}: allowed {lo:g}..{hi:g} seconds")
    lines = split_lines(args.execs)
    if args.execs and not lines:
        raise VitrineError("console: --exec got no command line (only spaces or ';')")
    interactive = not lines
    if interactive and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise VitrineError(
            "console: the interactive console needs a terminal; in a script, give the "
            "commands with --exec LINE"
        )
    # Board LOG lines and link events go through the link's logger: in scripts only errors,
    # on stderr (a reboot's link loss is expected there); the interactive console shows them
    # itself, above its prompt.
    link_log = logging.getLogger("vitrine.link")
    if link_log.getEffectiveLevel() > logging.DEBUG:
        link_log.setLevel(logging.CRITICAL if interactive else logging.ERROR)

    async def main() -> int:
        client = await open_console(args, Waits(command_s=args.timeout))
        try:
            if interactive:
                ui = ConsoleUI(client, args.history or history_file(), live=not args.no_live)
                return await ui.run()
            return await run_script(client, lines, yes=args.yes, keep_going=args.keep_going)
        finally:
            await client.close()

    return run_async(main)


def _names_a_board(port: str) -> bool:
    """A bare word that is no port here (`touch`): a board's name, for the daemon to find."""
    return "/" not in port and "://" not in port and not Path(port).exists()


async def open_console(args: argparse.Namespace, waits: Waits) -> Console:
    """The board's console: on its port when this process can open it; through the running
    daemon when the daemon holds the port (or PORT names a board); the error otherwise."""
    from vitrine.console.client import ConsoleClient
    from vitrine.console.errors import PortBusy
    from vitrine.console.relay import candidate_sockets
    from vitrine.console.remote import through_daemon

    sockets = [args.daemon_socket] if args.daemon_socket else candidate_sockets()
    if not _names_a_board(args.port):
        client = ConsoleClient(args.port, waits=waits, daemon_url=args.daemon_url)
        try:
            await client.connect(args.connect_timeout)
        except PortBusy as busy:
            remote, problems = await through_daemon(args.port, sockets, waits, args.connect_timeout)
            if remote is None:
                raise PortBusy(f"{busy} ({_looked(sockets, problems)})") from busy
            return remote
        return client
    remote, problems = await through_daemon(args.port, sockets, waits, args.connect_timeout)
    if remote is None:
        raise VitrineError(
            f"console: {args.port}: no such port, and no running daemon has a board of that "
            f"name ({_looked(sockets, problems)})"
        )
    return remote


def _looked(sockets: list[Path], problems: list[str]) -> str:
    from vitrine.console.remote import might_be_there

    found = [p for p in sockets if might_be_there(p)]
    if not found:
        return (
            "no daemon's console socket at "
            + " or ".join(str(p) for p in sockets)
            + "; give it with --daemon-socket"
        )
    return "; ".join(problems) or "the daemon's console socket did not have it"
