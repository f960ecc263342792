"""`vitrine console PORT`: one board's diagnostic console, interactive or scripted."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from vitrine.errors import VitrineError

TIMEOUTS_S = (0.05, 60.0)  # what --timeout and --connect-timeout allow, in seconds


def register(sub: argparse._SubParsersAction) -> None:
    from vitrine.console.client import DEFAULT_DAEMON_URL

    console = sub.add_parser(
        "console",
        help="a board's diagnostic console (status, beams, selftest, log, reboot, repl ...)",
        description="Connect to one board's port and run its console commands: interactively "
        "(history, Tab completion, a live beam map and link counters), or with --exec for "
        "scripts. The port must be free: stop the daemon that holds it first. "
        "See docs/console.md.",
    )
    console.add_argument(
        "port", metavar="PORT", help="a device path, a pty, socket://HOST:PORT or rfc2217://..."
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
    console.set_defaults(handler=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.console.client import ConsoleClient, Waits
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
        client = ConsoleClient(
            args.port, waits=Waits(command_s=args.timeout), daemon_url=args.daemon_url
        )
        await client.connect(args.connect_timeout)
        try:
            if interactive:
                ui = ConsoleUI(client, args.history or history_file(), live=not args.no_live)
                return await ui.run()
            return await run_script(client, lines, yes=args.yes, keep_going=args.keep_going)
        finally:
            await client.close()

    return run_async(main)
