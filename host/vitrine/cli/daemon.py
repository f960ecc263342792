"""`vitrine run` (real boards) and `vitrine demo` (virtual boards + daemon)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib import resources
from pathlib import Path

from vitrine.config import BoardsConfig, Config, DataConfig, HttpConfig, load_config, parse_config


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
    demo.add_argument(
        "--data-dir",
        type=Path,
        help="the demo store's data: catalogue, events, media (default: STATE_DIR/data; "
        "kept between runs, so a restart restores the shopper's session)",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_run(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.daemon import Daemon

    config = load_config(args.config)

    async def main() -> None:
        await Daemon(config).run()

    return run_async(main)


def demo_config(port: int, ports: dict[str, str], data_dir: Path) -> Config:
    """The demo's configuration (vitrine/demo.toml) with these boards, port and data folder."""
    text = resources.files("vitrine").joinpath("demo.toml").read_text()
    return parse_config(text, "vitrine/demo.toml").model_copy(
        update={
            "http": HttpConfig(port=port),
            "boards": BoardsConfig(discover_usb=False, ports=ports),
            "data": DataConfig(dir=str(data_dir)),
        }
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from vitrine.catalog.sample import install_sample
    from vitrine.cli import run_async
    from vitrine.daemon import Daemon
    from vitrine.sim.manager import Simulation

    async def main() -> None:
        sim = Simulation(roles=args.role, state_dir=args.state_dir)
        await sim.start()
        try:
            data_dir = args.data_dir or sim.state_dir / "data"
            install_sample(data_dir)
            config = demo_config(args.port, sim.ports(), data_dir)
            daemon = Daemon(config)
            task = asyncio.create_task(daemon.run())
            await asyncio.wait(
                {task, asyncio.create_task(daemon.ready.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if task.done():
                await task
            base = f"http://127.0.0.1:{daemon.http_port}/"
            state = f"--state-dir {sim.state_dir}"
            print(
                f"Vitrine demo: the mirror at {base}\n"
                f"  associate app  {base}associate/  (PIN {config.associate.pin})\n"
                f"  status         {base}status\n"
                f"  data           {data_dir}",
                flush=True,
            )
            for role, path in sim.ports().items():
                print(f"  virtual {role:<9} {path}", flush=True)
            print(
                f"A shopper: vitrine sim visitor approach|leave {state}  (walks up past the "
                "presence board's sensors)\n"
                f"A finger:  vitrine sim finger X_MM Y_MM {state}  (--up lifts it)\n"
                f"Faults:    vitrine sim fault ROLE unplug|replug|reboot|garbage N|stall {state}\n"
                "Ctrl-C stops.",
                flush=True,
            )
            sys.stdout.flush()
            await task
        finally:
            await sim.stop()

    return run_async(main)
