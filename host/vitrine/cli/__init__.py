"""The `vitrine` command."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from vitrine import __version__
from vitrine.errors import VitrineError
from vitrine.logs import FORMATS, configure_logging, error_text


def build_parser() -> argparse.ArgumentParser:
    from vitrine.cli import (
        analytics,
        beacon,
        bench,
        calibrate,
        catalog,
        collect,
        console,
        daemon,
        doctor,
        experiments,
        flash,
        models,
        service,
        sim,
        touch,
        vision,
        wire,
    )

    parser = argparse.ArgumentParser(
        prog="vitrine", description="Interactive retail smart mirrors: host daemon and tools."
    )
    parser.add_argument("--version", action="version", version=f"vitrine {__version__}")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level (default: info)",
    )
    parser.add_argument(
        "--log-format",
        default="auto",
        choices=FORMATS,
        help="log lines with a timestamp (human) or with syslog priority prefixes for "
        "systemd's journal (journal); auto: journal when stderr is the journal",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    daemon.register(sub)
    sim.register(sub)
    touch.register(sub)
    wire.register(sub)
    bench.register(sub)
    calibrate.register(sub)
    console.register(sub)
    service.register(sub)
    doctor.register(sub)
    flash.register(sub)
    experiments.register(sub)
    catalog.register(sub)
    beacon.register(sub)
    analytics.register(sub)
    collect.register(sub)
    models.register(sub)
    vision.register(sub)
    return parser


def run_async(main: Callable[[], Awaitable[int | None]]) -> int:
    """Run a coroutine until it ends or SIGINT/SIGTERM arrive (then it is cancelled)."""

    async def runner() -> int | None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        return await main()

    try:
        return asyncio.run(runner()) or 0
    except asyncio.CancelledError:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_format = configure_logging(args.log_level, args.log_format)
    handler: Callable[[Any], int] = args.handler
    try:
        return handler(args)
    except VitrineError as err:
        print(error_text(str(err), log_format), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
