"""`vitrine experiments`: each configured A/B experiment's results so far, from the mirror's
events database: exposures, conversions, rates with their 95% intervals, lift and the test."""

from __future__ import annotations

import argparse
import json
import textwrap
from importlib import resources
from pathlib import Path
from typing import Any

from vitrine.config import DEFAULT_PATH, Config, load_config, parse_config
from vitrine.errors import VitrineError

_WIDTH = 100  # characters per line of the explanations


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "experiments",
        help="A/B experiments' results: conversion per variant, lift, significance",
        description="Reads [[experiment]] from the config and the exposures and outcomes the "
        "engine stored in the data folder's events.db (docs/engine.md, Experiments).",
    )
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--config", type=Path, help=f"the daemon's config (default: {DEFAULT_PATH})")
    where.add_argument(
        "--demo", action="store_true", help="the demo's experiments (vitrine/demo.toml)"
    )
    cmd.add_argument(
        "--data-dir",
        type=Path,
        help="the data folder holding events.db (default: the config's [data] dir; with "
        "--demo, the running demo's, else where the demo keeps it by default)",
    )
    cmd.add_argument("names", nargs="*", metavar="NAME", help="only these experiments")
    cmd.add_argument("--json", action="store_true", help="one JSON object per experiment")
    cmd.set_defaults(handler=cmd_experiments)


def _config(args: argparse.Namespace) -> tuple[Config, Path]:
    if args.demo:
        from vitrine.cli.demo_record import running_demo
        from vitrine.sim.control import default_state_dir

        text = resources.files("vitrine").joinpath("demo.toml").read_text()
        config = parse_config(text, "vitrine/demo.toml")
        demo = running_demo()
        data_dir = demo.data_dir if demo is not None else default_state_dir() / "data"
        return config, args.data_dir or data_dir
    config = load_config(args.config or DEFAULT_PATH)
    return config, args.data_dir or config.data.path()


def experiment_results(config: Config, data_dir: Path, names: list[str]) -> list[dict[str, Any]]:
    """The results of the named experiments (all configured ones when none are named)."""
    from vitrine.engine.experiments import results
    from vitrine.engine.store import EventStore

    configured = {e.name: e for e in config.experiment}
    unknown = [n for n in names if n not in configured]
    if unknown:
        known = ", ".join(configured) or "none configured"
        raise VitrineError(f"no experiment {', '.join(unknown)} in the config (known: {known})")
    path = data_dir / "events.db"
    if not path.exists():
        raise VitrineError(f"no events database at {path} (has the daemon run with this data?)")
    store = EventStore.open(path)
    try:
        out = []
        for name in names or list(configured):
            experiment = configured[name]
            counts = store.experiment_counts(name, [v.name for v in experiment.variants])
            out.append(
                {
                    "experiment": name,
                    "screen": experiment.screen,
                    "outcome": experiment.outcome,
                    **results(counts),
                }
            )
        return out
    finally:
        store.close()


def cmd_experiments(args: argparse.Namespace) -> int:
    config, data_dir = _config(args)
    if args.demo and not (data_dir / "events.db").exists():
        from vitrine.cli.command import command_name

        raise VitrineError(
            f"no events database at {data_dir / 'events.db'}: the demo has not run with this "
            f"data folder (start it with `{command_name()} demo`)"
        )
    found = experiment_results(config, data_dir, args.names)
    if args.json:
        for result in found:
            print(json.dumps(result))
        return 0
    if not found:
        print("no experiments configured ([[experiment]] in the config)")
    for result in found:
        print(f"{result['experiment']} (screen {result['screen']}, outcome {result['outcome']})")
        for v in result["variants"]:
            rate = "-" if v["rate"] is None else f"{100 * v['rate']:.1f}%"
            ci = (
                ""
                if v["ci_low"] is None
                else f"  [{100 * v['ci_low']:.1f}%, {100 * v['ci_high']:.1f}%]"
            )
            print(f"  {v['name']:<16} {v['converted']:>6} / {v['exposed']:<6} {rate:>7}{ci}")
        print(f"  {result['summary']}")
        if not any(v["exposed"] for v in result["variants"]):
            why = (
                f"(no session in {data_dir / 'events.db'} has reached the {result['screen']} "
                "screen yet, where a session is given a variant and counted)"
            )
            print(textwrap.fill(why, _WIDTH, initial_indent="  ", subsequent_indent="   "))
    waiting = [r["screen"] for r in found if not any(v["exposed"] for v in r["variants"])]
    if waiting:
        print(_how_to_get_data(args.demo, list(dict.fromkeys(waiting))))
    return 0


def _how_to_get_data(demo: bool, screens: list[str]) -> str:
    # Where exposures come from: shoppers' sessions reaching the experiments' screens.
    if not demo:
        return textwrap.fill(
            "A session counts once its shopper reaches the experiment's screen on the mirror "
            "that writes this data folder; ask again when shoppers have used it.",
            _WIDTH,
        )
    from vitrine.cli.command import command_name
    from vitrine.cli.demo_record import running_demo

    record = running_demo()
    where = record.url if record is not None else "the demo's mirror"
    hint = " (a category on the home screen opens browse)" if "browse" in screens else ""
    text = (
        f"To get data in the demo: start a session on {where} (a touch, or the command "
        f"below), then open the {' or '.join(screens)} screen{hint}; each session counts once."
    )
    return f"{textwrap.fill(text, _WIDTH)}\n  {command_name()} sim visitor approach"
