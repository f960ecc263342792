"""`vitrine bench ...`: benchmarks that prove the project's numbers: a summary for people on
stdout, or with --json only the result as JSON (one line), progress on stderr either way."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("bench", help="run a benchmark and print its figures")
    which = cmd.add_subparsers(dest="bench_command", required=True, metavar="BENCH")
    link = which.add_parser("link", help="wire decode throughput, latency, recovery")
    link.add_argument("--json", action="store_true", help="print only the JSON result")
    link.add_argument(
        "--quick", action="store_true", help="shorter runs (for a smoke test; figures noisier)"
    )
    link.set_defaults(handler=cmd_link)
    touch = which.add_parser(
        "touch",
        help="touch accuracy, multi-touch, ghosts, report rate, host and end-to-end latency",
    )
    touch.add_argument("--json", action="store_true", help="print only the JSON result")
    touch.add_argument(
        "--quick", action="store_true", help="fewer scenarios (for a smoke test; figures noisier)"
    )
    touch.set_defaults(handler=cmd_touch)
    daemon = which.add_parser(
        "daemon",
        help="daemon start-up: spawn to READY=1, to the status API, to every board up",
    )
    daemon.add_argument("--json", action="store_true", help="print only the JSON result")
    daemon.add_argument(
        "--runs", type=_positive, default=5, help="daemon starts to measure (default 5)"
    )
    daemon.set_defaults(handler=cmd_daemon)
    flash = which.add_parser(
        "flash",
        help="flash one board's firmware on the virtual board: full, then with nothing changed",
    )
    flash.add_argument("--json", action="store_true", help="print only the JSON result")
    flash.add_argument("--role", default="touch", help="the board role to flash (default touch)")
    flash.set_defaults(handler=cmd_flash)
    player = which.add_parser(
        "player",
        help="the player in Chromium: first paint after the daemon is ready, touch to handler",
    )
    player.add_argument("--json", action="store_true", help="print only the JSON result")
    player.add_argument(
        "--trials", type=_positive, default=200, help="taps on the virtual glass (default 200)"
    )
    player.set_defaults(handler=cmd_player)
    sense = which.add_parser(
        "sense",
        help="presence: crossing latency, an empty hour, zones; lighting: fade start, "
        "monotone fades, the current budget",
    )
    sense.add_argument("--json", action="store_true", help="print only the JSON result")
    sense.add_argument(
        "--quick", action="store_true", help="smaller sets (for a smoke test; figures noisier)"
    )
    sense.set_defaults(handler=cmd_sense)
    catalog = which.add_parser(
        "catalog",
        help="the player's screens over a 100,000-product catalogue, and the loop's lag",
    )
    catalog.add_argument("--json", action="store_true", help="print only the JSON result")
    catalog.add_argument(
        "--products", type=_positive, default=100_000, help="products (default 100000)"
    )
    catalog.add_argument(
        "--stock-rows", type=_positive, default=1_000_000, help="stock rows (default 1000000)"
    )
    catalog.add_argument(
        "--screens", type=_positive, default=100, help="screens of each kind (default 100)"
    )
    catalog.set_defaults(handler=cmd_catalog)
    _register_ble(which)
    _register_analytics(which)
    vision = which.add_parser(
        "vision",
        help="the vision pipeline: frames/s, the peer detector, the photos, the synthetic "
        "scene's truth, touch latency while it runs, memory",
    )
    vision.add_argument("--json", action="store_true", help="print only the JSON result")
    vision.add_argument(
        "--quick", action="store_true", help="shorter runs (for a smoke test; figures noisier)"
    )
    vision.add_argument(
        "--threads", type=_positive, default=2, help="onnxruntime threads (default 2)"
    )
    vision.add_argument(
        "--parts",
        default=",".join(VISION_PARTS),
        help=f"which parts, comma-separated (default {','.join(VISION_PARTS)})",
    )
    vision.set_defaults(handler=cmd_vision)


def _register_analytics(which: argparse._SubParsersAction) -> None:
    analytics = which.add_parser(
        "analytics",
        help="analytics: the mirror's ingest, a busy mirror's year of dashboard queries, and "
        "a fleet of mirrors through Mosquitto into PostgreSQL with a broker outage, and a "
        "simulated store day's metrics beside its ground truth",
    )
    analytics.add_argument("--json", action="store_true", help="print only the JSON result")
    analytics.add_argument(
        "--parts",
        default="ingest,year,fleet,day",
        help="which parts, comma-separated (default ingest,year,fleet,day)",
    )
    analytics.add_argument(
        "--ingest", type=_positive, default=200_000, help="observations ingested (200000)"
    )
    analytics.add_argument(
        "--year", type=_positive, default=10_000_000, help="the year's observations (10000000)"
    )
    analytics.add_argument("--mirrors", type=_positive, default=1000, help="fleet mirrors (1000)")
    analytics.add_argument(
        "--per-mirror",
        type=_positive,
        default=600,
        help="observations each mirror has before the outage (600; a quarter more during it)",
    )
    analytics.add_argument(
        "--outage-s", type=_positive, default=60, help="the broker outage, seconds (60)"
    )
    analytics.add_argument("--day-seed", type=int, default=17, help="the store day's seed (17)")
    analytics.add_argument(
        "--day-visitors", type=_positive, default=44, help="visitors who stop at the mirror (44)"
    )
    analytics.add_argument(
        "--day-passers", type=_positive, default=320, help="passers-by in the aisle (320)"
    )
    analytics.add_argument(
        "--day-hours", type=_positive, default=10, help="the day's opening hours (10)"
    )
    analytics.set_defaults(handler=cmd_analytics)


def _register_ble(which: argparse._SubParsersAction) -> None:
    """vitrine bench ble's arguments."""
    ble = which.add_parser(
        "ble",
        help="members' zones in a simulated store, a flood of bad adverts, the BLE lights link",
    )
    ble.add_argument("--json", action="store_true", help="print only the JSON result")
    ble.add_argument(
        "--quick", action="store_true", help="fewer shoppers (for a smoke test; figures noisier)"
    )
    ble.add_argument("--seed", type=int, default=1, help="the store's seed (default 1)")
    ble.set_defaults(handler=cmd_ble)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: allowed a whole number, 1 or more")
    return value


