"""`vitrine run` (real boards) and `vitrine demo` (virtual boards + daemon)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from vitrine.config import BoardsConfig, Config, HttpConfig, load_config


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the daemon with real boards")
    run.add_argument("--config", type=Path, required=True, help="the daemon's TOML config")
    run.set_defaults(handler=cmd_run)

    demo = sub.add_parser("demo", help="run the mirror on virtual hardware")
    demo.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080)")
    demo.add_argument(
        "--role", action="append", help="virtual board role (repeatable; default: all roles)"
    )
    demo.add_argument("--state-dir", type=Path, help="where the virtual boards' ports live")
    demo.set_defaults(handler=cmd_demo)


def cmd_run(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.daemon import Daemon

    config = load_config(args.config)

    async def main() -> None:
        await Daemon(config).run()

    return run_async(main)


def cmd_demo(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.daemon import Daemon
    from vitrine.sim.manager import Simulation

    async def main() -> None:
        sim = Simulation(roles=args.role, state_dir=args.state_dir)
        await sim.start()
        try:
            config = Config(
                http=HttpConfig(port=args.port),
                boards=BoardsConfig(discover_usb=False, ports=sim.ports()),
            )
            daemon = Daemon(config)
            task = asyncio.create_task(daemon.run())
            await asyncio.wait(
                {task, asyncio.create_task(daemon.ready.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if task.done():
                await task
            print(f"Vitrine demo: status at http://127.0.0.1:{daemon.http_port}/", flush=True)
            for role, path in sim.ports().items():
                print(f"  virtual {role:<9} {path}", flush=True)
            print(
                f"Faults: vitrine sim fault ROLE unplug|replug|reboot|garbage N|stall "
                f"--state-dir {sim.state_dir}\nCtrl-C stops.",
                flush=True,
            )
            sys.stdout.flush()
            await task
        finally:
            await sim.stop()

    return run_async(main)
