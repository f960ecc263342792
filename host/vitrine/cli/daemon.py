"""`vitrine run` (real boards) and `vitrine demo` (virtual boards + daemon)."""

from __future__ import annotations

import argparse
import asyncio
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vitrine.config import BoardsConfig, Config, DataConfig, HttpConfig, load_config, parse_config

if TYPE_CHECKING:
    from vitrine.sim.manager import Simulation


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
        help="the demo store's data: catalogue, events, media. Default: STATE_DIR/data, where "
        "each run starts with no events (no sessions, no results, nobody on the mirror); a "
        "folder given here keeps them between runs, so a restart takes up the shopper's session",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_run(args: argparse.Namespace) -> int:
    from vitrine.cli import run_async
    from vitrine.daemon import Daemon

    config = load_config(args.config)

    async def main() -> None:
        await Daemon(config).run(freeze_start_up=True)

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
    from vitrine.cli.demo_record import write_record
    from vitrine.daemon import Daemon
    from vitrine.sim.manager import Simulation

    async def main() -> None:
        sim = Simulation(roles=args.role, state_dir=args.state_dir)
        await sim.start()
        record = None
        try:
            data_dir = args.data_dir or sim.state_dir / "data"
            if args.data_dir is None:
                _new_events(data_dir)
            install_sample(data_dir)
            config = demo_config(args.port, sim.ports(), data_dir)
            daemon = Daemon(config)
            events = _events_line(
                data_dir, kept=args.data_dir is not None, view=daemon.engine.view()
            )
            task = asyncio.create_task(daemon.run(freeze_start_up=True))
            await asyncio.wait(
                {task, asyncio.create_task(daemon.ready.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if task.done():
                await task
            url = f"http://127.0.0.1:{daemon.http_port}/"
            record = write_record(sim.state_dir, url, data_dir)
            print(_banner(url, config, sim, events), flush=True)
            await task
        finally:
            if record is not None:
                record.unlink(missing_ok=True)
            await sim.stop()

    return run_async(main)


# The events database and the files SQLite keeps beside it (write-ahead log, shared memory,
# rollback journal).
_EVENT_FILES = ("events.db", "events.db-wal", "events.db-shm", "events.db-journal")


def _new_events(data_dir: Path) -> None:
    """Remove the events an earlier run left in the demo's own data folder: sessions, requests,
    results, loyalty members and the live session a restart would take up."""
    for name in _EVENT_FILES:
        (data_dir / name).unlink(missing_ok=True)


def _events_line(data_dir: Path, kept: bool, view: dict[str, Any]) -> str:
    """What the banner says about the events: new for this run, or kept in a folder the
    demo was given, and then whether a session an earlier run left is going on."""
    if not kept:
        return "new for this run (none kept from earlier runs: --data-dir DIR keeps them)"
    path = data_dir / "events.db"
    session, screen = view["session"], view["screen"]
    if session["id"] is None:
        return f"kept between runs in {path}; the mirror starts idle"
    return (
        f"kept between runs in {path}; the session an earlier run left goes on "
        f"({session['phase']}, on screen {screen['name']})"
    )


def _banner(url: str, config: Config, sim: Simulation, events: str) -> str:
    """What the demo prints once it is ready: its pages, its data, its virtual boards' ports,
    and the commands that act on it, written so that they run as printed."""
    from vitrine.cli.catalog import default_catalogue
    from vitrine.cli.command import command_name
    from vitrine.cli.demo_record import running_demo

    vitrine = command_name()
    state = f"--state-dir {sim.state_dir}"
    data_dir = config.data.path()
    lines = [
        f"Vitrine demo: the mirror at {url}",
        f"  associate app  {url}associate/  (PIN {config.associate.pin})",
        f"  status         {url}status",
        f"  data           {data_dir}",
        f"  events         {events}",
        *(f"  virtual {role:<9} {path}" for role, path in sim.ports().items()),
    ]
    if vitrine != "vitrine":
        activate = Path(vitrine).parent / "activate"
        lines.append(
            f"The vitrine command is {vitrine}"
            + (f" (`. {activate}` puts it on PATH in this shell)" if activate.is_file() else "")
        )
    # Do `vitrine catalog` and `vitrine experiments --demo` find this demo without being told?
    found, _ = default_catalogue()
    db = "" if found == (data_dir / "catalog.db").resolve() else f" --db {data_dir / 'catalog.db'}"
    demo = running_demo()
    data = "" if demo is not None and demo.pid == os.getpid() else f" --data-dir {data_dir}"
    lines += [
        f"A shopper: {vitrine} sim visitor approach|leave {state}  (walks up past the "
        "presence board's sensors)",
        f"A finger:  {vitrine} sim finger X_MM Y_MM {state}  (--up lifts it)",
        f"Faults:    {vitrine} sim fault ROLE unplug|replug|reboot|garbage N|stall {state}",
        f"Products:  {vitrine} catalog show{db}",
        f"Results:   {vitrine} experiments --demo{data}  (A/B tests of the shoppers' sessions)",
        "Ctrl-C stops.",
    ]
    return "\n".join(lines)