def _report(
    args: argparse.Namespace, name: str, run: Callable[..., dict[str, Any]], **kw: Any
) -> int:
    """Run one benchmark with progress on stderr; on stdout its summary (vitrine.bench.summary),
    or with --json only its JSON; exit 1 when it missed a target."""
    from vitrine.bench.summary import summary

    def progress(text: str) -> None:
        print(f"bench {name}: {text}", file=sys.stderr, flush=True)

    result = run(progress=progress, **kw)
    print(json.dumps(result) if args.json else summary(result), flush=True)
    return 0 if result["pass"] else 1


def cmd_link(args: argparse.Namespace) -> int:
    from vitrine.bench.link import run_link_bench

    return _report(args, "link", run_link_bench, quick=args.quick)


def cmd_touch(args: argparse.Namespace) -> int:
    from vitrine.bench.touch import run_touch_bench

    return _report(args, "touch", run_touch_bench, quick=args.quick)


def cmd_daemon(args: argparse.Namespace) -> int:
    from vitrine.bench.daemon import run_daemon_bench

    return _report(args, "daemon", run_daemon_bench, runs=args.runs)


def cmd_flash(args: argparse.Namespace) -> int:
    from vitrine.bench.flash import run_flash_bench

    return _report(args, "flash", run_flash_bench, role=args.role)


def cmd_player(args: argparse.Namespace) -> int:
    from vitrine.bench.player import run_player_bench

    return _report(args, "player", run_player_bench, trials=args.trials)


def cmd_sense(args: argparse.Namespace) -> int:
    from vitrine.bench.sense import run_sense_bench

    return _report(args, "sense", run_sense_bench, quick=args.quick)


def cmd_catalog(args: argparse.Namespace) -> int:
    from vitrine.bench.catalog import run_catalog_bench

    return _report(
        args,
        "catalog",
        run_catalog_bench,
        products=args.products,
        stock_rows=args.stock_rows,
        screens=args.screens,
    )


def cmd_ble(args: argparse.Namespace) -> int:
    from vitrine.bench.ble import run_ble_bench

    return _report(args, "ble", run_ble_bench, quick=args.quick, seed=args.seed)


ANALYTICS_PARTS = ("ingest", "year", "fleet", "day")
# the parts of `vitrine bench vision` (vitrine.bench.vision.PARTS), here so --help needs no numpy
VISION_PARTS = ("photos", "peer", "throughput", "counting", "attention", "gestures", "daemon")


def cmd_analytics(args: argparse.Namespace) -> int:
    from vitrine.bench.analytics import run_analytics_bench
    from vitrine.errors import VitrineError

    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    wrong = [p for p in parts if p not in ANALYTICS_PARTS]
    if wrong or not parts:
        raise VitrineError(
            f"--parts {args.parts!r}: allowed: {', '.join(ANALYTICS_PARTS)}, comma-separated"
        )
    if "day" in parts:
        from vitrine.sim.storeday import check_day

        try:
            check_day(args.day_passers, args.day_visitors, float(args.day_hours))
        except ValueError as err:
            raise VitrineError(f"--day-*: {err}") from None
    return _report(
        args,
        "analytics",
        run_analytics_bench,
        ingest=args.ingest,
        year=args.year,
        mirrors=args.mirrors,
        per_mirror=args.per_mirror,
        outage_s=float(args.outage_s),
        parts=parts,
        day_seed=args.day_seed,
        day_visitors=args.day_visitors,
        day_passers=args.day_passers,
        day_hours=float(args.day_hours),
    )


def cmd_vision(args: argparse.Namespace) -> int:
    from vitrine.bench.vision import run_vision_bench
    from vitrine.errors import VitrineError

    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    wrong = [p for p in parts if p not in VISION_PARTS]
    if wrong or not parts:
        raise VitrineError(
            f"--parts {args.parts!r}: allowed: {', '.join(VISION_PARTS)}, comma-separated"
        )
    return _report(
        args, "vision", run_vision_bench, quick=args.quick, threads=args.threads, parts=parts
    )
